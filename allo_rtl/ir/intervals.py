"""Integer intervals: what the interpreter's code generator and hardware generation prove.

An ``Interval`` bounds the raw integer values an expression can take. A bound of ``None`` means
unbounded on that side. The interpreter uses intervals to leave out wraps (a value whose interval
is inside its type's raw range needs none) and bounds checks (an index whose interval is inside
``[0, dim)`` needs none); hardware generation leaves out the run-time checks they prove needless.
Every rule here must be sound: the real value always lies inside.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..types import Index, is_fixed_or_int

# Shifts by more than this many bits give an unbounded interval rather than a huge integer.
_MAX_SHIFT = 4096


@dataclass(frozen=True)
class Interval:
    lo: int | None
    hi: int | None

    @property
    def bounded(self) -> bool:
        return self.lo is not None and self.hi is not None

    def within(self, lo: int, hi: int) -> bool:
        """Every value is in ``[lo, hi]``."""
        return self.lo is not None and self.hi is not None and lo <= self.lo and self.hi <= hi

    def nonneg(self) -> bool:
        return self.lo is not None and self.lo >= 0

    def positive(self) -> bool:
        return self.lo is not None and self.lo > 0

    def excludes_zero(self) -> bool:
        return (self.lo is not None and self.lo > 0) or (self.hi is not None and self.hi < 0)

    def __repr__(self):
        return f"[{self.lo}, {self.hi}]"


UNBOUNDED = Interval(None, None)
BOOL = Interval(0, 1)


def point(v: int) -> Interval:
    return Interval(v, v)


def of_type(t) -> Interval:
    """The raw range of an integer or fixed type; Index arithmetic is exact, so unbounded."""
    if isinstance(t, Index) or not is_fixed_or_int(t):
        return UNBOUNDED
    return Interval(t.raw_min, t.raw_max)


def _add(a, b):
    return None if a is None or b is None else a + b


def add(x: Interval, y: Interval) -> Interval:
    return Interval(_add(x.lo, y.lo), _add(x.hi, y.hi))


def neg(x: Interval) -> Interval:
    return Interval(None if x.hi is None else -x.hi, None if x.lo is None else -x.lo)


def sub(x: Interval, y: Interval) -> Interval:
    return add(x, neg(y))


def invert(x: Interval) -> Interval:
    """``~x == -x - 1``."""
    return add(neg(x), point(-1))


def mul(x: Interval, y: Interval) -> Interval:
    if x == point(0) or y == point(0):
        return point(0)
    if not (x.bounded and y.bounded):
        # Sign-aware bounds when one side is unbounded are rarely useful: give up.
        return UNBOUNDED
    products = (x.lo * y.lo, x.lo * y.hi, x.hi * y.lo, x.hi * y.hi)
    return Interval(min(products), max(products))


def scale(x: Interval, c: int) -> Interval:
    return mul(x, point(c))


def union(*xs: Interval) -> Interval:
    los = [x.lo for x in xs]
    his = [x.hi for x in xs]
    return Interval(None if None in los else min(los), None if None in his else max(his))


def minimum(*xs: Interval) -> Interval:
    los = [x.lo for x in xs]
    his = [x.hi for x in xs if x.hi is not None]
    return Interval(None if None in los else min(los), min(his) if his else None)


def maximum(*xs: Interval) -> Interval:
    los = [x.lo for x in xs if x.lo is not None]
    his = [x.hi for x in xs]
    return Interval(max(los) if los else None, None if None in his else max(his))


def magnitude(x: Interval) -> int | None:
    """The largest absolute value, or None when unbounded."""
    if not x.bounded:
        return None
    return max(abs(x.lo), abs(x.hi))


def absolute(x: Interval) -> Interval:
    if x.nonneg():
        return x
    if x.hi is not None and x.hi <= 0:
        return neg(x)
    m = magnitude(x)
    return Interval(0, m)


def shift_left(x: Interval, amount: Interval) -> Interval:
    """``x << s`` for ``s`` in ``amount`` (negative amounts raise, so they are left out)."""
    s0 = max(amount.lo if amount.lo is not None else 0, 0)
    s1 = amount.hi
    if s1 is None or s1 > _MAX_SHIFT or not x.bounded:
        return UNBOUNDED
    s1 = max(s1, s0)
    vals = (x.lo << s0, x.lo << s1, x.hi << s0, x.hi << s1)
    return Interval(min(vals), max(vals))


def shift_right(x: Interval, amount: Interval) -> Interval:
    """Arithmetic ``x >> s`` for ``s`` in ``amount``: monotone in ``x``, toward 0 or -1 in ``s``."""
    s0 = max(amount.lo if amount.lo is not None else 0, 0)
    s1 = amount.hi
    if s1 is not None:
        s1 = max(s1, s0)
    lo = hi = None
    if x.lo is not None:
        lo = min(x.lo >> s0, -1 if s1 is None else x.lo >> s1) if x.lo < 0 else (0 if s1 is None else x.lo >> s1)
    if x.hi is not None:
        hi = x.hi >> s0 if x.hi >= 0 else (-1 if s1 is None else max(x.hi >> s0, x.hi >> s1))
    return Interval(lo, hi)


def rescale(x: Interval, shift: int) -> Interval:
    """Multiply by ``2**shift`` (shift >= 0) or floor-divide by ``2**-shift``."""
    if shift == 0:
        return x
    if shift > 0:
        return Interval(None if x.lo is None else x.lo << shift, None if x.hi is None else x.hi << shift)
    s = -shift
    return Interval(None if x.lo is None else x.lo >> s, None if x.hi is None else x.hi >> s)


def bitwise(op: str, x: Interval, y: Interval) -> Interval:
    """``and``/``or``/``xor`` on two's-complement integers of unbounded width."""
    if op == "and":
        # x & y with one side non-negative lies in [0, that side's max].
        cands = [v.hi for v in (x, y) if v.nonneg() and v.hi is not None]
        if cands:
            return Interval(0, min(cands))
    if x.nonneg() and y.nonneg() and x.hi is not None and y.hi is not None:
        if op == "and":
            return Interval(0, min(x.hi, y.hi))
        return Interval(0, (1 << max(x.hi, y.hi).bit_length()) - 1)
    if not (x.bounded and y.bounded):
        return UNBOUNDED
    # Values in [-2**k, 2**k) stay there under any bitwise operation.
    k = max(abs(v).bit_length() for v in (x.lo, x.hi, y.lo, y.hi))
    return Interval(-(1 << k), (1 << k) - 1)


def quotient(x: Interval, y: Interval, exp: int) -> Interval:
    """``trunc`` or ``floor`` of ``x * 2**exp / y`` for integer ``y != 0``: magnitude <= |x| * 2**max(exp, 0)."""
    m = magnitude(x)
    if m is None:
        return UNBOUNDED
    m <<= max(exp, 0)
    return Interval(-m if not x.nonneg() or not y.nonneg() else 0, m)


def remainder(x: Interval, y: Interval) -> Interval:
    """Truncated remainder: the dividend's sign, magnitude below the divisor's and at most the dividend's."""
    mx, my = magnitude(x), magnitude(y)
    cands = [m for m in (mx, None if my is None else my - 1) if m is not None]
    if not cands:
        return UNBOUNDED
    m = min(cands)
    lo = 0 if x.nonneg() else -m
    hi = 0 if (x.hi is not None and x.hi <= 0) else m
    return Interval(lo, hi)
