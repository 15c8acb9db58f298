"""The reference interpreter on hand-built IR (independent of the frontend).

Every expected value comes from numpy or from a direct Python computation of the documented
semantics, never from the interpreter itself.
"""
import math
from fractions import Fraction

import numpy as np
import pytest

from allo_rtl import ir
from allo_rtl.errors import AlloIndexError, AlloRuntimeError, AlloTypeError, SourceLoc
from allo_rtl.interp import build_interpreter
from allo_rtl.types import (Fixed, Int, UInt, bfloat16, float16, float32, float64, index,
                            int8, int32, int64, uint8)

L = SourceLoc("kernel.py", 1, 1)


# ---------------------------------------------------------------------------------------------
# A tiny IR builder


def loc(line, col=1):
    return SourceLoc("kernel.py", line, col)


def var(name, t, kind="local"):
    return ir.Var(name, t, L, kind)


def buf(name, t, kind="arg", at=L):
    return ir.Buffer(name, t, at, kind)


def ref(v):
    return ir.VarRef(v.type, L, var=v)


def const(t, v):
    return ir.Const(t, L, value=v)


def idx(v):
    return const(index, v) if isinstance(v, int) else (ref(v) if isinstance(v, ir.Var) else v)


def binop(op, t, a, b, at=L):
    return ir.BinOp(t, at, op=op, lhs=a, rhs=b)


def cast(t, e):
    return ir.Cast(t, L, operand=e)


def load(b, *ix, at=L):
    return ir.Load(b.elem, at, buffer=b, indices=[idx(i) for i in ix])


def store(b, ix, value, at=L):
    return ir.Store(at, buffer=b, indices=[idx(i) for i in ix], value=value)


def assign(v, e):
    return ir.Assign(L, var=v, value=e)


def loop(v, lo, hi, body, step=1):
    return ir.For(L, var=v, lo=idx(lo), hi=idx(hi), step=step, body=body, name=v.name)


def function(name, params, results, body):
    return ir.Function(name, params, results, body, L)


def scalar_fn(params, result_type, make):
    """A kernel ``f(params...) -> result_type`` returning ``make(*VarRefs)``."""
    vs = [var(n, t, "arg") for n, t in params]
    return build_interpreter(function("f", vs, [result_type], [ir.Return(L, values=[make(*map(ref, vs))])]))


def elementwise(t_in, t_out, n, make, n_in=2):
    """``out[i] = make(in0[i], in1[i], ...)`` over arrays of ``n`` elements; returns the module."""
    ins = [buf(f"X{k}", t_in[n]) for k in range(n_in)]
    out = buf("Y", t_out[n])
    i = var("i", index, "loop")
    body = [loop(i, 0, n, [store(out, [i], make(*[load(b, i) for b in ins]))])]
    return build_interpreter(function("ew", ins + [out], [], body))


def wrap(v, bits, signed=True):
    v &= (1 << bits) - 1
    return v - (1 << bits) if signed and v >> (bits - 1) else v


def same_bits(a, b):
    """Float arrays equal bit for bit (any NaN equal to any NaN)."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    nan = np.isnan(a) & np.isnan(b)
    u = {2: np.uint16, 4: np.uint32, 8: np.uint64}[a.dtype.itemsize]
    ok = (a.view(u) == b.view(u)) | nan
    assert ok.all(), (a[~ok][:5], b[~ok][:5])


# ---------------------------------------------------------------------------------------------
# Integer wrapping and casts


@pytest.mark.parametrize("value", [2**31 - 1, -2**31, 12345])
def test_int32_add_wraps_on_cast(value):
    f = scalar_fn([("a", int32), ("b", int32)], int32,
                  lambda a, b: cast(int32, binop("add", Int(33), cast(Int(33), a), cast(Int(33), b))))
    assert f(value, 1) == wrap(value + 1, 32)
    assert f(value, value) == wrap(2 * value, 32)


def test_narrowing_casts_wrap():
    to_u8 = scalar_fn([("a", int32)], uint8, lambda a: cast(uint8, a))
    assert to_u8(-1) == 255
    assert to_u8(-200) == 56
    assert to_u8(300) == 44
    to_i12 = scalar_fn([("a", int32)], Int(12), lambda a: cast(Int(12), a))
    for v in (2047, 2048, 4095, 4096, -2049, 100000, -100000):
        assert to_i12(v) == wrap(v, 12), v


def test_widening_cast_sign_extends():
    f = scalar_fn([("a", int8)], Int(16), lambda a: cast(Int(16), a))
    assert f(-5) == -5
    assert f(-128) == -128
    # The extended value's high bits are ones.
    g = scalar_fn([("a", int8)], UInt(8), lambda a: ir.BitRead(UInt(8), L, operand=cast(Int(16), a),
                                                              lo=const(index, 8), width=8))
    assert g(-5) == 0xFF
    assert g(5) == 0
    # From unsigned, zero extension.
    h = scalar_fn([("a", uint8)], Int(16), lambda a: cast(Int(16), a))
    assert h(250) == 250


def test_scalar_inputs_wrap_into_declared_type():
    f = scalar_fn([("a", int8)], int32, lambda a: cast(int32, a))
    assert f(200) == 200 - 256
    assert f(-129) == 127
    assert f(2.9) == 2 and f(-2.9) == -2


def test_shl_wraps_and_negative_shift_raises():
    f = scalar_fn([("a", int8), ("s", int32)], int8, lambda a, s: binop("shl", int8, a, s, at=loc(7, 3)))
    for a, s in [(1, 7), (3, 6), (-1, 4), (100, 1), (5, 0), (1, 8), (1, 40), (7, 100000)]:
        assert f(a, s) == wrap(a << s, 8), (a, s)
    with pytest.raises(AlloRuntimeError) as err:
        f(1, -1)
    assert err.value.loc == loc(7, 3)
    g = scalar_fn([("a", int8), ("s", int32)], int8, lambda a, s: binop("shr", int8, a, s))
    assert [g(-128, 3), g(-1, 30), g(100, 2), g(-7, 1)] == [-16, -1, 25, -4]


# ---------------------------------------------------------------------------------------------
# Division


def _trunc_div(a, b):
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


@pytest.mark.parametrize("a,b", [(7, 2), (-7, 2), (7, -2), (-7, -2), (6, 3), (-6, 4), (0, -5), (1, 7)])
def test_div_floordiv_mod_signs(a, b):
    div = scalar_fn([("a", int32), ("b", int32)], int32, lambda x, y: binop("div", int32, x, y))
    fdiv = scalar_fn([("a", int32), ("b", int32)], int32, lambda x, y: binop("floordiv", int32, x, y))
    mod = scalar_fn([("a", int32), ("b", int32)], int32, lambda x, y: binop("mod", int32, x, y))
    assert div(a, b) == int(a / b) == _trunc_div(a, b)
    assert fdiv(a, b) == math.floor(a / b)
    assert mod(a, b) == int(math.fmod(a, b))
    assert mod(a, b) == a - b * _trunc_div(a, b)


def test_int_min_divided_by_minus_one():
    div32 = scalar_fn([("a", int32), ("b", int32)], int32, lambda x, y: binop("div", int32, x, y))
    assert div32(-2**31, -1) == -2**31              # wraps
    div33 = scalar_fn([("a", int32), ("b", int32)], Int(33), lambda x, y: binop("div", Int(33), x, y))
    assert div33(-2**31, -1) == 2**31
    mod = scalar_fn([("a", int32), ("b", int32)], int32, lambda x, y: binop("mod", int32, x, y))
    assert mod(-2**31, -1) == 0


@pytest.mark.parametrize("op", ["div", "floordiv", "mod"])
def test_division_by_zero_raises_with_location(op):
    at = loc(12, 9)
    f = scalar_fn([("a", int32), ("b", int32)], int32, lambda x, y: binop(op, int32, x, y, at=at))
    with pytest.raises(AlloRuntimeError) as err:
        f(5, 0)
    assert err.value.loc == at
    assert "by zero" in err.value.message


# ---------------------------------------------------------------------------------------------
# Fixed point


def _fixed_raw(v, f):
    return math.floor(Fraction(v) * 2**f)


@pytest.mark.parametrize("value", [-1.03125, -0.0078125, -3.99609375, 1.03125, 7.99609375, 9.5, -9.5, -8.0])
def test_fixed_cast_truncates_toward_minus_infinity_and_wraps(value):
    f = scalar_fn([("a", Fixed(16, 8))], Fixed(8, 4), lambda a: cast(Fixed(8, 4), a))
    raw = wrap(_fixed_raw(value, 4), 8)                 # floor, then wrap to 8 bits
    assert f(value) == raw / 16
    # Float to fixed: floor(v * 2**f), wrapped.
    g = scalar_fn([("a", float64)], Fixed(8, 4), lambda a: cast(Fixed(8, 4), a))
    assert g(value) == raw / 16


def test_fixed_inputs_are_floored_and_results_are_floats():
    f = scalar_fn([("a", Fixed(8, 4))], Fixed(8, 4), lambda a: a)
    assert f(-0.03) == -1 / 16                          # floor(-0.48) = -1
    assert f(0.99) == 15 / 16
    assert isinstance(f(1), float) and f(1) == 1.0
    assert f(8.0) == -8.0                               # wraps


def test_fixed_add_mul_div():
    q = Fixed(8, 4)
    add = scalar_fn([("a", q), ("b", q)], Fixed(9, 4), lambda a, b: binop("add", Fixed(9, 4), a, b))
    mul = scalar_fn([("a", q), ("b", q)], Fixed(16, 8), lambda a, b: binop("mul", Fixed(16, 8), a, b))
    back = scalar_fn([("a", q), ("b", q)], q,
                     lambda a, b: cast(q, binop("mul", Fixed(16, 8), a, b)))
    vals = [-8.0, -2.3125, -0.0625, 0.0, 0.4375, 1.5, 7.9375]
    for a in vals:
        for b in vals:
            assert add(a, b) == a + b
            assert mul(a, b) == a * b                       # exact at scale 2**8
            assert back(a, b) == wrap(math.floor(a * b * 16), 8) / 16
    # Int * Fixed has the fixed operand's scale; a result with fewer fraction bits truncates.
    im = scalar_fn([("a", int8), ("b", q)], Fixed(16, 2), lambda a, b: binop("mul", Fixed(16, 2), a, b))
    assert im(3, -1.0625) == math.floor(3 * -1.0625 * 4) / 4
    # Division: trunc / floor of the exact quotient at the result's scale.
    q16 = Fixed(16, 8)
    div = scalar_fn([("a", q16), ("b", q16)], Fixed(32, 8), lambda a, b: binop("div", Fixed(32, 8), a, b))
    fdv = scalar_fn([("a", q16), ("b", q16)], Fixed(32, 8), lambda a, b: binop("floordiv", Fixed(32, 8), a, b))
    assert div(1.0, 3.0) == 85 / 256 and div(-1.0, 3.0) == -85 / 256
    assert fdv(1.0, 3.0) == 85 / 256 and fdv(-1.0, 3.0) == -86 / 256
    assert div(-2.5, 0.5) == -5.0


def test_fixed_array_io():
    q = Fixed(16, 12)
    m = elementwise(q, q, 4, lambda a: a, n_in=1)
    x = np.array([0.1, -0.1, 7.99, -8.5])
    y = np.zeros(4)
    m(x, y)
    want = [wrap(math.floor(v * 4096), 16) / 4096 for v in x]
    assert y.tolist() == want


# ---------------------------------------------------------------------------------------------
# Floats


def test_float32_rounds_after_every_operation():
    f = scalar_fn([("a", float32), ("b", float32)], float32,
                  lambda a, b: binop("sub", float32, binop("add", float32, a, b), a))
    want = (np.float32(1e8) + np.float32(1.0)) - np.float32(1e8)
    assert want == 0.0
    assert f(1e8, 1.0) == float(want) == 0.0
    g = scalar_fn([("a", float64), ("b", float64)], float64,
                  lambda a, b: binop("sub", float64, binop("add", float64, a, b), a))
    assert g(1e8, 1.0) == 1.0


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_float32_ops_match_numpy(op):
    rng = np.random.default_rng(1)
    n = 4000
    with np.errstate(over="ignore"):
        a = (rng.standard_normal(n) * np.exp2(rng.integers(-140, 130, n))).astype(np.float32)
        b = (rng.standard_normal(n) * np.exp2(rng.integers(-140, 130, n))).astype(np.float32)
    b[:4] = [0.0, -0.0, np.inf, np.nan]
    m = elementwise(float32, float32, n, lambda x, y: binop(op, float32, x, y))
    y = np.zeros(n, np.float32)
    m(a, b, y)
    with np.errstate(all="ignore"):
        want = {"add": a + b, "sub": a - b, "mul": a * b, "div": a / b}[op]
    same_bits(y, want)


def test_float32_overflow_gives_infinity():
    f = scalar_fn([("a", float32), ("b", float32)], float32, lambda a, b: binop("mul", float32, a, b))
    assert f(3e38, 10.0) == math.inf
    assert f(-3e38, 10.0) == -math.inf
    g = scalar_fn([("a", float64)], float32, lambda a: cast(float32, a))
    with np.errstate(over="ignore"):
        assert g(1e39) == float(np.float32(1e39)) == math.inf
    assert g(3.4028235e38) == float(np.float32(3.4028235e38))
    d = scalar_fn([("a", float32), ("b", float32)], float32, lambda a, b: binop("div", float32, a, b))
    assert d(1.0, 0.0) == math.inf and d(-1.0, 0.0) == -math.inf and math.isnan(d(0.0, 0.0))


def test_float_mod_and_floordiv():
    mod = scalar_fn([("a", float64), ("b", float64)], float64, lambda a, b: binop("mod", float64, a, b))
    assert mod(-7.5, 2.0) == math.fmod(-7.5, 2.0) == -1.5
    assert math.isnan(mod(1.0, 0.0)) and math.isnan(mod(math.inf, 1.0))
    fd = scalar_fn([("a", float32), ("b", float32)], float32, lambda a, b: binop("floordiv", float32, a, b))
    assert fd(-7.5, 2.0) == -4.0 and fd(7.5, 2.0) == 3.0


def test_float_to_int_truncates_nan_zero_inf_saturates():
    f = scalar_fn([("a", float64)], int32, lambda a: cast(int32, a))
    assert [f(2.7), f(-2.7), f(-0.5), f(1e-300)] == [2, -2, 0, 0]
    assert f(math.nan) == 0
    assert f(math.inf) == 2**31 - 1 and f(-math.inf) == -2**31
    assert f(3e9) == wrap(3000000000, 32)
    u = scalar_fn([("a", float32)], uint8, lambda a: cast(uint8, a))
    assert u(-1.5) == 255 and u(300.25) == 44


def test_int_to_float_rounds_once():
    # 2**60 + 2**36 + 1 rounds up to 2**60 + 2**37 in float32; going through float64 first would
    # give the tie 2**60 + 2**36 and round it to even, 2**60.
    f = scalar_fn([("a", int64)], float32, lambda a: cast(float32, a))
    assert f(2**60 + 2**36 + 1) == 2.0**60 + 2.0**37
    assert f(2**60 + 2**36) == 2.0**60
    assert f(16777217) == 16777216.0 and f(16777219) == 16777220.0
    g = scalar_fn([("a", Fixed(16, 8))], float32, lambda a: cast(float32, a))
    assert g(-1.00390625) == -1.00390625


def test_float16_ops_match_numpy():
    rng = np.random.default_rng(2)
    n = 3000
    a = (rng.standard_normal(n) * np.exp2(rng.integers(-20, 14, n))).astype(np.float16)
    b = (rng.standard_normal(n) * np.exp2(rng.integers(-20, 14, n))).astype(np.float16)
    for op, npop in [("add", np.add), ("mul", np.multiply), ("div", np.divide)]:
        m = elementwise(float16, float16, n, lambda x, y: binop(op, float16, x, y))
        y = np.zeros(n, np.float16)
        m(a, b, y)
        with np.errstate(all="ignore"):
            same_bits(y, npop(a, b))
    # float64 -> float16 casts, including overflow and subnormals.
    c = elementwise(float64, float16, 6, lambda x: cast(float16, x), n_in=1)
    x = np.array([65519.0, 65520.0, 1e-8, 3e-8, -2.9802322387695312e-08, 0.1])
    y = np.zeros(6, np.float16)
    c(x, y)
    with np.errstate(over="ignore"):
        same_bits(y, x.astype(np.float16))


def _bf16_from_f32(x):
    """Round float32 values to bfloat16 (nearest even on the bit pattern), as float32."""
    u = np.asarray(x, np.float32).view(np.uint32).astype(np.uint64)
    r = (u + 0x7FFF + ((u >> 16) & 1)) >> 16 << 16
    out = r.astype(np.uint32).view(np.float32)
    return np.where(np.isnan(x), np.float32(np.nan), out)


def test_bfloat16_matches_bit_pattern_rounding():
    rng = np.random.default_rng(3)
    n = 3000
    a = _bf16_from_f32((rng.standard_normal(n) * np.exp2(rng.integers(-130, 120, n))).astype(np.float32))
    b = _bf16_from_f32((rng.standard_normal(n) * np.exp2(rng.integers(-130, 120, n))).astype(np.float32))
    for op, npop in [("add", np.add), ("sub", np.subtract), ("mul", np.multiply)]:
        m = elementwise(bfloat16, bfloat16, n, lambda x, y: binop(op, bfloat16, x, y))
        y = np.zeros(n, np.float32)
        m(a, b, y)
        with np.errstate(all="ignore"):
            same_bits(y, _bf16_from_f32(npop(a, b)))   # exact in float32, so one rounding
    c = elementwise(float32, bfloat16, n, lambda x: cast(bfloat16, x), n_in=1)
    x = (rng.standard_normal(n) * 1000).astype(np.float32)
    y = np.zeros(n, np.float32)
    c(x, y)
    same_bits(y, _bf16_from_f32(x))


def test_float_min_max_propagate_nan():
    mn = scalar_fn([("a", float32), ("b", float32)], float32,
                   lambda a, b: ir.MinMax(float32, L, op="min", values=[a, b]))
    mx = scalar_fn([("a", float32), ("b", float32)], float32,
                   lambda a, b: ir.MinMax(float32, L, op="max", values=[a, b]))
    assert mn(1.0, 2.0) == 1.0 and mx(1.0, 2.0) == 2.0
    assert math.isnan(mn(math.nan, 1.0)) and math.isnan(mn(1.0, math.nan))
    assert math.isnan(mx(math.nan, 1.0)) and math.isnan(mx(1.0, math.nan))
    assert math.copysign(1, mn(0.0, -0.0)) == -1 and math.copysign(1, mx(-0.0, 0.0)) == 1


# ---------------------------------------------------------------------------------------------
# Bits


def test_bit_read_on_signed_values():
    bit = scalar_fn([("a", int8), ("lo", index)], UInt(1),
                    lambda a, lo: ir.BitRead(UInt(1), L, operand=a, lo=lo, width=1))
    for a in (-2, -128, 127, 5):
        for k in range(8):
            assert bit(a, k) == (a & 0xFF) >> k & 1
    field = scalar_fn([("a", int8)], UInt(7), lambda a: ir.BitRead(UInt(7), L, operand=a, lo=const(index, 1), width=7))
    assert field(-2) == 0x7F
    at = loc(20, 4)
    bad = scalar_fn([("a", int8), ("lo", index)], UInt(4),
                    lambda a, lo: ir.BitRead(UInt(4), at, operand=a, lo=lo, width=4))
    assert bad(-1, 4) == 15
    for lo in (5, -1):
        with pytest.raises(AlloRuntimeError) as err:
            bad(-1, lo)
        assert err.value.loc == at


def test_bit_store_on_signed_scalar_and_array_element():
    x = var("x", int8)
    a = var("a", int8, "arg")
    v = var("v", UInt(4), "arg")
    body = [assign(x, ref(a)),
            ir.BitStore(L, target=ref(x), lo=const(index, 4), width=4, value=ref(v)),
            ir.Return(L, values=[ref(x)])]
    f = build_interpreter(function("f", [a, v], [int8], body))
    for av in (-1, 0, 0x35, -128):
        for vv in (0, 5, 8, 15):
            assert f(av, vv) == wrap(((av & 0xFF) & 0x0F) | (vv << 4), 8), (av, vv)
    # Array element with a run-time bit position.
    A = buf("A", int8[3])
    lo = var("lo", index, "arg")
    bit = var("bit", UInt(1), "arg")
    body = [ir.BitStore(L, target=load(A, 1), lo=ref(lo), width=1, value=ref(bit))]
    g = build_interpreter(function("g", [A, lo, bit], [], body))
    arr = np.array([1, -1, 3], np.int8)
    g(arr, 7, 0)
    assert arr.tolist() == [1, 127, 3]
    g(arr, 7, 1)
    assert arr.tolist() == [1, -1, 3]
    g(arr, 0, 0)
    assert arr.tolist() == [1, -2, 3]


def test_reverse():
    r8 = scalar_fn([("a", int8)], int8, lambda a: ir.Reverse(int8, L, operand=a))
    for a in (-128, 1, -2, 0x35, 0):
        pattern = format(a & 0xFF, "08b")[::-1]
        assert r8(a) == wrap(int(pattern, 2), 8)
    r12 = scalar_fn([("a", UInt(12))], UInt(12), lambda a: ir.Reverse(UInt(12), L, operand=a))
    assert r12(1) == 2048 and r12(0b110) == 0b011 << 9


def test_invert_and_neg():
    inv_u = scalar_fn([("a", uint8)], uint8, lambda a: ir.UnaryOp(uint8, L, op="invert", operand=a))
    inv_s = scalar_fn([("a", int8)], int8, lambda a: ir.UnaryOp(int8, L, op="invert", operand=a))
    neg = scalar_fn([("a", int8)], int8, lambda a: ir.UnaryOp(int8, L, op="neg", operand=a))
    assert inv_u(5) == 250 and inv_s(5) == -6 and inv_s(-128) == 127
    assert neg(-128) == -128 and neg(5) == -5


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
    A = buf("A", int32[4, 3], at=loc(2, 10))
    n = ir.Var("n", int32, loc(2, 30), "arg")
    m = build_interpreter(function("f", [A, n], [], []))
    with pytest.raises(AlloTypeError) as err:
        m(np.zeros((3, 4), np.int32), 1)
    msg = err.value.message
    assert "'A'" in msg and "(4, 3)" in msg and "(3, 4)" in msg and err.value.loc == loc(2, 10)
    with pytest.raises(AlloTypeError) as err:
        m(5, 1)
    assert "'A'" in err.value.message and err.value.loc == loc(2, 10)
    with pytest.raises(AlloTypeError) as err:
        m(np.zeros((4, 3), np.int32), np.zeros(2))
    assert "'n'" in err.value.message and err.value.loc == loc(2, 30)
    with pytest.raises(AlloTypeError) as err:
        m(np.zeros((4, 3), np.int32))
    assert "'n'" in err.value.message and err.value.loc == loc(2, 30)
    with pytest.raises(AlloTypeError):
        m(np.zeros((4, 3), np.int32), 1, 2)


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
# Random integer expressions against a naive evaluator that wraps every node


class _Raise(Exception):
    pass


def _naive(e, env):
    """The documented integer semantics, wrapping every result to its node's type."""
    t = e.type

    def w(v):
        return v if isinstance(t, type(index)) else t.wrap(v)

    if isinstance(e, ir.Const):
        return e.value
    if isinstance(e, ir.VarRef):
        return env[e.var.name]
    if isinstance(e, ir.Cast):
        return w(_naive(e.operand, env))
    if isinstance(e, ir.UnaryOp):
        a = _naive(e.operand, env)
        return w(-a if e.op == "neg" else ~a)
    if isinstance(e, ir.Abs):
        return w(abs(_naive(e.operand, env)))
    if isinstance(e, ir.Compare):
        a, b = _naive(e.lhs, env), _naive(e.rhs, env)
        return int({"lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b, "eq": a == b, "ne": a != b}[e.op])
    if isinstance(e, ir.Select):
        return w(_naive(e.true_value if _naive(e.cond, env) else e.false_value, env))
    if isinstance(e, ir.MinMax):
        return w((min if e.op == "min" else max)(_naive(v, env) for v in e.values))
    if isinstance(e, ir.BitRead):
        a, lo = _naive(e.operand, env), _naive(e.lo, env)
        if not 0 <= lo <= e.operand.type.bits - e.width:
            raise _Raise
        return w((a >> lo) & ((1 << e.width) - 1))
    a, b = _naive(e.lhs, env), _naive(e.rhs, env)
    if e.op in ("div", "floordiv", "mod") and b == 0:
        raise _Raise
    if e.op in ("shl", "shr") and b < 0 or e.op == "shl" and isinstance(t, type(index)) and a and b >= 1024:
        raise _Raise
    if e.op == "div":
        return w(int(Fraction(a, b)))                 # int() of a Fraction truncates
    if e.op == "mod":
        return w(a - b * int(Fraction(a, b)))
    return w({"add": a + b, "sub": a - b, "mul": a * b, "floordiv": a // b if e.op == "floordiv" else 0,
              "shl": (a << b if b < 4096 else 0) if e.op == "shl" else 0, "shr": a >> b if e.op == "shr" else 0,
              "and": a & b, "or": a | b, "xor": a ^ b}[e.op])


def _random_expr(rng, leaves, depth):
    types = [Int(w) for w in (1, 3, 8, 12, 32, 33, 64, 70)] + [UInt(w) for w in (1, 4, 8, 16, 32, 65)] + [index]
    t = types[rng.integers(len(types))]
    if depth == 0 or rng.random() < 0.2:
        if rng.random() < 0.6:
            return ref(leaves[rng.integers(len(leaves))])
        if isinstance(t, type(index)):
            return const(t, int(rng.integers(-5, 40)))
        return const(t, t.raw_min + int(rng.random() * (t.raw_max - t.raw_min + 1)))
    sub = lambda: _random_expr(rng, leaves, depth - 1)  # noqa: E731
    kind = rng.integers(8)
    if kind <= 2:
        op = ["add", "sub", "mul", "div", "floordiv", "mod", "shl", "shr", "and", "or", "xor"][rng.integers(11)]
        rhs = sub()
        if op in ("shl", "shr") and rng.random() < 0.7:
            rhs = cast(UInt(3), rhs)
        return binop(op, t, sub(), rhs)
    if kind == 3:
        return cast(t, sub())
    if kind == 4:
        return ir.UnaryOp(t, L, op=["neg", "invert"][rng.integers(2)], operand=sub())
    if kind == 5:
        cond = ir.Compare(UInt(1), L, op=["lt", "le", "eq", "ne"][rng.integers(4)], lhs=sub(), rhs=sub())
        return ir.Select(t, L, cond=cond, true_value=sub(), false_value=sub())
    if kind == 6:
        return ir.MinMax(t, L, op=["min", "max"][rng.integers(2)], values=[sub(), sub(), sub()][: 2 + rng.integers(2)])
    opnd = sub()
    width = int(rng.integers(1, 5))
    lo = const(index, int(rng.integers(0, max(1, opnd.type.bits - width + 1))))
    return ir.BitRead(UInt(width), L, operand=opnd, lo=lo if rng.random() < 0.7 else cast(index, sub()),
                      width=width)


@pytest.mark.parametrize("seed", range(6))
def test_random_integer_expressions(seed):
    rng = np.random.default_rng(100 + seed)
    params = [var("a", int8, "arg"), var("b", UInt(16), "arg"), var("c", Int(40), "arg"), var("n", index, "arg")]
    for _ in range(40):
        e = _random_expr(rng, params, 4)
        if isinstance(e.type, type(index)):
            e = cast(Int(80), e)
        m = build_interpreter(function("f", params, [e.type], [ir.Return(L, values=[e])]))
        for _ in range(6):
            args = [int(rng.integers(-128, 128)), int(rng.integers(0, 2**16)),
                    int(rng.integers(-2**39, 2**39)), int(rng.integers(-3, 20))]
            env = dict(zip("abcn", args))
            try:
                want = _naive(e, env)
            except _Raise:
                with pytest.raises(AlloRuntimeError):
                    m(*args)
                continue
            assert m(*args) == want, m.source


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
