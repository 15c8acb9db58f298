"""``InterpModule``: a compiled kernel called on numpy arrays and Python scalars."""
from __future__ import annotations

import math

from .. import ir
from .. import kernel_call
from .compiler import build
from .concurrency import Fifo, Scheduler


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
        streams = [a for a in raw_args if isinstance(a, kernel_call.StreamArgument)]
        # the caller gives every value of an input at once and takes any number of outputs
        fifos = {id(a.param): Fifo(a.param.name, math.inf, a.raw) for a in streams}
        raw_args = [fifos[id(a.param)] if isinstance(a, kernel_call.StreamArgument) else a
                    for a in raw_args]
        result = self._fn(*raw_args)   # updates the raw lists of array arguments in place
        results = result if len(self.top.result_types) > 1 else (result,)
        outs = kernel_call.from_raw_results(self.top, list(results))
        updates = kernel_call.stream_updates(
            streams, {id(a.param): len(a.raw) - len(fifos[id(a.param)].items) for a in streams},
            {id(a.param): list(fifos[id(a.param)].items) for a in streams})
        kernel_call.write_back([a for a in arrays if id(a.param) in self.written],
                               {id(a.param): a.raw for a in arrays})
        kernel_call.apply_updates(updates)
        return outs


def build_interpreter(top: ir.Function, schedule_seed=None) -> InterpModule:
    """Compile ``top`` (and every function it calls) for the reference interpreter."""
    return InterpModule(top, schedule_seed)
