"""Copying IR with substitutions, and index arithmetic that folds constants: what schedule
rewrites and loop unrolling are built from."""
from __future__ import annotations

import dataclasses

from .. import types as T
from ..types import Index
from . import nodes as ir
from .affine import affine_form


class Rewriter:
    """Deep-copies statements and expressions; subclasses override ``expr``/``stmt`` hooks.

    Variables and buffers are shared, never copied: a rewrite that changes which variable or
    buffer a node refers to does so in ``expr``/``stmt``."""

    def expr(self, e: ir.Expr) -> ir.Expr:
        return self.copy_node(e)

    def stmt(self, s: ir.Stmt) -> list:
        """The statements that replace ``s`` (a list: a rewrite may drop or expand one)."""
        return [self.copy_node(s)]

    def stmts(self, body: list) -> list:
        return [out for s in body for out in self.stmt(s)]

    def copy_node(self, node):
        changes = {}
        for f in dataclasses.fields(node):
            value = getattr(node, f.name)
            if isinstance(value, ir.Expr):
                changes[f.name] = self.expr(value)
            elif isinstance(value, list) and value and all(isinstance(v, ir.Stmt) for v in value):
                changes[f.name] = self.stmts(value)
            elif isinstance(value, list):
                changes[f.name] = [self.expr(v) if isinstance(v, ir.Expr) else v for v in value]
            elif isinstance(value, dict):
                changes[f.name] = dict(value)
        return dataclasses.replace(node, **changes)


class Substitute(Rewriter):
    """Replaces reads of variables by expressions (``{Var: Expr}``, each use a fresh copy)."""

    def __init__(self, values: dict):
        self.values = values

    def expr(self, e):
        if isinstance(e, ir.VarRef) and e.var in self.values:
            return Rewriter().expr(self.values[e.var])
        return self.copy_node(e)


def copy_expr(expr: ir.Expr) -> ir.Expr:
    """A deep copy of an expression tree (variables, buffers and types are shared)."""
    return Rewriter().expr(expr)


def substitute(node, values: dict):
    """A copy of an expression, or of a statement list, with ``values`` substituted."""
    sub = Substitute(values)
    return sub.stmts(node) if isinstance(node, list) else sub.expr(node)


def loop_nest(loop_vars: list, extents: list, body_of, loc, band: str, kind: str = "range",
              pipeline_innermost: bool = False) -> list:
    """``for v0 in range(e0): for v1 in range(e1): ... body_of([v0, v1, ...])`` as a statement
    list, ``body_of`` receiving references to ``loop_vars``, outermost first."""
    refs = [ir.VarRef(Index(), loc, v) for v in loop_vars]
    body = body_of(refs)
    for level in reversed(range(len(loop_vars))):
        var = loop_vars[level]
        innermost = level == len(loop_vars) - 1
        attrs = {"pipeline": 1} if pipeline_innermost and innermost else {}
        body = [ir.For(loc, var, index_const(0, loc), index_const(extents[level], loc), 1,
                       body, var.name, band, kind, attrs)]
    return body


# -- constants and index arithmetic -----------------------------------------------------------
def index_const(value: int, loc) -> ir.Const:
    return ir.Const(Index(), loc, value)


def index_add(e: ir.Expr, k: int) -> ir.Expr:
    """``e + k`` as index arithmetic (``e`` itself when ``k`` is 0)."""
    if k == 0:
        return e
    return add(e, index_const(k, e.loc), e.loc) if k > 0 else sub(e, index_const(-k, e.loc), e.loc)


def const_int(expr: ir.Expr):
    """The integer value of ``expr`` when it is a constant (``8``, ``int34(8)``, ``2 * 4``)."""
    form = affine_form(expr)
    if form is None or form[0]:
        return None
    return form[1]


def as_index(expr: ir.Expr) -> ir.Expr:
    """``expr`` as an ``index`` value (casts to index are exact)."""
    if expr.type == T.index:
        return expr
    value = const_int(expr)
    if value is not None:
        return index_const(value, expr.loc)
    return ir.Cast(T.index, expr.loc, expr)


def _binop(op: str, a: ir.Expr, b: ir.Expr, loc) -> ir.Expr:
    return ir.BinOp(T.index, loc, op, as_index(a), as_index(b))


def add(a: ir.Expr, b: ir.Expr, loc) -> ir.Expr:
    ka, kb = const_int(a), const_int(b)
    if ka is not None and kb is not None:
        return index_const(ka + kb, loc)
    if kb == 0:
        return as_index(a)
    if ka == 0:
        return as_index(b)
    return _binop("add", a, b, loc)


def sub(a: ir.Expr, b: ir.Expr, loc) -> ir.Expr:
    ka, kb = const_int(a), const_int(b)
    if ka is not None and kb is not None:
        return index_const(ka - kb, loc)
    if kb == 0:
        return as_index(a)
    return _binop("sub", a, b, loc)


def mul(a: ir.Expr, k: int, loc) -> ir.Expr:
    """``a * k`` for a constant ``k``."""
    ka = const_int(a)
    if ka is not None:
        return index_const(ka * k, loc)
    if k == 1:
        return as_index(a)
    return _binop("mul", a, index_const(k, loc), loc)


def floordiv(a: ir.Expr, k: int, loc) -> ir.Expr:
    """``a // k`` for a constant ``k > 0`` (floors, also for negative ``a``)."""
    ka = const_int(a)
    if ka is not None:
        return index_const(ka // k, loc)
    if k == 1:
        return as_index(a)
    return _binop("floordiv", a, index_const(k, loc), loc)


def mod(a: ir.Expr, k: int, loc) -> ir.Expr:
    """``a % k`` for a constant ``k > 0`` and ``a >= 0``."""
    return _binop("mod", a, index_const(k, loc), loc)


def compare(op: str, a: ir.Expr, b: ir.Expr, loc) -> ir.Compare:
    return ir.Compare(T.bool, loc, op, as_index(a), as_index(b))


class Renamed(Rewriter):
    """A deep copy whose variables, buffers and streams are replaced by ``fresh(old)``."""

    def __init__(self, fresh):
        self.fresh = fresh

    def copy_node(self, node):
        clone = super().copy_node(node)
        for f in dataclasses.fields(clone):
            value = getattr(clone, f.name)
            if isinstance(value, (ir.Var, ir.Buffer, ir.Channel)):
                setattr(clone, f.name, self.fresh(value))
            elif isinstance(value, list):
                setattr(clone, f.name, [self.fresh(v) if isinstance(v, (ir.Var, ir.Buffer, ir.Channel))
                                        else v for v in value])
        return clone


def clone_function(fn: ir.Function, name: str) -> ir.Function:
    """A copy of ``fn`` named ``name`` with variables, buffers and streams of its own (so that
    schedules and hardware treat the copies apart); the functions it calls stay shared."""
    made: dict = {}

    def fresh(x):
        if id(x) not in made:
            made[id(x)] = dataclasses.replace(
                x, **({"partition": dict(x.partition)} if isinstance(x, ir.Buffer) else {}))
        return made[id(x)]
    params = [fresh(p) for p in fn.params]
    local_vars = {k: fresh(v) for k, v in fn.locals.items()}
    body = Renamed(fresh).stmts(fn.body)
    return ir.Function(name, params, list(fn.result_types), body, fn.loc, local_vars,
                       list(fn.callees), fn.py_func)
