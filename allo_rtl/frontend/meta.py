"""Compile-time choices inside a kernel: ``with allo.meta_if(...)`` / ``meta_elif`` /
``meta_else`` chains, ``with allo.meta_for(...) as u`` repetition, ``x: ConstExpr[T] = ...``
constants, and ``df.get_pid()``. Each binds Python values in the builder's constant
environment, so that later conditions, bounds, indices and stream subscripts fold."""
from __future__ import annotations

import ast

from .. import dataflow
from .. import types as T
from ..errors import AlloSyntaxError, AlloTypeError
from . import markers
from .consteval import NotConstant, evaluate

_KEPT, _OPEN = "kept", "open"   # a meta_if chain: a branch was kept / none yet


class MetaMixin:
    """Mixin of FunctionBuilder. ``meta_chains`` holds, per block being built, the state of
    the last meta_if chain in it (None, _OPEN or _KEPT)."""

    def compile_time(self, node, what: str):
        """The Python value of ``node``, which must not depend on run-time values."""
        try:
            return evaluate(node, self.env, frozenset(self.scope))
        except NotConstant as e:
            detail = (f": {e.name!r} is only known when the kernel runs" if e.name in self.scope
                      else f": {e.name!r} is not defined" if e.name else "")
            raise self.error(AlloTypeError, f"{what} must be known at compile time{detail}",
                             e.node if e.name else node,
                             "use template parameters, df.get_pid() values, ConstExpr names and "
                             "constants of the enclosing scope") from None
        except Exception as e:   # the user's Python expression itself failed
            raise self.error(AlloTypeError, f"{what} {ast.unparse(node)!r} cannot be evaluated: "
                             f"{e}", node, "check the expression") from None

    def stmt_With(self, node):
        item = node.items[0] if len(node.items) == 1 else None
        call = item.context_expr if item is not None else None
        kind = self.const_value(call.func) if isinstance(call, ast.Call) else None
        if kind not in (markers.meta_if, markers.meta_elif, markers.meta_else, markers.meta_for):
            raise self.error(AlloSyntaxError, "a with statement in a kernel must be one of "
                             "allo.meta_if, meta_elif, meta_else or meta_for", node,
                             "choose between branches at run time with if/elif/else")
        name = kind.__name__
        if call.keywords:
            raise self.error(AlloSyntaxError, f"allo.{name}() takes no keywords", call,
                             f"write allo.{name}(...) with positional arguments")
        if kind is markers.meta_for:
            return self.meta_for(node, item, call)
        if item.optional_vars is not None:
            raise self.error(AlloSyntaxError, f"allo.{name}() binds no name", item.optional_vars,
                             f"write: with allo.{name}(...):")
        chain = self.meta_chains[-1]
        if kind is markers.meta_if:
            cond, chain = self.meta_condition(call, name), None
        elif chain is None:
            raise self.error(AlloSyntaxError, f"allo.{name}() without an allo.meta_if() before "
                             "it in this block", node, "start the chain with allo.meta_if(cond)")
        elif kind is markers.meta_elif:
            cond = self.meta_condition(call, name) if chain == _OPEN else False
        else:
            if call.args:
                raise self.error(AlloSyntaxError, "allo.meta_else() takes no condition", call,
                                 "write: with allo.meta_else():")
            cond = chain == _OPEN
        self.meta_chains[-1] = _KEPT if cond or chain == _KEPT else _OPEN
        if kind is markers.meta_else:
            self.meta_chains[-1] = None
        return self.meta_body(node.body) if cond else []

    def meta_condition(self, call, name: str) -> bool:
        if len(call.args) != 1:
            raise self.error(AlloSyntaxError, f"allo.{name}() takes one condition", call,
                             f"write: with allo.{name}(i == 0):")
        return bool(self.compile_time(call.args[0], f"the condition of allo.{name}()"))

    def meta_body(self, stmts) -> list:
        """A kept branch's statements, in the enclosing block's scope (as Allo's)."""
        return self.block(stmts)

    def meta_for(self, node, item, call) -> list:
        target = item.optional_vars
        if not isinstance(target, ast.Name):
            raise self.error(AlloSyntaxError, "allo.meta_for() needs a name for its value",
                             node, "write: with allo.meta_for(N) as u:")
        if target.id in self.scope:
            raise self.error(AlloTypeError, f"{target.id!r} is already a variable of the kernel",
                             target, "name the meta_for value apart from the kernel's variables")
        if not 1 <= len(call.args) <= 3:
            raise self.error(AlloSyntaxError, "allo.meta_for() takes 1 to 3 arguments, as range",
                             call, "write allo.meta_for(hi), (lo, hi) or (lo, hi, step)")
        bounds = [self.compile_time(a, "the range of allo.meta_for()") for a in call.args]
        if not all(isinstance(b, int) and not isinstance(b, bool) for b in bounds) or \
                (len(bounds) == 3 and bounds[2] == 0):
            raise self.error(AlloTypeError, f"allo.meta_for() needs integers, got {bounds}", call,
                             "give integer bounds and a nonzero step")
        out, saved = [], self.env
        try:
            for value in range(*bounds):
                self.env = saved.child({target.id: value})
                out += self.block(node.body)
        finally:
            self.env = saved
        return out

    # -- compile-time names --------------------------------------------------------------------
    def const_declaration(self, node, t: T.ConstExprType) -> list:
        """``x: ConstExpr[T] = value``: ``x`` names the Python value from now on."""
        name = node.target.id
        if node.value is None:
            raise self.error(AlloSyntaxError, f"ConstExpr {name!r} needs a value", node,
                             f"write: {name}: {t!r} = N // P")
        if name in self.scope:
            raise self.error(AlloTypeError, f"{name!r} is already a variable of the kernel", node,
                             "give the constant a new name")
        value = self.compile_time(node.value, f"the value of ConstExpr {name!r}")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(AlloTypeError, f"ConstExpr {name!r} must be a number, got "
                             f"{value!r}", node.value, "compute a number from constants")
        if T.is_fixed_or_int(t.elem) and isinstance(value, int) and \
                not t.elem.raw_min <= value << t.elem.fracs <= t.elem.raw_max:
            raise self.error(AlloTypeError, f"ConstExpr {name!r} = {value} does not fit "
                             f"{t.elem!r}", node.value, "use a wider type")
        self.env = self.env.child({name: value})
        return []

    def is_get_pid(self, value_node) -> bool:
        return isinstance(value_node, ast.Call) and \
            self.const_value(value_node.func) is dataflow.get_pid

    def bind_pid(self, target, node) -> list:
        """``i, j = df.get_pid()``: this kernel instance's grid coordinates, as constants."""
        pid = self.instance.pid if self.instance is not None else None
        if pid is None:
            raise self.error(AlloSyntaxError, "df.get_pid() outside a df.kernel", node,
                             "get_pid gives a df.kernel instance its place in the mapping grid")
        names = target.elts if isinstance(target, ast.Tuple) else [target]
        if not all(isinstance(n, ast.Name) for n in names):
            raise self.error(AlloSyntaxError, "df.get_pid() is assigned to plain names", target,
                             "write: i, j = df.get_pid()")
        if len(names) != len(pid):
            raise self.error(AlloTypeError, f"the mapping of this kernel has {len(pid)} "
                             f"dimension(s), so df.get_pid() gives {len(pid)} value(s), assigned "
                             f"to {len(names)}", target,
                             f"write: {', '.join('p%d' % k for k in range(len(pid)))} = df.get_pid()")
        for n in names:
            if n.id in self.scope:
                raise self.error(AlloTypeError, f"{n.id!r} is already a variable of the kernel",
                                 n, "give the pid a new name")
        self.env = self.env.child({n.id: p for n, p in zip(names, pid)})
        return []
