"""The fuzzer's own model of the kernel language's scalar types and of Allo's typing rules.

Written from the documented semantics (../shared/DESIGN.md, the docstring of allo_rtl/ir/nodes.py)
and from Allo's typing rules (cornell-zhang/allo, allo/ir/typing_rule.py); it imports nothing from
allo_rtl, so that a wrong rule there shows up as a disagreement with this model.

A type is ``Ty(kind, bits, fracs)`` with kind one of int, uint, fixed, ufixed, index. Values are
*raw* integers: a value ``v`` of a type with ``fracs`` fraction bits is held as ``v * 2**fracs``.
``index`` is the loop variables' type: its own arithmetic is exact, and in mixed operations it
counts as an unsigned 32-bit integer.
"""
from __future__ import annotations

from dataclasses import dataclass

KINDS = ("int", "uint", "fixed", "ufixed", "index")


@dataclass(frozen=True)
class Ty:
    kind: str
    bits: int
    fracs: int = 0

    def __post_init__(self):
        assert self.kind in KINDS and self.bits >= 1 and 0 <= self.fracs, self

    @property
    def signed(self) -> bool:
        return self.kind in ("int", "fixed")

    @property
    def is_index(self) -> bool:
        return self.kind == "index"

    @property
    def is_fixed(self) -> bool:
        return self.kind in ("fixed", "ufixed")

    @property
    def is_int(self) -> bool:
        """An integer type (index included), as opposed to fixed point."""
        return not self.is_fixed

    @property
    def raw_min(self) -> int:
        return -(1 << (self.bits - 1)) if self.signed else 0

    @property
    def raw_max(self) -> int:
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1

    def wrap(self, raw: int) -> int:
        """``raw`` reduced modulo 2**bits into the range (index arithmetic is exact: unchanged)."""
        if self.is_index:
            return raw
        raw &= (1 << self.bits) - 1
        if self.signed and raw >> (self.bits - 1):
            raw -= 1 << self.bits
        return raw

    def text(self) -> str:
        """The type as written in a kernel (names from allo_rtl.types)."""
        if self.kind == "index":
            return "index"
        if self.kind == "int":
            return f"int{self.bits}" if self.bits <= 64 else f"Int({self.bits})"
        if self.kind == "uint":
            return f"uint{self.bits}" if self.bits <= 64 else f"UInt({self.bits})"
        return f"{'Fixed' if self.kind == 'fixed' else 'UFixed'}({self.bits}, {self.fracs})"

    def __repr__(self):
        return self.text()


INDEX = Ty("index", 32)
INT32 = Ty("int", 32)
BOOL = Ty("uint", 1)


def Int(bits):
    return Ty("int", bits)


def UInt(bits):
    return Ty("uint", bits)


# ---------------------------------------------------------------------------------------------
# Typing rules. A type's "shape" for mixed operations: (signed, integer bits, fraction bits),
# with index counting as uint32.


class NoRule(Exception):
    """The operation is not defined on these operand types."""


def _shape(t: Ty):
    return t.signed, t.bits - t.fracs, t.fracs


def _build(signed: bool, int_bits: int, fracs: int, fixed: bool) -> Ty:
    bits = max(int_bits + fracs, 1)
    if fixed:
        return Ty("fixed" if signed else "ufixed", bits, fracs)
    return Ty("int" if signed else "uint", bits)


def join(a: Ty, b: Ty, extra: int = 0) -> Ty:
    """The smallest type holding every value of both (compare, select, min/max, mod), plus
    ``extra`` integer bits (add/sub: one)."""
    if a.is_index and b.is_index:
        return INDEX
    sa, ia, fa = _shape(a)
    sb, ib, fb = _shape(b)
    signed = sa or sb
    if signed and not sa:
        ia += 1        # an unsigned value needs a sign bit beside a signed one
    if signed and not sb:
        ib += 1
    return _build(signed, max(ia, ib) + extra, max(fa, fb), a.is_fixed or b.is_fixed)


def add_sub(a, b):
    return join(a, b, 1)


def mul(a, b):
    if a.is_index and b.is_index:
        return INDEX
    # integer bits add up, and so do fraction bits: the raw product is exact at its scale
    return _build(a.signed or b.signed, (a.bits - a.fracs) + (b.bits - b.fracs), a.fracs + b.fracs,
                  a.is_fixed or b.is_fixed)


def div(a, b):
    """``/`` and ``//``. Integers: the dividend's type (signed when the divisor is signed; an
    index dividend is int32 then). Fixed point: enough fraction bits for the divisor's integer
    part, the dividend's bits above (Allo's Fixed/Fixed rule, applied to integers as Fixed(w, 0))."""
    if a.is_index and b.is_index:
        return INDEX
    if a.is_int and b.is_int:
        if b.signed and not a.signed:
            return Int(a.bits)
        return a
    signed = a.signed or b.signed
    extra = 1 if signed and not (a.signed and b.signed) else 0
    fracs = (b.bits - b.fracs) + a.fracs
    return _build(signed, a.bits + b.bits + extra - fracs, fracs, True)


def mod(a, b):
    return join(a, b)


def shift(a, b):
    if b.is_fixed:
        raise NoRule("shift amount must be an integer")
    return a


def bitwise(a, b):
    if a.is_fixed or b.is_fixed:
        raise NoRule("bitwise operations need integers")
    if a.is_index and b.is_index:
        return INDEX
    bits = max(a.bits, b.bits)
    return Int(bits) if (a.signed or b.signed) else UInt(bits)


def neg(a):
    if a.is_index:
        return a
    return _build(True, a.bits - a.fracs + 1, a.fracs, a.is_fixed)


def invert(a):
    if a.is_fixed:
        raise NoRule("~ needs an integer")
    return a


def absolute(a):
    if a.is_index or not a.signed:
        return a
    return _build(True, a.bits - a.fracs + 1, a.fracs, a.is_fixed)


def literal(value: int) -> Ty:
    """The type of an integer literal: int32 when it fits, else the narrowest signed integer."""
    if -(1 << 31) <= value < (1 << 31):
        return INT32
    return Int((value if value >= 0 else ~value).bit_length() + 1)


BINARY = {"add": add_sub, "sub": add_sub, "mul": mul, "div": div, "floordiv": div, "mod": mod,
          "shl": shift, "shr": shift, "and": bitwise, "or": bitwise, "xor": bitwise}
CAST_TO_RESULT = {"add", "sub", "mod", "and", "or", "xor"}   # operands brought to the result type


def cast_raw(raw: int, src: Ty, dst: Ty) -> int:
    """A raw value of ``src`` as a raw value of ``dst``: the binary point aligned (toward minus
    infinity), then wrapped (index: exact)."""
    shift_by = dst.fracs - src.fracs
    raw = raw << shift_by if shift_by >= 0 else raw >> -shift_by
    return dst.wrap(raw)


# ---------------------------------------------------------------------------------------------
# What crosses the Python API (documented in allo_rtl/interp/convert.py)


def output_dtype(t: Ty) -> str:
    """The numpy dtype name of an array result with elements of ``t``."""
    if t.is_fixed:
        return "float64"
    if t.is_index:
        return "int64"
    if t.kind == "uint" and t.bits == 1:
        return "bool"
    for w in (8, 16, 32, 64):
        if t.bits <= w:
            return f"{'int' if t.signed else 'uint'}{w}"
    return "object"


def raw_to_python(raw: int, t: Ty):
    """A scalar result: a Python int, or a float for fixed-point types."""
    if t.is_fixed:
        return raw / (1 << t.fracs)
    return int(raw)
