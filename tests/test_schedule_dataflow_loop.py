"""s.dataflow of a loop: tasks with ping-pong pairs, printed before and after, results equal
to the loop run in order (interpreter in any scheduling order, and RTL), fewer cycles, and each
refusal with its message."""
import numpy as np
import pytest

import allo_rtl as allo
import allo_rtl.dataflow as df
from allo_rtl.errors import ScheduleError
from allo_rtl.library.systolic import systolic
from allo_rtl.types import Stream, int8, int32

from .helpers_diagnostics import check
from .helpers_rtl import assert_rtl_equals_interp

N, M = 6, 16


def two_stages(A: int32[N, M], B: int32[N, M], bias: int32):
    T: int32[M]
    for i in range(N):
        for j in range(M):
            T[j] = A[i, j] * 2
        for j2 in range(M):
            B[i, j2] = T[j2] + bias + i


def golden_two_stages(A, bias):
    return A * 2 + bias + np.arange(N, dtype=np.int32)[:, None]


def inputs():
    A = np.arange(N * M, dtype=np.int32).reshape(N, M) - 40
    return A, np.zeros_like(A)


def pipelined(kernel):
    s = allo.customize(kernel)
    for loop in ("j", "j2"):
        s.pipeline(loop)
    return s


def test_dataflow_of_a_loop_makes_one_kernel_per_statement_and_a_ping_pong_pair():
    s = pipelined(two_stages)
    before = str(s)
    assert "    T: int32[16]\n    for i in range(0, 6):  # band S_i_0\n" \
        "        for j in range(0, 16):" in before
    s.dataflow("i")
    after = str(s)
    assert "    T_ping: int32[16]\n    T_pong: int32[16]\n" in after
    assert "    in parallel:\n        two_stages_i_task0(A, T_ping, T_pong, T_free, T_full)\n" \
        "        two_stages_i_task1(bias, T_ping, T_pong, B, T_full, T_free)" in after
    task0 = after.split("def two_stages_i_task0")[1].split("\ndef ")[0]
    assert "        if pingpong_primed:\n            pingpong_token: bool = T_free.get()\n" \
        "        if (not pingpong_bank):\n            for j in range(0, 16):  # band S_i_0, " \
        "pipeline=1\n                T_ping[j] = " in task0
    assert "T_pong[j] = " in task0 and "T_full.put(1)" in task0
    task1 = after.split("def two_stages_i_task1")[1].split("\ndef ")[0]
    assert "pingpong_token: bool = T_full.get()" in task1 and "T_free.put(1)" in task1
    A, B = inputs()
    s.build()(A, B, 7)
    assert np.array_equal(B, golden_two_stages(A, 7))


def test_dataflow_of_a_loop_gives_the_same_results_in_any_scheduling_order():
    s = pipelined(two_stages)
    s.dataflow("two_stages:i")
    A, want = inputs()
    for seed in range(6):
        B = np.zeros_like(A)
        s.build(schedule_seed=seed)(A, B, -3)
        assert np.array_equal(B, golden_two_stages(A, -3)), seed


def test_dataflow_of_a_loop_overlaps_the_tasks_on_rtl():
    A, B = inputs()
    sequential = pipelined(two_stages).build(target="rtl", simulator="verilator")
    sequential(A, B, 5)
    s = pipelined(two_stages)
    s.dataflow(s.get_loops()["S_i_0"]["i"])
    assert_rtl_equals_interp(s, [A, np.zeros_like(A), 5], simulator="verilator")
    mod = s.build(target="rtl", simulator="verilator")
    got = np.zeros_like(A)
    mod(A, got, 5)
    assert np.array_equal(got, golden_two_stages(A, 5))
    # each task takes about M + 5 cycles per iteration: in order, two per iteration; as
    # tasks, one per iteration and one more for the last
    assert mod.cycles <= (N + 1) * (M + 6) < sequential.cycles, (mod.cycles, sequential.cycles)


K = 4


def accumulate_rows(A: int32[K, N, M], S: int32[K, N]):
    R: int32[M]
    for k in range(K):
        for i in range(N):
            for j in range(M):
                R[j] = A[k, i, j] - k
            acc: int32 = 0
            for j2 in range(M):
                acc += R[j2]
            S[k, i] = acc


def test_statements_sharing_a_scalar_stay_one_task_and_outer_counters_are_passed():
    s = allo.customize(accumulate_rows)
    s.dataflow("i")
    text = str(s)
    assert "accumulate_rows_i_task0(k, A, R_ping, R_pong, R_free, R_full)" in text
    assert "accumulate_rows_i_task1(k, R_ping, R_pong, S, R_full, R_free)" in text
    assert "accumulate_rows_i_task2" not in text
    A = (np.arange(K * N * M, dtype=np.int32) % 23).reshape(K, N, M)
    S = np.zeros((K, N), dtype=np.int32)
    s.build()(A, S)
    assert np.array_equal(S, (A - np.arange(K)[:, None, None]).sum(axis=2))
    assert_rtl_equals_interp(s, [A, np.zeros((K, N), dtype=np.int32)])


def per_iteration_local(A: int32[N, M], B: int32[N, M]):
    for i in range(N):
        U: int32[M] = 1
        for j in range(M):
            U[j] += A[i, j]
        for j2 in range(M):
            B[i, j2] = A[i, j2] * 3


def test_an_array_declared_in_the_body_goes_with_the_task_that_uses_it():
    s = allo.customize(per_iteration_local)
    s.dataflow("i")
    text = str(s)
    assert "def per_iteration_local_i_task0(A: int32[6, 16]):" in text
    assert "U: int32[16] = 1" in text.split("def per_iteration_local_i_task0")[1]
    A, B = inputs()
    s.build()(A, B)
    assert np.array_equal(B, A * 3)


PT, MT, KT, NT = 2, 2, 4, 6


def tiled_gemm(A: int8[MT, KT], B: int8[KT, NT], C: int32[MT, NT]):
    systolic[int8, int8, int32, MT, KT, NT, PT, PT](A, B, C)


def test_dataflow_of_the_tile_loop_of_the_systolic_library_overlaps_tiles():
    s = allo.customize(tiled_gemm)
    s.compose(systolic, instantiate=[int8, int8, int32, MT, KT, NT, PT, PT])
    name = next(f for f in s.functions if f.startswith("systolic"))
    s.dataflow(f"{name}:ni")
    text = str(s)
    assert "local_B_ping" in text and "local_C_pong" in text
    rng = np.random.default_rng(3)
    A = rng.integers(-128, 128, (MT, KT), dtype=np.int8)
    B = rng.integers(-128, 128, (KT, NT), dtype=np.int8)
    C = np.zeros((MT, NT), dtype=np.int32)
    s.build()(A, B, C)
    assert np.array_equal(C, A.astype(np.int64) @ B.astype(np.int64))
    assert_rtl_equals_interp(s, [A, B, np.zeros((MT, NT), dtype=np.int32)])


def test_compose_replays_the_dataflow_of_a_loop():
    inner = pipelined(two_stages)
    inner.dataflow("i")

    def outer(A: int32[N, M], B: int32[N, M]):
        two_stages(A, B, 2)
    s = allo.customize(outer)
    s.compose(inner)
    assert "two_stages_i_task0" in s.functions
    A, B = inputs()
    s.build()(A, B)
    assert np.array_equal(B, golden_two_stages(A, 2))


# -- refusals ----------------------------------------------------------------------------------
def test_dataflow_names_a_function_or_a_loop():
    s = allo.customize(two_stages)
    with pytest.raises(ScheduleError) as info:
        s.dataflow(3)  # <- here
    check(info, ScheduleError, "dataflow: argument 'target' must be the name of a function, or "
          "a loop (a handle, 'loop' or 'func:loop'), got 3", "s.dataflow")


def test_dataflow_of_an_unknown_loop_names_the_known_ones():
    s = allo.customize(two_stages)
    with pytest.raises(ScheduleError) as info:
        s.dataflow("q")  # <- here
    check(info, ScheduleError, "dataflow: argument 'target': unknown loop 'q'", "s.dataflow")


def test_dataflow_refuses_a_pipelined_loop():
    s = allo.customize(two_stages)
    s.pipeline("i")
    with pytest.raises(ScheduleError) as info:
        s.dataflow("i")  # <- here
    check(info, ScheduleError, "dataflow: loop 'i' of two_stages is pipelined or unrolled",
          "s.dataflow")


def carried(A: int32[N, M], B: int32[N, M]):
    T: int32[M]
    for i in range(N):
        for j in range(M):
            B[i, j] = T[j]
        for j2 in range(M):
            T[j2] = A[i, j2]


def test_dataflow_refuses_an_array_read_before_the_task_that_writes_it():
    s = allo.customize(carried)
    with pytest.raises(ScheduleError) as info:
        s.dataflow("i")  # <- here
    check(info, ScheduleError, "reads 'T' before the task at line", "s.dataflow")


def two_writers(A: int32[N, M], B: int32[N, M]):
    for i in range(N):
        for j in range(M):
            B[i, j] = A[i, j]
        for j2 in range(M):
            B[i, j2] += 1


def test_dataflow_refuses_an_array_two_tasks_write():
    s = allo.customize(two_writers)
    with pytest.raises(ScheduleError) as info:
        s.dataflow("i")  # <- here
    check(info, ScheduleError, "dataflow: 'B' is written by two tasks of loop 'i' of "
          "two_writers", "s.dataflow")


def partial_writer(A: int32[N, M], B: int32[N, M]):
    T: int32[M]
    for i in range(N):
        for j in range(M - 1):
            T[j] = A[i, j]
        for j2 in range(M):
            B[i, j2] = T[j2]


def test_dataflow_refuses_a_pair_its_writer_does_not_fill():
    s = allo.customize(partial_writer)
    with pytest.raises(ScheduleError) as info:
        s.dataflow("i")  # <- here
    check(info, ScheduleError, "'T' passes between tasks of loop 'i' of partial_writer but "
          "cannot become a ping-pong pair: its writer (line", "s.dataflow")
    assert "cannot be shown to write all 16 of its elements in each iteration (15 found)" \
        in info.value.message


def parameter_between_tasks(A: int32[N, M], T: int32[M], B: int32[N, M]):
    for i in range(N):
        for j in range(M):
            T[j] = A[i, j]
        for j2 in range(M):
            B[i, j2] = T[j2]


def test_dataflow_refuses_a_parameter_between_tasks():
    s = allo.customize(parameter_between_tasks)
    with pytest.raises(ScheduleError) as info:
        s.dataflow("i")  # <- here
    check(info, ScheduleError, "cannot become a ping-pong pair: it is a parameter of "
          "parameter_between_tasks", "s.dataflow")


def used_after(A: int32[N, M], B: int32[N, M], C: int32[M]):
    T: int32[M]
    for i in range(N):
        for j in range(M):
            T[j] = A[i, j]
        for j2 in range(M):
            B[i, j2] = T[j2]
    for j3 in range(M):
        C[j3] = T[j3]


def test_dataflow_refuses_a_pair_used_after_the_loop():
    s = allo.customize(used_after)
    with pytest.raises(ScheduleError) as info:
        s.dataflow("i")  # <- here
    check(info, ScheduleError, "cannot become a ping-pong pair: it is also used outside the "
          "loop", "s.dataflow")


def writer_reads(A: int32[N, M], B: int32[N, M]):
    T: int32[M]
    for i in range(N):
        for j in range(M):
            T[j] = A[i, j] + T[M - 1 - j]
        for j2 in range(M):
            B[i, j2] = T[j2]


def test_dataflow_refuses_a_pair_its_writer_reads():
    s = allo.customize(writer_reads)
    with pytest.raises(ScheduleError) as info:
        s.dataflow("i")  # <- here
    check(info, ScheduleError, "cannot become a ping-pong pair: the task that writes it (line",
          "s.dataflow")


def scalar_out(A: int32[N, M], B: int32[N]) -> int32:
    total: int32 = 0
    for i in range(N):
        for j in range(M):
            total += A[i, j]
        B[i] = i
    return total


def test_dataflow_refuses_a_scalar_used_outside_the_loop():
    s = allo.customize(scalar_out)
    with pytest.raises(ScheduleError) as info:
        s.dataflow("i")  # <- here
    check(info, ScheduleError, "dataflow: loop 'i' of scalar_out writes scalar 'total', which "
          "is also used outside the loop", "s.dataflow")


def shared_local(A: int32[N, M], B: int32[N, M]):
    for i in range(N):
        U: int32[M]
        for j in range(M):
            U[j] = A[i, j]
        for j2 in range(M):
            B[i, j2] = U[j2]


def test_dataflow_refuses_an_array_declared_in_the_body_for_two_tasks():
    s = allo.customize(shared_local)
    with pytest.raises(ScheduleError) as info:
        s.dataflow("i")  # <- here
    check(info, ScheduleError, "dataflow: array 'U', declared in the body of loop 'i' of "
          "shared_local, is used by 2 of its tasks", "s.dataflow")


def moving_bound(A: int32[N, M], B: int32[N, M], n: int32):
    for i in range(n):
        for j in range(M):
            B[i, j] = A[i, j]
        n = n - 1


def test_dataflow_refuses_bounds_its_body_changes():
    s = allo.customize(moving_bound)
    with pytest.raises(ScheduleError) as info:
        s.dataflow("i")  # <- here
    check(info, ScheduleError, "dataflow: the bounds of loop 'i' of moving_bound read 'n', "
          "which its body writes", "s.dataflow")


def declarations_only(A: int32[N, M]):
    for i in range(N):
        U: int32[M]
    for j in range(M):
        A[0, j] = j


def test_dataflow_refuses_a_loop_without_statements():
    s = allo.customize(declarations_only)
    with pytest.raises(ScheduleError) as info:
        s.dataflow("i")  # <- here
    check(info, ScheduleError, "dataflow: loop 'i' of declarations_only has no statements",
          "s.dataflow")


@df.region()
def streamed(A: int32[N, M], B: int32[N, M]):
    pipe: Stream[int32, 2]

    @df.kernel(mapping=[1], args=[A])
    def source(a: int32[N, M]):
        for i in range(N):
            for j in range(M):
                pipe.put(a[i, j])

    @df.kernel(mapping=[1], args=[B])
    def sink(b: int32[N, M]):
        for i2 in range(N):
            for j2 in range(M):
                b[i2, j2] = pipe.get()


def test_dataflow_refuses_a_loop_with_streams_in_its_body():
    s = df.customize(streamed)
    with pytest.raises(ScheduleError) as info:
        s.dataflow("i")  # <- here
    check(info, ScheduleError, "dataflow: loop 'i' of source_0 uses a stream at line",
          "s.dataflow")
