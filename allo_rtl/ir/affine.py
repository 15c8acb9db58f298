"""Affine forms of integer expressions: ``c0 + c1*v1 + c2*v2 ...`` over scalar variables."""
from __future__ import annotations

from ..types import Float
from . import nodes as ir


def affine_form(expr: ir.Expr):
    """``(terms, constant)`` with ``terms`` mapping Var to a nonzero coefficient, or None when
    ``expr`` is not affine in integer variables (loads, calls, non-constant products...)."""
    if isinstance(expr.type, Float) or expr.type.fracs:
        return None
    if isinstance(expr, ir.Const):
        return {}, expr.value
    if isinstance(expr, ir.VarRef):
        return {expr.var: 1}, 0
    if isinstance(expr, ir.Cast):
        inner = affine_form(expr.operand)
        # a widening cast keeps the value; a narrowing one may wrap, so it is not affine
        if inner is None or expr.operand.type.fracs or expr.type.bits < expr.operand.type.bits \
                or (expr.operand.type.signed and not expr.type.signed):
            return None
        return inner
    if isinstance(expr, ir.BinOp) and expr.op in ("add", "sub", "mul"):
        lhs, rhs = affine_form(expr.lhs), affine_form(expr.rhs)
        if lhs is None or rhs is None:
            return None
        if expr.op == "mul":
            if lhs[0] and rhs[0]:
                return None
            (terms, k), scale = (lhs, rhs[1]) if not rhs[0] else (rhs, lhs[1])
            return _clean({v: c * scale for v, c in terms.items()}), k * scale
        sign = 1 if expr.op == "add" else -1
        terms = dict(lhs[0])
        for v, c in rhs[0].items():
            terms[v] = terms.get(v, 0) + sign * c
        return _clean(terms), lhs[1] + sign * rhs[1]
    return None


def _clean(terms: dict) -> dict:
    return {v: c for v, c in terms.items() if c}


def constant_difference(hi: ir.Expr, lo: ir.Expr):
    """``hi - lo`` when it is the same integer whatever the variables hold, else None."""
    a, b = affine_form(hi), affine_form(lo)
    if a is None or b is None:
        return None
    diff = dict(a[0])
    for v, c in b[0].items():
        diff[v] = diff.get(v, 0) - c
    return None if _clean(diff) else a[1] - b[1]


def affine_range(expr: ir.Expr, loops: dict, _depth: int = 0):
    """``(lowest, highest)`` of an affine ``expr`` whose variables are loop counters (``loops``:
    Var -> its For), from the loops' bounds (themselves affine in outer counters); ``()`` when a
    loop it depends on never runs; None when it cannot be bounded so (a variable other than a
    loop counter, a load, a call...)."""
    form = affine_form(expr)
    if form is None or _depth > 64:
        return None
    terms, lo = form
    hi = lo
    for var, coeff in terms.items():
        loop = loops.get(var)
        if loop is None:
            return None
        first, last = affine_range(loop.lo, loops, _depth + 1), affine_range(loop.hi, loops, _depth + 1)
        if first is None or last is None:
            return None
        if first == () or last == ():
            return ()
        # range(lo, hi, step): up from lo below hi, or down from lo above hi
        low, high = (first[0], last[1] - 1) if loop.step > 0 else (last[0] + 1, first[1])
        if low > high:
            return ()
        a, b = coeff * low, coeff * high
        lo, hi = lo + min(a, b), hi + max(a, b)
    return lo, hi
