"""The kernel language, construct by construct, end to end through ``allo.customize(fn).build()``:
arguments, results, locals, constants from closures and module globals, calls, templates,
schedule handles and printing.

Loops, control flow, expressions and bits are in ``test_language_flow.py``.

Every expected value comes from numpy or from a plain-Python model written in this file or in
``helpers_language.py``, never from running our own code. (No ``from __future__ import
annotations``: kernels' parameter annotations must be evaluated by Python when they are defined,
as in user code.)
"""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.types import float32, int16, int32

from .helpers_language import build, wrap


# --------------------------------------------------------------------------------------------
# Module-level constants, types and kernels

MG_SCALE = 3
MG_HALF = 0.5
T16 = int16


def k_globals(A: T16[4]) -> (T16[4], float32):
    B: T16[4] = 0
    h: float32 = 0.0
    for i in range(4):
        B[i] = A[i] * MG_SCALE
        h += float(A[i]) * MG_HALF
    return B, h


def mod_inc(x: int32) -> int32:
    return x + 1


def mod_caller(A: int32[4]) -> int32[4]:
    B: int32[4] = 0
    for i in range(4):
        B[i] = mod_inc(A[i]) * 2
    return B


def tadd[T: (int32, float32), M: int32](A: "T[M]") -> "T[M]":
    B: T[M] = 0
    for i in range(M):
        B[i] = A[i] + A[i] + 1
    return B


def tuser(A: int32[8], F: float32[3]) -> (int32[8], float32[3]):
    B = tadd[int32, 8](A)
    G = tadd[float32, 3](F)
    return B, G


# == Arguments, results, locals ==

def test_scalar_and_array_arguments_array_result():
    def k(A: int32[6], x: int32) -> int32[6]:
        B: int32[6] = 0
        for i in range(6):
            B[i] = A[i] * x - i
        return B

    A = np.array([3, -4, 5, 100, 0, -7], dtype=np.int32)
    out = build(k)(A, 5)
    assert np.array_equal(out, A.astype(np.int64) * 5 - np.arange(6))


def test_tuple_return_and_written_argument():
    def k(A: int32[4], W: int32[4]) -> (int32[4], int32, int32):
        R: int32[4] = 0
        lo: int32 = A[0]
        for i in range(4):
            R[i] = A[3 - i]
            W[i] = A[i] + 10
            lo = min(lo, A[i])
        return R, lo, A[1] - A[2]

    A = np.array([8, -1, 6, 2], dtype=np.int32)
    W = np.zeros(4, dtype=np.int32)
    r, lo, d = build(k)(A, W)
    assert np.array_equal(r, A[::-1])
    assert int(lo) == -1 and int(d) == -7
    assert np.array_equal(W, A + 10)  # written argument arrays are updated in place


def test_local_scalars_and_arrays_with_and_without_initializer():
    init = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.int32)

    def k(a: int32, A: int32[4]) -> (int32, int32, int32[4, 3], int32[4]):
        x: int32
        y: int32 = 5
        x = a * 2
        y += x
        Z: int32[2, 3]
        C: int32[2, 3] = 7
        D: int32[2, 3] = init
        R: int32[4, 3] = 0
        for i in range(2):
            for j in range(3):
                R[i, j] = Z[i, j] + C[i, j] * a
                R[i + 2, j] = D[i, j]
        Q: int32[4] = 0
        for m in range(4):
            t: int32[2]  # declared in the loop: zeros on every iteration
            Q[m] = t[0] + A[m]
            t[0] = 100 + m
        return x, y, R, Q

    A = np.array([1, 2, 3, 4], dtype=np.int32)
    x, y, R, Q = build(k)(3, A)
    assert (int(x), int(y)) == (6, 11)
    assert np.array_equal(R[:2], np.full((2, 3), 21))  # Z reads zeros
    assert np.array_equal(R[2:], init)
    assert np.array_equal(Q, A)


def test_constants_from_closure_and_module_globals():
    A = np.array([1000, -2000, 12000, 5], dtype=np.int16)
    B, h = build(k_globals)(A)
    assert np.array_equal(B, (A.astype(np.int64) * MG_SCALE).astype(np.int16))  # wraps to int16
    assert float(h) == float(A.astype(np.float64).sum() * 0.5)

    N, OFF, SCALE, TT = 5, 7, 0.25, int16

    def make():
        def k(A: TT[N]) -> float32[N]:
            R: float32[N] = 0.0
            for i in range(N):
                R[i] = float(A[i] + OFF) * SCALE
            return R
        return k

    A = np.array([0, 1, -9, 30000, 3], dtype=np.int16)
    out = build(make())(A)
    assert np.array_equal(np.asarray(out, dtype=np.float32),
                          ((A.astype(np.float64) + OFF) * SCALE).astype(np.float32))


# == Calls ==

def test_call_module_level_kernel():
    A = np.array([1, -2, 2147483647, 0], dtype=np.int32)
    exp = [wrap(wrap(int(v) + 1) * 2) for v in A]
    assert [int(v) for v in build(mod_caller)(A)] == exp


def test_call_kernels_from_factory_closure_and_nested_def():
    def factory(K):
        def scale(x: int32) -> int32:
            return x * K

        def top(A: int32[4]) -> int32[4]:
            def sq(y: int32) -> int32:
                return y * y

            B: int32[4] = 0
            for i in range(4):
                B[i] = scale(A[i]) + sq(A[i])
            return B
        return top

    A = np.array([1, -3, 5, 10], dtype=np.int32)
    assert np.array_equal(build(factory(7))(A), A * 7 + A * A)


def test_kernel_called_from_two_call_sites_is_built_once():
    def fill(A: int32[4], v: int32):
        for i in range(4):
            A[i] += v

    def top(A: int32[4], B: int32[4]):
        fill(A, 3)
        for r in range(2):
            fill(B, r + 10)

    s = allo.customize(top)
    assert sorted(s.functions) == ["fill", "top"]
    A = np.arange(4, dtype=np.int32)
    B = np.zeros(4, dtype=np.int32)
    s.build()(A, B)
    assert np.array_equal(A, np.arange(4) + 3)
    assert np.array_equal(B, np.full(4, 21))


def test_kernel_returning_array_and_tuple():
    def doubled(A: int32[6]) -> int32[6]:
        B: int32[6] = 0
        for i in range(6):
            B[i] = 2 * A[i]
        return B

    def stats(A: int32[6]) -> (int32, int32):
        t: int32 = 0
        m: int32 = A[0]
        for i in range(6):
            t += A[i]
            m = max(m, A[i])
        return t, m

    def top(A: int32[6]) -> (int32[6], int32, int32):
        D = doubled(A)
        E: int32[6] = 0
        for i in range(6):
            E[i] = D[i] + 1
        t, m = stats(D)
        return E, t, m

    A = np.array([4, -8, 15, 16, -23, 42], dtype=np.int32)
    E, t, m = build(top)(A)
    assert np.array_equal(E, 2 * A + 1)
    assert (int(t), int(m)) == (int(2 * A.sum()), int(2 * A.max()))


@pytest.mark.parametrize("T,dtype", [(int32, np.int32), (float32, np.float32)])
def test_template_instantiate(T, dtype):
    A = np.array([1.5, -2.25, 7, 0.125], dtype=np.float32).astype(dtype)
    out = build(tadd, instantiate=[T, 4])(A)
    exp = (A + A + dtype(1)).astype(dtype)
    assert np.array_equal(np.asarray(out).astype(dtype), exp)


def test_template_call_syntax_inside_kernel():
    A = np.arange(8, dtype=np.int32) * 3 - 9
    F = np.array([0.1, -2.5, 1e7], dtype=np.float32)
    s = allo.customize(tuser)
    assert len(s.functions) == 3  # tuser and two instances of tadd
    B, G = s.build()(A, F)
    assert np.array_equal(B, 2 * A + 1)
    assert np.array_equal(np.asarray(G, dtype=np.float32), F + F + np.float32(1))


# == Schedules: names, handles, printing ==

def gemm(A: int32[8, 12], B: int32[12, 10]) -> int32[8, 10]:
    C: int32[8, 10] = 0
    for i, j in allo.grid(8, 10, name="mm"):
        for k in allo.reduction(12):
            C[i, j] += A[i, k] * B[k, j]
    return C


def test_loop_and_buffer_handles():
    s = allo.customize(gemm)
    loops = s.get_loops()
    assert loops["mm"]["i"].name == "i"
    assert loops.mm.j.name == "j"
    assert s.loop("k").name == "k"
    assert s.C.name == "C" and s.C.func == "gemm"
    assert s.buffer("gemm:C") == s.C
    assert s.buffer("A").name == "A"


def test_auto_band_names_follow_allo():
    def kern(A: int32[8]):
        for i in range(8):
            A[i] = i
        for ii in range(8):
            for jj in range(8):
                A[ii] = A[ii] + jj
        for i0 in allo.grid(8, name="imperfect"):
            A[i0] = A[i0] + 1
            for i1 in range(8):
                A[i1] = A[i1] * 2

    loops = allo.customize(kern).get_loops()
    assert "i" in loops["S_i_0"]
    assert "ii" in loops["S_ii_1"]
    assert "i0" in loops["imperfect"]
    # Allo puts loops nested in a band into that band (allo tests/test_schedule get_loops)
    assert "jj" in loops["S_ii_1"]
    assert "i1" in loops["imperfect"]


def test_show_prints_the_loop_nest_with_types(capsys):
    allo.customize(gemm).show()
    text = capsys.readouterr().out
    assert "def gemm(A: int32[8, 12], B: int32[12, 10]) -> int32[8, 10]:" in text
    assert "C: int32[8, 10] = 0" in text
    assert "for i in range(0, 8)" in text
    assert "for j in range(0, 10)" in text
    assert "for k in range(0, 12)" in text
    lines = text.splitlines()
    indent = {v: next(len(l) - len(l.lstrip()) for l in lines if f"for {v} in" in l) for v in "ijk"}
    assert indent["i"] < indent["j"] < indent["k"]


def test_kernel_runs_as_plain_python_with_same_result():
    def vscale(A: int32[3, 4], B: int32[3, 4], C: int32[3, 4]):
        for i, j in allo.grid(3, 4, name="g"):
            C[i, j] = A[i, j] * 3 - B[i, j]

    rng = np.random.default_rng(5)
    A = rng.integers(-1000, 1000, (3, 4)).astype(np.int32)
    B = rng.integers(-1000, 1000, (3, 4)).astype(np.int32)
    C_py, C_hw = np.zeros((3, 4), np.int32), np.zeros((3, 4), np.int32)
    vscale(A, B, C_py)
    build(vscale)(A, B, C_hw)
    assert np.array_equal(C_py, A * 3 - B)
    assert np.array_equal(C_hw, C_py)
