"""Values crossing the interpreter's boundary: numpy arrays and Python scalars to raw values and back.

Inputs are converted as an assignment cast would: integers wrap into the type, floats round to
the float format, and values for fixed-point types become ``floor(v * 2**f)``, wrapped (floats
truncate toward zero for integer types; NaN gives 0, infinities saturate).

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

from ..errors import AlloTypeError, caller_loc
from ..types import Fixed, Float, Index, UFixed, UInt, is_fixed_or_int
from ..floats import rounder
from .runtime import float_to_raw, int_to_float

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
# Inputs


def _number(v, what):
    """A Python int, float or Fraction from a Python or numpy scalar."""
    if isinstance(v, (bool, np.bool_)):
        return int(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v)
    if isinstance(v, Fraction):
        return v
    raise AlloTypeError(f"{what}: expected a number, got {type(v).__name__}", caller_loc(),
                        "pass a Python or numpy number")


def scalar_to_raw(v, t, what: str = "value"):
    """One value to the raw value of type ``t`` (see the module docstring)."""
    v = _number(v, what)
    if isinstance(t, Float):
        if isinstance(v, int):
            return int_to_float(v, 0, t.name)
        return rounder(t.name)(float(v))
    fixed = isinstance(t, (Fixed, UFixed))
    if isinstance(v, float):
        raw = float_to_raw(v, t.fracs, fixed, t.raw_min, t.raw_max)
    elif isinstance(v, Fraction):
        scaled = v * (1 << t.fracs)
        raw = math.floor(scaled) if fixed else math.trunc(scaled)
    else:
        raw = v << t.fracs
    return raw if isinstance(t, Index) else t.wrap(raw)


def array_to_raw(arr: np.ndarray, t) -> list:
    """A numpy array to the flat (row-major) list of raw values of element type ``t``."""
    kind = arr.dtype.kind
    flat = arr.ravel()
    if kind == "b":
        flat, kind = flat.astype(np.int64), "i"
    if isinstance(t, Float):
        if kind == "f" and t.name in ("float32", "float64"):
            with np.errstate(over="ignore"):
                return flat.astype(_NP_FLOAT[t.name]).astype(np.float64).tolist()
        if kind == "f":
            rnd = rounder(t.name)
            return [rnd(x) for x in flat.astype(np.float64).tolist()]
    elif is_fixed_or_int(t) and kind in "iu" and t.fracs == 0:
        values = flat.tolist()
        if isinstance(t, Index) or not values:
            return values
        info = np.iinfo(flat.dtype)
        if t.raw_min <= info.min and info.max <= t.raw_max:
            return values
        if t.raw_min <= int(flat.min()) and int(flat.max()) <= t.raw_max:
            return values
        return [t.wrap(x) for x in values]
    if kind not in "iufO":
        raise AlloTypeError(f"cannot convert an array of dtype {arr.dtype} to {t!r}", caller_loc(),
                            "pass an array of numbers (integer, unsigned, float or object dtype)")
    return [scalar_to_raw(x, t) for x in flat.tolist()]


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
