"""Helpers that generated interpreter code calls: float rounding, division, shifts, bit fields,
conversions between floats and raw integers, and the errors a running kernel raises.

Everything here works on raw values: Python ints for integer and fixed-point types (a value of
``Fixed(w, f)`` is held as ``v * 2**f``), Python floats holding values of the float format.
The names exported to generated code are listed in ``NAMESPACE``.
"""
from __future__ import annotations

import math
import struct

from ..errors import (MAX_INDEX_SHIFT, bit_index_out_of_range, division_by_zero,
                      index_out_of_bounds, index_shift_too_large, negative_shift)
from ..floats import FORMATS, INF, NAN, round_bf16, round_f16, round_f32


def int_to_float(raw: int, fracs: int, fmt: str) -> float:
    """The exact value ``raw / 2**fracs`` rounded once to the format (nearest, ties to even)."""
    rnd, prec, emin, max_value = FORMATS[fmt]
    if raw == 0:
        return 0.0
    mag = -raw if raw < 0 else raw
    n = mag.bit_length()
    top = n - 1 - fracs                      # exponent of the leading bit
    p = prec if top >= emin else prec - (emin - top)
    shift = n - p
    if shift > 0:                            # drop ``shift`` low bits, ties to even
        q = mag >> shift
        rem = mag - (q << shift)
        half = 1 << (shift - 1)
        if rem > half or (rem == half and q & 1):
            q += 1
        mag, exp = q, shift - fracs
    else:
        exp = -fracs
    try:
        y = math.ldexp(float(mag), exp)      # mag has at most prec + 1 bits: exact
    except OverflowError:
        y = INF
    if y > max_value:
        y = INF
    return -y if raw < 0 else y


def float_to_raw(x: float, fracs: int, floor: bool, raw_min: int, raw_max: int) -> int:
    """Float to raw integer: NaN gives 0, infinities saturate to ``raw_min``/``raw_max``,
    otherwise ``floor`` (fixed point) or ``trunc`` (integers) of ``x * 2**fracs``, unwrapped."""
    if x != x:
        return 0
    if x == INF:
        return raw_max
    if x == -INF:
        return raw_min
    if fracs == 0 and not floor:
        return int(x)                         # truncates toward zero, exactly
    n, d = x.as_integer_ratio()               # d is a power of two
    n <<= fracs
    if floor:
        return n // d
    q = abs(n) // d
    return -q if n < 0 else q


# ---------------------------------------------------------------------------------------------
# Errors raised by running kernels. Sites are registered by the code generator: a site is the
# node's location and what to name in the message.


class Sites:
    def __init__(self):
        self.items = []

    def add(self, *item) -> int:
        self.items.append(item)
        return len(self.items) - 1


def make_error_helpers(sites: Sites) -> dict:
    """The helpers that raise or check, bound to one compiled module's site table."""
    items = sites.items

    def _oob(site, idx):
        name, shape, loc = items[site]
        raise index_out_of_bounds(name, shape, tuple(idx), loc)

    def _ix(site, idx):
        """Check every index of ``idx`` against the site's shape; give the row-major offset."""
        shape = items[site][1]
        off = 0
        for i, d in zip(idx, shape):
            if not 0 <= i < d:
                _oob(site, idx)
            off = off * d + i
        return off

    def _zero(site):
        raise division_by_zero(items[site][0], items[site][2])

    def _div(a, b, site):
        """Integer division truncating toward zero."""
        if b == 0:
            _zero(site)
        q = (-a if a < 0 else a) // (-b if b < 0 else b)
        return -q if (a < 0) != (b < 0) else q

    def _fdv(a, b, site):
        """Integer division flooring."""
        if b == 0:
            _zero(site)
        return a // b

    def _mod(a, b, site):
        """Remainder with the dividend's sign."""
        if b == 0:
            _zero(site)
        r = (-a if a < 0 else a) % (-b if b < 0 else b)
        return -r if a < 0 else r

    def _shl(a, b, bits, site):
        """``a << b``; for a result of ``bits`` bits huge shifts give 0. ``bits=None``: an exact
        (index) result, where a shift by ``MAX_INDEX_SHIFT`` or more is an error."""
        if b < 0:
            raise negative_shift(b, items[site][2])
        if bits is None:
            if b >= MAX_INDEX_SHIFT and a:
                raise index_shift_too_large(b, items[site][2])
        elif b >= bits:
            return 0
        return a << b

    def _shr(a, b, site):
        if b < 0:
            raise negative_shift(b, items[site][2])
        return a >> b

    def _bitpos(lo, width, bits, site):
        """Check a bit field's low index: ``0 <= lo <= bits - width``."""
        if not 0 <= lo <= bits - width:
            raise bit_index_out_of_range(lo, width, bits, items[site][2])
        return lo

    return {"_oob": _oob, "_ix": _ix, "_div": _div, "_fdv": _fdv, "_mod": _mod, "_shl": _shl,
            "_shr": _shr, "_bitpos": _bitpos}


# ---------------------------------------------------------------------------------------------
# Float operations that Python does not give IEEE results for.


def fdiv(a: float, b: float) -> float:
    """IEEE division (Python raises on division by zero)."""
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0.0:
            return NAN
        return math.copysign(INF, a) * math.copysign(1.0, b)


def fmod(a: float, b: float) -> float:
    """C ``fmod``: the remainder with the dividend's sign; NaN for ``x % 0`` and ``inf % y``."""
    try:
        return math.fmod(a, b)
    except ValueError:
        return NAN


def ffloordiv(a: float, b: float, rnd) -> float:
    """``floor`` of the rounded quotient."""
    q = rnd(fdiv(a, b))
    if q != q or q == INF or q == -INF or q == 0.0:
        return q
    return float(math.floor(q))


def fmin(*xs: float) -> float:
    """IEEE 754-2019 ``minimum``: NaN if any operand is NaN, and -0.0 < +0.0."""
    r = xs[0]
    for x in xs[1:]:
        if x < r:
            r = x
        elif r != r or x != x:
            return NAN
        elif x == r and x == 0.0 and math.copysign(1.0, x) < 0:
            r = x
    return NAN if r != r else r


def fmax(*xs: float) -> float:
    """IEEE 754-2019 ``maximum``: NaN if any operand is NaN, and +0.0 > -0.0."""
    r = xs[0]
    for x in xs[1:]:
        if x > r:
            r = x
        elif r != r or x != x:
            return NAN
        elif x == r and x == 0.0 and math.copysign(1.0, x) > 0:
            r = x
    return NAN if r != r else r


# ---------------------------------------------------------------------------------------------
# Bits


def reverse_bits(raw: int, bits: int) -> int:
    """The ``bits`` low bits of ``raw`` (two's complement) in reverse order, as an unsigned value."""
    u = raw & ((1 << bits) - 1)
    return int(format(u, f"0{bits}b")[::-1], 2)


_BITS_FORMATS = {"float32": ("<f", "<I"), "float16": ("<e", "<H"), "float64": ("<d", "<Q")}


def float_bits(x: float, fmt: str) -> int:
    """The IEEE bit pattern of a value of the format (bfloat16: the top half of float32's)."""
    if fmt == "bfloat16":
        return float_bits(x, "float32") >> 16
    f, i = _BITS_FORMATS[fmt]
    return struct.unpack(i, struct.pack(f, x))[0]


def bits_float(u: int, fmt: str) -> float:
    if fmt == "bfloat16":
        return bits_float(u << 16, "float32")
    f, i = _BITS_FORMATS[fmt]
    return struct.unpack(f, struct.pack(i, u))[0]


NAMESPACE = {
    "_r32": round_f32, "_r16": round_f16, "_rbf": round_bf16,
    "_i2f": int_to_float, "_f2i": float_to_raw,
    "_fdiv": fdiv, "_fmod": fmod, "_ffdv": ffloordiv, "_fmin": fmin, "_fmax": fmax,
    "_rev": reverse_bits, "_fbits": float_bits, "_bitsf": bits_float,
    "_INF": INF, "_NAN": NAN,
}

ROUNDER_NAMES = {"float32": "_r32", "float16": "_r16", "bfloat16": "_rbf", "float64": None}
