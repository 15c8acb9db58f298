"""Calling a built kernel from Python: binding arguments, converting them to raw values, writing
arrays back and converting results. Shared by every build target, so that the interpreter and
the RTL simulation accept and return exactly the same things (conversions: interp/convert.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .errors import AlloRuntimeError, AlloTypeError
from .interp.convert import array_to_raw, raw_to_array, raw_to_scalar, scalar_to_raw
from .ir import nodes as ir
from .types import ArrayType


def signature_text(top: ir.Function) -> str:
    params = ", ".join(f"{p.name}: {p.type!r}" for p in top.params)
    return f"the kernel is {top.name}({params})"


def bind(top: ir.Function, args, kwargs) -> list:
    """The argument of every parameter of ``top``, in order, from a Python call's arguments."""
    params = top.params
    where = f"{top.name}()"
    if len(args) > len(params):
        raise AlloTypeError(f"{where} takes {len(params)} argument(s), got {len(args) + len(kwargs)}",
                            top.loc, signature_text(top))
    values = list(args) + [None] * (len(params) - len(args))
    given = [True] * len(args) + [False] * (len(params) - len(args))
    index = {p.name: k for k, p in enumerate(params)}
    for name, v in kwargs.items():
        k = index.get(name)
        if k is None:
            raise AlloTypeError(f"{where} has no parameter named '{name}'", top.loc,
                                signature_text(top))
        if given[k]:
            raise AlloTypeError(f"{where} got two values for parameter '{name}'", params[k].loc,
                                signature_text(top))
        values[k], given[k] = v, True
    for p, ok in zip(params, given):
        if not ok:
            raise AlloTypeError(f"{where}: missing argument for parameter '{p.name}' "
                                f"(expected {p.type!r}, got nothing)", p.loc, signature_text(top))
    return values


@dataclass
class ArrayArgument:
    param: ir.Buffer
    array: np.ndarray
    raw: list                    # the flat raw values the kernel reads (and, for some targets, updates)
    original: list | None        # a copy, when the array is read-only


def to_raw(top: ir.Function, values: list) -> tuple:
    """``(raw arguments in parameter order, [ArrayArgument])`` for bound ``values``."""
    raw_args, arrays = [], []
    for p, v in zip(top.params, values):
        if isinstance(p, ir.Buffer):
            if not isinstance(v, np.ndarray):
                raise AlloTypeError(f"argument '{p.name}': expected a numpy array {p.type!r} of shape "
                                    f"{p.shape}, got {type(v).__name__}", p.loc,
                                    f"pass np.zeros({tuple(p.shape)}) or similar")
            if v.shape != tuple(p.shape):
                raise AlloTypeError(f"argument '{p.name}': expected shape {tuple(p.shape)} ({p.type!r}), "
                                    f"got shape {v.shape}", p.loc,
                                    "the kernel's arrays have fixed shapes; reshape the argument")
            raw = array_to_raw(v, p.elem)
            arrays.append(ArrayArgument(p, v, raw, None if v.flags.writeable else list(raw)))
            raw_args.append(raw)
        else:
            if isinstance(v, np.ndarray) or not isinstance(v, (int, float, Fraction, np.number, np.bool_)):
                got = f"an array of shape {v.shape}" if isinstance(v, np.ndarray) else type(v).__name__
                raise AlloTypeError(f"argument '{p.name}': expected a scalar {p.type!r}, got {got}",
                                    p.loc, "pass a Python or numpy number")
            raw_args.append(scalar_to_raw(v, p.type, f"argument '{p.name}'"))
    return raw_args, arrays


def write_back(arrays: list, final: dict) -> None:
    """Update every array argument to ``final[id(param)]`` (flat raw values), all or none."""
    updates = []
    for a in arrays:
        new = final[id(a.param)]
        if a.original is not None:
            if list(new) != a.original:
                raise AlloRuntimeError(f"the kernel writes to array argument '{a.param.name}', "
                                       "which is read-only", a.param.loc,
                                       "pass a writeable array (arr.copy())")
            continue
        updates.append((a.array, raw_to_array(new, a.param.elem, a.param.shape)))
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
