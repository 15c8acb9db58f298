"""Values crossing the interpreter's boundary: numpy arrays and Python scalars to raw values and back.

Inputs are converted exactly or refused (``Refused``, which ``kernel_call`` reports as the
user's error): an integer or fixed-point parameter takes a value ``v`` when ``v * 2**f`` is an
integer in the type's raw range, whatever the dtype holding it (so a float64 array of integral
values is fine for an ``int32`` parameter, 2.5 or 1000 for an ``int8`` are not); a float
parameter takes any real number, rounded to the format (nearest, ties to even), unless a finite
value lies beyond the format's range. Non-numbers and dtypes holding no real numbers (strings,
complex, long double) are refused. Integer arrays are range-checked by their min and max, and
float arrays with whole-array numpy operations, so the common cases never loop in Python.

Outputs, by element type:

=====================  ==============================================================
``UInt(1)`` (bool)     ``np.bool_``
``Int(w)``/``UInt(w)``  the smallest of int8/16/32/64 (uint8/...) holding ``w`` bits;
                       ``dtype=object`` of Python ints above 64 bits
``index``              int64 (object if a value does not fit)
``Fixed``/``UFixed``   float64 holding ``raw / 2**f`` (exact while ``|raw| < 2**53``;
                       wider values are rounded to nearest)
float16 / float32      ``np.float16`` / ``np.float32``
bfloat16               ``np.float32`` holding the bfloat16 values
float64                ``np.float64``
=====================  ==============================================================

Scalar results are Python ints (integer types) or floats (float and fixed-point types).
"""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from ..types import Fixed, Float, Index, UFixed, UInt
from ..floats import rounder
from .runtime import int_to_float

_NP_FLOAT = {"float16": np.float16, "float32": np.float32, "bfloat16": np.float32, "float64": np.float64}


def output_dtype(t):
    """The numpy dtype of an array result of element type ``t``."""
    if isinstance(t, Float):
        return np.dtype(_NP_FLOAT[t.name])
    if isinstance(t, (Fixed, UFixed)):
        return np.dtype(np.float64)
    if isinstance(t, Index):
        return np.dtype(np.int64)
    if isinstance(t, UInt) and t.bits == 1:
        return np.dtype(np.bool_)
    for w in (8, 16, 32, 64):
        if t.bits <= w:
            return np.dtype(f"{'int' if t.signed else 'uint'}{w}")
    return np.dtype(object)


# ---------------------------------------------------------------------------------------------
# Inputs: exact, or refused


class Refused(Exception):
    """A value (or an array dtype) that a parameter's type cannot hold exactly. Internal:
    ``kernel_call`` turns it into the user's ``AlloTypeError`` or ``AlloValueError``, naming the
    argument. ``code`` says why: "number" (not a number) and "dtype" (an array dtype holding no
    real numbers) are kind errors; "range", "integer", "grid", "finite" and "overflow" are value
    errors. ``position`` is the flat (row-major) index of the offending array element."""

    KIND_CODES = ("number", "dtype")

    def __init__(self, code: str, reason: str, value=None, position: int | None = None):
        super().__init__(reason)
        self.code, self.reason, self.value, self.position = code, reason, value, position


def value_range(t) -> str:
    """The values of integer or fixed-point type ``t`` as text: ``-128 to 127``, ``0.0 to 15.9375``."""
    if not t.fracs:
        return f"{t.raw_min} to {t.raw_max}"
    return f"{t.raw_min / (1 << t.fracs)!r} to {t.raw_max / (1 << t.fracs)!r}"


def _number(v):
    """A Python int, float or Fraction from a Python or numpy scalar."""
    if isinstance(v, (bool, np.bool_, int, np.integer)):
        return int(v)
    if isinstance(v, np.longdouble) and np.finfo(np.longdouble).nmant > 52:
        raise Refused("dtype", "is a long double, wider than float64", v)
    if isinstance(v, (float, np.floating)):
        return float(v)
    if isinstance(v, Fraction):
        return v
    if isinstance(v, (complex, np.complexfloating)):
        raise Refused("number", "is complex, and the kernel's types hold real numbers", v)
    raise Refused("number", f"is not a number ({type(v).__name__})", v)


def _exact_float(v, t) -> float:
    """``v`` rounded to float type ``t`` (nearest, ties to even); a finite value beyond the
    format's range (which would round to an infinity) is refused."""
    if isinstance(v, int):
        y = int_to_float(v, 0, t.name)
    else:
        y = rounder(t.name)(float(v))
    if math.isinf(y) and not (isinstance(v, float) and math.isinf(v)):
        raise Refused("overflow", f"is beyond {t.name}'s range", v)
    return y


def _exact_raw(v, t) -> int:
    """The raw integer of integer or fixed-point type ``t`` holding exactly ``v``."""
    if isinstance(v, float):
        if not math.isfinite(v):
            raise Refused("finite", "is not finite", v)
        num, den = v.as_integer_ratio()            # den is a power of two
    elif isinstance(v, Fraction):
        num, den = v.numerator, v.denominator
    else:
        num, den = v, 1
    num <<= t.fracs
    if num % den:
        if t.fracs:
            raise Refused("grid", f"is not a multiple of 2**-{t.fracs} (the step of {t!r})", v)
        raise Refused("integer", "is not an integer", v)
    raw = num // den
    if not t.raw_min <= raw <= t.raw_max:
        raise Refused("range", f"is out of {t!r}'s range ({value_range(t)})", v)
    return raw


def scalar_to_raw(v, t):
    """The raw value of type ``t`` holding the Python or numpy number ``v`` exactly (floats:
    rounded to the format); ``Refused`` if there is none."""
    v = _number(v)
    return _exact_float(v, t) if isinstance(t, Float) else _exact_raw(v, t)


def _elementwise(values, t) -> list:
    """``scalar_to_raw`` of each value, naming the position of the first one refused."""
    out = []
    for k, x in enumerate(values):
        try:
            out.append(scalar_to_raw(x, t))
        except Refused as r:
            r.position = k
            raise
    return out


def _first_refused(flat, ok, t):
    """Raise the ``Refused`` of the first element of ``flat`` where ``ok`` is False."""
    k = int(np.argmin(ok))
    try:
        scalar_to_raw(flat[k].item(), t)
    except Refused as r:
        r.position = k
        raise
    raise AssertionError(f"element {k} was flagged but converts exactly")   # an internal bug


def _value_bounds(t) -> tuple[int, int]:
    """The least and greatest integer ``v`` with ``v * 2**t.fracs`` in ``t``'s raw range."""
    return -((-t.raw_min) >> t.fracs), t.raw_max >> t.fracs


def _ints_to_raw(flat: np.ndarray, t) -> list:
    """An integer array to the raw values of integer or fixed-point type ``t``: min and max
    first (cheap), an element-wise comparison only when they are out of range."""
    lo, hi = _value_bounds(t)
    info = np.iinfo(flat.dtype)
    if not (lo <= info.min and info.max <= hi) and flat.size:
        if not (lo <= int(flat.min()) and int(flat.max()) <= hi):
            # Bounds clipped to the dtype's range compare exactly on every numpy version.
            ok = (flat >= max(lo, info.min)) & (flat <= min(hi, info.max))
            _first_refused(flat, ok, t)
    if not t.fracs:
        return flat.tolist()
    if t.raw_max < 1 << 63 and t.raw_min >= -(1 << 63):
        return (flat.astype(np.int64) << t.fracs).tolist()
    return [v << t.fracs for v in flat.tolist()]


def _floats_to_raw(flat: np.ndarray, t) -> list:
    """A float array to the raw values of integer or fixed-point type ``t``, vectorised: every
    ``v * 2**f`` (exact in float64) must be a finite integer in the raw range."""
    if t.bits > 1000:                     # bounds beyond float64's range: element by element
        return _elementwise(flat.tolist(), t)
    x = flat.astype(np.float64, copy=False)
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = np.ldexp(x, t.fracs) if t.fracs else x
        # raw_min and raw_max + 1 are 0 or powers of two, so exact as floats.
        ok = np.isfinite(scaled) & (np.floor(scaled) == scaled) \
            & (scaled >= float(t.raw_min)) & (scaled < float(t.raw_max + 1))
    if not ok.all():
        _first_refused(flat, ok, t)
    if t.raw_max < 1 << 63 and t.raw_min >= -(1 << 63):
        return scaled.astype(np.int64).tolist()
    return [int(v) for v in scaled.tolist()]


def _floats_to_float(flat: np.ndarray, t) -> list:
    """A float array rounded to float type ``t``; values beyond its range are refused."""
    if t.name not in ("float32", "float64"):
        return _elementwise(flat.tolist(), t)
    with np.errstate(over="ignore"):
        rounded = flat.astype(_NP_FLOAT[t.name])
    overflow = np.isinf(rounded) & np.isfinite(flat)
    if overflow.any():
        _first_refused(flat, ~overflow, t)
    return rounded.astype(np.float64).tolist()


def array_to_raw(arr: np.ndarray, t) -> list:
    """A numpy array to the flat (row-major) list of raw values of element type ``t``, each
    holding its element exactly (floats: rounded to the format); ``Refused`` otherwise."""
    kind = arr.dtype.kind
    flat = arr.ravel()
    if kind == "b":
        flat, kind = flat.view(np.uint8), "u"
    if kind == "f" and arr.dtype.itemsize > 8 and np.finfo(arr.dtype).nmant > 52:
        raise Refused("dtype", "holds long doubles, wider than float64")
    if kind == "O" or (kind in "iu" and isinstance(t, Float)):
        return _elementwise(flat.tolist(), t)
    if kind in "iu":
        return _ints_to_raw(flat, t)
    if kind == "f":
        return _floats_to_float(flat, t) if isinstance(t, Float) else _floats_to_raw(flat, t)
    raise Refused("dtype", "holds no real numbers")


# ---------------------------------------------------------------------------------------------
# Outputs


def raw_to_scalar(raw, t):
    """A raw value to a Python int (integer types) or float (float and fixed-point types)."""
    if isinstance(t, Float):
        return float(raw)
    if t.fracs:
        return raw / (1 << t.fracs)
    if isinstance(t, (Fixed, UFixed)):
        return float(raw)
    return int(raw)


def raw_to_array(values: list, t, shape) -> np.ndarray:
    """The flat list of raw values of element type ``t`` to a numpy array of ``shape``."""
    dtype = output_dtype(t)
    if isinstance(t, (Fixed, UFixed)):
        if all(-(1 << 53) <= v <= (1 << 53) for v in values):
            out = np.ldexp(np.array(values, dtype=np.float64), -t.fracs)
        else:
            out = np.array([v / (1 << t.fracs) for v in values], dtype=np.float64)
    elif dtype == object:
        out = np.empty(len(values), dtype=object)
        out[:] = [int(v) for v in values]
    elif isinstance(t, Index):
        try:
            out = np.array(values, dtype=np.int64)
        except OverflowError:
            out = np.empty(len(values), dtype=object)
            out[:] = [int(v) for v in values]
    else:
        out = np.array(values, dtype=dtype)
    return out.reshape(shape)
