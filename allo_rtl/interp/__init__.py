"""The reference interpreter: the kernel IR run exactly, the golden model every generated design
is compared against bit for bit.

``build_interpreter(top)`` compiles ``top`` and every function it calls into Python source (one
Python function per kernel, arrays as flat lists of raw values, wraps and bounds checks only where
interval analysis cannot prove them unnecessary) and returns an ``InterpModule`` to call on numpy
arrays and Python scalars.

Modules: ``intervals`` (value ranges), ``pycode`` (source text pieces), ``emit_expr`` /
``emit_access`` / ``emit_stmt`` (code generation), ``compiler`` (a whole module), ``runtime``
(helpers the generated code calls), ``convert`` (numpy and scalar values in and out), ``module``
(``InterpModule``).
"""
from .module import InterpModule, build_interpreter

__all__ = ["InterpModule", "build_interpreter"]
