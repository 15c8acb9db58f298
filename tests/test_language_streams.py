"""Streams, dataflow regions and df.kernel grids on the reference interpreter, against numpy."""
import numpy as np
import pytest

import allo_rtl as allo
import allo_rtl.dataflow as df
from allo_rtl.errors import AlloDeadlockError, ScheduleError
from allo_rtl.types import ConstExpr, Stream, int8, int32

from .helpers_diagnostics import check, line_of

M, N = 4, 6


@df.region()
def scale_pipe(A: int32[M, N], B: int32[M, N]):
    pipe: Stream[int32, 1]

    @df.kernel(mapping=[1], args=[A])
    def producer(local_A: int32[M, N]):
        for i, j in allo.grid(M, N):
            pipe.put(local_A[i, j] * 3)

    @df.kernel(mapping=[1], args=[B])
    def consumer(local_B: int32[M, N]):
        for i, j in allo.grid(M, N):
            data: int32 = pipe.get()
            local_B[i, j] = data + 1


def test_producer_consumer_through_a_stream_of_depth_one():
    A = np.arange(M * N, dtype=np.int32).reshape(M, N) - 7
    B = np.zeros((M, N), dtype=np.int32)
    allo.customize(scale_pipe).build()(A, B)
    assert np.array_equal(B, A * 3 + 1)


def test_the_region_prints_its_streams_and_instances():
    text = str(allo.customize(scale_pipe))
    assert "def scale_pipe(A: int32[4, 6], B: int32[4, 6]):\n    pipe: Stream[int32, 1]\n" \
        "    in parallel:\n        producer_0(A, pipe)\n        consumer_0(B, pipe)" in text
    assert "def producer_0(local_A: int32[4, 6], pipe: Stream[int32, 1]):" in text
    assert "pipe.put(int32((local_A[i, j] * 3)))" in text


@df.region()
def narrowing(A: int32[4], B: int32[4]):
    small: Stream[int8, 2]

    @df.kernel(mapping=[1], args=[A])
    def send(a: int32[4]):
        for i in range(4):
            small.put(a[i])

    @df.kernel(mapping=[1], args=[B])
    def receive(b: int32[4]):
        for i in range(4):
            b[i] = small.get()


def test_put_converts_to_the_element_type_as_on_assignment():
    A = np.array([1, 127, 128, -300], dtype=np.int32)
    B = np.zeros(4, dtype=np.int32)
    allo.customize(narrowing).build()(A, B)
    assert B.tolist() == [1, 127, -128, -44]


P = 3
U = 2


@df.region()
def chain(A: int32[8], B: int32[8]):
    pipe: Stream[int32, 2][P + 1]

    @df.kernel(mapping=[P + 2], args=[A, B])
    def stage(local_A: int32[8], local_B: int32[8]):
        i = df.get_pid()
        with allo.meta_if(i == 0):
            for n in range(8 // U):
                with allo.meta_for(U) as u:
                    pipe[0].put(local_A[n * U + u])
        with allo.meta_elif(i == P + 1):
            for n in range(8):
                local_B[n] = pipe[P].get()
        with allo.meta_else():
            for n in range(8):
                v: int32 = pipe[i - 1].get()
                pipe[i].put(v * 2 + i)


def test_a_grid_of_instances_with_meta_roles_and_arrays_of_streams():
    A = np.arange(8, dtype=np.int32)
    B = np.zeros(8, dtype=np.int32)
    allo.customize(chain).build()(A, B)
    expected = A.copy()
    for k in range(1, P + 1):
        expected = expected * 2 + k
    assert np.array_equal(B, expected)
    text = str(allo.customize(chain))
    assert "stage_1(A, B, pipe_0, pipe_1)" in text and "stage_4(A, B, pipe_3)" in text


def test_results_do_not_depend_on_the_order_kernels_run_in():
    A = np.arange(8, dtype=np.int32) * 5 - 11
    results = set()
    for seed in range(20):
        B = np.zeros(8, dtype=np.int32)
        allo.customize(chain).build(schedule_seed=seed)(A, B)
        results.add(tuple(B.tolist()))
    assert len(results) == 1


R, C, K = 2, 3, 4


@df.region()
def systolic(A: int32[R, K], B: int32[K, C], D: int32[R, C]):
    fa: Stream[int32, 2][R + 2, C + 2]
    fb: Stream[int32, 2][R + 2, C + 2]

    @df.kernel(mapping=[R + 2, C + 2], args=[A, B, D])
    def pe(a: int32[R, K], b: int32[K, C], d: int32[R, C]):
        i, j = df.get_pid()
        with allo.meta_if(i in {0, R + 1} and j in {0, C + 1}):
            pass
        with allo.meta_elif(j == 0):
            for k in range(K):
                fa[i, j + 1].put(a[i - 1, k])
        with allo.meta_elif(i == 0):
            for k in range(K):
                fb[i + 1, j].put(b[k, j - 1])
        with allo.meta_elif(i == R + 1):
            for k in range(K):
                fb[i, j].get()
        with allo.meta_elif(j == C + 1):
            for k in range(K):
                fa[i, j].get()
        with allo.meta_else():
            acc: int32 = 0
            for k in range(K):
                x: int32 = fa[i, j].get()
                y: int32 = fb[i, j].get()
                acc += x * y
                fa[i, j + 1].put(x)
                fb[i + 1, j].put(y)
            d[i - 1, j - 1] = acc


def test_an_output_stationary_systolic_grid():
    rng = np.random.default_rng(3)
    A = rng.integers(-50, 50, (R, K), dtype=np.int32)
    B = rng.integers(-50, 50, (K, C), dtype=np.int32)
    D = np.zeros((R, C), dtype=np.int32)
    allo.customize(systolic).build()(A, B, D)
    assert np.array_equal(D, A @ B)
    text = str(allo.customize(systolic))
    assert "pe_0_0(" not in text and "pe_3_4(" not in text   # corners do nothing: no instance
    assert "pe_1_1(A, B, D, fa_1_1, fb_1_1, fa_1_2, fb_2_1)" in text


T = 8


@df.region()
def inner[Pn](X: int32[T], Y: int32[T]):
    link: Stream[int32, 2]

    @df.kernel(mapping=[1], args=[X])
    def front(x: int32[T]):
        for n in range(T):
            link.put(x[n] + Pn)

    @df.kernel(mapping=[1], args=[Y])
    def back(y: int32[T]):
        for n in range(T):
            y[n] = link.get() * Pn


@df.region()
def outer(A: int32[T], B: int32[T], C: int32[T]):
    @df.kernel(mapping=[2], args=[A, B, C])
    def wrapper(a: int32[T], b: int32[T], c: int32[T]):
        w = df.get_pid()
        with allo.meta_if(w == 0):
            inner[2](a, b)
        with allo.meta_else():
            inner[3](a, c)


def test_a_template_region_called_from_kernels_runs_its_own_kernels_concurrently():
    # 8 items through a stream of depth 2: run one kernel after the other, it would deadlock
    A = np.arange(T, dtype=np.int32)
    B, Cc = np.zeros(T, dtype=np.int32), np.zeros(T, dtype=np.int32)
    allo.customize(outer).build()(A, B, Cc)
    assert np.array_equal(B, (A + 2) * 2) and np.array_equal(Cc, (A + 3) * 3)


W = 16
PARTS = 4


@df.region()
def tiles(A: int32[W], B: int32[W]):
    Wt: ConstExpr[int32] = W // PARTS

    @df.kernel(mapping=[PARTS], args=[A, B])
    def part(a: int32[W], b: int32[W]):
        p = df.get_pid()
        lo: ConstExpr[int32] = p * Wt
        for i in range(lo, lo + Wt):
            b[i] = a[i] * (p + 1)


def test_constexpr_and_instances_without_streams():
    A = np.arange(W, dtype=np.int32)
    B = np.zeros(W, dtype=np.int32)
    allo.customize(tiles).build()(A, B)
    assert np.array_equal(B, A * (np.arange(W) // (W // PARTS) + 1))


@df.region()
def one_short(A: int32[4], B: int32[4]):
    pipe: Stream[int32, 2]

    @df.kernel(mapping=[1], args=[A])
    def give(a: int32[4]):
        for i in range(3):
            pipe.put(a[i])

    @df.kernel(mapping=[1], args=[B])
    def take(b: int32[4]):
        for i in range(4):
            b[i] = pipe.get()  # <- here


def test_a_deadlock_is_an_error_naming_the_waiting_kernel_and_stream():
    B = np.zeros(4, dtype=np.int32)
    with pytest.raises(AlloDeadlockError) as info:
        allo.customize(one_short).build()(np.arange(4, dtype=np.int32), B)
    check(info, AlloDeadlockError, "deadlock: every running kernel waits: take_0 waits to get "
          f"from 'pipe' (empty) at test_language_streams.py:{line_of(one_short, 'b[i] = pipe')}",
          "pipe.get()", where=one_short)
    assert B.tolist() == [0, 0, 0, 0]   # nothing is written back


@df.region()
def crossed(A: int32[4], B: int32[4]):
    ab: Stream[int32, 1]
    ba: Stream[int32, 1]

    @df.kernel(mapping=[1], args=[A])
    def left(a: int32[4]):
        for i in range(4):
            x: int32 = ba.get()
            ab.put(a[i] + x)

    @df.kernel(mapping=[1], args=[B])
    def right(b: int32[4]):
        for i in range(4):
            y: int32 = ab.get()
            ba.put(y)
            b[i] = y


def test_a_cycle_of_waits_names_every_kernel():
    with pytest.raises(AlloDeadlockError) as info:
        allo.customize(crossed).build()(np.arange(4, dtype=np.int32), np.zeros(4, dtype=np.int32))
    message = info.value.message
    assert "left_0 waits to get from 'ba' (empty)" in message
    assert "right_0 waits to get from 'ab' (empty)" in message


BM = 2


@df.region()
def blocks(A: int32[BM, BM], B: int32[BM, BM]):
    tiles: Stream[int32[BM, BM], 1]

    @df.kernel(mapping=[1], args=[A])
    def send(a: int32[BM, BM]):
        tiles.put(a)                  # a copy: changing a afterwards does not change it
        for i, j in allo.grid(BM, BM):
            a[i, j] = a[i, j] * 10
        tiles.put(a)

    @df.kernel(mapping=[1], args=[B])
    def receive(b: int32[BM, BM]):
        first: int32[BM, BM] = tiles.get()
        b = tiles.get()
        for i, j in allo.grid(BM, BM):
            b[i, j] += first[i, j]


def test_a_stream_of_blocks_carries_copies_of_whole_arrays():
    A = np.array([[1, 2], [3, 4]], dtype=np.int32)
    B = np.zeros((BM, BM), dtype=np.int32)
    allo.customize(blocks).build()(A, B)
    assert B.tolist() == [[11, 22], [33, 44]] and A.tolist() == [[10, 20], [30, 40]]


def test_loops_that_put_keep_their_order_under_schedules():
    s = allo.customize(scale_pipe)
    with pytest.raises(ScheduleError) as info:
        s.reorder("producer_0:j", "producer_0:i")
    assert "would reverse the dependence from stream pipe (used in order)" in info.value.message
    s.pipeline("producer_0:j")
    A = np.arange(M * N, dtype=np.int32).reshape(M, N)
    B = np.zeros((M, N), dtype=np.int32)
    s.build()(A, B)
    assert np.array_equal(B, A * 3 + 1)
