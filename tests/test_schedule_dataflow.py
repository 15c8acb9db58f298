"""s.to and s.dataflow: the printed design before and after, unchanged results, and errors."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.errors import ScheduleError
from allo_rtl.types import index, int32

from .helpers_diagnostics import check

P, Q, R = 3, 4, 5


def produce(A: int32[P, Q], E: int32[P, Q]):
    for i, j in allo.grid(P, Q):
        E[i, j] = A[i, j] * 2


def consume(E: int32[P, Q], F: int32[P]):
    for i in range(P):
        F[i] = 0
        for j in range(Q):
            F[i] += E[i, j]


def consume_by_columns(E: int32[P, Q], F: int32[P]):
    for j in range(Q):
        for i in range(P):
            F[i] += E[i, j]


def consume_twice(E: int32[P, Q], F: int32[P]):
    for i in range(P):
        for j in range(Q):
            F[i] += E[i, j] + E[i, j]


def top(A: int32[P, Q], F: int32[P]):
    E: int32[P, Q]
    produce(A, E)
    consume(E, F)


def top_columns(A: int32[P, Q], F: int32[P]):
    E: int32[P, Q]
    produce(A, E)
    consume_by_columns(E, F)


def top_twice(A: int32[P, Q], F: int32[P]):
    E: int32[P, Q]
    produce(A, E)
    consume_twice(E, F)


def run(s):
    A = np.arange(P * Q, dtype=np.int32).reshape(P, Q) - 3
    F = np.zeros(P, dtype=np.int32)
    s.build()(A, F)
    return A, F


def test_to_turns_the_array_into_a_stream_between_the_two_calls():
    s = allo.customize(top)
    before = str(s)
    assert "    E: int32[3, 4]\n    produce(A, E)\n    consume(E, F)" in before
    s.to(s.E, "consume", depth=2)
    after = str(s)
    assert "    E: Stream[int32, 2]\n    in parallel:\n        produce(A, E)\n" \
        "        consume(E, F)" in after
    assert "E.put(int32((A[i, j] * 2)))" in after and "E.get()" in after
    A, F = run(s)
    assert np.array_equal(F, (A * 2).sum(axis=1))


def test_dataflow_after_to_keeps_one_region_and_the_results():
    s = allo.customize(top)
    s.to(s.E, "consume")
    s.dataflow("top")
    text = str(s)
    assert text.count("in parallel:") == 1 and "E: Stream[int32, 12]" in text
    A, F = run(s)
    assert np.array_equal(F, (A * 2).sum(axis=1))


def test_to_refuses_a_consumer_reading_in_another_order():
    s = allo.customize(top_columns)
    with pytest.raises(ScheduleError) as info:
        s.to(s.E, "consume_by_columns")  # <- here
    check(info, ScheduleError, "to: consume_by_columns reads E in another order than produce "
          "writes it: read 1 is E[1, 0], write 1 is E[0, 1]", "s.to")


def test_to_refuses_a_consumer_reading_an_element_twice():
    s = allo.customize(top_twice)
    with pytest.raises(ScheduleError) as info:
        s.to(s.E, "consume_twice")  # <- here
    check(info, ScheduleError, "to: consume_twice must read E in exactly one load and do "
          "nothing else with it", "s.to")


def test_to_names_the_real_consumer():
    s = allo.customize(top)
    with pytest.raises(ScheduleError) as info:
        s.to(s.E, "produce")  # <- here
    check(info, ScheduleError, "to: E goes from produce to consume, not to 'produce'", "s.to")


def test_to_refuses_a_parameter():
    s = allo.customize(top)
    with pytest.raises(ScheduleError) as info:
        s.to(s.A, "consume")  # <- here
    check(info, ScheduleError, "to: top:A is a parameter of top", "s.to")


def test_to_checks_its_depth():
    s = allo.customize(top)
    with pytest.raises(ScheduleError) as info:
        s.to(s.E, "consume", depth=0)  # <- here
    check(info, ScheduleError, "to: argument 'depth' must be a positive int, or -1 for the "
          "array's size, got 0", "s.to")


def scale(A: int32[P, Q], B: int32[P, Q]):
    for i, j in allo.grid(P, Q):
        B[i, j] = A[i, j] * 3


def shift(A: int32[P, Q], C: int32[P, Q]):
    for i, j in allo.grid(P, Q):
        C[i, j] = A[i, j] + 1


def fork(A: int32[P, Q], B: int32[P, Q], C: int32[P, Q]):
    scale(A, B)
    shift(A, C)


def chained(A: int32[P, Q], B: int32[P, Q], C: int32[P, Q]):
    scale(A, B)
    shift(B, C)


def test_dataflow_runs_independent_calls_concurrently():
    s = allo.customize(fork)
    s.dataflow("fork")
    assert "    in parallel:\n        scale(A, B)\n        shift(A, C)" in str(s)
    A = np.arange(P * Q, dtype=np.int32).reshape(P, Q)
    B, C = np.zeros_like(A), np.zeros_like(A)
    s.build()(A, B, C)
    assert np.array_equal(B, A * 3) and np.array_equal(C, A + 1)


def test_dataflow_refuses_an_array_written_by_one_call_and_read_by_another():
    s = allo.customize(chained)
    with pytest.raises(ScheduleError) as info:
        s.dataflow("chained")  # <- here
    check(info, ScheduleError, "dataflow: B is written by scale and used by shift, which would "
          "run at the same time", "s.dataflow")


def test_dataflow_names_a_function():
    s = allo.customize(fork)
    with pytest.raises(ScheduleError) as info:
        s.dataflow(3)  # <- here
    check(info, ScheduleError, "dataflow: argument 'target' must be the name of a function, "
          "or a loop (a handle, 'loop' or 'func:loop'), got 3", "s.dataflow")


def pe(A: int32[P, Q], B: int32[P, Q], i: index, j: index):
    B[i, j] = A[i, j] * (i + 1) + j


def grid_of_pes(A: int32[P, Q], B: int32[P, Q]):
    for i, j in allo.grid(P, Q, name="PE"):
        pe(A, B, i, j)


def test_unfold_makes_one_processing_element_per_point():
    s = allo.customize(grid_of_pes)
    assert "for i in range(0, 3):  # band PE" in str(s)
    assert s.unfold("PE", [1, 0]) == [0, 1]
    text = str(s)
    assert "for i" not in text.split("def grid_of_pes")[1]
    assert "    pe_0_0(A, B, 0, 0)\n    pe_0_1(A, B, 0, 1)" in text and "def pe_2_3(" in text
    A = np.arange(P * Q, dtype=np.int32).reshape(P, Q)
    B = np.zeros_like(A)
    s.build()(A, B)
    assert np.array_equal(B, A * (np.arange(P)[:, None] + 1) + np.arange(Q)[None, :])
    assert "pe_1_2" in s.functions and "pe" not in s.functions


def test_unfold_checks_its_axes():
    s = allo.customize(grid_of_pes)
    with pytest.raises(ScheduleError) as info:
        s.unfold("PE", [0, 2])  # <- here
    check(info, ScheduleError, "unfold: argument 'axes' must be consecutive loop levels, got "
          "[0, 2]", "s.unfold")


def test_unfold_takes_a_list_of_axes():
    s = allo.customize(grid_of_pes)
    with pytest.raises(ScheduleError) as info:
        s.unfold("PE", 0)  # <- here
    check(info, ScheduleError, "unfold: argument 'axes' must be a list of loop levels of the "
          "band, e.g. [0, 1], got 0", "s.unfold")


def test_unfold_names_a_band():
    s = allo.customize(grid_of_pes)
    with pytest.raises(ScheduleError) as info:
        s.unfold("QE", [0])  # <- here
    check(info, ScheduleError, "unfold: no loop band 'QE'", "s.unfold")
