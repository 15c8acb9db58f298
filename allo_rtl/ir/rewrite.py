"""Copying IR with substitutions: what schedule rewrites and loop unrolling are built from."""
from __future__ import annotations

import dataclasses

from ..types import Index
from . import nodes as ir


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


def index_const(value: int, loc) -> ir.Const:
    return ir.Const(Index(), loc, value)


def index_add(e: ir.Expr, k: int) -> ir.Expr:
    """``e + k`` as index arithmetic (``e`` itself when ``k`` is 0)."""
    if k == 0:
        return e
    if isinstance(e, ir.Const):
        return index_const(e.value + k, e.loc)
    op, k = ("add", k) if k > 0 else ("sub", -k)
    return ir.BinOp(Index(), e.loc, op, e, index_const(k, e.loc))
