"""Arithmetic of every type, edge cases first, end to end through kernels on the interpreter.

Expected values come from independent models in this file (integer wrap-around, a raw-integer
fixed-point model, numpy float32/float16 step by step, a bit-level bfloat16 model), never from
running our own code. (No ``from __future__ import annotations``: see test_language.py.)
"""
import math
import struct

import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.errors import AlloError, AlloIndexError, AlloRuntimeError
from allo_rtl.frontend import typing as rules
from allo_rtl.types import (Fixed, Int, UFixed, UInt, bfloat16, float16, float32, int8, int16,
                            int32, int64, uint8, uint9, uint32)

from .helpers_diagnostics import line_of

INT_MIN, INT_MAX = -2**31, 2**31 - 1


def wrap(v, bits, signed=True):
    v &= (1 << bits) - 1
    if signed and v >> (bits - 1):
        v -= 1 << bits
    return v


def build(fn, **kw):
    return allo.customize(fn, **kw).build()


def f32(x):
    return np.float32(x)


def bf16(x):
    """Round a double to bfloat16 at the bit level: 52 -> 7 stored mantissa bits, nearest even.
    Valid for values in bfloat16's normal range (all this file uses)."""
    u = struct.unpack("<Q", struct.pack("<d", float(x)))[0]
    drop = 52 - 7
    u += (1 << (drop - 1)) - 1 + ((u >> drop) & 1)
    u &= ~((1 << drop) - 1)
    return struct.unpack("<d", struct.pack("<Q", u))[0]


def same_float(a, b):
    a, b = float(a), float(b)
    return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))


# --------------------------------------------------------------------------------------------
# Integers


def make_add_sub_mul(T):
    def k(a: T, b: T) -> (T, T, T):
        s: T = a + b
        d: T = a - b
        p: T = a * b
        return s, d, p
    return k


INT_CASES = [
    (int32, [(INT_MAX, 1), (INT_MIN, 1), (INT_MIN, -1), (65536, 65536), (-7, 3)]),
    (uint8, [(0, 1), (255, 1), (200, 100), (16, 16), (3, 5)]),
    (Int(12), [(2047, 1), (-2048, 1), (-2048, -2048), (100, 50), (-5, 3)]),
    (UInt(12), [(4095, 1), (0, 1), (4000, 100), (64, 64), (7, 9)]),
    (Int(3), [(3, 1), (-4, 1), (-4, -4), (3, 3), (-1, 2)]),
    (UInt(1), [(0, 0), (0, 1), (1, 0), (1, 1)]),
]


@pytest.mark.parametrize("T,a,b", [(T, a, b) for T, pairs in INT_CASES for a, b in pairs],
                         ids=lambda v: repr(v))
def test_integer_add_sub_mul_wrap_on_assignment(T, a, b):
    s, d, p = build(make_add_sub_mul(T))(a, b)
    assert (int(s), int(d), int(p)) == tuple(wrap(v, T.bits, T.signed) for v in (a + b, a - b, a * b))


def test_int32_overflow_wraps():
    def k(a: int32) -> int32:
        c: int32 = a + 1
        return c

    assert int(build(k)(2147483647)) == -2147483648


def test_uint8_zero_minus_one_wraps():
    def k(a: uint8, b: uint8) -> uint8:
        c: uint8 = a - b
        return c

    assert int(build(k)(0, 1)) == 255


def test_arithmetic_on_constants_wraps_like_arithmetic_on_arguments():
    # every operand is known when the kernel is compiled: RTL folds these into constants
    def k(a: int8) -> (int8, int32, uint8, int32):
        p: int8 = 100
        q: int8 = 100
        r: int8 = p + q                 # int9 200, wrapped to int8 on assignment
        u: uint8 = 3
        v: uint8 = 5
        d: int32 = u - v                # uint9: 510
        w: uint8 = p * 3                # int16 300, wrapped to uint8
        e: int32 = (u - v) + a          # a folded uint9 510 plus an argument: wide enough
        return r, d, w, e

    r, d, w, e = build(k)(-3)
    assert (int(r), int(d), int(w), int(e)) == (wrap(200, 8), 510, 300 % 256, 507)


def test_odd_width_arrays():
    I12, U12 = Int(12), UInt(12)

    def k(A: I12[4], B: U12[4]) -> (I12[4], U12[4]):
        C: I12[4] = 0
        D: U12[4] = 0
        for i in range(4):
            C[i] = A[i] + A[i]
            D[i] = B[i] * 3
        return C, D

    A = np.array([2047, -2048, 1000, -3], dtype=np.int16)
    B = np.array([4095, 0, 1366, 7], dtype=np.uint16)
    C, D = build(k)(A, B)
    assert [int(v) for v in C] == [wrap(2 * int(v), 12) for v in A]
    assert [int(v) for v in D] == [wrap(3 * int(v), 12, False) for v in B]


@pytest.mark.parametrize("a", [-1, -128, 127, 5, 0])
def test_sign_extension_when_widening(a):
    def k(a: int8, u: uint8) -> (int32, uint32, int32, int32, int32):
        w: int32 = a
        wu: uint32 = a
        z: int32 = u  # unsigned: zero extension
        t: int32 = a + 256  # int8 + int32 sign-extends a
        b31: int32 = w[31]
        return w, wu, z, t, b31

    u = a & 0xFF
    w, wu, z, t, b31 = build(k)(a, u)
    assert (int(w), int(wu), int(z), int(t), int(b31)) == (a, a % 2**32, u, a + 256, int(a < 0))


def test_int3_to_int8_sign_extends():
    I3 = Int(3)

    def k(a: I3) -> int8:
        b: int8 = a
        return b

    assert [int(build(k)(v)) for v in range(-4, 4)] == list(range(-4, 4))


def test_unsigned_subtraction_follows_allo_widening():
    # Allo types uint8 - uint8 as uint9 (one extra integer bit, still unsigned: typing.add_sub).
    # 3 - 5 = -2 is not a uint9 value; it wraps modulo 2**9 to 510, and that uint9 value is then
    # cast to int32 on assignment (a widening cast, so no further change): 510, not -2.
    assert rules.add_sub(uint8, uint8) == uint9

    def k(a: uint8, b: uint8) -> (int32, int32):
        d: int32 = a - b
        e: int32 = (a - b) - b  # uint9 - uint8 is uint10
        return d, e

    assert rules.add_sub(uint9, uint8) == UInt(10)
    for a, b in [(3, 5), (0, 255), (5, 3), (255, 0)]:
        d, e = build(k)(a, b)
        assert int(d) == (a - b) % 2**9
        assert int(e) == (((a - b) % 2**9) - b) % 2**10


@pytest.mark.parametrize("x", [0xAB, 0x0F, 0xFF, 0x10])
def test_shift_left_wraps_to_left_operand_width(x):
    # typing.shift: the result has the left operand's type, so bits shifted out of a uint8 are lost
    assert rules.shift(uint8, int32) == uint8

    def k(x: uint8, y: int8) -> (uint32, int32):
        r: uint32 = x << 4
        s: int32 = y << 1
        return r, s

    y = wrap(x, 8)
    r, s = build(k)(x, y)
    assert (int(r), int(s)) == ((x << 4) & 0xFF, wrap(y << 1, 8))


@pytest.mark.parametrize("v,n", [(-128, 3), (-1, 7), (127, 2), (-7, 1), (0x80, 3), (0xFF, 7)])
def test_shift_right_arithmetic_signed_logical_unsigned(v, n):
    def k(s: int8, u: uint8, n: int32, w: int32, x: uint32) -> (int8, uint8, int32, uint32):
        return s >> n, u >> n, w >> 31, x >> 31

    s, u = wrap(v, 8), v & 0xFF
    r = build(k)(s, u, n, s * 2**24, (v & 0xFF) << 24)
    assert [int(t) for t in r] == [s >> n, u >> n, -1 if s < 0 else 0, (v & 0xFF) >> 7]


def test_int_min_divided_by_minus_one_wraps():
    # typing.div: int32 / int32 is int32, so the quotient 2**31 wraps in the division itself
    # (observable through a wider destination); typing.neg widens: -int8 is int9, no wrap
    assert rules.div(int32, int32) == int32 and rules.neg(int8) == Int(9)

    def k(a: int32, b: int32, c: int8, d: int8) -> (int64, int64, int64, int16, int8, int16):
        q: int64 = a / b
        f: int64 = a // b
        m: int64 = a % b
        q8: int16 = c / d
        n8: int8 = -c
        n16: int16 = -c
        return q, f, m, q8, n8, n16

    out = build(k)(INT_MIN, -1, -128, -1)
    assert [int(v) for v in out] == [wrap(2**31, 32), wrap(2**31, 32), 0, wrap(128, 8), wrap(128, 8), 128]


@pytest.mark.parametrize("op", ["/", "//", "%"])
def test_division_by_zero_raises(op):
    def div(a: int32, b: int32) -> int32:
        return a / b

    def fdiv(a: int32, b: int32) -> int32:
        return a // b

    def mod(a: int32, b: int32) -> int32:
        return a % b

    mod_ = build({"/": div, "//": fdiv, "%": mod}[op])
    assert int(mod_(7, 2)) == {"/": 3, "//": 3, "%": 1}[op]
    with pytest.raises(AlloRuntimeError) as e:
        mod_(7, 0)
    assert isinstance(e.value, AlloError)


# --------------------------------------------------------------------------------------------
# Fixed point: an independent raw-integer model

Q16, Q32 = Fixed(16, 12), Fixed(32, 24)


def raw(v, f):
    r = v * 2**f
    assert r == int(r), "test inputs must be representable"
    return int(r)


FIXED_CASES = [(1.5, 2.25), (-0.000244140625, 0.5), (0.000244140625, -0.5), (-1.0, 0.000244140625),
               (7.5, 1.0), (-8.0, -8.0), (-8.0, 7.999755859375), (-3.3330078125, 2.0009765625),
               (-0.75, -0.000732421875)]


@pytest.mark.parametrize("a,b", FIXED_CASES)
def test_fixed_add_mul_widen_and_truncating_cast_back(a, b):
    assert rules.mul(Q16, Q16) == Q32

    def k(a: Q16, b: Q16) -> (Q16, Q32, Q16, Q16):
        s: Q16 = a + b
        p: Q32 = a * b
        q: Q16 = p
        d: Q16 = a - b
        return s, p, q, d

    ra, rb = raw(a, 12), raw(b, 12)
    s, p, q, d = build(k)(a, b)
    assert float(s) == wrap(ra + rb, 16) / 2**12
    assert float(p) == wrap(ra * rb, 32) / 2**24
    assert float(q) == wrap((ra * rb) >> 12, 16) / 2**12  # >> floors: toward minus infinity
    assert float(d) == wrap(ra - rb, 16) / 2**12


def test_fixed_negative_product_truncates_toward_minus_infinity():
    def k(a: Q16, b: Q16) -> Q16:
        q: Q16 = a * b
        return q

    # exact product -2**-13 is not a Q16 value: floor gives -2**-12, not 0
    assert float(build(k)(-0.000244140625, 0.5)) == -0.000244140625
    assert float(build(k)(0.000244140625, 0.5)) == 0.0


def test_fixed_arrays_in_and_out_as_floats():
    def k(A: Q16[5]) -> Q16[5]:
        B: Q16[5] = 0.0
        for i in range(5):
            B[i] = A[i] * A[i] - A[i]
        return B

    A = np.array([-1.5, 0.125, 2.999755859375, -0.000244140625, 3.0])
    out = build(k)(A)
    exp = [wrap(((raw(v, 12) ** 2) - (raw(v, 12) << 12)) >> 12, 16) / 2**12 for v in A]
    assert [float(v) for v in out] == exp


def test_fixed_int_conversions():
    def k(a: Q16, i: int32) -> (int32, Q16, Q16):
        n: int32 = a
        x: Q16 = i
        c: Q16 = 0.1
        return n, x, c

    for a, i in [(-1.5, 9), (1.75, -3), (-0.000244140625, 7)]:
        n, x, c = build(k)(a, i)
        assert int(n) == math.floor(a)  # fixed -> int aligns the point, floor
        assert float(x) == wrap(i << 12, 16) / 2**12  # 9 does not fit Q16: wraps
        assert float(c) == math.floor(0.1 * 2**12) / 2**12


def test_float_to_fixed_truncates_toward_minus_infinity():
    def k(a: Q16, y: float32) -> Q16:
        t: Q16 = a * y
        return t

    for a, y in [(-1.0, 0.1), (1.0, 0.1), (-2.5, 0.3)]:
        v = float(f32(a) * f32(y))
        assert float(build(k)(a, y)) == wrap(math.floor(v * 2**12), 16) / 2**12


def test_ufixed():
    UQ, UQ16 = UFixed(8, 4), UFixed(16, 8)
    assert rules.mul(UQ, UQ) == UQ16

    def k(a: UQ, b: UQ) -> (UQ, UQ, UQ16, UQ):
        s: UQ = a + b
        d: UQ = a - b
        p: UQ16 = a * b
        q: UQ = a * b
        return s, d, p, q

    for a, b in [(1.0, 2.0), (15.9375, 0.0625), (3.25, 4.5), (0.0625, 0.0625)]:
        ra, rb = raw(a, 4), raw(b, 4)
        s, d, p, q = build(k)(a, b)
        assert float(s) == wrap(ra + rb, 8, False) / 16
        assert float(d) == wrap(ra - rb, 8, False) / 16
        assert float(p) == wrap(ra * rb, 16, False) / 256
        assert float(q) == wrap((ra * rb) >> 4, 8, False) / 16


# --------------------------------------------------------------------------------------------
# Floats


def test_float32_rounds_every_operation_in_program_order():
    def k(a: float32, b: float32, c: float32) -> float32[6]:
        R: float32[6] = 0.0
        R[0] = (a + b) - a
        R[1] = a + (b - a)
        R[2] = a * b + c
        R[3] = (a - c) * (b + c)
        R[4] = a / c
        R[5] = a * b * c
        return R

    rng = np.random.default_rng(7)
    cases = [(1e8, 1.0, 3.0), (0.1, 0.2, 0.3), (1.0, 1e-8, -1.0), (3.0, 1e-7, 7.0)]
    cases += [tuple(rng.standard_normal(3) * 10.0 ** rng.integers(-3, 4, 3)) for _ in range(8)]
    mod = build(k)
    for a, b, c in cases:
        a, b, c = f32(a), f32(b), f32(c)
        exp = [(a + b) - a, a + (b - a), a * b + c, (a - c) * (b + c), a / c, a * b * c]
        out = mod(float(a), float(b), float(c))
        assert [float(v) for v in out] == [float(e) for e in exp], (a, b, c)
    assert float(mod(1e8, 1.0, 3.0)[0]) == 0.0


def test_float32_overflow_to_inf():
    def k(a: float32, b: float32) -> (float32, float32, float32):
        return a * b, a + a, -a * b

    p, s, n = build(k)(3e38, 10.0)
    assert math.isinf(float(p)) and float(p) > 0
    with np.errstate(over="ignore"):
        assert float(s) == float(f32(3e38) + f32(3e38)) == math.inf
    assert float(n) == -math.inf


@pytest.mark.parametrize("x", [-2.7, 2.7, -0.5, -1.0, 1e9, -2147483648.0, 0.999])
def test_float_to_int_truncates_toward_zero(x):
    def k(x: float32) -> (int32, int32):
        i: int32 = x
        return i, int(x)

    i, j = build(k)(x)
    assert int(i) == int(j) == math.trunc(float(f32(x)))


def test_float_to_int_special_values():
    def k(x: float32) -> int32:
        i: int32 = x
        return i

    mod = build(k)
    assert int(mod(math.nan)) == 0
    assert int(mod(math.inf)) == INT_MAX and int(mod(-math.inf)) == INT_MIN


@pytest.mark.parametrize("v", [16777217, 16777219, 16777215, -16777217, 2**31 - 1, 123456789])
def test_int_to_float_rounds_to_nearest_even(v):
    def k(a: int32) -> (float32, float32):
        f: float32 = a
        return f, float(a)

    f, g = build(k)(v)
    assert float(f) == float(g) == float(np.float32(np.int64(v)))
    if v == 16777217:
        assert float(f) == 16777216.0


F16_CASES = [(1.0, 2**-11), (1.0, 3 * 2**-11), (65504.0, 32.0), (65504.0, 16.0), (0.1, 0.2),
             (2**-24, 2**-24), (-3.140625, 1e-3), (2**-14, -2**-15)]


@pytest.mark.parametrize("a,b", F16_CASES)
def test_float16_rounding_matches_numpy(a, b):
    def k(a: float16, b: float16, x: float32) -> (float16, float16, float16, float16):
        s: float16 = a + b
        p: float16 = a * b
        h: float16 = x
        return s, p, a - b, h

    ha, hb = np.float16(a), np.float16(b)
    x = f32(a) + f32(b)  # a float32 value rounded to float16 on assignment
    out = build(k)(float(ha), float(hb), float(x))
    with np.errstate(over="ignore"):
        exp = [ha + hb, ha * hb, ha - hb, np.float16(x)]
    assert len(out) == 4 and all(same_float(o, e) for o, e in zip(out, exp)), (out, exp)


BF16_CASES = [(1.0, 2**-8), (1.0078125, 2**-8), (1.0078125, 1.0078125), (3.0, 0.0078125),
              (-1.5, 0.01171875), (256.0, 1.0), (1e10, 3.5)]


@pytest.mark.parametrize("a,b", BF16_CASES)
def test_bfloat16_rounding_matches_bit_model(a, b):
    def k(a: bfloat16, b: bfloat16, x: float32) -> (bfloat16, bfloat16, bfloat16):
        s: bfloat16 = a + b
        p: bfloat16 = a * b
        h: bfloat16 = x
        return s, p, h

    a, b = bf16(a), bf16(b)
    x = float(f32(1.0) + f32(2**-9) * f32(3))  # between two bfloat16 values
    s, p, h = build(k)(a, b, x)
    assert float(s) == bf16(a + b)  # a + b and a * b are exact in double for these inputs
    assert float(p) == bf16(a * b)
    assert float(h) == bf16(x)


def test_comparisons_mixing_int_and_float():
    # typing.join(int32, float32) is float32: the integer is converted to float32 first
    assert rules.join(int32, float32) == float32

    def k(i: int32, x: float32) -> int32[4]:
        R: int32[4] = 0
        R[0] = i < x
        R[1] = i == x
        R[2] = x >= i
        R[3] = 2 < x
        return R

    for i, x in [(3, 3.5), (-1, -0.5), (2, 2.0), (-4, -4.25), (16777217, 16777216.0)]:
        fi = float(np.float32(i))
        exp = [fi < x, fi == x, x >= fi, 2 < x]
        assert [int(v) for v in build(k)(i, x)] == [int(e) for e in exp]


def test_mixed_sign_integer_compare_and_bitwise():
    # join(uint32, int32) is int33: the comparison is exact (unlike C's unsigned conversion);
    # bitwise(int8, uint8) is int8, so the uint8 operand's value wraps in the result
    assert rules.join(uint32, int32) == Int(33) and rules.bitwise(int8, uint8) == int8

    def k(u: uint32, i: int32, s: int8, b: uint8) -> (int32, int32, int32):
        return u > i, s & b, s | b

    for u, i, s, b in [(4294967295, -1, -1, 200), (0, -5, 5, 255), (7, 7, -128, 128)]:
        r = build(k)(u, i, s, b)
        assert [int(v) for v in r] == [int(u > i), wrap(s & b, 8), wrap(s | b, 8)]


# --------------------------------------------------------------------------------------------
# Out-of-bounds accesses


def oob_write(A: int32[4], i: int32):
    A[0] = 99
    A[i] = 1


def oob_read(A: int32[4], i: int32) -> int32:
    A[1] = 42
    x: int32 = A[i]
    return x


def oob_loop(A: int32[2, 3]):
    for r in range(2):
        for c in range(4):
            A[r, c] = r + c


@pytest.mark.parametrize("fn,i,text", [(oob_write, 4, "A[i] = 1"), (oob_write, -1, "A[i] = 1"),
                                       (oob_write, 100, "A[i] = 1"), (oob_read, 4, "x: int32 = A[i]"),
                                       (oob_read, -2, "x: int32 = A[i]")])
def test_out_of_bounds_raises_and_leaves_arguments_untouched(fn, i, text):
    A = np.array([5, 6, 7, 8], dtype=np.int32)
    before = A.copy()
    mod = build(fn)
    with pytest.raises(AlloIndexError) as e:
        mod(A, i)
    err = e.value
    assert isinstance(err, AlloError)
    msg = str(err)
    assert "'A'" in msg or " A " in msg
    assert str(i) in msg
    assert text in msg  # the source line is quoted
    assert err.line == line_of(fn, text)
    assert np.array_equal(A, before)


def test_out_of_bounds_in_loop_nest_names_2d_index():
    A = np.arange(6, dtype=np.int32).reshape(2, 3) + 10
    before = A.copy()
    with pytest.raises(AlloIndexError) as e:
        build(oob_loop)(A)
    assert "A" in str(e.value) and "3" in str(e.value)
    assert e.value.line == line_of(oob_loop, "A[r, c] = r + c")
    assert np.array_equal(A, before)
