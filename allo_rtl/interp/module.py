"""``InterpModule``: a compiled kernel called on numpy arrays and Python scalars."""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from .. import ir
from ..errors import AlloRuntimeError, AlloTypeError
from ..types import ArrayType
from .compiler import build
from .convert import array_to_raw, raw_to_array, raw_to_scalar, scalar_to_raw


class InterpModule:
    """Runs ``top`` exactly (the golden model). Call it with the kernel's arguments in order (or by
    name): numpy arrays for array parameters, numbers for scalar ones. Array arguments are updated
    in place when the kernel returns; if it raises, none is touched. Returns None, the one result,
    or a tuple of results (arrays as numpy arrays; see ``convert.py`` for dtypes).

    ``top`` is the IR function, ``source`` the generated Python source."""

    def __init__(self, top: ir.Function):
        self.top = top
        self._fn, self.source, self._namespace = build(top)

    def __repr__(self):
        return f"<InterpModule {self.top.name}>"

    def _bind(self, args, kwargs) -> list:
        params = self.top.params
        where = f"{self.top.name}()"
        if len(args) > len(params):
            raise AlloTypeError(f"{where} takes {len(params)} argument(s), got {len(args) + len(kwargs)}",
                                self.top.loc, self._signature())
        values = list(args) + [None] * (len(params) - len(args))
        given = [True] * len(args) + [False] * (len(params) - len(args))
        index = {p.name: k for k, p in enumerate(params)}
        for name, v in kwargs.items():
            k = index.get(name)
            if k is None:
                raise AlloTypeError(f"{where} has no parameter named '{name}'", self.top.loc,
                                    self._signature())
            if given[k]:
                raise AlloTypeError(f"{where} got two values for parameter '{name}'", params[k].loc,
                                    self._signature())
            values[k], given[k] = v, True
        for p, ok in zip(params, given):
            if not ok:
                raise AlloTypeError(f"{where}: missing argument for parameter '{p.name}' "
                                    f"(expected {p.type!r}, got nothing)", p.loc, self._signature())
        return values

    def _signature(self) -> str:
        params = ", ".join(f"{p.name}: {p.type!r}" for p in self.top.params)
        return f"the kernel is {self.top.name}({params})"

    def __call__(self, *args, **kwargs):
        values = self._bind(args, kwargs)
        raw_args, arrays = [], []
        for p, v in zip(self.top.params, values):
            if isinstance(p, ir.Buffer):
                if not isinstance(v, np.ndarray):
                    raise AlloTypeError(f"argument '{p.name}': expected a numpy array {p.type!r} of shape "
                                        f"{p.shape}, got {type(v).__name__}", p.loc,
                                        f"pass np.zeros({tuple(p.shape)}) or similar")
                if v.shape != tuple(p.shape):
                    raise AlloTypeError(f"argument '{p.name}': expected shape {tuple(p.shape)} ({p.type!r}), "
                                        f"got shape {v.shape}", p.loc,
                                        "the kernel's arrays have fixed shapes; reshape the argument")
                lst = array_to_raw(v, p.elem)
                arrays.append((p, v, lst, None if v.flags.writeable else list(lst)))
                raw_args.append(lst)
            else:
                if isinstance(v, np.ndarray) or not isinstance(v, (int, float, Fraction, np.number, np.bool_)):
                    got = f"an array of shape {v.shape}" if isinstance(v, np.ndarray) else type(v).__name__
                    raise AlloTypeError(f"argument '{p.name}': expected a scalar {p.type!r}, got {got}",
                                    p.loc, "pass a Python or numpy number")
                raw_args.append(scalar_to_raw(v, p.type, f"argument '{p.name}'"))
        result = self._fn(*raw_args)
        outs = self._results(result)
        # Nothing has been written yet; now write back every array argument.
        updates = []
        for p, arr, lst, original in arrays:
            if original is not None:
                if lst != original:
                    raise AlloRuntimeError(f"the kernel writes to array argument '{p.name}', "
                                           "which is read-only", p.loc, "pass a writeable array (arr.copy())")
                continue
            updates.append((arr, raw_to_array(lst, p.elem, p.shape)))
        for arr, new in updates:
            arr[...] = new
        return outs

    def _results(self, result):
        types = self.top.result_types
        if not types:
            return None
        values = result if len(types) > 1 else (result,)
        outs = []
        for t, v in zip(types, values):
            if isinstance(t, ArrayType):
                outs.append(raw_to_array(v, t.elem, t.shape))
            else:
                outs.append(raw_to_scalar(v, t))
        return outs[0] if len(outs) == 1 else tuple(outs)


def build_interpreter(top: ir.Function) -> InterpModule:
    """Compile ``top`` (and every function it calls) for the reference interpreter."""
    return InterpModule(top)
