"""Rounding Python floats (doubles) to the kernel language's float formats: nearest, ties to
even, with subnormals and overflow to infinity. The frontend rounds constants with it and the
interpreter every operation.
"""
from __future__ import annotations

import math
import struct

INF = math.inf
NAN = math.nan

# ---------------------------------------------------------------------------------------------
# Float formats: rounding a Python float (a double) to nearest even in the format.
#
# The results of + - * / on two values of a format with p <= 26 significant bits, computed in
# double and rounded once more to the format, are the correctly rounded results (double has more
# than 2p + 2 bits), so ``round(a op b)`` is exact IEEE arithmetic in the format.

_F32 = struct.Struct("<f")
_pack32, _unpack32 = _F32.pack, _F32.unpack


def round_f32(x: float) -> float:
    try:
        return _unpack32(_pack32(x))[0]
    except OverflowError:  # finite, but rounds to infinity
        return math.copysign(INF, x)


def _round_generic(x: float, prec: int, emin: int, max_value: float) -> float:
    """Round to ``prec`` significant bits (hidden bit included), with subnormals below
    ``2**emin`` and overflow to infinity above ``max_value``; nearest, ties to even."""
    if x != x or x == 0.0 or x == INF or x == -INF:
        return x
    m, e = math.frexp(x)            # x = m * 2**e, 0.5 <= |m| < 1: leading bit is 2**(e - 1)
    p = prec if e - 1 >= emin else prec - (emin - (e - 1))
    r = round(math.ldexp(m, p))     # exact scaling; round() is ties-to-even
    if r == 0:
        return math.copysign(0.0, x)
    y = math.ldexp(r, e - p)
    if abs(y) > max_value:
        return math.copysign(INF, x)
    return y


F16_MAX = 65504.0
BF16_MAX = math.ldexp(255, 120)      # (2 - 2**-7) * 2**127


def round_f16(x: float) -> float:
    return _round_generic(x, 11, -14, F16_MAX)


def round_bf16(x: float) -> float:
    return _round_generic(x, 8, -126, BF16_MAX)


def round_f64(x: float) -> float:
    return x


# name -> (rounding function, precision, emin, max) by ``Float.name``
FORMATS = {
    "float32": (round_f32, 24, -126, float.fromhex("0x1.fffffep127")),
    "float16": (round_f16, 11, -14, F16_MAX),
    "bfloat16": (round_bf16, 8, -126, BF16_MAX),
    "float64": (round_f64, 53, -1022, float.fromhex("0x1.fffffffffffffp1023")),
}


def rounder(fmt: str):
    return FORMATS[fmt][0]
