"""Small IR building blocks the loop primitives share: in-place substitution of loop variables,
and locating a loop in a body (copies of expressions and index arithmetic that folds constants
come from ``ir/rewrite.py``).

Every node built here carries the SourceLoc of the node it stands for, so that errors and reports
about rewritten code still point at the user's source."""
from __future__ import annotations

from dataclasses import fields

from ..ir import nodes as ir
from ..ir.affine import affine_form
from ..ir.rewrite import const_int

# Loop attributes that are user annotations (``pipeline``, ``unroll``): a primitive that replaces
# a loop cannot carry them over meaningfully, so it refuses instead of dropping them silently.
ANNOTATIONS = ("pipeline", "unroll", "rewind")


def var_ref(var: ir.Var, loc) -> ir.VarRef:
    return ir.VarRef(var.type, loc, var)


# -- copies and substitution -------------------------------------------------------------------
def _substitute_expr(expr: ir.Expr, mapping: dict) -> ir.Expr:
    if isinstance(expr, ir.VarRef) and expr.var in mapping:
        return mapping[expr.var](expr.loc)
    for f in fields(expr):
        value = getattr(expr, f.name)
        if isinstance(value, ir.Expr):
            setattr(expr, f.name, _substitute_expr(value, mapping))
        elif isinstance(value, list):
            value[:] = [_substitute_expr(v, mapping) if isinstance(v, ir.Expr) else v
                        for v in value]
    return expr


def substitute(stmts: list, mapping: dict) -> None:
    """Replace, in place, every read of a Var of ``mapping`` in ``stmts`` (nested statements and
    loop bounds included) with ``mapping[var](loc)``: a fresh expression for each occurrence."""
    for stmt in stmts:
        for f in fields(stmt):
            value = getattr(stmt, f.name)
            if isinstance(value, ir.Expr):
                setattr(stmt, f.name, _substitute_expr(value, mapping))
            elif isinstance(value, list):
                for pos, item in enumerate(value):
                    if isinstance(item, ir.Expr):
                        value[pos] = _substitute_expr(item, mapping)
                if value and isinstance(value[0], ir.Stmt):
                    substitute(value, mapping)


def same_expr(a: ir.Expr, b: ir.Expr, var_map: dict) -> bool:
    """Whether ``a`` computes what ``b`` does once ``a``'s variables are renamed by ``var_map``."""
    fa, fb = affine_form(a), affine_form(b)
    if fa is not None and fb is not None:
        renamed = {var_map.get(v, v): c for v, c in fa[0].items()}
        return renamed == fb[0] and fa[1] == fb[1]
    if type(a) is not type(b) or a.type != b.type:
        return False
    if isinstance(a, ir.VarRef):
        return var_map.get(a.var, a.var) is b.var
    for f in fields(a):
        if f.name == "loc":
            continue
        va, vb = getattr(a, f.name), getattr(b, f.name)
        if isinstance(va, ir.Expr):
            if not isinstance(vb, ir.Expr) or not same_expr(va, vb, var_map):
                return False
        elif isinstance(va, list):
            if len(va) != len(vb) or not all(same_expr(x, y, var_map) for x, y in zip(va, vb)):
                return False
        elif va is not vb and va != vb:
            return False
    return True


# -- loops ---------------------------------------------------------------------------------------
def const_trip(loop: ir.For):
    """The trip count of ``loop`` when its bounds are constants, else None."""
    lo, hi = const_int(loop.lo), const_int(loop.hi)
    if lo is None or hi is None:
        return None
    step = loop.step
    span = hi - lo if step > 0 else lo - hi
    return max(0, -(-span // abs(step)))


def path_to(body: list, target: ir.Stmt):
    """``[(stmt_list, position), ...]`` from ``body`` down to ``target`` (its own list last), or
    None when ``target`` is not in ``body``."""
    for pos, stmt in enumerate(body):
        if stmt is target:
            return [(body, pos)]
        for inner in stmt.bodies():
            found = path_to(inner, target)
            if found is not None:
                return [(body, pos)] + found
    return None


def vars_read(exprs) -> set:
    """The Vars read by the expressions ``exprs``."""
    out = set()
    for e in exprs:
        if e is not None:
            out.update(sub.var for sub in ir.walk_expr(e) if isinstance(sub, ir.VarRef))
    return out


def has_side_reads(expr: ir.Expr) -> bool:
    """Whether ``expr`` reads an array or calls a kernel (so evaluating it twice may differ)."""
    return any(isinstance(sub, (ir.Load, ir.CallExpr, ir.BufferRef)) for sub in ir.walk_expr(expr))


def annotations_of(loop: ir.For) -> dict:
    return {k: v for k, v in loop.attrs.items() if k in ANNOTATIONS}
