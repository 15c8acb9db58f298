"""Allo's type rules: the result type of each operation from its operand types.

Integer and fixed-point types are described by (signed, integer bits, fraction bits); ``index``
behaves as a 32-bit unsigned integer in mixed operations, and index-with-index stays ``index``.
Any float operand makes the operation a float operation in the widest float format involved.
"""
from __future__ import annotations

from ..types import AlloType, Fixed, Float, Index, Int, UFixed, UInt, float32, index

INT32 = Int(32)


class RuleError(Exception):
    """No rule for these operand types; the message says why."""


def _shape(t: AlloType):
    return t.signed and not isinstance(t, Index), t.bits - t.fracs, t.fracs


def _make(signed: bool, int_bits: int, fracs: int, fixed: bool) -> AlloType:
    bits = max(int_bits + fracs, 1)
    if fixed:
        return Fixed(bits, fracs) if signed else UFixed(bits, fracs)
    return Int(bits) if signed else UInt(bits)


def _is_fixed(t):
    return isinstance(t, (Fixed, UFixed))


def _float_join(a: AlloType, b: AlloType) -> AlloType:
    floats = [t for t in (a, b) if isinstance(t, Float)]
    return max(floats, key=lambda t: t.bits)


def join(a: AlloType, b: AlloType, extra_int_bits: int = 0) -> AlloType:
    """The smallest type holding both (Allo's select/compare/mod rule), widened by extra bits."""
    if isinstance(a, Float) or isinstance(b, Float):
        return _float_join(a, b)
    if isinstance(a, Index) and isinstance(b, Index):
        return index
    sa, ia, fa = _shape(a)
    sb, ib, fb = _shape(b)
    signed = sa or sb
    ia += 1 if signed and not sa else 0
    ib += 1 if signed and not sb else 0
    return _make(signed, max(ia, ib) + extra_int_bits, max(fa, fb), _is_fixed(a) or _is_fixed(b))


def add_sub(a, b):
    if isinstance(a, Index) and isinstance(b, Index):
        return index
    return join(a, b, extra_int_bits=1)


def mul(a, b):
    if isinstance(a, Float) or isinstance(b, Float):
        return _float_join(a, b)
    if isinstance(a, Index) and isinstance(b, Index):
        return index
    sa, sb = _shape(a)[0], _shape(b)[0]
    fixed = _is_fixed(a) or _is_fixed(b)
    return _make(sa or sb, a.bits + b.bits - a.fracs - b.fracs, a.fracs + b.fracs, fixed)


def div(a, b):
    if isinstance(a, Float) or isinstance(b, Float):
        return _float_join(a, b)
    if isinstance(a, Index) and isinstance(b, Index):
        return index
    if not _is_fixed(a) and not _is_fixed(b):
        if not a.signed and b.signed and not isinstance(b, Index):
            return Int(a.bits)
        return Int(a.bits) if isinstance(a, Index) and b.signed else a
    signed = _shape(a)[0] or _shape(b)[0]
    extra = 1 if signed and not (_shape(a)[0] and _shape(b)[0]) else 0
    fracs = (b.bits - b.fracs if _is_fixed(b) else b.bits) + a.fracs
    return _make(signed, a.bits + b.bits + extra - fracs, fracs, True)


def mod(a, b):
    return join(a, b)


def shift(a, b):
    if isinstance(a, Float) or isinstance(b, Float) or _is_fixed(b):
        raise RuleError("shifts need an integer or fixed-point value and an integer amount")
    return a


def bitwise(a, b):
    if isinstance(a, Float) or isinstance(b, Float) or _is_fixed(a) or _is_fixed(b):
        raise RuleError("bitwise operations need integer operands")
    if isinstance(a, Index) and isinstance(b, Index):
        return index
    signed = _shape(a)[0] or _shape(b)[0]
    return Int(max(a.bits, b.bits)) if signed else UInt(max(a.bits, b.bits))


def neg(a):
    if isinstance(a, Float) or isinstance(a, Index):
        return a
    return _make(True, a.bits - a.fracs + 1, a.fracs, _is_fixed(a))


def invert(a):
    if isinstance(a, Float) or _is_fixed(a):
        raise RuleError("'~' needs an integer operand")
    return a


def abs_type(a):
    if isinstance(a, Float) or isinstance(a, Index) or not a.signed:
        return a
    return _make(True, a.bits - a.fracs + 1, a.fracs, _is_fixed(a))


def constant_type(value) -> AlloType:
    """The type of a literal: int32 when it fits, else the narrowest signed integer; float32."""
    if isinstance(value, bool):
        return UInt(1)
    if isinstance(value, int):
        if INT32.raw_min <= value <= INT32.raw_max:
            return INT32
        return Int((value if value >= 0 else ~value).bit_length() + 1)
    return float32


BINARY_RULES = {
    "add": add_sub, "sub": add_sub, "mul": mul, "div": div, "floordiv": div, "mod": mod,
    "shl": shift, "shr": shift, "and": bitwise, "or": bitwise, "xor": bitwise,
}
