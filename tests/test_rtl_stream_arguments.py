"""Stream parameters of a region (``A: Stream[int32, 4]``): the caller gives an input's values
and takes an output's, on the interpreter and on the hardware of all three simulators, whose
testbenches feed and drain the streams with random gaps (``backpressure=``). No value may be
lost or duplicated; a design that waits for values the caller does not have is the
interpreter's deadlock; wrong counts are the same error on every target."""
import numpy as np
import pytest
from amaranth.hdl import unsigned
from amaranth.lib import stream
from amaranth.lib.wiring import Flow

import allo_rtl as allo
import allo_rtl.dataflow as df
from allo_rtl.errors import (AlloDeadlockError, AlloRuntimeError, AlloSyntaxError, AlloTypeError,
                             AlloValueError, UnsupportedError)
from allo_rtl.types import Stream, int8, int16, int32, uint12

from .helpers_diagnostics import check

SIMULATORS = ["amaranth", "verilator", "icarus"]
N = 24


@df.region()
def scale_filter_sum(A: Stream[int16, 4], B: Stream[int32, 2], C: int32[4]):
    pipe: Stream[int32, 2]

    @df.kernel(mapping=[1])
    def scale():
        for i in range(N):
            pipe.put(A.get() * 3 - 1)

    @df.kernel(mapping=[1], args=[C])
    def accumulate(c: int32[4]):
        total: int32 = c[1]
        for i in range(N):
            v: int32 = pipe.get()
            total += v
            B.put(v ^ i)
        c[(N - 1) % 4] = total


def expected(a, c):
    scaled = a.astype(np.int64) * 3 - 1
    b = (scaled ^ np.arange(N)).astype(np.int32)
    c = c.astype(np.int64).copy()
    c[(N - 1) % 4] = c[1] + scaled.sum()
    return b, c.astype(np.int32)


def pipelined():
    s = df.customize(scale_filter_sum)
    s.pipeline("scale_0:i")
    s.pipeline("accumulate_0:i")
    return s


def run(mod, a, c):
    b, c = np.zeros(N, dtype=np.int32), c.copy()
    mod(a.copy(), b, c)
    return b, c


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_values_pass_through_stream_arguments_under_backpressure(simulator):
    rng = np.random.default_rng(7)
    a = rng.integers(-2**15, 2**15, N, dtype=np.int16)
    c = rng.integers(-100, 100, 4, dtype=np.int32)
    want_b, want_c = expected(a, c)
    s = pipelined()
    b, c_interp = run(s.build(), a, c)
    assert b.tolist() == want_b.tolist() and c_interp.tolist() == want_c.tolist()
    mod = s.build(target="rtl", simulator=simulator)
    free = run(mod, a, c)
    assert [x.tolist() for x in free] == [want_b.tolist(), want_c.tolist()]
    steady = mod.cycles
    assert steady <= N + 20, steady          # one value per cycle when the caller keeps up
    assert mod.fifo_occupancy["scale_filter_sum:B"] >= 1
    cycles = []
    for seed in (1, 2):
        mod.backpressure = seed
        got = run(mod, a, c)
        assert [x.tolist() for x in got] == [want_b.tolist(), want_c.tolist()], seed
        cycles.append(mod.cycles)
    assert min(cycles) > steady               # the gaps slow it down, nothing else


def test_every_simulator_sees_the_same_gaps():
    """The testbenches share the gap generator: the same cycles, edge for edge."""
    a, c = np.arange(N, dtype=np.int16), np.zeros(4, dtype=np.int32)
    cycles = set()
    for simulator in SIMULATORS:
        mod = pipelined().build(target="rtl", simulator=simulator, backpressure=5)
        run(mod, a, c)
        cycles.add(mod.cycles)
    assert len(cycles) == 1, cycles


def test_randomised_backpressure_loses_and_duplicates_nothing():
    """Random values and gap seeds on Amaranth's simulator, pipelined and not."""
    rng = np.random.default_rng(2026)
    for s in (pipelined(), df.customize(scale_filter_sum)):
        mod = s.build(target="rtl", simulator="amaranth")
        for run_index in range(20):
            a = rng.integers(-2**15, 2**15, N, dtype=np.int16)
            c = rng.integers(-2**20, 2**20, 4, dtype=np.int32)
            mod.backpressure = int(rng.integers(0, 2**31))
            got = run(mod, a, c)
            want = expected(a, c)
            assert [x.tolist() for x in got] == [w.tolist() for w in want], run_index


@df.region()
def relay(X: Stream[uint12, 1], Y: Stream[int8, 3]):
    @df.kernel(mapping=[1])
    def forward():
        for i in range(6):
            Y.put(X.get() - 2048)


def test_ports_follow_the_amaranth_stream_signature():
    members = df.customize(relay).build(target="amaranth").signature.members
    assert members["stream_X"].flow == Flow.In and members["stream_Y"].flow == Flow.Out
    assert members["stream_X"].signature.flip() == stream.Signature(unsigned(12))
    assert members["stream_Y"].signature == stream.Signature(unsigned(8))
    assert members["stream_wait"].flow == Flow.Out


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_too_few_values_given_is_the_interpreters_deadlock(simulator):
    s = df.customize(relay)
    x = np.array([1, 2, 3, 4, 5], dtype=np.uint16)     # forward gets 6
    with pytest.raises(AlloDeadlockError) as interp:
        s.build()(x, np.zeros(6, dtype=np.int8))
    assert "forward_0 waits to get from 'X' (empty)" in interp.value.message
    with pytest.raises(AlloDeadlockError) as rtl:
        s.build(target="rtl", simulator=simulator, backpressure=3)(x, np.zeros(6, dtype=np.int8))
    assert rtl.value.message == interp.value.message


@pytest.mark.parametrize("target", ["interp", "rtl"])
def test_wrong_counts_are_errors_and_update_nothing(target):
    options = {"simulator": "amaranth"} if target == "rtl" else {}
    mod = df.customize(relay).build(target=target, **options)
    y = np.full(6, 7, dtype=np.int8)
    with pytest.raises(AlloRuntimeError, match="stream argument 'X': the region took 6 of the "
                                               "7 values given"):
        mod(np.arange(7, dtype=np.uint16), y)
    assert y.tolist() == [7] * 6
    short = np.zeros(5, dtype=np.int8)
    with pytest.raises(AlloRuntimeError, match="stream argument 'Y': the region put 6 values, "
                                               "the array passed holds 5"):
        mod(np.arange(6, dtype=np.uint16), short)
    y = np.zeros(6, dtype=np.int8)
    mod(np.array([2048, 2049, 2047, 2175, 1920, 2100], dtype=np.uint16), y)
    assert y.tolist() == [0, 1, -1, 127, -128, 52]


def test_stream_argument_values_are_checked():
    mod = df.customize(relay).build()
    with pytest.raises(AlloTypeError, match="expected a 1-D numpy array of uint12 values"):
        mod(np.zeros((2, 3), dtype=np.uint16), np.zeros(6, dtype=np.int8))
    with pytest.raises(AlloValueError, match="argument 'X'"):
        mod(np.array([4096] * 6), np.zeros(6, dtype=np.int8))
    out = np.zeros(6, dtype=np.int8)
    out.flags.writeable = False
    with pytest.raises(AlloTypeError, match="the array passed is read-only"):
        mod(np.zeros(6, dtype=np.uint16), out)


# -- diagnostics of the language -------------------------------------------------------------

def refused(fn, cls):
    with pytest.raises(cls) as info:
        allo.customize(fn)
    return info


def test_a_stream_parameter_of_a_plain_kernel():
    def kernel(S: Stream[int32, 2], A: int32[4]):  # <- here
        A[0] = 1
    check(refused(kernel, AlloTypeError), AlloTypeError, "parameter 'S' of 'kernel' is a "
          "stream; only a @df.region takes streams as parameters", "S: Stream[int32, 2]")


def test_an_array_of_stream_parameters():
    @df.region()
    def top(S: Stream[int32, 2][2]):  # <- here
        pass
    check(refused(top, UnsupportedError), UnsupportedError, "parameter 'S' is an array of "
          "streams", "S: Stream[int32, 2][2]")


def test_a_stream_of_blocks_parameter():
    @df.region()
    def top(S: Stream[int32[2], 2]):  # <- here
        pass
    check(refused(top, UnsupportedError), UnsupportedError, "parameter 'S' is a stream of "
          "blocks", "S: Stream[int32[2], 2]")


def test_an_unused_stream_parameter():
    @df.region()
    def top(S: Stream[int32, 2], A: int32[4]):  # <- here
        @df.kernel(mapping=[1], args=[A])
        def k(a: int32[4]):
            a[0] = 1
    check(refused(top, AlloSyntaxError), AlloSyntaxError, "stream parameter 'S' of region "
          "'top' is never used by its kernels", "S: Stream[int32, 2]")


def test_a_stream_parameter_with_two_ends():
    @df.region()
    def top(S: Stream[int32, 2]):  # <- here
        @df.kernel(mapping=[1])
        def give():
            S.put(1)

        @df.kernel(mapping=[1])
        def take():
            S.get()
    check(refused(top, AlloSyntaxError), AlloSyntaxError, "stream parameter 'S' of region "
          "'top' has 2 ends (put in give_0, get in take_0)", "S: Stream[int32, 2]")
