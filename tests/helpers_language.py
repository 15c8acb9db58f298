"""Shared by the ``test_language_*.py`` modules: plain-Python models of the integer semantics, and
``build``."""
import allo_rtl as allo


# == Plain-Python models ==

def wrap(v, bits=32, signed=True):
    v &= (1 << bits) - 1
    if signed and v >> (bits - 1):
        v -= 1 << bits
    return v


def tdiv(a, b):
    """Integer division truncating toward zero (C semantics), from math.trunc."""
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def cmod(a, b):
    """Remainder with the dividend's sign (C/fmod semantics)."""
    return a - b * tdiv(a, b)


def build(fn, **kw):
    return allo.customize(fn, **kw).build()
