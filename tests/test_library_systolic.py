"""allo_rtl.library.systolic on the interpreter: a tile, a tiled product, the library's schedule
through compose, and two arrays cascaded through a stream."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.errors import ScheduleError
from allo_rtl.library.systolic import systolic, systolic_tile
from allo_rtl.types import int8, int16

from .helpers_diagnostics import check

rng = np.random.default_rng(11)


def int8s(*shape):
    return rng.integers(-128, 128, shape, dtype=np.int8)


def wrapped_product(A, B, dtype):
    return (A.astype(np.int64) @ B.astype(np.int64)).astype(dtype)


def test_a_tile_of_processing_elements():
    s = allo.customize(systolic_tile, instantiate=[int8, int8, int16, 4, 3, 2])
    A, B = int8s(3, 4), int8s(4, 2)
    C = np.zeros((3, 2), dtype=np.int16)
    s.build()(A, B, C)
    assert np.array_equal(C, wrapped_product(A, B, np.int16))


def test_a_tiled_product_with_the_library_schedule():
    M, K, N = 4, 6, 6

    def gemm(A: int8[M, K], B: int8[K, N], C: int16[M, N]):
        systolic[int8, int8, int16, M, K, N, 2, 3](A, B, C)

    s = allo.customize(gemm)
    s.compose(systolic, instantiate=[int8, int8, int16, M, K, N, 2, 3])
    text = str(s)
    # ak, bj, cj, sj, the 2 x 3 PEs' k loops and the 2 + 3 loaders' loops
    assert text.count("pipeline=1") == 4 + 6 + 5
    assert "partition local_A: dim 1 complete" in text and "partition local_B: dim 2 complete" in text
    A, B = int8s(M, K), int8s(K, N)
    C = np.zeros((M, N), dtype=np.int16)
    s.build()(A, B, C)
    assert np.array_equal(C, wrapped_product(A, B, np.int16))


L, D, H = 4, 4, 8


def ffn(X: int8[L, D], W1: int8[D, H], W2: int8[H, D], Y: int8[L, D]):
    Z: int8[L, H]
    systolic[int8, int8, int8, L, D, H, 2, 2](X, W1, Z)
    systolic[int8, int8, int8, L, H, D, 2, 2](Z, W2, Y)


def test_two_arrays_cascaded_through_a_stream():
    s = allo.customize(ffn)
    s.compose(systolic, instantiate=[int8, int8, int8, L, D, H, 2, 2])
    s.compose(systolic, instantiate=[int8, int8, int8, L, H, D, 2, 2])
    s.to(s.Z, "systolic_int8_int8_int8_4_8_4_2_2", depth=H)
    assert "Z: Stream[int8, 8]\n    in parallel:" in str(s)
    X, W1, W2 = int8s(L, D), int8s(D, H), int8s(H, D)
    Y = np.zeros((L, D), dtype=np.int8)
    s.build()(X, W1, W2, Y)
    Z = wrapped_product(X, W1, np.int8)
    assert np.array_equal(Y, wrapped_product(Z, W2, np.int8))


def test_compose_with_a_function_that_has_no_schedule():
    def gemm(A: int8[2, 2], B: int8[2, 2], C: int16[2, 2]):
        systolic[int8, int8, int16, 2, 2, 2, 1, 1](A, B, C)

    def plain(A: int8[2, 2]):
        A[0, 0] = 1

    s = allo.customize(gemm)
    with pytest.raises(ScheduleError) as info:
        s.compose(plain)  # <- here
    check(info, ScheduleError, "compose: argument 'sub' must be a Schedule, or a library kernel "
          "with a schedule of its own (allo_rtl.library), got 'plain'", "s.compose")


def pack(x, bits, axis, P):
    """Allo's packing: element p of each group of P along ``axis`` in bits p * bits up."""
    x = np.moveaxis(x.astype(np.int64) & ((1 << bits) - 1), axis, -1)
    x = x.reshape(*x.shape[:-1], -1, P)
    words = sum(x[..., p] << (p * bits) for p in range(P))
    words = np.where(words >= 1 << (P * bits - 1), words - (1 << (P * bits)), words)
    return np.moveaxis(words, -1, axis)


@pytest.mark.parametrize("target", ["interp", "rtl"])
def test_a_packed_product(target):
    from allo_rtl.library.systolic import packed_systolic
    from allo_rtl.types import Int
    M, K, N, P = 4, 6, 4, 2

    def gemm(A: Int(16)[M // P, K], B: Int(16)[K, N // P], C: Int(32)[M // P, N]):
        packed_systolic[int8, int8, int16, M, K, N, 2, 2, P](A, B, C)

    s = allo.customize(gemm)
    s.compose(packed_systolic, instantiate=[int8, int8, int16, M, K, N, 2, 2, P])
    # load_A's ai, load_B's bj, store_C's si (their packing loops flattened in), the 2 x 2
    # PEs' k loops and the 2 + 2 loaders' loops
    assert str(s).count("pipeline=1") == 3 + 4 + 4
    A, B = int8s(M, K), int8s(K, N)
    C = np.zeros((M // P, N), dtype=np.int32)
    options = {"target": "rtl", "simulator": "amaranth"} if target == "rtl" else {}
    s.build(**options)(pack(A, 8, 0, P).astype(np.int16), pack(B, 8, 1, P).astype(np.int16), C)
    assert np.array_equal(C, pack(wrapped_product(A, B, np.int16), 16, 0, P).astype(np.int32))
