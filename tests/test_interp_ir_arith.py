"""The reference interpreter on hand-built IR (independent of the frontend): integer wrapping and
casts, division, fixed point, floats, bits, random integer expressions.

Arrays, control flow, calls and results are in ``test_interp_ir_programs.py``.

Every expected value comes from numpy or from a direct Python computation of the documented
semantics, never from the interpreter itself. The IR builder is in ``helpers_ir.py``.
"""
import math
from fractions import Fraction

import numpy as np
import pytest

from allo_rtl import ir
from allo_rtl.errors import AlloRuntimeError, AlloValueError
from allo_rtl.interp import build_interpreter
from allo_rtl.types import (Fixed, Int, UInt, bfloat16, float16, float32, float64, index,
                            int8, int32, int64, uint8)

from .helpers_ir import (L, assign, binop, buf, cast, const, elementwise, function, load, loc, ref,
                         same_bits, scalar_fn, var, wrap)


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


def test_scalar_inputs_must_fit_the_declared_type():
    """Arguments are never wrapped or truncated into the parameter's type (DESIGN, Semantics):
    integral floats are exact, so they are accepted; the rest is refused."""
    f = scalar_fn([("a", int8)], int32, lambda a: cast(int32, a))
    assert [f(127), f(-128), f(2.0), f(np.int64(-5)), f(True)] == [127, -128, 2, -5, 1]
    for bad, why in [(200, "out of int8's range (-128 to 127)"), (-129, "out of int8's range"),
                     (2.9, "is not an integer"), (-2.9, "is not an integer"),
                     (math.nan, "is not finite"), (math.inf, "is not finite")]:
        with pytest.raises(AlloValueError) as err:
            f(bad)
        assert f"argument 'a': expected a scalar int8, got {bad!r}" in err.value.message
        assert why in err.value.message


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


def test_fixed_inputs_must_be_on_the_grid_and_results_are_floats():
    f = scalar_fn([("a", Fixed(8, 4))], Fixed(8, 4), lambda a: a)
    assert f(-0.0625) == -1 / 16 and f(0.9375) == 15 / 16 and f(-8.0) == -8.0
    assert f(Fraction(15, 2)) == 7.5
    assert isinstance(f(1), float) and f(1) == 1.0
    for bad, why in [(-0.03, "not a multiple of 2**-4 (the step of Fixed(8, 4))"),
                     (Fraction(1, 32), "not a multiple of 2**-4"),
                     (8.0, "out of Fixed(8, 4)'s range (-8.0 to 7.9375)"), (8, "out of")]:
        with pytest.raises(AlloValueError) as err:
            f(bad)
        assert why in err.value.message, err.value


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
    x = np.array([0.1, -0.1, 7.99, -8.0])
    with pytest.raises(AlloValueError) as err:
        m(x, np.zeros(4))
    assert "X0[0] = 0.1 is not a multiple of 2**-12" in err.value.message
    x = np.round(x * 4096) / 4096                       # the caller's explicit conversion
    y = np.zeros(4)
    m(x, y)
    assert y.tolist() == x.tolist()
    with pytest.raises(AlloValueError) as err:
        m(np.array([0.0, 0.0, 0.0, -8.5]), y)
    assert "X0[3] = -8.5 is out of Fixed(16, 12)'s range (-8.0 to 7.999755859375)" in err.value.message
    assert y.tolist() == x.tolist()                     # nothing written


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
