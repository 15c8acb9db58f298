"""Diagnostics of the memory primitives and compose: each names the primitive, the argument
and what was expected, at the user's call site (``check()`` in ``helpers_diagnostics.py``)."""
import pytest

import allo_rtl as allo
from allo_rtl.errors import ScheduleError
from allo_rtl.types import int32

from .helpers_diagnostics import check, gemm, line_of


def stencil(A: int32[10], B: int32[8]):
    for i in range(8):
        B[i] = A[i] + A[i + 1] + A[i + 2]


def scale(X: int32[4, 6]):
    for i, j in allo.grid(4, 6, name="s"):
        X[i, j] = X[i, j] * 3


def pair(X: int32[4, 6]):
    scale(X)


def test_partition_type_unknown():
    s = allo.customize(gemm)
    with pytest.raises(ScheduleError) as info:
        s.partition(s.B, partition_type=5)  # <- here
    check(info, ScheduleError, "partition: argument 'partition_type' must be Partition.Complete",
          "s.partition(s.B, partition_type=5)")


def test_partition_dim_out_of_range():
    s = allo.customize(gemm)
    with pytest.raises(ScheduleError) as info:
        s.partition(s.B, dim=3)  # <- here
    check(info, ScheduleError, "partition: argument 'dim' must be 0 (every dimension) or 1..2",
          "s.partition(s.B, dim=3)")


def test_partition_cyclic_needs_factor():
    s = allo.customize(gemm)
    with pytest.raises(ScheduleError) as info:
        s.partition(s.B, partition_type=allo.Partition.Cyclic, dim=1)  # <- here
    check(info, ScheduleError, "partition: argument 'factor' must be an int >= 1 for a cyclic",
          "s.partition(s.B, partition_type=allo.Partition.Cyclic, dim=1)")


def test_partition_unknown_buffer():
    s = allo.customize(gemm)
    with pytest.raises(ScheduleError) as info:
        s.partition("gemm:Q")  # <- here
    check(info, ScheduleError, "partition: argument 'target': unknown buffer 'Q'",
          's.partition("gemm:Q")')


def test_partition_conflict_across_a_call_names_both_sites():
    s = allo.customize(pair)
    s.partition("scale:X", dim=2, partition_type=allo.Partition.Cyclic, factor=2)
    with pytest.raises(ScheduleError) as info:
        s.partition(s.X, dim=2, partition_type=allo.Partition.Block, factor=3)  # <- here
    err = check(info, ScheduleError, "dimension 2 of", "s.partition(s.X, dim=2")
    assert "already partitioned cyclic factor 2 (at test_diagnostics_memory_primitives.py:" \
        in err.message and "asks for block factor 3" in err.message


def test_buffer_at_loop_without_the_array():
    s = allo.customize(stencil)
    with pytest.raises(ScheduleError) as info:
        s.buffer_at("stencil:A", axis="i")  # <- here
    check(info, ScheduleError, "buffer_at: no index of A changes inside loop 'i'",
          's.buffer_at("stencil:A", axis="i")')


def test_buffer_at_unknown_axis():
    s = allo.customize(gemm)
    with pytest.raises(ScheduleError) as info:
        s.buffer_at(s.C, axis="zz")  # <- here
    check(info, ScheduleError, "buffer_at: argument 'axis': unknown loop 'zz'",
          's.buffer_at(s.C, axis="zz")')


def shifted_row(A: int32[4, 4]) -> int32[4, 4]:
    B: int32[4, 4] = 0
    for y in range(4):
        for x in range(4):
            B[y, x] += A[y, x + 1]
    return B


def test_buffer_at_access_that_may_leave_the_array():
    # The interpreter would report A[0, 4] at the access; a buffered slice would report its own
    # buffer (or fault in the copy), so buffer_at refuses an index not proven in bounds.
    s = allo.customize(shifted_row)
    with pytest.raises(ScheduleError) as info:
        s.buffer_at(s.A, axis="y")  # <- here
    check(info, ScheduleError, "buffer_at: the index of dimension 2 of A at line "
          f"{line_of(shifted_row, 'A[y, x + 1]')} takes values 1..4, outside [0, 4)",
          's.buffer_at(s.A, axis="y")')


def indirect_row(A: int32[4, 4], P: int32[4]) -> int32[4, 4]:
    B: int32[4, 4] = 0
    for y in range(4):
        for x in range(4):
            B[y, x] += A[y, P[x]]
    return B


def test_buffer_at_index_not_bounded_by_loop_counters():
    s = allo.customize(indirect_row)
    with pytest.raises(ScheduleError) as info:
        s.buffer_at(s.A, axis="y")  # <- here
    check(info, ScheduleError, "buffer_at: the index of dimension 2 of A at line "
          f"{line_of(indirect_row, 'A[y, P[x]]')} is not bounded by loop counters",
          's.buffer_at(s.A, axis="y")')


def test_reuse_at_written_array():
    s = allo.customize(scale)
    with pytest.raises(ScheduleError) as info:
        s.reuse_at(s.X, "i")  # <- here
    err = info.value
    assert "reuse_at: loop 'i' writes X" in err.message and err.hint


def strided(A: int32[20], B: int32[8]):
    for i in range(8):
        B[i] = A[2 * i] + A[2 * i + 1]  # <- here


def test_reuse_at_index_not_sliding_points_at_the_read():
    s = allo.customize(strided)
    with pytest.raises(ScheduleError) as info:
        s.reuse_at(s.A, "i")
    check(info, ScheduleError, "reuse_at: A must be indexed by i + offset in one dimension",
          "A[2 * i]", where=strided)


def test_reuse_at_loop_without_the_array():
    s = allo.customize(gemm)
    with pytest.raises(ScheduleError) as info:
        s.reuse_at(s.C, "zz")  # <- here
    check(info, ScheduleError, "reuse_at: argument 'axis': unknown loop 'zz'",
          's.reuse_at(s.C, "zz")')


def test_compose_needs_a_schedule():
    s = allo.customize(pair)
    with pytest.raises(ScheduleError) as info:
        s.compose(scale)  # <- here
    check(info, ScheduleError, "compose: argument 'sub' must be a Schedule", "s.compose(scale)")


def test_compose_of_a_function_not_called():
    s = allo.customize(pair)
    with pytest.raises(ScheduleError) as info:
        s.compose(allo.customize(stencil))  # <- here
    check(info, ScheduleError, "compose: 'pair' calls no function 'stencil'",
          "s.compose(allo.customize(stencil))")
