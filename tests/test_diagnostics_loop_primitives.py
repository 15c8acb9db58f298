"""Diagnostics of the loop primitives: one test per user-facing error of split, reorder, fuse,
unroll, pipeline and compute_at.

Every test checks, through ``check()`` (see ``helpers_diagnostics.py``), that the error is a
``ScheduleError`` pointing at the primitive's call in *this* file (the line marked ``# <- here``),
that its message names the primitive, the argument or loops at fault and what was expected, and
that it carries a hint. A schedule that fails a check is left unchanged.
"""

import pytest

import allo_rtl as allo
from allo_rtl.errors import ScheduleError
from allo_rtl.types import int32

from .helpers_diagnostics import check, gemm, line_of


# -- kernels (no markers: the marker of each test is on its primitive's call) ----------------------
def skew(A: int32[6, 6]):
    for i in range(1, 6):
        for j in range(0, 5):
            A[i, j] = A[i - 1, j + 1] + 1


def skew_downwards(A: int32[7, 6]):
    for i in range(5, -1, -1):
        for j in range(0, 5):
            A[i, j] = A[i + 1, j + 1] + 1


def indirect(A: int32[6, 6], P: int32[6]):
    for i in range(6):
        for j in range(6):
            A[P[i], j] = A[i, P[j]] + 1


def running_sum(A: int32[6, 6]) -> int32:
    t: int32 = 0
    for i in range(6):
        for j in range(6):
            t += A[i, j]
    return t


def last_value(A: int32[6, 6]) -> int32:
    t: int32 = 0
    for i in range(6):
        for j in range(6):
            t = A[i, j]
    return t


def triangle(A: int32[6, 6]):
    for i in range(6):
        for j in range(i + 1):
            A[i, j] = 0


def siblings(A: int32[6], B: int32[6]):
    for i in range(6):
        A[i] = 1
    for j in range(6):
        B[j] = 2


def twice_k(A: int32[6], B: int32[6]):
    for k in range(6):
        A[k] = 1
    for k in range(6):
        B[k] = 2


def imperfect(A: int32[6, 6], B: int32[6]):
    for i in range(6):
        B[i] = 0
        for j in range(6):
            A[i, j] = 1


def bound_from_array(A: int32[6], n: int32[1]):
    for i in range(n[0]):
        A[i] = 1


def bound_changes(A: int32[6, 6], n: int32[1]):
    for i in range(6):
        for j in range(n[0]):
            n[0] = A[i, j]


def stages(A: int32[4, 6]) -> int32[4, 6]:
    B: int32[4, 6] = 0
    for i, j in allo.grid(4, 6):
        B[i, j] = A[i, j] * 2
    C: int32[4, 6] = 0
    for ii, jj in allo.grid(4, 6):
        C[ii, jj] = B[ii, 5 - jj] + B[ii, jj]
    return C


def stages_ahead(A: int32[4, 7]) -> int32[4, 6]:
    B: int32[4, 7] = 0
    for i, j in allo.grid(4, 7):
        B[i, j] = A[i, j] * 2
    C: int32[4, 6] = 0
    for ii in range(4):
        for jj in range(7):
            if jj < 6:
                C[ii, jj] = B[ii, jj + 1]
    return C


def stages_next_row(A: int32[5, 6]) -> int32[4, 6]:
    B: int32[5, 6] = 0
    for i, j in allo.grid(5, 6):
        B[i, j] = A[i, j] * 2
    C: int32[4, 6] = 0
    for ii, jj in allo.grid(5, 6):
        if ii < 4:
            C[ii, jj] = B[ii + 1, jj]
    return C


def stages_ranges(A: int32[4, 6]) -> int32[4, 5]:
    B: int32[4, 6] = 0
    for i, j in allo.grid(4, 6):
        B[i, j] = A[i, j] * 2
    C: int32[4, 5] = 0
    for ii, jj in allo.grid(4, 5):
        C[ii, jj] = B[ii, jj]
    return C


def stages_between(A: int32[4, 6]) -> int32[4, 6]:
    B: int32[4, 6] = 0
    for i, j in allo.grid(4, 6):
        B[i, j] = A[i, j] * 2
    B[0, 0] = 7
    C: int32[4, 6] = 0
    for ii, jj in allo.grid(4, 6):
        C[ii, jj] = B[ii, jj]
    return C


def stages_scalar(A: int32[4, 6]) -> int32[4, 6]:
    B: int32[4, 6] = 0
    t: int32 = 0
    for i, j in allo.grid(4, 6):
        t = A[i, j] * 2
        B[i, j] = t
    C: int32[4, 6] = 0
    for ii, jj in allo.grid(4, 6):
        C[ii, jj] = B[ii, jj] + t
    return C


def stages_shallow(A: int32[4, 6]) -> int32[4, 6]:
    B: int32[4, 6] = 0
    for i in range(4):
        B[i, 0] = 0
        for j in range(6):
            B[i, j] = A[i, j] * 2
    C: int32[4, 6] = 0
    for ii, jj in allo.grid(4, 6):
        C[ii, jj] = B[ii, jj]
    return C


def stages_consumer_imperfect(A: int32[4, 6]) -> int32[4, 6]:
    B: int32[4, 6] = 0
    for i, j in allo.grid(4, 6):
        B[i, j] = A[i, j] * 2
    C: int32[4, 6] = 0
    for ii in range(4):
        C[ii, 0] = 1
        for jj in range(6):
            C[ii, jj] += B[ii, jj]
    return C


def mm(A: int32[4, 4], B: int32[4, 4], C: int32[4, 4]):
    for i0, j0 in allo.grid(4, 4):
        for k0 in allo.reduction(4):
            C[i0, j0] += A[i0, k0] * B[k0, j0]


def calls_mm(A: int32[4, 4], B: int32[4, 4]) -> int32[4, 4]:
    C: int32[4, 4] = 0
    for i in range(4):
        C[i, i] = 1
    mm(A, B, C)
    return C


# -- split -------------------------------------------------------------------------------------------
def test_split_factor_not_an_int():
    s = allo.customize(gemm)
    with pytest.raises(ScheduleError) as info:
        s.split("j", 2.5)  # <- here
    check(info, ScheduleError, "split: argument 'factor' must be an int >= 1, got 2.5",
          's.split("j", 2.5)')


def test_split_factor_zero():
    s = allo.customize(gemm)
    with pytest.raises(ScheduleError) as info:
        s.split("j", factor=0)  # <- here
    check(info, ScheduleError, "split: argument 'factor' must be an int >= 1, got 0",
          's.split("j", factor=0)')
    assert s.primitives == [] and "j.outer" not in str(s)


def test_split_unknown_loop():
    s = allo.customize(gemm)
    with pytest.raises(ScheduleError) as info:
        s.split("jj", 2)  # <- here
    err = check(info, ScheduleError, "split: argument 'axis': unknown loop 'jj'", 's.split("jj", 2)')
    assert "j" in err.hint


def test_split_annotated_loop():
    s = allo.customize(gemm)
    s.pipeline("k")
    with pytest.raises(ScheduleError) as info:
        s.split("k", 2)  # <- here
    err = check(info, ScheduleError, "split: loop 'k' carries pipeline=1", 's.split("k", 2)')
    assert "apply split before pipeline/unroll" in err.hint


def test_split_bound_reads_an_array():
    s = allo.customize(bound_from_array)
    with pytest.raises(ScheduleError) as info:
        s.split("i", 2)  # <- here
    check(info, ScheduleError, "split: the bounds of loop 'i' read an array", 's.split("i", 2)')


# -- unroll and pipeline ------------------------------------------------------------------------------
def test_unroll_negative_factor():
    s = allo.customize(gemm)
    with pytest.raises(ScheduleError) as info:
        s.unroll("k", factor=-1)  # <- here
    check(info, ScheduleError, "unroll: argument 'factor' must be an int >= 0, got -1",
          's.unroll("k", factor=-1)')


def test_unroll_bool_factor():
    s = allo.customize(gemm)
    with pytest.raises(ScheduleError) as info:
        s.unroll("k", True)  # <- here
    check(info, ScheduleError, "unroll: argument 'factor' must be an int >= 0, got True",
          's.unroll("k", True)')


def test_unroll_factor_above_trip_count():
    s = allo.customize(gemm)
    with pytest.raises(ScheduleError) as info:
        s.unroll("k", 5)  # <- here
    err = check(info, ScheduleError, "unroll: argument 'factor' must be at most the trip count 4 "
                "of loop 'k', got 5", 's.unroll("k", 5)')
    assert "0" in err.hint


def test_pipeline_zero_initiation_interval():
    s = allo.customize(gemm)
    with pytest.raises(ScheduleError) as info:
        s.pipeline("k", initiation_interval=0)  # <- here
    check(info, ScheduleError, "pipeline: argument 'initiation_interval' must be an int >= 1, got 0",
          's.pipeline("k", initiation_interval=0)')


def test_pipeline_initiation_interval_as_text():
    s = allo.customize(gemm)
    with pytest.raises(ScheduleError) as info:
        s.pipeline("k", "2")  # <- here
    check(info, ScheduleError, "pipeline: argument 'initiation_interval' must be an int >= 1, "
          "got '2'", 's.pipeline("k", "2")')


def test_pipeline_rewind_not_a_bool():
    s = allo.customize(gemm)
    with pytest.raises(ScheduleError) as info:
        s.pipeline("k", rewind=1)  # <- here
    check(info, ScheduleError, "pipeline: argument 'rewind' must be True or False, got 1",
          's.pipeline("k", rewind=1)')
    assert "pipeline" not in s.get_loops().mm.k.loop.attrs


def test_pipeline_ambiguous_loop_name():
    s = allo.customize(twice_k)
    with pytest.raises(ScheduleError) as info:
        s.pipeline("k")  # <- here
    check(info, ScheduleError, "pipeline: argument 'axis': loop name 'k' is ambiguous",
          's.pipeline("k")')
    s.pipeline(s.get_loops()["S_k_1"].k)   # a handle names one of them
    assert str(s).count("pipeline=1") == 1


# -- reorder --------------------------------------------------------------------------------------------
def test_reorder_one_loop():
    s = allo.customize(gemm)
    with pytest.raises(ScheduleError) as info:
        s.reorder("k")  # <- here
    check(info, ScheduleError, "reorder: argument 'axes' must be two or more loops", 's.reorder("k")')


def test_reorder_same_loop_twice():
    s = allo.customize(gemm)
    with pytest.raises(ScheduleError) as info:
        s.reorder("k", "gemm:k")  # <- here
    check(info, ScheduleError, "reorder: argument 'axes[1]' must be a loop not named before",
          's.reorder("k", "gemm:k")')


def test_reorder_unknown_loop():
    s = allo.customize(gemm)
    with pytest.raises(ScheduleError) as info:
        s.reorder("k", "q")  # <- here
    check(info, ScheduleError, "reorder: argument 'axes[1]': unknown loop 'q'", 's.reorder("k", "q")')


def test_reorder_sibling_loops():
    s = allo.customize(siblings)
    with pytest.raises(ScheduleError) as info:
        s.reorder("j", "i")  # <- here
    check(info, ScheduleError, "reorder: loop 'i' is not nested inside loop 'j'", 's.reorder("j", "i")')


def test_reorder_imperfect_nest():
    s = allo.customize(imperfect)
    with pytest.raises(ScheduleError) as info:
        s.reorder("j", "i")  # <- here
    err = check(info, ScheduleError, "reorder: loops 'i', 'j' are not perfectly nested",
                's.reorder("j", "i")')
    assert "exactly the next loop" in err.hint


def test_reorder_reverses_a_dependence():
    s = allo.customize(skew)
    with pytest.raises(ScheduleError) as info:
        s.reorder("j", "i")  # <- here
    line = line_of(skew, "A[i, j] =")
    err = check(info, ScheduleError, f"reorder: the order ('j', 'i') would reverse the dependence "
                f"from A[i, j] (line {line}) to A[(int34(i) - 1), (int34(j) + 1)] (line {line}), "
                f"direction (<, >) over ('i', 'j')", 's.reorder("j", "i")')
    assert "loop 'i' carries it" in err.hint and "conservative" not in err.hint
    assert s.primitives == [] and str(s).index("for i") < str(s).index("for j")


def test_reorder_reverses_a_dependence_of_a_downward_loop():
    """i runs downwards, so A[i + 1, ...] was written by an earlier iteration of i."""
    s = allo.customize(skew_downwards)
    with pytest.raises(ScheduleError) as info:
        s.reorder("j", "i")  # <- here
    check(info, ScheduleError, "direction (<, >) over ('i', 'j')", 's.reorder("j", "i")')


def test_reorder_conservative_dependence():
    s = allo.customize(indirect)
    with pytest.raises(ScheduleError) as info:
        s.reorder("j", "i")  # <- here
    err = check(info, ScheduleError, "reorder: the order ('j', 'i') would reverse the dependence",
                's.reorder("j", "i")')
    assert "the analysis was conservative" in err.hint


def test_reorder_scalar_carried_across_iterations():
    s = allo.customize(running_sum)
    with pytest.raises(ScheduleError) as info:
        s.reorder("j", "i")  # <- here
    err = check(info, ScheduleError, "reorder: scalar 't' carries a value from one iteration of "
                "loops 'i', 'j' to the next", 's.reorder("j", "i")')
    assert "assign 't'" in err.hint


def test_reorder_scalar_read_after_the_nest():
    s = allo.customize(last_value)
    with pytest.raises(ScheduleError) as info:
        s.reorder("j", "i")  # <- here
    check(info, ScheduleError, "reorder: scalar 't' is assigned in loops 'i', 'j' and read after "
          "them", 's.reorder("j", "i")')


def test_reorder_bound_uses_a_loop_moved_inside():
    s = allo.customize(triangle)
    with pytest.raises(ScheduleError) as info:
        s.reorder("j", "i")  # <- here
    err = check(info, ScheduleError, "reorder: the bounds of loop 'j' use loop 'i', which the order "
                "('j', 'i') puts inside it", 's.reorder("j", "i")')
    assert "keep 'i' outside 'j'" in err.hint


def test_reorder_bound_read_from_an_array_the_body_writes():
    s = allo.customize(bound_changes)
    with pytest.raises(ScheduleError) as info:
        s.reorder("j", "i")  # <- here
    check(info, ScheduleError, "reorder: the bounds of loop 'j' use 'n', which the loop body changes",
          's.reorder("j", "i")')


def test_reorder_loops_of_two_functions():
    s = allo.customize(calls_mm)
    with pytest.raises(ScheduleError) as info:
        s.reorder("mm:k0", "calls_mm:i")  # <- here
    check(info, ScheduleError, "reorder: the loops belong to different functions: mm:k0, calls_mm:i",
          's.reorder("mm:k0", "calls_mm:i")')


# -- fuse --------------------------------------------------------------------------------------------------
def test_fuse_non_consecutive_loops():
    s = allo.customize(gemm)
    with pytest.raises(ScheduleError) as info:
        s.fuse("i", "k")  # <- here
    err = check(info, ScheduleError, "fuse: loops 'i', 'k' are not consecutive", 's.fuse("i", "k")')
    assert "outermost to innermost" in err.hint


def test_fuse_inner_loop_first():
    s = allo.customize(gemm)
    with pytest.raises(ScheduleError) as info:
        s.fuse("j", "i")  # <- here
    check(info, ScheduleError, "fuse: loops 'j', 'i' are not consecutive", 's.fuse("j", "i")')


def test_fuse_variable_bounds():
    s = allo.customize(triangle)
    with pytest.raises(ScheduleError) as info:
        s.fuse("i", "j")  # <- here
    check(info, ScheduleError, "fuse: loop 'j' has bounds that are not constants "
          "(range(0, (int34(i) + 1)))", 's.fuse("i", "j")')


def test_fuse_one_loop():
    s = allo.customize(gemm)
    with pytest.raises(ScheduleError) as info:
        s.fuse("i")  # <- here
    check(info, ScheduleError, "fuse: argument 'axes' must be two or more loops", 's.fuse("i")')


def test_fuse_annotated_loop():
    s = allo.customize(gemm)
    s.unroll("j", 2)
    with pytest.raises(ScheduleError) as info:
        s.fuse("i", "j")  # <- here
    check(info, ScheduleError, "fuse: loop 'j' carries unroll=2", 's.fuse("i", "j")')


# -- compute_at ----------------------------------------------------------------------------------------
def test_compute_at_consumer_reads_a_later_element():
    s = allo.customize(stages_ahead)
    with pytest.raises(ScheduleError) as info:
        s.compute_at("j", "jj")  # <- here
    err = check(info, ScheduleError, f"compute_at: the consumer's B[ii, (int34(jj) + 1)] (line "
                f"{line_of(stages_ahead, 'C[ii, jj] =')}) would run before the producer's B[i, j] "
                f"(line {line_of(stages_ahead, 'B[i, j] =')})", 's.compute_at("j", "jj")')
    assert "outer axis" in err.hint
    assert s.primitives == [] and "for i in" in str(s)


def test_compute_at_consumer_reads_the_next_row():
    s = allo.customize(stages_next_row)
    with pytest.raises(ScheduleError) as info:
        s.compute_at("i", "ii")  # <- here
    check(info, ScheduleError, "direction (>) over loops 'ii'", 's.compute_at("i", "ii")')


def test_compute_at_conservative_dependence():
    s = allo.customize(stages)
    with pytest.raises(ScheduleError) as info:
        s.compute_at("j", "jj")  # <- here
    err = check(info, ScheduleError, "compute_at: the consumer's B[ii, (5 - int34(jj))]",
                's.compute_at("j", "jj")')
    assert "conservative" in err.hint


def test_compute_at_different_ranges():
    s = allo.customize(stages_ranges)
    with pytest.raises(ScheduleError) as info:
        s.compute_at("j", "jj")  # <- here
    check(info, ScheduleError, "compute_at: producer loop 'j' (range(0, 6)) and consumer loop 'jj' "
          "(range(0, 5)) do not run over the same range", 's.compute_at("j", "jj")')


def test_compute_at_consumer_before_producer():
    s = allo.customize(stages)
    with pytest.raises(ScheduleError) as info:
        s.compute_at("jj", "j")  # <- here
    check(info, ScheduleError, "compute_at: the producer's loop nest ('ii') comes after the "
          "consumer's ('i')", 's.compute_at("jj", "j")')


def test_compute_at_same_nest():
    s = allo.customize(stages)
    with pytest.raises(ScheduleError) as info:
        s.compute_at("i", "j")  # <- here
    check(info, ScheduleError, "compute_at: loops 'i' and 'j' are not in two sibling loop nests",
          's.compute_at("i", "j")')


def test_compute_at_producer_not_perfectly_nested():
    s = allo.customize(stages_shallow)
    with pytest.raises(ScheduleError) as info:
        s.compute_at("i", "jj")  # <- here
    check(info, ScheduleError, "compute_at: the producer's nest ('i') has only 1 perfectly nested "
          "loop(s), the consumer axis 'jj' is at depth 2", 's.compute_at("i", "jj")')


def test_compute_at_consumer_not_perfectly_nested():
    s = allo.customize(stages_consumer_imperfect)
    with pytest.raises(ScheduleError) as info:
        s.compute_at("j", "jj")  # <- here
    check(info, ScheduleError, "compute_at: the consumer's loops down to 'jj' are not perfectly "
          "nested: the body of 'ii' holds more than the next loop", 's.compute_at("j", "jj")')


def test_compute_at_statement_in_between():
    s = allo.customize(stages_between)
    with pytest.raises(ScheduleError) as info:
        s.compute_at("j", "jj")  # <- here
    check(info, ScheduleError, "compute_at: array 'B' is used between the producer and the consumer",
          's.compute_at("j", "jj")')


def test_compute_at_shared_scalar():
    s = allo.customize(stages_scalar)
    with pytest.raises(ScheduleError) as info:
        s.compute_at("j", "jj")  # <- here
    check(info, ScheduleError, "compute_at: scalar 't' is used by both the producer and the consumer",
          's.compute_at("j", "jj")')


def test_compute_at_unknown_producer():
    s = allo.customize(stages)
    with pytest.raises(ScheduleError) as info:
        s.compute_at("k", "jj")  # <- here
    check(info, ScheduleError, "compute_at: argument 'producer': unknown loop 'k'",
          's.compute_at("k", "jj")')


def test_compute_at_two_functions():
    s = allo.customize(calls_mm)
    with pytest.raises(ScheduleError) as info:
        s.compute_at("calls_mm:i", "mm:i0")  # <- here
    check(info, ScheduleError, "compute_at: the producer loop 'calls_mm:i' and the consumer axis "
          "'mm:i0' are in different functions", 's.compute_at("calls_mm:i", "mm:i0")')


def test_pipeline_again_with_another_initiation_interval():
    s = allo.customize(gemm)
    s.pipeline("k")
    with pytest.raises(ScheduleError) as info:
        s.pipeline("k", initiation_interval=2)  # <- here
    err = check(info, ScheduleError, "pipeline: argument 'initiation_interval' must be 1, as loop "
                "'k' is already annotated pipeline(initiation_interval=1, rewind=False), got 2",
                "s.pipeline(")
    assert "once per loop" in err.hint
    assert s.get_loops().mm.k.loop.attrs["pipeline"] == 1


def test_pipeline_again_with_another_rewind():
    s = allo.customize(gemm)
    s.pipeline("k", 2)
    with pytest.raises(ScheduleError) as info:
        s.pipeline("k", 2, rewind=True)  # <- here
    check(info, ScheduleError, "pipeline: argument 'rewind' must be False, as loop 'k' is already "
          "annotated pipeline(initiation_interval=2, rewind=False), got True", "s.pipeline(")


def test_pipeline_the_same_call_again_changes_nothing():
    """As in Allo (which replaces the annotation with an equal one): accepted, recorded once."""
    s = allo.customize(gemm)
    s.pipeline("k", 2)
    before = str(s)
    s.pipeline("k", 2)
    assert str(s) == before
    assert [a.primitive for a in s.primitives] == ["pipeline"]


def test_unroll_again_with_another_factor():
    s = allo.customize(gemm)
    s.unroll("k", 2)
    with pytest.raises(ScheduleError) as info:
        s.unroll("k", 4)  # <- here
    check(info, ScheduleError, "unroll: argument 'factor' must be 2, as loop 'k' is already "
          "annotated unroll(factor=2), got 4", "s.unroll(")
