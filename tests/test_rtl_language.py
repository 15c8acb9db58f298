"""The language tests again, on generated hardware: every kernel of ``test_language_flow``,
``test_language_calls`` and ``test_arith`` that those tests build through their ``build()``
helper is also compiled to RTL and simulated (Amaranth's simulator), and each call's results and
updated arrays must equal the interpreter's bit for bit. The tests' own checks then run on the
interpreter's results, as before.

Kernels with float operations are interpreter-only here: RTL targets reject them with
UnsupportedError until float units exist (``test_diagnostics_rtl.py`` checks that error), and
this module checks that a rejected kernel really has a float in it.
"""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.errors import UnsupportedError
from allo_rtl.types import Float

from . import test_arith, test_language_calls, test_language_flow
from .helpers_rtl import copy_args, same_values
from .test_arith import *            # noqa: F401,F403  (collected again with the RTL check)
from .test_language_calls import *   # noqa: F401,F403
from .test_language_flow import *    # noqa: F401,F403



def _has_float(schedule) -> bool:
    from allo_rtl.ir import nodes as ir
    for fn in ir.all_functions(schedule.top):
        types = [getattr(p.type, "elem", p.type) for p in fn.params]
        types += [getattr(t, "elem", t) for t in fn.result_types]
        for stmt in ir.walk_stmts(fn.body):
            types += [e.type for x in stmt.exprs() if x is not None for e in ir.walk_expr(x)]
            if isinstance(stmt, ir.Decl):
                types.append(stmt.buffer.elem)
        if any(isinstance(t, Float) for t in types):
            return True
    return False


class InterpAndRtl:
    """Calls the interpreter, then the simulated hardware on copies, and compares them."""

    def __init__(self, schedule):
        self.interp = schedule.build()
        try:
            self.rtl = schedule.build(target="rtl", simulator="amaranth", cycle_limit=200_000)
        except UnsupportedError as e:
            if "floating-point" not in str(e) or not _has_float(schedule):
                raise
            self.rtl = None

    def __call__(self, *args, **kwargs):
        rtl_args, rtl_kwargs = copy_args(args), dict(zip(kwargs, copy_args(kwargs.values())))
        want = self.interp(*args, **kwargs)
        if self.rtl is not None:
            got = self.rtl(*rtl_args, **rtl_kwargs)
            assert same_values(got, want), f"RTL returned {got!r}, the interpreter {want!r}"
            for a, b in zip(list(args) + list(kwargs.values()), rtl_args + list(rtl_kwargs.values())):
                if isinstance(a, np.ndarray):
                    assert np.array_equal(a, b), f"RTL left {b!r}, the interpreter {a!r}"
            if self.rtl.predicted_cycles is not None:
                assert self.rtl.cycles == self.rtl.predicted_cycles
        return want


def build_both(fn, **kw):
    return InterpAndRtl(allo.customize(fn, **kw))


@pytest.fixture(autouse=True)
def _on_rtl_too(monkeypatch):
    for module in (test_arith, test_language_calls, test_language_flow):
        monkeypatch.setattr(module, "build", build_both)
