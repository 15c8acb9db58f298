"""The IR rewrites behind ``buffer_at`` and ``reuse_at``: new local arrays and the loops that
fill, shift and write them back."""
from __future__ import annotations

from ..ir import nodes as ir
from ..ir.affine import affine_form, affine_range
from ..ir.rewrite import Rewriter, copy_expr, index_add, index_const, loop_nest, substitute
from .. import types as T
from ..types import ArrayType, Index
from .common import illegal


def _fresh_name(fn: ir.Function, base: str) -> str:
    taken = set(fn.locals) | {p.name for p in fn.params}
    name, k = base, 1
    while name in taken:
        k += 1
        name = f"{base}{k}"
    return name


def _new_local(fn: ir.Function, base: str, elem, shape, loc) -> ir.Buffer:
    buffer = ir.Buffer(_fresh_name(fn, base), ArrayType(elem, tuple(shape)), loc, "local")
    fn.locals[buffer.name] = buffer
    # declared (and zero-filled) once, before the function's statements
    fn.body.insert(0, ir.Decl(loc, buffer, None))
    return buffer


def _new_loop_var(fn: ir.Function, name: str, loc) -> ir.Var:
    var = ir.Var(_fresh_name(fn, name), Index(), loc, "loop")
    fn.locals[var.name] = var
    return var


def _loop_nest(fn, base: str, extents: list, body_of, loc, band: str) -> list:
    """Loops ``<base>0``, ``<base>1``... over ``extents``, the innermost pipelined."""
    loop_vars = [_new_loop_var(fn, f"{base}{level}", loc) for level in range(len(extents))]
    return loop_nest(loop_vars, extents, body_of, loc, band, pipeline_innermost=True)


def _accesses(body: list, buffer: ir.Buffer, primitive: str, loc):
    """Loads and stores of ``buffer`` in ``body``; passing it to a call is not supported."""
    loads, stores = [], []
    for stmt in ir.walk_stmts(body):
        if isinstance(stmt, (ir.Store, ir.BitStore)):
            target = stmt.buffer if isinstance(stmt, ir.Store) else getattr(stmt.target, "buffer", None)
            if target is buffer:
                stores.append(stmt)
        for e in stmt.exprs():
            for sub in ir.walk_expr(e):
                if isinstance(sub, ir.Load) and sub.buffer is buffer:
                    loads.append(sub)
                if isinstance(sub, ir.BufferRef) and sub.buffer is buffer:
                    raise illegal(primitive, f"{buffer.name} is passed to a call inside the loop",
                                  "apply it inside the callee's schedule instead", loc)
    return loads, stores


def _inner_loops(body: list) -> dict:
    return {s.var: s for s in ir.walk_stmts(body) if isinstance(s, ir.For)}


def _uses(expr: ir.Expr, variables) -> bool:
    return any(isinstance(e, ir.VarRef) and e.var in variables for e in ir.walk_expr(expr))


class _Retarget(Rewriter):
    """Accesses of one buffer moved to another with new indices (``index_map(indices)``)."""

    def __init__(self, old, new, index_map):
        self.old, self.new, self.index_map = old, new, index_map

    def expr(self, e):
        if isinstance(e, ir.Load) and e.buffer is self.old:
            return ir.Load(e.type, e.loc, self.new, self.index_map(e.indices))
        return self.copy_node(e)

    def stmt(self, s):
        if isinstance(s, ir.Store) and s.buffer is self.old:
            return [ir.Store(s.loc, self.new, self.index_map(s.indices), self.expr(s.value))]
        return [self.copy_node(s)]


# ---------------------------------------------------------------------------------------------
# buffer_at


def make_accumulation_buffer(fn: ir.Function, buffer: ir.Buffer, loop: ir.For, loc) -> ir.Buffer:
    loads, stores = _accesses(loop.body, buffer, "buffer_at", loc)
    if not loads and not stores:
        raise illegal("buffer_at", f"loop {loop.name!r} does not access {buffer.name}",
                      "buffer an array at a loop that reads or writes it", loc)
    inner = set(_inner_loops(loop.body))
    index_lists = [a.indices for a in loads] + [
        s.indices if isinstance(s, ir.Store) else s.target.indices for s in stores]
    rank = len(buffer.shape)
    window = [d for d in range(rank) if any(_uses(ix[d], inner) for ix in index_lists)]
    fixed = [d for d in range(rank) if d not in window]
    if not window:
        raise illegal("buffer_at", f"no index of {buffer.name} changes inside loop {loop.name!r}",
                      "buffer it at an outer loop, or keep the element in a scalar", loc)
    for d in fixed:
        forms = {repr(_form_key(ix[d])) for ix in index_lists}
        if len(forms) > 1 or None in (affine_form(ix[d]) for ix in index_lists):
            raise illegal("buffer_at", f"dimension {d + 1} of {buffer.name} is indexed by "
                          "different expressions inside the loop",
                          "the buffer holds one slice of the array: the dimensions not indexed "
                          "by inner loops must use one affine index", loc)
    _check_in_bounds(fn, buffer, loads + stores, loc)
    fixed_index = {d: index_lists[0][d] for d in fixed}
    new = _new_local(fn, f"{buffer.name}_buf", buffer.elem, [buffer.shape[d] for d in window], loc)

    def full_index(window_vars):
        ix, it = [], iter(window_vars)
        for d in range(rank):
            ix.append(copy_expr(fixed_index[d]) if d in fixed else next(it))
        return ix

    body = _Retarget(buffer, new, lambda ix: [ix[d] for d in window]).stmts(loop.body)
    extents = [buffer.shape[d] for d in window]
    init = _loop_nest(fn, f"{new.name}_init", extents, lambda v: [ir.Store(
        loc, new, list(v), ir.Load(buffer.elem, loc, buffer, full_index(v)))], loc, f"{new.name}_init")
    back = []
    if stores:
        back = _loop_nest(fn, f"{new.name}_back", extents, lambda v: [ir.Store(
            loc, buffer, full_index(v), ir.Load(buffer.elem, loc, new, list(v)))], loc,
            f"{new.name}_back")
    loop.body[:] = init + body + back
    return new


def _check_in_bounds(fn: ir.Function, buffer: ir.Buffer, accesses: list, loc):
    """Every access of ``buffer`` in the buffered loop stays inside it, for every value of the
    loop counters: the buffer holds a slice of the array, so an index out of bounds would be
    reported on the buffer rather than on the array, and the copy into the buffer would read
    the slice even where the access sits in a branch that never runs."""
    loops = {s.var: s for s in ir.walk_stmts(fn.body) if isinstance(s, ir.For)}
    for access in accesses:
        indices = access.target.indices if isinstance(access, ir.BitStore) else access.indices
        for d, (index, size) in enumerate(zip(indices, buffer.shape)):
            span = affine_range(index, loops)
            if span == () or (span is not None and 0 <= span[0] and span[1] < size):
                continue
            what = ("is not bounded by loop counters" if span is None
                    else f"takes values {span[0]}..{span[1]}, outside [0, {size})")
            raise illegal("buffer_at", f"the index of dimension {d + 1} of {buffer.name} at line "
                          f"{access.loc.line} {what}",
                          "buffer_at copies a slice of the array into a buffer, so it needs every "
                          "access inside the loop to stay in bounds whatever the loop counters "
                          "are", loc)


def _form_key(expr):
    form = affine_form(expr)
    return None if form is None else (sorted((v.name, id(v), c) for v, c in form[0].items()), form[1])


# ---------------------------------------------------------------------------------------------
# reuse_at


def _offset_range(terms: dict, constant: int, inner: dict, buffer, loop, loc) -> tuple:
    lo = hi = constant
    for var, coeff in terms.items():
        inner_loop = inner.get(var)
        if inner_loop is None or not isinstance(inner_loop.lo, ir.Const) \
                or not isinstance(inner_loop.hi, ir.Const):
            raise illegal("reuse_at", f"the index of {buffer.name} along {loop.name!r} also "
                          f"depends on {var.name}, which is not a loop inside {loop.name!r} "
                          "with constant bounds",
                          "the window must have a fixed size: index as loop + offset", loc)
        values = range(inner_loop.lo.value, inner_loop.hi.value, inner_loop.step)
        if not values:
            continue
        a, b = coeff * values[0], coeff * values[-1]
        lo, hi = lo + min(a, b), hi + max(a, b)
    return lo, hi


def make_reuse_buffer(fn: ir.Function, buffer: ir.Buffer, loop: ir.For, loc) -> ir.Buffer:
    v = loop.var
    if not (isinstance(loop.lo, ir.Const) and isinstance(loop.hi, ir.Const) and loop.step == 1):
        raise illegal("reuse_at", f"loop {loop.name!r} must have constant bounds and step 1",
                      "reuse buffers slide by one element per iteration", loc)
    loads, stores = _accesses(loop.body, buffer, "reuse_at", loc)
    if stores:
        raise illegal("reuse_at", f"loop {loop.name!r} writes {buffer.name}",
                      "a reuse buffer holds a window of an array the loop only reads",
                      stores[0].loc)
    if not loads:
        raise illegal("reuse_at", f"loop {loop.name!r} does not read {buffer.name}",
                      "reuse an array at a loop whose iterations read overlapping windows", loc)
    inner = _inner_loops(loop.body)
    dim, offsets = None, []
    for load in loads:
        dims = [d for d, ix in enumerate(load.indices) if _uses(ix, {v})]
        form = affine_form(load.indices[dims[0]]) if len(dims) == 1 else None
        if len(dims) != 1 or form is None or form[0].get(v) != 1 or (dim is not None and dims[0] != dim):
            raise illegal("reuse_at", f"{buffer.name} must be indexed by {loop.name} + offset in "
                          f"one dimension, the same in every read",
                          "reuse_at slides a window along one dimension", load.loc)
        dim = dims[0]
        terms = {u: c for u, c in form[0].items() if u is not v}
        offsets.append(_offset_range(terms, form[1], inner, buffer, loop, loc))
    e_min, e_max = min(o[0] for o in offsets), max(o[1] for o in offsets)
    size = e_max - e_min + 1
    lo, hi = loop.lo.value, loop.hi.value
    if lo + e_min < 0 or hi - 1 + e_max >= buffer.shape[dim]:
        raise illegal("reuse_at", f"the window of {buffer.name} leaves the array along "
                      f"dimension {dim + 1}", "check the loop bounds", loc)
    shape = list(buffer.shape)
    shape[dim] = size
    new = _new_local(fn, f"{buffer.name}_{loop.name}_reuse".replace(".", "_"), buffer.elem,
                     shape, loc)
    rank = len(shape)
    others = [d for d in range(rank) if d != dim]
    vref = ir.VarRef(Index(), loc, v)

    def shift_and_load(other_vars):
        def at(slot):
            ix, rest = [], iter(other_vars)
            for d in range(rank):
                ix.append(slot if d == dim else next(rest))
            return ix
        moves = []
        if size > 1:
            moves = loop_nest([_new_loop_var(fn, f"{new.name}_shift", loc)], [size - 1],
                              lambda v: [ir.Store(loc, new, at(v[0]), ir.Load(
                                  buffer.elem, loc, new, at(index_add(v[0], 1))))],
                              loc, f"{new.name}_fill")
        source = []
        rest = iter(other_vars)
        for d in range(rank):
            source.append(vref if d == dim else next(rest))
        return moves + [ir.Store(loc, new, at(index_const(size - 1, loc)),
                                 ir.Load(buffer.elem, loc, buffer, source))]

    fill = _loop_nest(fn, f"{new.name}_col", [buffer.shape[d] for d in others], shift_and_load,
                      loc, f"{new.name}_fill")

    def window_index(ix):
        out = [copy_expr(e) for e in ix]
        out[dim] = substitute(ix[dim], {v: index_const(-e_min, loc)})
        return out

    body = _Retarget(buffer, new, window_index).stmts(loop.body)
    body = substitute(body, {v: index_add(vref, -e_max)})
    if size > 1:
        guard = ir.Compare(T.bool, loc, "ge", vref, index_const(lo + e_max, loc))
        body = [ir.If(loc, guard, body, [])]
    loop.lo, loop.hi = index_const(lo + e_min, loc), index_const(hi + e_max, loc)
    loop.body[:] = fill + body
    return new
