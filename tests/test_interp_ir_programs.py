"""The reference interpreter on hand-built IR (independent of the frontend): arrays (bounds,
arguments, check elision), control flow, locals, calls, results.

Integer, fixed-point and float arithmetic and bits are in ``test_interp_ir_arith.py``.

Every expected value comes from numpy or from a direct Python computation of the documented
semantics, never from the interpreter itself. The IR builder is in ``helpers_ir.py``.
"""
import inspect
import math

import numpy as np
import pytest

from allo_rtl import ir
from allo_rtl.errors import AlloIndexError, AlloRuntimeError, AlloTypeError
from allo_rtl.interp import build_interpreter
from allo_rtl.types import Fixed, Int, UInt, bfloat16, float16, float32, float64, index, int8, int32

from .helpers_ir import (L, assign, binop, buf, cast, const, elementwise, function, load, loc, loop,
                         ref, scalar_fn, store, var, wrap)


# ---------------------------------------------------------------------------------------------
# Arrays: bounds, arguments, elision


def _gather(n_src=8, n=4):
    """``B[i] = A[I[i]]``: a data-dependent index."""
    A, I_, B = buf("A", int32[n_src]), buf("I", int32[n]), buf("B", int32[n])
    i = var("i", index, "loop")
    ld = ir.Load(int32, loc(5, 16), buffer=A, indices=[cast(index, load(I_, i))])
    return build_interpreter(function("gather", [A, I_, B], [], [loop(i, 0, n, [store(B, [i], ld)])]))


def test_oob_load_raises_and_writes_nothing_back():
    m = _gather()
    A = np.arange(8, dtype=np.int32) * 10
    B = np.full(4, -1, np.int32)
    m(A, np.array([1, 2, 3, 4], np.int32), B)
    assert B.tolist() == [10, 20, 30, 40]
    B[:] = -1
    with pytest.raises(AlloIndexError) as err:
        m(A, np.array([1, 2, 8, 0], np.int32), B)
    assert "'A'" in err.value.message and "8" in err.value.message
    assert err.value.loc == loc(5, 16)
    assert B.tolist() == [-1, -1, -1, -1]               # B[0], B[1] were stored, then discarded
    with pytest.raises(AlloIndexError):
        m(A, np.array([-1, 0, 0, 0], np.int32), B)


def test_oob_store_raises_before_writing():
    A, I_ = buf("A", int32[4, 5]), buf("I", int32[3])
    i = var("i", index, "loop")
    st = store(A, [cast(index, load(I_, i)), 2], cast(int32, ref(i)), at=loc(9, 5))
    m = build_interpreter(function("scatter", [A, I_], [], [loop(i, 0, 3, [st])]))
    arr = np.zeros((4, 5), np.int32)
    m(arr, np.array([0, 3, 1], np.int32))
    assert arr[:, 2].tolist() == [0, 2, 0, 1]
    arr[:] = 7
    with pytest.raises(AlloIndexError) as err:
        m(arr, np.array([0, 4, 1], np.int32))
    assert "'A'" in err.value.message and "(4, 2)" in err.value.message
    assert err.value.loc == loc(9, 5)
    assert (arr == 7).all()


def test_static_overrun_is_checked():
    A = buf("A", int32[8])
    i = var("i", index, "loop")
    m = build_interpreter(function("f", [A], [], [loop(i, 0, 9, [store(A, [i], const(int32, 1))])]))
    arr = np.zeros(8, np.int32)
    with pytest.raises(AlloIndexError):
        m(arr)
    assert (arr == 0).all()


def test_argument_errors():
    """Call errors are located at the caller's line; the hint names the parameter and where it
    is declared (the kernel's source), so that both are shown."""
    A = buf("A", int32[4, 3], at=loc(2, 10))
    n = ir.Var("n", int32, loc(2, 30), "arg")
    m = build_interpreter(function("f", [A, n], [], []))

    def here(err, line):
        assert err.value.file == __file__ and err.value.line == line, err.value

    with pytest.raises(AlloTypeError) as err:
        m(np.zeros((3, 4), np.int32), 1)
    here(err, inspect.currentframe().f_lineno - 1)
    msg = err.value.message
    assert "'A'" in msg and "(4, 3)" in msg and "(3, 4)" in msg
    assert f"parameter A: int32[4, 3] is declared at {loc(2, 10)}" in err.value.hint
    with pytest.raises(AlloTypeError) as err:
        m(5, 1)
    here(err, inspect.currentframe().f_lineno - 1)
    assert "'A'" in err.value.message and "got int" in err.value.message
    with pytest.raises(AlloTypeError) as err:
        m(np.zeros((4, 3), np.int32), np.zeros(2))
    here(err, inspect.currentframe().f_lineno - 1)
    assert "'n'" in err.value.message and f"n: int32 is declared at {loc(2, 30)}" in err.value.hint
    with pytest.raises(AlloTypeError) as err:
        m(np.zeros((4, 3), np.int32))
    here(err, inspect.currentframe().f_lineno - 1)
    assert "'n'" in err.value.message and "the kernel is f(A: int32[4, 3], n: int32)" in err.value.hint
    with pytest.raises(AlloTypeError) as err:
        m(np.zeros((4, 3), np.int32), 1, 2)
    here(err, inspect.currentframe().f_lineno - 1)
    assert "takes 2 argument(s), got 3" in err.value.message


def gemm_ir(P, Q, R, t=int32):
    A, B, C = buf("A", t[P, Q]), buf("B", t[Q, R]), buf("C", t[P, R])
    i, j, k = (var(n, index, "loop") for n in "ijk")
    prod = binop("mul", Int(64), load(A, i, k), load(B, k, j))
    acc = binop("add", Int(65), cast(Int(65), load(C, i, j)), cast(Int(65), prod))
    nest = loop(i, 0, P, [loop(j, 0, R, [loop(k, 0, Q, [store(C, [i, j], cast(t, acc))])])])
    return function("gemm", [A, B, C], [], [nest])


def test_gemm_matches_numpy_and_needs_no_checks():
    m = build_interpreter(gemm_ir(13, 17, 11))
    rng = np.random.default_rng(4)
    A = rng.integers(-2**31, 2**31, (13, 17)).astype(np.int32)
    B = rng.integers(-2**31, 2**31, (17, 11)).astype(np.int32)
    C = rng.integers(-2**31, 2**31, (13, 11)).astype(np.int32)
    want = C + A @ B                                    # int32 arithmetic wraps
    m(A, B, C)
    assert (C == want).all()
    assert "_oob" not in m.source and "_ix" not in m.source
    # The loop-invariant row offsets are hoisted out of the inner loops.
    inner = [line for line in m.source.splitlines() if "C[" in line and "=" in line]
    assert inner and all("i *" not in line for line in inner)


def test_triangular_loop_elides_checks_and_data_dependent_index_keeps_them():
    N = 6
    A = buf("A", int32[N, N])
    i, j = var("i", index, "loop"), var("j", index, "loop")
    body = [loop(i, 0, N, [loop(j, 0, binop("add", index, ref(i), const(index, 1)),
                                [store(A, [i, j], cast(int32, binop("add", index, ref(i), ref(j))))])])]
    m = build_interpreter(function("tri", [A], [], body))
    arr = np.zeros((N, N), np.int32)
    m(arr)
    want = np.array([[r + c if c <= r else 0 for c in range(N)] for r in range(N)])
    assert (arr == want).all()
    assert "_oob" not in m.source and "_ix" not in m.source
    src = _gather().source
    assert "_oob" in src and "_ix" not in src


def test_gemm_with_full_range_int32_wraps_like_numpy():
    # The speed of this kernel at PolyBench medium size is measured by bench/bench_interp.py.
    m = build_interpreter(gemm_ir(9, 13, 7))
    rng = np.random.default_rng(5)
    A = rng.integers(-2**31, 2**31, (9, 13)).astype(np.int32)
    B = rng.integers(-2**31, 2**31, (13, 7)).astype(np.int32)
    C = np.zeros((9, 7), np.int32)
    m(A, B, C)
    assert (C == (A.astype(np.int64) @ B.astype(np.int64)).astype(np.int32)).all()


# ---------------------------------------------------------------------------------------------
# Control flow, locals, calls, results


def test_select_is_lazy_and_locals_start_at_zero():
    A, B = buf("A", int32[4]), buf("B", int32[6])
    i, u = var("i", index, "loop"), var("u", int32)
    cond = ir.Compare(UInt(1), L, op="lt", lhs=ref(i), rhs=const(index, 4))
    sel = ir.Select(int32, L, cond=cond, true_value=load(A, i), false_value=ref(u))
    m = build_interpreter(function("f", [A, B], [], [loop(i, 0, 6, [store(B, [i], sel)])]))
    b = np.full(6, 9, np.int32)
    m(np.array([1, 2, 3, 4], np.int32), b)
    assert b.tolist() == [1, 2, 3, 4, 0, 0]


def test_while_if_and_calls():
    # gcd(a, b) with while and mod; top calls it per element and also a helper returning an array.
    a, b = var("a", int32, "arg"), var("b", int32, "arg")
    x, y, t = var("x", int32), var("y", int32), var("t", int32)
    ne = ir.Compare(UInt(1), L, op="ne", lhs=ref(y), rhs=const(int32, 0))
    gcd = function("gcd", [a, b], [int32], [
        assign(x, ref(a)), assign(y, ref(b)),
        ir.While(L, cond=ne, body=[assign(t, ref(y)), assign(y, binop("mod", int32, ref(x), ref(y))),
                                   assign(x, ref(t))]),
        ir.Return(L, values=[ref(x)])])
    X = buf("X", int32[4])
    k = var("k", index, "loop")
    Y = buf("Y", int32[4], "local")
    twice = function("twice", [X], [int32[4]], [
        ir.Decl(L, buffer=Y, init=None),
        loop(k, 0, 4, [store(Y, [k], cast(int32, binop("mul", Int(64), load(X, k), const(int32, 2))))]),
        ir.Return(L, values=[ir.BufferRef(Y.type, L, buffer=Y)])])
    A, B, G = buf("A", int32[4]), buf("B", int32[4]), buf("G", int32[4], "local")
    i, s = var("i", index, "loop"), var("s", int32)
    call_g = ir.CallExpr(int32, L, func=gcd, args=[load(A, i), load(B, i)])
    top = function("top", [A, B], [int32[4], int32], [
        ir.Decl(L, buffer=G, init=np.array([1, 2, 3, 4])),
        ir.CallStmt(L, func=twice, args=[ir.BufferRef(A.type, L, buffer=A)], targets=[G]),
        loop(i, 0, 4, [
            ir.If(L, cond=ir.Compare(UInt(1), L, op="gt", lhs=load(A, i), rhs=const(int32, 10)),
                  then_body=[store(B, [i], call_g)],
                  else_body=[ir.CallStmt(L, func=gcd, args=[load(A, i), const(int32, 6)], targets=[load(B, i)])]),
            assign(s, cast(int32, binop("add", Int(33), ref(s), load(B, i))))]),
        ir.Return(L, values=[ir.BufferRef(G.type, L, buffer=G), ref(s)])])
    top.callees = [twice, gcd]
    m = build_interpreter(top)
    A_ = np.array([12, 9, 100, 4], np.int32)
    B_ = np.array([18, 0, 75, 0], np.int32)
    g, total = m(A_, B_)
    want_b = [math.gcd(12, 18), math.gcd(9, 6), math.gcd(100, 75), math.gcd(4, 6)]
    assert B_.tolist() == want_b
    assert g.tolist() == [24, 18, 200, 8] and g.dtype == np.int32
    assert total == sum(want_b) and isinstance(total, int)


def test_result_dtypes():
    outs = [(UInt(1), np.bool_), (Int(12), np.int16), (UInt(33), np.uint64), (Int(100), object),
            (Fixed(12, 4), np.float64), (bfloat16, np.float32), (float16, np.float16), (float64, np.float64)]
    for t, dt in outs:
        Y = buf("Y", t[2], "local")
        f = function("f", [], [t[2]], [ir.Decl(L, buffer=Y, init=None),
                                        ir.Return(L, values=[ir.BufferRef(Y.type, L, buffer=Y)])])
        y = build_interpreter(f)()
        assert y.dtype == np.dtype(dt) and y.shape == (2,), t
    big = scalar_fn([("a", Int(100))], Int(100), lambda a: binop("mul", Int(100), a, a))
    assert big(2**40 + 3) == wrap((2**40 + 3) ** 2, 100)
    flag = elementwise(int8, UInt(1), 3, lambda a, b: ir.Compare(UInt(1), L, op="lt", lhs=a, rhs=b))
    out = np.zeros(3, np.bool_)
    flag(np.array([1, 5, -3], np.int8), np.array([2, 5, -4], np.int8), out)
    assert out.tolist() == [True, False, False]


# ---------------------------------------------------------------------------------------------
# Random loop nests: bounds are checked exactly


def _affine_index(rng, vs):
    """A random ``c0 + c1*v1 + ...`` index expression (index-typed) and its evaluator."""
    terms = [(int(rng.integers(-2, 3)), v) for v in vs if rng.random() < 0.7]
    c0 = int(rng.integers(-2, 6))
    e = const(index, c0)
    for c, v in terms:
        e = binop("add", index, e, binop("mul", index, ref(v), const(index, c)))
    return e, (lambda env: c0 + sum(c * env[v.name] for c, v in terms))


@pytest.mark.parametrize("seed", range(4))
def test_random_loop_nests_check_bounds_exactly(seed):
    rng = np.random.default_rng(200 + seed)
    for _ in range(30):
        i, j = var("i", index, "loop"), var("j", index, "loop")
        shape = (int(rng.integers(1, 7)), int(rng.integers(1, 7)))
        A = buf("A", int32[shape])
        lo1, hi1, step1 = int(rng.integers(-1, 3)), int(rng.integers(0, 7)), int(rng.choice([1, 2, -1]))
        if step1 < 0:
            lo1, hi1 = hi1, lo1 - 1
        hi2_off = int(rng.integers(-1, 3))
        e0, f0 = _affine_index(rng, [i, j])
        e1, f1 = _affine_index(rng, [i, j])
        value = cast(int32, binop("add", index, binop("mul", index, ref(i), const(index, 100)), ref(j)))
        inner = loop(j, 0, binop("add", index, ref(i), const(index, hi2_off)), [store(A, [e0, e1], value)])
        m = build_interpreter(function("nest", [A], [], [loop(i, lo1, hi1, [inner], step=step1)]))
        want, raised = np.zeros(shape, np.int64), False
        for iv in range(lo1, hi1, step1):
            for jv in range(0, iv + hi2_off):
                env = {"i": iv, "j": jv}
                a, b = f0(env), f1(env)
                if not (0 <= a < shape[0] and 0 <= b < shape[1]):
                    raised = True
                    break
                want[a, b] = iv * 100 + jv
            if raised:
                break
        arr = np.zeros(shape, np.int32)
        if raised:
            with pytest.raises(AlloIndexError):
                m(arr)
            assert (arr == 0).all()
        else:
            m(arr)
            assert (arr == want).all(), m.source


# ---------------------------------------------------------------------------------------------
# Deep expressions, initial values, keyword and read-only arguments


def test_deep_expressions_are_split_for_python():
    n = 300
    X = buf("X", float32[n])
    total = load(X, 0)
    for k in range(1, n):
        total = binop("add", float32, total, load(X, k))
    x = var("x", int32)
    deep = ref(x)
    for k in range(250):
        deep = cast(int32, binop("add", Int(33), deep, const(int32, 1)))
    cond = ir.Compare(UInt(1), L, op="lt", lhs=deep, rhs=const(int32, 1000))
    body = [ir.While(L, cond=cond, body=[assign(x, cast(int32, binop("add", Int(33), ref(x), const(int32, 100))))]),
            ir.Return(L, values=[total, ref(x)])]
    m = build_interpreter(function("deep", [X], [float32, int32], body))
    xs = np.random.default_rng(6).standard_normal(n).astype(np.float32)
    want = xs[0]
    for v in xs[1:]:
        want = np.float32(want + v)                     # one rounding per addition, in order
    got, xv = m(xs)
    assert got == float(want)
    assert xv == 800                                    # first x with x + 250 >= 1000


def test_decl_initial_values_and_keyword_arguments():
    Y = buf("Y", float32[3], "local")
    Z = buf("Z", Fixed(8, 4)[2, 2], "local")
    a = var("a", float32, "arg")
    i = var("i", index, "loop")
    body = [ir.Decl(L, buffer=Y, init=0.1),
            ir.Decl(L, buffer=Z, init=np.array([[16, -3], [200, 7]])),     # raw values, wrapped
            loop(i, 1, 3, [store(Y, [i], binop("add", float32, load(Y, i), ref(a)))]),
            ir.Return(L, values=[ir.BufferRef(Y.type, L, buffer=Y), ir.BufferRef(Z.type, L, buffer=Z)])]
    m = build_interpreter(function("f", [a], [float32[3], Fixed(8, 4)[2, 2]], body))
    y, z = m(a=0.2)
    tenth, fifth = np.float32(0.1), np.float32(0.2)
    assert y.tolist() == [tenth, tenth + fifth, tenth + fifth] and y.dtype == np.float32
    assert z.tolist() == [[1.0, -3 / 16], [(200 - 256) / 16, 7 / 16]]


def test_read_only_arguments():
    A, B = buf("A", int32[3]), buf("B", int32[3])
    i = var("i", index, "loop")
    m = build_interpreter(function("copy", [A, B], [], [loop(i, 0, 3, [store(B, [i], load(A, i))])]))
    a = np.array([1, 2, 3], np.int32)
    a.flags.writeable = False
    b = np.zeros(3, np.int32)
    m(a, b)                                             # reading a read-only array is fine
    assert b.tolist() == [1, 2, 3]
    b.flags.writeable = False
    with pytest.raises(AlloRuntimeError):
        m(np.array([4, 5, 6], np.int32), b)
