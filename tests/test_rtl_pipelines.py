"""Pipelined loops on simulated RTL: results equal the interpreter's, simulated cycles equal the
report's prediction, and the report names what limits each II (a port-bound loop, a recurrence
through a variable, a conservative data-dependent recurrence) with the source line."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.types import int32

from .helpers_diagnostics import line_of



def dot_twice(A: int32[16], x: int32[16]) -> int32:
    acc: int32 = 0
    for i in range(16):
        acc += A[i] * x[i] + A[15 - i]           # two reads of A per iteration: port-bound
    return acc


def running(A: int32[16]) -> int32[16]:
    out: int32[16] = 0
    acc: int32 = 0
    for i in range(16):
        acc = (acc * 1237) ^ A[i]                # the multiplier's latency is in the recurrence
        out[i] = acc
    return out


def running_shift_add(A: int32[16]) -> int32[16]:
    out: int32[16] = 0
    acc: int32 = 0
    for i in range(16):
        acc = (acc * 3) ^ A[i]                   # a shift and an add: no multiplier
        out[i] = acc
    return out


def histogram(idx: int32[32]) -> int32[2048]:
    hist: int32[2048] = 0                        # too big for registers: a block RAM
    for i in range(32):
        hist[idx[i]] += 1                        # data-dependent address: conservative
    return hist


def matvec(A: int32[6, 8], x: int32[8]) -> int32[6]:
    y: int32[6] = 0
    for i in range(6):
        for j in range(8):
            y[i] += A[i, j] * x[j]
    return y


def simulate(s, *args):
    mod = s.build(target="rtl", simulator="amaranth")
    out = mod(*args)
    assert mod.cycles == s.report().predicted_cycles
    return out


def test_port_bound_ii_names_the_array_and_line():
    s = allo.customize(dot_twice)
    s.pipeline("i")
    r = s.report().loop("i")
    assert (r.target_ii, r.ii) == (1, 2)
    assert r.cause == (f"memory port: 2 accesses per iteration to A (line "
                       f"{line_of(dot_twice, 'acc += A[i]')}), one per cycle")
    assert f"II 2 (target 1; memory port" in str(s.report())
    a = np.arange(16, dtype=np.int32) - 5
    x = np.arange(16, dtype=np.int32) * 2
    assert simulate(s, a, x) == allo.customize(dot_twice).build()(a, x)


def test_partitioning_lifts_the_port_bound():
    s = allo.customize(dot_twice)
    s.partition(s.A, partition_type=allo.Partition.Block, dim=1, factor=2)
    s.pipeline("i")
    # A[i] and A[15 - i] now lie in the two halves only for i < 8: the bank is chosen at
    # run time, which takes every bank's port, so the bound stays
    assert s.report().loop("i").ii == 2


def test_recurrence_through_a_variable():
    s = allo.customize(running)
    s.pipeline("i")
    r = s.report().loop("i")
    assert r.ii > 1 and r.cause == f"recurrence through variable acc (line {line_of(running, 'acc = (acc')})"
    a = np.arange(16, dtype=np.int32) * 7 - 30
    np.testing.assert_array_equal(simulate(s, a), allo.customize(running).build()(a))


def test_recurrence_chained_within_one_cycle_pipelines_at_ii_one():
    # acc is read as late as its write allows: read, shift-add, xor and write in one cycle,
    # after A[i] arrives, so each iteration sees the previous one's acc
    s = allo.customize(running_shift_add)
    s.pipeline("i")
    assert s.report().loop("i").ii == 1
    a = np.arange(16, dtype=np.int32) * 7 - 30
    np.testing.assert_array_equal(simulate(s, a), allo.customize(running_shift_add).build()(a))


def test_data_dependent_recurrence_is_conservative():
    s = allo.customize(histogram)
    s.pipeline("i")
    r = s.report().loop("i")
    assert r.ii >= 2 and r.cause == (f"recurrence through array hist: stored at line "
                                     f"{line_of(histogram, 'hist[idx[i]] +=')}, loaded at line "
                                     f"{line_of(histogram, 'hist[idx[i]] +=')}")
    idx = np.random.default_rng(3).integers(0, 6, 32).astype(np.int32)
    np.testing.assert_array_equal(simulate(s, idx), np.bincount(idx, minlength=2048))


def test_flattened_nest_runs_without_draining():
    s = allo.customize(matvec)
    s.pipeline("j")
    report = s.report()
    i, j = report.loop("i"), report.loop("j")
    assert i.flattened_into == "j" and j.ii == 1
    # one pipeline over all 48 iterations: fill and drain once
    assert j.total == 47 * j.ii + j.pipeline_depth
    a = np.arange(48, dtype=np.int32).reshape(6, 8) - 20
    x = np.arange(8, dtype=np.int32) - 3
    np.testing.assert_array_equal(simulate(s, a, x), a @ x)


def test_unrolled_inner_loop_with_banks_gives_ii_one():
    s = allo.customize(matvec)
    s.partition(s.A, dim=2)
    s.partition(s.x, dim=1)
    s.pipeline("i")
    r = s.report().loop("i")
    assert r.ii == 1 and r.trip == 6
    fn = s.report().functions[0]
    assert fn.multipliers == 8
    a = np.arange(48, dtype=np.int32).reshape(6, 8) * 3 - 70
    x = np.arange(8, dtype=np.int32) - 3
    np.testing.assert_array_equal(simulate(s, a, x), a @ x)


def test_full_unroll_of_an_outer_loop_keeps_the_inner_loop_a_pipelined_loop():
    # unroll("i") copies i's body (Allo's semantics): three j loops, each pipelined at II 1,
    # not 24 straight-line multiply-adds
    s = allo.customize(matvec)
    s.unroll("i")
    s.pipeline("j")
    loops = s.report().loops
    assert [(r.name, r.trip, r.ii) for r in loops if r.name == "j"] == [("j", 8, 1)] * 6
    assert s.report().functions[0].multipliers == 6
    a = np.arange(48, dtype=np.int32).reshape(6, 8) * 7 - 100
    x = np.arange(8, dtype=np.int32) - 4
    np.testing.assert_array_equal(simulate(s, a, x), a @ x)


@pytest.mark.parametrize("simulator", ["verilator", "icarus"])
def test_pipelined_banked_design_on_cocotb(simulator):
    s = allo.customize(matvec)
    s.partition(s.A, partition_type=allo.Partition.Cyclic, dim=2, factor=2)
    s.partition(s.x, partition_type=allo.Partition.Cyclic, dim=1, factor=2)
    s.pipeline("j")
    s.unroll("j", factor=2)
    mod = s.build(target="rtl", simulator=simulator)
    a = np.arange(48, dtype=np.int32).reshape(6, 8) - 11
    x = np.arange(8, dtype=np.int32) * 5
    np.testing.assert_array_equal(mod(a, x), a @ x)
    assert mod.cycles == s.report().predicted_cycles


def moving_sum(x: int32[20]) -> int32[20]:
    y: int32[20] = 0
    for n in range(3, 20):
        y[n] = x[n - 3] + x[n - 2] * 2 + x[n - 1] * 3 + x[n]
    return y


def test_reuse_buffer_shift_chain_pipelines_at_ii_one():
    # The chain's reads are held back behind the previous iteration's writes (the newest word
    # comes from memory a cycle late), rather than raising the II to 2.
    s = allo.customize(moving_sum)
    window = s.reuse_at(s.x, "n")
    s.partition(window, dim=0)
    s.pipeline("n")
    r = s.report().loop("n")
    assert (r.ii, r.cause) == (1, "the target II")
    x = (np.arange(20, dtype=np.int32) * 37) % 23 - 11
    want = np.zeros(20, dtype=np.int32)
    want[3:] = x[:-3] + 2 * x[1:-2] + 3 * x[2:-1] + x[3:]
    np.testing.assert_array_equal(simulate(s, x), want)


def transpose_scale(A: int32[6, 8]) -> int32[8, 6]:
    T: int32[8, 6] = 0
    for i in range(6):
        for j in range(8):
            T[j, i] = A[i, j] * 2
    return T


def test_run_time_bank_choice_over_a_complete_two_dimensional_partition():
    # A[i, j] with i pipelined: bank i*8 + j is chosen at run time among the 6 banks i reaches
    s = allo.customize(transpose_scale)
    s.partition(s.A, dim=0)
    s.partition(s.T, dim=0)
    s.pipeline("i")
    assert s.report().loop("i").ii == 1
    mod = s.build(target="rtl", simulator="icarus")
    a = np.arange(48, dtype=np.int32).reshape(6, 8) * 7 - 100
    np.testing.assert_array_equal(mod(a), a.T * 2)
    assert mod.cycles == s.report().predicted_cycles


def accumulate_rows(A: int32[6, 8], x: int32[8]) -> int32[6]:
    acc: int32[6] = 0
    out: int32[6] = 0
    for m in range(6):
        for r in range(8):
            acc[m] += A[m, r] * x[r]
    for k in range(6):
        out[k] = acc[k] * 2
    return out


def test_icarus_evaluates_logic_whose_inputs_keep_their_initial_values():
    # acc[m] is read through a multiplexer whose select (m) and words stay at their initial
    # values for the first iterations; Icarus must still evaluate it at time 0.
    s = allo.customize(accumulate_rows)
    s.pipeline("r")
    mod = s.build(target="rtl", simulator="icarus")
    a = np.arange(48, dtype=np.int32).reshape(6, 8) - 20
    x = np.arange(8, dtype=np.int32) * 3 - 9
    np.testing.assert_array_equal(mod(a, x), (a @ x) * 2)
    assert mod.cycles == s.report().predicted_cycles


def mix10(A: int32[10], B: int32[10]) -> int32[10]:
    C: int32[10] = 0
    for i in range(10):
        C[i] = A[i] * 3 + B[9 - i]
    return C


@pytest.mark.parametrize("kind, factor_a, factor_c", [
    (allo.Partition.Cyclic, 4, 8),     # 10 % 4 != 0: banks of 3, 3, 2, 2 words, the last padded
    (allo.Partition.Block, 3, 5),      # blocks of ceil(10 / 3) = 4: 4, 4, 2 words
])
@pytest.mark.parametrize("pipelined", [False, True])
def test_partition_factor_that_does_not_divide_the_dimension(kind, factor_a, factor_c, pipelined):
    """Factors need not divide (as in Allo and Vitis): the last banks are padded. The run-time
    bank choice needs a power-of-two divisor (the cyclic factor or the block size), which
    these have; see test_diagnostics_rtl for the ones that do not."""
    s = allo.customize(mix10)
    s.partition(s.A, partition_type=kind, dim=1, factor=factor_a)
    s.partition(s.C, partition_type=kind, dim=1, factor=factor_c)
    if pipelined:
        s.pipeline("i")
    a = np.arange(10, dtype=np.int32) - 4
    b = np.arange(10, dtype=np.int32) * 7
    assert np.array_equal(simulate(s, a, b), a * 3 + b[::-1])
