"""``InterpModule``: a compiled kernel called on numpy arrays and Python scalars."""
from __future__ import annotations

from .. import ir
from .. import kernel_call
from .compiler import build
from .concurrency import Scheduler


class InterpModule:
    """Runs ``top`` exactly (the golden model). Call it with the kernel's arguments in order (or by
    name): numpy arrays for array parameters, numbers for scalar ones. Array arguments are updated
    in place when the kernel returns; if it raises, none is touched. Returns None, the one result,
    or a tuple of results (arrays as numpy arrays; see ``convert.py`` for dtypes).

    ``top`` is the IR function, ``source`` the generated Python source. ``schedule_seed``
    shuffles the order concurrent kernels run in (results never depend on it)."""

    def __init__(self, top: ir.Function, schedule_seed=None):
        self.top = top
        self._fn, self.source, self._namespace = build(top, Scheduler(schedule_seed))
        self.written = ir.params_written(top)   # the array arguments that may change

    def __repr__(self):
        return f"<InterpModule {self.top.name}>"

    def __call__(self, *args, **kwargs):
        values = kernel_call.bind(self.top, args, kwargs)
        raw_args, arrays = kernel_call.to_raw(self.top, values)
        result = self._fn(*raw_args)   # updates the raw lists of array arguments in place
        results = result if len(self.top.result_types) > 1 else (result,)
        outs = kernel_call.from_raw_results(self.top, list(results))
        kernel_call.write_back([a for a in arrays if id(a.param) in self.written],
                               {id(a.param): a.raw for a in arrays})
        return outs


def build_interpreter(top: ir.Function, schedule_seed=None) -> InterpModule:
    """Compile ``top`` (and every function it calls) for the reference interpreter."""
    return InterpModule(top, schedule_seed)
