"""Calling a built kernel from Python: binding arguments, converting them to raw values, writing
arrays back and converting results. Shared by every build target, so that the interpreter and
the RTL simulation accept and return exactly the same things (conversions: interp/convert.py).

Arguments are validated here, never silently converted: a wrong number of arguments, an array
for a scalar (or a scalar for an array), a wrong shape or a dtype holding no real numbers is an
``AlloTypeError``; a value the parameter's type cannot hold exactly (out of range, not an
integer, not on a fixed-point grid, beyond a float format's range) is an ``AlloValueError``.
Every such error is located at the user's call (``caller_loc()``) and its hint names the
parameter and where it is declared, so that the user sees both.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .errors import AlloRuntimeError, AlloTypeError, AlloValueError, caller_loc
from .interp.convert import (Refused, array_to_raw, output_dtype, raw_to_array, raw_to_scalar,
                             scalar_to_raw, value_range)
from .ir import nodes as ir
from .types import ArrayType, Index


def signature_text(top: ir.Function) -> str:
    params = ", ".join(f"{p.name}: {p.type!r}" for p in top.params)
    where = f" (declared at {top.loc})" if top.loc else ""
    return f"the kernel is {top.name}({params}){where}"


def _declared(p) -> str:
    where = f" is declared at {p.loc}" if p.loc else ""
    return f"parameter {p.name}: {p.type!r}{where}"


def _call_error(cls, message: str, fallback_loc, hint: str):
    """An error at the user's call (at ``fallback_loc`` when no user frame calls us)."""
    return cls(message, caller_loc() or fallback_loc, hint)


def bind(top: ir.Function, args, kwargs) -> list:
    """The argument of every parameter of ``top``, in order, from a Python call's arguments."""
    params = top.params
    where = f"{top.name}()"
    if len(args) > len(params):
        raise _call_error(AlloTypeError, f"{where} takes {len(params)} argument(s), got "
                          f"{len(args) + len(kwargs)}", top.loc, signature_text(top))
    values = list(args) + [None] * (len(params) - len(args))
    given = [True] * len(args) + [False] * (len(params) - len(args))
    index = {p.name: k for k, p in enumerate(params)}
    for name, v in kwargs.items():
        k = index.get(name)
        if k is None:
            raise _call_error(AlloTypeError, f"{where} has no parameter named '{name}'", top.loc,
                              signature_text(top))
        if given[k]:
            raise _call_error(AlloTypeError, f"{where} got two values for parameter '{name}'",
                              params[k].loc, signature_text(top))
        values[k], given[k] = v, True
    for p, ok in zip(params, given):
        if not ok:
            raise _call_error(AlloTypeError, f"{where}: missing argument for parameter "
                              f"'{p.name}' (expected {p.type!r}, got nothing)", p.loc,
                              signature_text(top))
    return values


@dataclass
class ArrayArgument:
    param: ir.Buffer
    array: np.ndarray
    raw: list                    # the flat raw values the kernel reads (and, for some targets, updates)
    original: list | None        # a copy, when the array is read-only


@dataclass
class StreamArgument:
    """The argument of a stream parameter of a region. ``role`` "get" (an input): ``raw`` holds
    the values the caller gives, in order; "put" (an output): ``array`` receives the values the
    region puts, in order, and ``raw`` is empty."""
    param: ir.Channel
    role: str
    array: np.ndarray
    raw: list


def _expected(p) -> str:
    if isinstance(p, ir.Channel):
        return f"a 1-D numpy array of {p.elem!r} values for stream {p.type!r}"
    if isinstance(p, ir.Buffer):
        return f"{p.type!r} (shape {tuple(p.shape)})"
    return f"a scalar {p.type!r}"


def _array_text(v: np.ndarray) -> str:
    article = "an" if str(v.dtype)[0] in "aeiou" else "a"
    return f"{article} {v.dtype} array of shape {v.shape}"


def _conversion_hint(code: str, t, name: str, array: bool) -> str:
    """How the caller converts explicitly, by the reason a value was refused."""
    if code == "range":
        lo, hi = value_range(t).split(" to ")
        if not array:
            return f"convert explicitly: min(max({name}, {lo}), {hi}) saturates"
        hint = f"convert explicitly: np.clip({name}, {lo}, {hi}) saturates"
        if not t.fracs and t.bits in (8, 16, 32, 64) and not isinstance(t, Index):
            hint += f", {name}.astype({_numpy_name(output_dtype(t))}) wraps"
        return hint
    if code == "integer":
        return (f"round explicitly: np.round({name}), np.floor({name}) or np.trunc({name})"
                if array else f"round explicitly: round({name}), math.floor({name}) or int({name})")
    if code == "grid":
        rounded = "np.round" if array else "round"
        return f"round to the grid explicitly: {rounded}({name} * 2**{t.fracs}) / 2**{t.fracs}"
    if code == "finite":
        return "NaN and infinities have no integer or fixed-point value; replace them"
    if code == "overflow":
        return f"clip or scale {name} into {t!r}'s finite range"
    if code == "dtype":
        return f"pass an array of integers, booleans or floats ({name}.astype(...))"
    return "pass a Python or numpy number"


def _refused_error(p, v, r: Refused):
    """The user's error for a value of argument ``v`` that convert refused with ``r``."""
    cls = AlloTypeError if r.code in Refused.KIND_CODES else AlloValueError
    t = p.elem if isinstance(p, (ir.Buffer, ir.Channel)) else p.type
    if isinstance(v, np.ndarray):
        got = _array_text(v)
        if r.position is None:
            detail = f"{got}, which {r.reason}"
        else:
            at = ", ".join(str(int(k)) for k in np.unravel_index(r.position, v.shape))
            value = v.ravel()[r.position]           # as the caller holds it (True, not 1)
            value = value.item() if isinstance(value, np.generic) else value
            detail = f"{got} whose element {p.name}[{at}] = {value!r} {r.reason}"
    else:
        detail = f"{r.value!r} ({type(v).__name__}), which {r.reason}"
    hint = f"{_conversion_hint(r.code, t, p.name, isinstance(v, np.ndarray))}; {_declared(p)}"
    return _call_error(cls, f"argument '{p.name}': expected {_expected(p)}, got {detail}", p.loc,
                       hint)


def _array_raw(p: ir.Buffer, v) -> list:
    if not isinstance(v, np.ndarray):
        raise _call_error(AlloTypeError, f"argument '{p.name}': expected a numpy array "
                          f"{_expected(p)}, got {type(v).__name__}", p.loc,
                          f"pass np.zeros({tuple(p.shape)}) or similar; {_declared(p)}")
    if v.shape != tuple(p.shape):
        raise _call_error(AlloTypeError, f"argument '{p.name}': expected {_expected(p)}, got "
                          f"{_array_text(v)}", p.loc,
                          f"the kernel's arrays have fixed shapes; reshape the argument; "
                          f"{_declared(p)}")
    try:
        return array_to_raw(v, p.elem)
    except Refused as r:
        raise _refused_error(p, v, r) from None


def _scalar_raw(p: ir.Var, v):
    if isinstance(v, np.ndarray) or not isinstance(v, (int, float, Fraction, np.number,
                                                       np.bool_)):
        got = _array_text(v) if isinstance(v, np.ndarray) else type(v).__name__
        raise _call_error(AlloTypeError, f"argument '{p.name}': expected {_expected(p)}, got "
                          f"{got}", p.loc, f"pass a Python or numpy number; {_declared(p)}")
    try:
        return scalar_to_raw(v, p.type)
    except Refused as r:
        raise _refused_error(p, v, r) from None


def _stream_argument(p: ir.Channel, role: str, v) -> StreamArgument:
    where = ("the values it gives the region, in order" if role == "get" else
             "filled with the values the region puts, in order")
    if not isinstance(v, np.ndarray) or v.ndim != 1:
        got = _array_text(v) if isinstance(v, np.ndarray) else type(v).__name__
        raise _call_error(AlloTypeError, f"argument '{p.name}': expected {_expected(p)}, got "
                          f"{got}", p.loc, f"pass a 1-D numpy array: {where}; {_declared(p)}")
    if role == "put":
        if not v.flags.writeable:
            raise _call_error(AlloTypeError, f"argument '{p.name}': the region puts values into "
                              f"stream {p.name!r}, and the array passed is read-only", p.loc,
                              f"pass a writeable array ({p.name}.copy()); {_declared(p)}")
        return StreamArgument(p, role, v, [])
    try:
        return StreamArgument(p, role, v, array_to_raw(v, p.elem))
    except Refused as r:
        raise _refused_error(p, v, r) from None


def to_raw(top: ir.Function, values: list) -> tuple:
    """``(raw arguments in parameter order, [ArrayArgument])`` for bound ``values``, each holding
    its argument exactly (see the module docstring for what is refused). The raw argument of a
    stream parameter is its StreamArgument."""
    raw_args, arrays = [], []
    roles = ir.stream_argument_roles(top)
    for p, v in zip(top.params, values):
        if isinstance(p, ir.Channel):
            raw_args.append(_stream_argument(p, roles[p], v))
        elif isinstance(p, ir.Buffer):
            raw = _array_raw(p, v)
            arrays.append(ArrayArgument(p, v, raw, None if v.flags.writeable else list(raw)))
            raw_args.append(raw)
        else:
            raw_args.append(_scalar_raw(p, v))
    return raw_args, arrays


def _first_unheld(dtype: np.dtype, new: np.ndarray) -> int | None:
    """The flat index of the first value of ``new`` that an array of ``dtype`` cannot hold
    exactly (None if it holds them all)."""
    if new.dtype == dtype or dtype == object:
        return None
    flat = new.ravel()
    try:
        with np.errstate(invalid="ignore", over="ignore"):
            back = flat.astype(dtype).astype(flat.dtype)
        same = back == flat
    except (OverflowError, ValueError, TypeError):         # Python ints too wide for dtype
        same = np.array([_holds(dtype, v) for v in flat.tolist()])
    if flat.dtype.kind == "f":
        same |= np.isnan(flat)                              # NaN is held by every float dtype
        if dtype.kind != "f":
            same &= ~np.isnan(flat)
    return None if same.all() else int(np.argmin(same))


def _numpy_name(dtype: np.dtype) -> str:
    return "object" if dtype == object else f"np.{dtype}"


def _holds(dtype: np.dtype, v) -> bool:
    try:
        return np.array(v, dtype=object).astype(dtype).item() == v
    except (OverflowError, ValueError, TypeError):
        return False


def write_back(arrays: list, final: dict) -> None:
    """Update every array argument to ``final[id(param)]`` (flat raw values), all or none. An
    array whose dtype cannot hold a value the kernel wrote (an int8 array for an int32
    parameter that gets 1000) is an error rather than a silent cast."""
    updates = []
    for a in arrays:
        new = final[id(a.param)]
        if a.original is not None:
            if list(new) != a.original:
                raise AlloRuntimeError(f"the kernel writes to array argument '{a.param.name}', "
                                       "which is read-only", a.param.loc,
                                       "pass a writeable array (arr.copy())")
            continue
        values = raw_to_array(new, a.param.elem, a.param.shape)
        k = _first_unheld(a.array.dtype, values)
        if k is not None:
            at = ", ".join(str(int(i)) for i in np.unravel_index(k, values.shape))
            raise _call_error(
                AlloValueError, f"argument '{a.param.name}': the kernel wrote "
                f"{values.ravel()[k].item()!r} to {a.param.name}[{at}], which the {a.array.dtype} "
                "array passed cannot hold; no argument was updated", a.param.loc,
                f"pass an array of dtype {values.dtype} ({a.param.name}.astype({_numpy_name(values.dtype)})), "
                f"which holds every {a.param.elem!r}; {_declared(a.param)}")
        updates.append((a.array, values))
    apply_updates(updates)


def stream_updates(streams: list, taken: dict, produced: dict) -> list:
    """``(array, values)`` for every output stream argument, after checking that the region
    took every value of each input (``taken``: id(param) -> count) and put exactly as many
    values into each output as its array holds (``produced``: id(param) -> raw values).
    Nothing is updated here (``apply_updates``), so that a failed check leaves every argument
    as it was."""
    updates = []
    for a in streams:
        p = a.param
        if a.role == "get":
            n = taken[id(p)]
            if n != len(a.raw):
                raise _call_error(AlloRuntimeError, f"stream argument '{p.name}': the region "
                                  f"took {n} of the {len(a.raw)} values given", p.loc,
                                  f"give exactly the values its kernel gets ({n}); "
                                  f"{_declared(p)}")
            continue
        got = produced[id(p)]
        if len(got) != len(a.array):
            raise _call_error(AlloRuntimeError, f"stream argument '{p.name}': the region put "
                              f"{len(got)} values, the array passed holds {len(a.array)}",
                              p.loc, f"pass an array of {len(got)} elements; {_declared(p)}")
        values = raw_to_array(got, p.elem, (len(got),))
        k = _first_unheld(a.array.dtype, values)
        if k is not None:
            raise _call_error(
                AlloValueError, f"argument '{p.name}': the region put {values[k].item()!r} as "
                f"value {k}, which the {a.array.dtype} array passed cannot hold; no argument "
                "was updated", p.loc, f"pass an array of dtype {values.dtype}; {_declared(p)}")
        updates.append((a.array, values))
    return updates


def apply_updates(updates: list) -> None:
    for arr, new in updates:
        arr[...] = new


def from_raw_results(top: ir.Function, raw_results: list):
    """None, the one result, or a tuple of results from the raw results in order."""
    types = top.result_types
    if not types:
        return None
    outs = []
    for t, v in zip(types, raw_results):
        if isinstance(t, ArrayType):
            outs.append(raw_to_array(v, t.elem, t.shape))
        else:
            outs.append(raw_to_scalar(v, t))
    return outs[0] if len(outs) == 1 else tuple(outs)
