"""Loop unrolling for hardware: the ``unroll`` annotation, and every loop inside a pipelined
loop (a pipeline's body is one straight-line block, DESIGN.md's performance model).

A full unroll copies the body once per iteration with the loop variable a constant; a partial
unroll by ``f`` runs ``ceil(trip / f)`` iterations of ``f`` copies each (the last guarded when
``f`` does not divide the trip count). Works on the normalized copy of a function, never on
the Schedule's IR.
"""
from __future__ import annotations

from ... import types as T
from ...errors import UnsupportedError
from ...ir import nodes as ir
from ...ir.rewrite import copy_expr, index_add, index_const, substitute

INDEX = T.Index()


def _trip(loop: ir.For):
    if isinstance(loop.lo, ir.Const) and isinstance(loop.hi, ir.Const):
        return range(loop.lo.value, loop.hi.value, loop.step)
    return None


def full_unroll(loop: ir.For, why: str, inside_pipeline: bool) -> list:
    """One copy of the body per iteration; loops in the body stay loops unless they are inside a
    pipeline too (a loop marked unroll unrolls itself only, as Allo's ``unroll`` does)."""
    values = _trip(loop)
    if values is None:
        raise UnsupportedError(f"loop {loop.name!r} cannot be unrolled ({why}): its bounds are "
                               "not constants", loop.loc,
                               "give it constant bounds, or do not pipeline the loop around it")
    body = expand(loop.body, inside_pipeline or "pipeline" in loop.attrs)
    return [s for v in values for s in substitute(body, {loop.var: index_const(v, loop.loc)})]


def partial_unroll(loop: ir.For, factor: int, inside_pipeline: bool) -> ir.For:
    values = _trip(loop)
    if values is None:
        raise UnsupportedError(f"loop {loop.name!r} cannot be unrolled by {factor}: its bounds "
                               "are not constants", loop.loc, "unroll a loop with constant bounds")
    loc = loop.loc
    outer = ir.Var(f"{loop.var.name}_unrolled", INDEX, loc, "loop")
    outer_ref = ir.VarRef(INDEX, loc, outer)
    copies = []
    for k in range(factor):
        # v = lo + (outer * factor + k) * step
        scaled = ir.BinOp(INDEX, loc, "mul", outer_ref, index_const(factor * loop.step, loc))
        value = index_add(ir.BinOp(INDEX, loc, "add", index_const(loop.lo.value, loc), scaled),
                          k * loop.step)
        body = substitute(expand(loop.body, inside_pipeline or "pipeline" in loop.attrs),
                          {loop.var: value})
        if len(values) % factor and k:
            op = "lt" if loop.step > 0 else "gt"
            body = [ir.If(loc, ir.Compare(T.bool, loc, op, copy_expr(value),
                                          index_const(loop.hi.value, loc)), body, [])]
        copies.extend(body)
    attrs = {k: v for k, v in loop.attrs.items() if k != "unroll"}
    trips = -(-len(values) // factor)
    return ir.For(loc, outer, index_const(0, loc), index_const(trips, loc), 1, copies,
                  loop.name, loop.band, loop.kind, attrs)


def expand(body: list, inside_pipeline: bool = False) -> list:
    """``body`` with every unroll done (a new list; statements not unrolled are copied shallowly)."""
    out = []
    for stmt in body:
        if isinstance(stmt, ir.For):
            factor = stmt.attrs.get("unroll")
            values = _trip(stmt)
            full = inside_pipeline or factor == 0 or (
                factor is not None and values is not None and factor >= len(values))
            if full:
                out.extend(full_unroll(stmt, "it is inside a pipelined loop" if inside_pipeline
                                       else "it is marked unroll", inside_pipeline))
                continue
            if factor is not None and factor > 1:
                out.append(partial_unroll(stmt, factor, inside_pipeline))
                continue
            pipelined = "pipeline" in stmt.attrs
            out.append(ir.For(stmt.loc, stmt.var, stmt.lo, stmt.hi, stmt.step,
                              expand(stmt.body, pipelined), stmt.name, stmt.band, stmt.kind,
                              dict(stmt.attrs)))
        elif isinstance(stmt, ir.If):
            out.append(ir.If(stmt.loc, stmt.cond, expand(stmt.then_body, inside_pipeline),
                             expand(stmt.else_body, inside_pipeline)))
        elif isinstance(stmt, ir.While):
            if inside_pipeline:
                raise UnsupportedError("a while loop inside a pipelined loop is not supported",
                                       stmt.loc, "pipeline the while loop's body loop instead")
            out.append(ir.While(stmt.loc, stmt.cond, expand(stmt.body)))
        else:
            out.append(stmt)
    return out
