"""Dataflow regions on RTL: kernels run concurrently, streams are FIFOs, arrays shared by kernels
are arbitrated, and every result equals the interpreter's on all three simulators; a deadlock
and a kernel's run-time error stop the hardware with the interpreter's own error."""
import numpy as np
import pytest

import allo_rtl as allo
import allo_rtl.dataflow as df
from allo_rtl.errors import AlloDeadlockError, AlloIndexError, SimulationError, UnsupportedError
from allo_rtl.types import Stream, int1, int8, int16, int32

from .helpers_rtl import assert_rtl_equals_interp, copy_args

SIMULATORS = ["amaranth", "verilator", "icarus"]
M, N = 4, 6


@df.region()
def scale_pipe(A: int32[M, N], B: int32[M, N]):
    pipe: Stream[int32, 2]

    @df.kernel(mapping=[1], args=[A])
    def producer(local_A: int32[M, N]):
        for i, j in allo.grid(M, N):
            pipe.put(local_A[i, j] * 3)

    @df.kernel(mapping=[1], args=[B])
    def consumer(local_B: int32[M, N]):
        for i, j in allo.grid(M, N):
            data: int32 = pipe.get()
            local_B[i, j] = data + 1


def _grid(seed=0, shape=(M, N)):
    return np.random.default_rng(seed).integers(-1000, 1000, shape, dtype=np.int32)


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_a_producer_and_a_consumer_through_a_fifo(simulator):
    A = _grid()
    assert_rtl_equals_interp(scale_pipe, [A, np.zeros_like(A)], simulator)


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_pipelined_kernels_stream_one_value_per_cycle(simulator):
    s = df.customize(scale_pipe)
    s.pipeline("producer_0:j")
    s.pipeline("consumer_0:j")
    A = _grid(1)
    assert_rtl_equals_interp(s, [A, np.zeros_like(A)], simulator)
    mod = s.build(target="rtl", simulator=simulator)
    mod(A, np.zeros_like(A))
    assert mod.cycles <= M * N + 8, mod.cycles


@df.region()
def uneven_rates(A: int32[8], B: int32[8]):
    # the producer is slow (a division per value), the pipelined consumer stalls as a whole
    pipe: Stream[int32, 2]

    @df.kernel(mapping=[1], args=[A])
    def slow(a: int32[8]):
        for i in range(8):
            pipe.put(a[i] // 3)

    @df.kernel(mapping=[1], args=[B])
    def fast(b: int32[8]):
        acc: int32 = 0
        for i in range(8):
            acc += pipe.get()
            b[i] = acc * 5


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_a_pipeline_that_stalls_on_a_stream_keeps_its_results(simulator):
    s = df.customize(uneven_rates)
    s.pipeline("fast_0:i")
    A = np.arange(8, dtype=np.int32) * 37 - 100
    assert_rtl_equals_interp(s, [A, np.zeros(8, dtype=np.int32)], simulator)


@df.region()
def shared_arrays(A: int32[16], B: int32[16], C: int32[16]):
    # four kernels read A and B and write C, all through the same memory interfaces
    @df.kernel(mapping=[4], args=[A, B, C])
    def vadd(a: int32[16], b: int32[16], c: int32[16]):
        p = df.get_pid()
        for i in range(p * 4, p * 4 + 4):
            c[i] = a[i] * (p + 1) + b[(i + 5) % 16]


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_kernels_sharing_arrays_take_turns(simulator):
    s = df.customize(shared_arrays)
    s.pipeline("vadd_2:i")
    args = [_grid(2, 16), _grid(3, 16), np.zeros(16, dtype=np.int32)]
    assert_rtl_equals_interp(s, args, simulator)


@df.region()
def starved(A: int32[5], B: int32[6]):
    pipe: Stream[int32, 2]

    @df.kernel(mapping=[1], args=[A])
    def send(a: int32[5]):
        for i in range(5):
            pipe.put(a[i])

    @df.kernel(mapping=[1], args=[B])
    def take(b: int32[6]):
        for i in range(6):
            b[i] = pipe.get()


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_a_deadlock_stops_the_hardware_with_the_interpreters_error(simulator):
    s = df.customize(starved)
    args = [np.arange(5, dtype=np.int32), np.zeros(6, dtype=np.int32)]
    with pytest.raises(AlloDeadlockError) as golden:
        s.build()(*copy_args(args))
    mod = s.build(target="rtl", simulator=simulator)
    with pytest.raises(AlloDeadlockError) as hardware:
        mod(*args)
    assert str(hardware.value) == str(golden.value)
    assert "take_0 waits to get from 'pipe' (empty)" in hardware.value.message
    assert mod.cycles < 100


def test_the_report_lists_the_deadlock_check_and_checks_off_leaves_it_out():
    s = df.customize(starved)
    text = str(s.report())
    assert "deadlock of the dataflow region" in text
    mod = s.build(target="rtl", checks=False, cycle_limit=300)
    with pytest.raises(SimulationError, match="did not finish within 300 cycles"):
        mod(np.arange(5, dtype=np.int32), np.zeros(6, dtype=np.int32))


@df.region()
def failing(A: int32[4], X: int32[4], B: int32[4]):
    pipe: Stream[int32, 2]

    @df.kernel(mapping=[1], args=[A, X])
    def gather(a: int32[4], x: int32[4]):
        for i in range(4):
            pipe.put(a[x[i]])

    @df.kernel(mapping=[1], args=[B])
    def store(b: int32[4]):
        for i in range(4):
            b[i] = pipe.get()


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_a_kernels_run_time_error_stops_the_region(simulator):
    s = df.customize(failing)
    args = [np.arange(4, dtype=np.int32) + 10, np.array([3, 1, 7, 0], dtype=np.int32),
            np.zeros(4, dtype=np.int32)]
    with pytest.raises(AlloIndexError) as golden:
        s.build()(*copy_args(args))
    before = args[2].copy()
    with pytest.raises(AlloIndexError) as hardware:
        s.build(target="rtl", simulator=simulator)(*args)
    assert str(hardware.value) == str(golden.value)
    assert np.array_equal(args[2], before)


@df.region()
def narrow_chain(A: int8[8], C: int16[8]):
    # int8 values, int16 sums, a chain of three kernels with a pipelined middle stage
    first: Stream[int8, 1]
    second: Stream[int16, 3]

    @df.kernel(mapping=[1], args=[A])
    def source(a: int8[8]):
        for i in range(8):
            first.put(a[i])

    @df.kernel(mapping=[1], args=[])
    def middle():
        prev: int16 = 0
        for i in range(8):
            v: int8 = first.get()
            if v < 0:
                second.put(prev - v)
            else:
                second.put(prev + v * v)
            prev = v

    @df.kernel(mapping=[1], args=[C])
    def sink(c: int16[8]):
        for i in range(8):
            c[i] = second.get()


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_typed_values_and_branches_through_a_chain(simulator):
    s = df.customize(narrow_chain)
    s.pipeline("middle_0:i")
    A = np.array([5, -3, 127, -128, 0, 9, -1, 64], dtype=np.int8)
    assert_rtl_equals_interp(s, [A, np.zeros(8, dtype=np.int16)], simulator)


# -- streams of blocks ----------------------------------------------------------------------------

def blocks_of_rows(extra_gets: int):
    @df.region()
    def blocks(A: int16[3, 4], B: int16[3, 4]):
        rows: Stream[int16[4], 2]

        @df.kernel(mapping=[1], args=[A])
        def send(a: int16[3, 4]):
            for i in range(3):
                row: int16[4] = 0
                for j in range(4):
                    row[j] = a[i, j] + i
                rows.put(row)

        @df.kernel(mapping=[1], args=[B])
        def take(b: int16[3, 4]):
            for i in range(3 + extra_gets):
                row: int16[4] = rows.get()
                for j in range(4):
                    b[i % 3, j] = row[3 - j] * 2
    return blocks


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_a_stream_of_blocks_passes_them_element_by_element(simulator):
    s = df.customize(blocks_of_rows(0))
    A = np.arange(12, dtype=np.int16).reshape(3, 4) - 5
    B = np.zeros((3, 4), dtype=np.int16)
    mod = s.build(target="rtl", simulator=simulator)
    mod(A, B)
    assert B.tolist() == ((A + np.arange(3)[:, None])[:, ::-1] * 2).tolist()
    assert 1 <= mod.fifo_occupancy["blocks:rows"] <= 2      # counted in blocks
    (row,) = s.report().streams
    assert (row.width, row.depth, row.fifo) == (16, 2, "registers")


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_a_stream_of_blocks_deadlocks_where_the_interpreter_does(simulator):
    s = df.customize(blocks_of_rows(1))
    A = np.zeros((3, 4), dtype=np.int16)
    with pytest.raises(AlloDeadlockError) as interp:
        s.build()(A, np.zeros((3, 4), dtype=np.int16))
    with pytest.raises(AlloDeadlockError) as rtl:
        s.build(target="rtl", simulator=simulator)(A, np.zeros((3, 4), dtype=np.int16))
    assert rtl.value.message == interp.value.message
    assert "take_0 waits to get from 'rows' (empty)" in rtl.value.message


# -- regressions found by the dataflow fuzzer (shrunk) ---------------------------------------------

@df.region()
def fork_join():
    # the interpreter puts into s2 twice before s1: with depth 1 that deadlocks, and the
    # hardware must not get past it by putting into s1 first
    s1: Stream[int1, 1]
    s2: Stream[int1, 1]

    @df.kernel(mapping=[1], args=[])
    def fork():
        for i in range(1):
            s2.put(1)
            s2.put(0)
            s1.put(0)
            s1.put(0)

    @df.kernel(mapping=[1], args=[])
    def join():
        for i in range(1):
            a: int1 = s1.get()
            b: int1 = s1.get()
            c: int1 = s2.get()
            d: int1 = s2.get()


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_stream_operations_keep_program_order_so_deadlocks_match(simulator):
    s = df.customize(fork_join)
    with pytest.raises(AlloDeadlockError) as golden:
        s.build()()
    with pytest.raises(AlloDeadlockError) as hardware:
        s.build(target="rtl", simulator=simulator)()
    assert str(hardware.value) == str(golden.value)


@df.region()
def ping_pong(A: int32[4], B: int32[4]):
    # ping puts and then gets in one cycle; pong needs the put to answer: the put must
    # complete while the get waits, as in the interpreter
    there: Stream[int32, 1]
    back: Stream[int32, 1]

    @df.kernel(mapping=[1], args=[A])
    def ping(a: int32[4]):
        for i in range(4):
            there.put(a[i])
            a[i] = back.get()

    @df.kernel(mapping=[1], args=[B])
    def pong(b: int32[4]):
        for i in range(4):
            v: int32 = there.get()
            b[i] = v
            back.put(v * 2)


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_a_put_completes_while_a_later_get_of_its_cycle_waits(simulator):
    s = df.customize(ping_pong)
    s.pipeline("ping_0:i")
    args = [np.array([3, -4, 5, 7], dtype=np.int32), np.zeros(4, dtype=np.int32)]
    assert_rtl_equals_interp(s, args, simulator)


@df.region()
def aliased(A: int32[4], B: int32[4]):
    @df.kernel(mapping=[1], args=[A, A, B])  # <- here
    def add(x: int32[4], y: int32[4], z: int32[4]):
        for i in range(4):
            z[i] = x[i] + y[3 - i]


def test_an_array_passed_twice_to_a_regions_kernel_is_refused():
    with pytest.raises(UnsupportedError) as info:
        df.customize(aliased).build(target="verilog")
    assert "array 'A' is passed twice to kernel 'add_0'" in info.value.message


@df.region()
def counted(A: int32[3], B: int32[3]):
    # a loop bound taken from a stream is taken once (the bounds block compared a second get)
    counts: Stream[int32, 2]

    @df.kernel(mapping=[1], args=[A])
    def send(a: int32[3]):
        for i in range(3):
            counts.put(a[i])

    @df.kernel(mapping=[1], args=[B])
    def total(b: int32[3]):
        for i in range(3):
            acc: int32 = 0
            for k in range(counts.get()):
                acc += k
            b[i] = acc


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_a_loop_bound_from_a_stream_takes_one_value(simulator):
    args = [np.array([4, 0, 6], dtype=np.int32), np.zeros(3, dtype=np.int32)]
    assert_rtl_equals_interp(df.customize(counted), args, simulator)


HT = 8


@df.region()
def stage_pair[Pn](X: int32[HT], Y: int32[HT]):
    link: Stream[int32, 2]

    @df.kernel(mapping=[1], args=[X])
    def front(x: int32[HT]):
        for n in range(HT):
            link.put(x[n] + Pn)

    @df.kernel(mapping=[1], args=[Y])
    def back(y: int32[HT]):
        for n in range(HT):
            y[n] = link.get() * Pn


@df.region()
def nested(A: int32[HT], B: int32[HT], C: int32[HT]):
    # two kernels, each running a region of its own: four kernels at once, two FIFOs, and the
    # array A shared by both levels of arbitration
    @df.kernel(mapping=[2], args=[A, B, C])
    def wrapper(a: int32[HT], b: int32[HT], c: int32[HT]):
        w = df.get_pid()
        with allo.meta_if(w == 0):
            stage_pair[2](a, b)
        with allo.meta_else():
            stage_pair[3](a, c)


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_a_hierarchical_region(simulator):
    A = np.arange(HT, dtype=np.int32) * 7 - 20
    args = [A, np.zeros(HT, dtype=np.int32), np.zeros(HT, dtype=np.int32)]
    assert_rtl_equals_interp(df.customize(nested), args, simulator)
    assert np.array_equal(args[1], np.zeros(HT)), "assert_rtl_equals_interp works on copies"


def test_the_report_lists_each_stream_with_its_fifo_and_ends():
    report = df.customize(narrow_chain).report()
    rows = {(r.name, r.width, r.depth, r.fifo, r.producer, r.consumer) for r in report.streams}
    assert rows == {("first", 8, 1, "registers", "source_0", "middle_0"),
                    ("second", 16, 3, "registers", "middle_0", "sink_0")}
    assert "narrow_chain:second (line" in str(report)
    assert report.predicted_cycles is None
    (region,) = report.regions
    latencies = dict(region.kernels)
    assert set(latencies) == {"source_0", "middle_0", "sink_0"}
    assert region.lower_bound == max(latencies.values()) > 8
    mod = df.customize(narrow_chain).build(target="rtl")
    mod(np.arange(8, dtype=np.int8), np.zeros(8, dtype=np.int16))
    assert mod.cycles >= region.lower_bound


@df.region()
def backlog(A: int32[8], B: int32[8]):
    # a fast producer and a consumer dividing each value: the FIFO fills to its depth
    pipe: Stream[int32, 3]

    @df.kernel(mapping=[1], args=[A])
    def fast(a: int32[8]):
        for i in range(8):
            pipe.put(a[i])

    @df.kernel(mapping=[1], args=[B])
    def slow(b: int32[8]):
        for i in range(8):
            b[i] = pipe.get() // 7


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_the_harness_reports_each_fifos_highest_occupancy(simulator):
    s = df.customize(backlog)
    s.pipeline("fast_0:i")
    args = [np.arange(8, dtype=np.int32) * 100, np.zeros(8, dtype=np.int32)]
    assert_rtl_equals_interp(s, args, simulator)
    mod = s.build(target="rtl", simulator=simulator)
    mod(*copy_args(args))
    assert mod.fifo_occupancy == {"backlog:pipe": 3}
    quick = df.customize(uneven_rates)   # a slow producer: never more than one value waits
    mod = quick.build(target="rtl", simulator=simulator)
    mod(np.arange(8, dtype=np.int32), np.zeros(8, dtype=np.int32))
    assert mod.fifo_occupancy == {"uneven_rates:pipe": 1}


def test_the_occupancy_of_fifos_inside_kernels_is_found():
    mod = df.customize(nested).build(target="rtl", simulator="amaranth")
    mod(np.arange(HT, dtype=np.int32), np.zeros(HT, dtype=np.int32), np.zeros(HT, dtype=np.int32))
    assert set(mod.fifo_occupancy) == {"stage_pair_2:link", "stage_pair_3:link"}
    assert all(v in (1, 2) for v in mod.fifo_occupancy.values()), mod.fifo_occupancy


@pytest.mark.parametrize("simulator", ["amaranth", "verilator"])
def test_kernels_sharing_a_completely_partitioned_array(simulator):
    # C in registers (every word at once): reads need no turn, writes of a word merge; A in
    # four banks, each arbitrated on its own
    s = df.customize(shared_arrays)
    s.partition(s.C, dim=1)
    s.partition(s.A, partition_type=allo.Partition.Cyclic, dim=1, factor=4)   # banks by turns
    args = [_grid(4, 16), _grid(5, 16), np.zeros(16, dtype=np.int32)]
    assert_rtl_equals_interp(s, args, simulator)
