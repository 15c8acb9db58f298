"""Greedy shrinking of a failing case on the generator's own representation.

Each pass proposes edits of the current program (drop schedule primitives, drop or unwrap
statements, replace an expression by a sub-expression or a constant, cut loop trips and array
shapes, narrow types, drop unused parameters, helpers and results, zero the inputs); an edit is
kept when the case still fails with the same signature. Edits that leave the program invalid
(a name used before it is defined, no typing rule, a model that does not finish) are skipped
without running the case. A dataflow region must also stay one the frontend accepts (one
producer and one consumer instance per stream, arguments of the parameters' types) and, unless
the case was made unbalanced, put as many values into each stream as are got from it; its own
edits drop a group of kernels with its streams, run a group's loops once, drop a kernel's unused
argument, and narrow or shallow its streams.
"""
from __future__ import annotations

import copy
import dataclasses
import re
import time

from . import dataflow_model
from . import prog as P
from . import types as T
from .model import Diverged, Fault, Model


def signature(result: dict) -> str:
    """What must stay the same while shrinking: the outcome and what failed (digits dropped, so
    that dropping results or renumbered names keep it)."""
    return f"{result['outcome']}:{re.sub(r'[0-9]+', '', result.get('key', ''))}"


# ---------------------------------------------------------------------------------------------
# Sites of the program, in a deterministic order (the same on a deep copy)


def stmt_lists(program):
    for fn in program.funcs:
        if fn.template is None:
            yield from _lists(fn.body)


def _lists(body):
    yield body
    for s in body:
        for inner in s.bodies():
            yield from _lists(inner)


def expr_slots(program):
    """``(node, field, index)`` of every expression held by a statement or an expression."""
    for fn in program.funcs:
        if fn.template is not None:
            continue
        for s in P.walk_stmts(fn.body):
            yield from _slots_of(s)


def _slots_of(node):
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if isinstance(value, P.Expr):
            yield node, f.name, None
            yield from _slots_of(value)
        elif isinstance(value, list) and f.name not in ("then", "orelse", "body"):
            for i, v in enumerate(value):
                if isinstance(v, P.Expr):
                    yield node, f.name, i
                    yield from _slots_of(v)


def _get(slot):
    node, name, i = slot
    return getattr(node, name) if i is None else getattr(node, name)[i]


def _set(slot, value):
    node, name, i = slot
    if i is None:
        setattr(node, name, value)
    else:
        getattr(node, name)[i] = value


def all_syms(program):
    seen = []
    for fn in program.funcs:
        if fn.template is not None:
            continue
        for p in fn.params:
            seen.append(p)
        for s in P.walk_stmts(fn.body):
            if isinstance(s, P.Decl) and s.sym not in seen:
                seen.append(s.sym)
            if isinstance(s, P.CallStmt):
                seen += [t for t in s.targets if t not in seen]
    return seen


# ---------------------------------------------------------------------------------------------
# Edits: (description, function applying it to a deep copy)


def edits(program):
    if program.is_region:
        yield from _dataflow_edits(program)
    if program.sched:
        yield "drop the schedule", lambda p: p.sched.clear()
        for k in range(len(program.sched)):
            yield f"drop schedule op {k}", lambda p, k=k: p.sched.pop(k)
    for li, body in enumerate(stmt_lists(program)):
        for si in reversed(range(len(body))):
            s = body[si]
            if not isinstance(s, P.Return):
                yield f"drop statement {li}.{si}", lambda p, li=li, si=si: _splice(p, li, si, [])
            if isinstance(s, P.If):
                yield "keep then", lambda p, li=li, si=si: _splice(p, li, si, _at(p, li, si).then)
                yield "keep else", lambda p, li=li, si=si: _splice(p, li, si, _at(p, li, si).orelse)
                if s.orelse:
                    yield "drop else", lambda p, li=li, si=si: setattr(_at(p, li, si), "orelse", [])
            if isinstance(s, P.While):
                if s.cond is not None:
                    yield "while without cond", lambda p, li=li, si=si: setattr(_at(p, li, si), "cond", None)
                if s.limit > 1:
                    yield "while once", lambda p, li=li, si=si: setattr(_at(p, li, si), "limit", 1)
            if isinstance(s, P.For):
                yield from _loop_edits(s, li, si)
    fn = program.kernel
    if len(fn.results) > 1:
        for k in range(len(fn.results)):
            yield f"drop result {k}", lambda p, k=k: _drop_result(p, k)
    for k, f in enumerate(program.funcs[:-1]):
        yield f"drop function {f.name}", lambda p, k=k: p.funcs.pop(k)
    for k, param in enumerate(fn.params):
        yield f"drop parameter {param.name}", lambda p, k=k: _drop_param(p, k)
    for f, h in enumerate(program.funcs[:-1]):
        if h.template is None:
            for k, param in enumerate(h.params):
                yield f"drop parameter {h.name}.{param.name}", \
                    lambda p, f=f, k=k: _drop_helper_param(p, f, k)
    for k, slot in enumerate(expr_slots(program)):
        e = _get(slot)
        for j, kid in enumerate(e.kids()):
            if kid is not None:
                yield f"expr {k} -> kid {j}", lambda p, k=k, j=j: _replace(p, k, lambda e: e.kids()[j])
        if not (isinstance(e, P.Lit) and e.value in (0, 1)):
            for v in (0, 1):
                yield f"expr {k} -> {v}", lambda p, k=k, v=v: _replace(p, k, lambda e: P.Lit(v))
    for k, sym in enumerate(all_syms(program)):
        for t in _narrower(sym.ty):
            yield f"type {sym.name} -> {t}", lambda p, k=k, t=t: _retype(p, k, t)
        if sym.is_array:
            for d, n in enumerate(sym.shape):
                if n > 1:
                    for m in sorted({1, n // 2}):
                        yield f"shape {sym.name}[{d}] -> {m}", lambda p, k=k, d=d, m=m: _reshape(p, k, d, m)
    for k, v in enumerate(program.inputs):
        if isinstance(v, list):
            if any(v):
                yield f"zero input {k}", lambda p, k=k: p.inputs.__setitem__(k, [0] * len(v))
        elif v not in (0, 1):
            for x in (0, 1):
                yield f"input {k} -> {x}", lambda p, k=k, x=x: p.inputs.__setitem__(k, x)


def _at(p, li, si):
    return list(stmt_lists(p))[li][si]


def _splice(p, li, si, stmts):
    body = list(stmt_lists(p))[li]
    body[si:si + 1] = list(stmts)


def _loop_edits(s, li, si):
    if s.kind == "range":
        lo, hi, step = s.bounds
        a, b = P.folded(lo), P.folded(hi)
        if a is not None and b is not None and len(range(a, b, step)) > 1:
            yield "loop once", lambda p, li=li, si=si: _set_bound(p, li, si, 1, a + step)
    else:
        for d, b in enumerate(s.bounds):
            n = P.folded(b)
            if n and n > 1:
                for m in sorted({1, n // 2}):
                    yield "grid extent", lambda p, li=li, si=si, d=d, m=m: _set_bound(p, li, si, d, m)


def _set_bound(p, li, si, d, value):
    _at(p, li, si).bounds[d] = P.Lit(value)


def _replace(p, k, make):
    slot = list(expr_slots(p))[k]
    _set(slot, make(_get(slot)))


def _drop_result(p, k):
    fn = p.kernel
    fn.results.pop(k)
    for s in P.walk_stmts(fn.body):
        if isinstance(s, P.Return):
            s.values.pop(k)


def _drop_param(p, k):
    fn = p.kernel
    fn.params.pop(k)
    p.inputs.pop(k)


def _drop_helper_param(p, f, k):
    h = p.funcs[f]
    h.params.pop(k)
    for fn in p.funcs:
        for s in P.walk_stmts(fn.body):
            if isinstance(s, P.CallStmt) and s.fn is h:
                s.args.pop(k)
            for e in s.exprs():
                for x in P.walk_expr(e):
                    if isinstance(x, P.Call) and x.fn is h:
                        x.args.pop(k)


def _narrower(t):
    out = []
    if t.is_fixed:
        out.append(T.Int(max(1, t.bits - t.fracs)))
    elif not t.is_index:
        for cand in (T.INT32, T.Int(8), T.UInt(8), T.Ty(t.kind, max(1, t.bits // 2))):
            if cand.bits < t.bits and cand not in out:   # strictly narrower: no cycles
                out.append(cand)
    return out


def _retype(p, k, t):
    sym = all_syms(p)[k]
    sym.ty = t
    fn = p.kernel
    if sym in fn.params:
        i = fn.params.index(sym)
        v = p.inputs[i]
        p.inputs[i] = [t.wrap(x) for x in v] if isinstance(v, list) else t.wrap(v)
    _sync_results(p, sym)
    _sync_kernel_params(p)


def _reshape(p, k, d, m):
    sym = all_syms(p)[k]
    old = sym.shape
    sym.shape = old[:d] + (m,) + old[d + 1:]
    fn = p.kernel
    if sym in fn.params:
        i = fn.params.index(sym)
        flat = p.inputs[i]
        if len(old) == 1:
            p.inputs[i] = flat[:m]
        else:
            rows = [flat[r * old[1]:(r + 1) * old[1]] for r in range(old[0])]
            rows = rows[:m] if d == 0 else [row[:m] for row in rows]
            p.inputs[i] = [x for row in rows for x in row]
    for s in P.walk_stmts(fn.body):
        if isinstance(s, P.Decl) and s.sym is sym and isinstance(s.init, P.Table):
            s.init = 0
    _sync_results(p, sym)
    _sync_kernel_params(p)


def _sync_results(p, sym):
    """A returned array's result type follows the array."""
    for fn in p.funcs:
        for s in P.walk_stmts(fn.body):
            if isinstance(s, P.Return):
                for v, r in zip(s.values, fn.results):
                    if isinstance(v, P.Ref) and v.sym is sym:
                        r.ty, r.shape = sym.ty, sym.shape


# -- dataflow regions ---------------------------------------------------------------------------


def _kernel_defs(program):
    return [s for s in program.kernel.body if isinstance(s, P.KernelDef)]


def _streams_of(kdef) -> set:
    out = set()
    for s in P.walk_stmts(kdef.fn.body):
        if isinstance(s, (P.Put, P.GetStmt)):
            out.add(id(s.chan.stream))
        for e in s.exprs():
            out |= {id(x.chan.stream) for x in P.walk_expr(e) if isinstance(x, P.Get)}
    return out


def groups(program) -> list:
    """The kernels of a region in groups linked by streams: lists of KernelDef indices."""
    kdefs = _kernel_defs(program)
    streams = [_streams_of(k) for k in kdefs]
    parent = list(range(len(kdefs)))

    def find(i):
        while parent[i] != i:
            i = parent[i]
        return i
    for i in range(len(kdefs)):
        for j in range(i):
            if streams[i] & streams[j]:
                parent[find(i)] = find(j)
    out = {}
    for i in range(len(kdefs)):
        out.setdefault(find(i), []).append(i)
    return list(out.values())


def _dataflow_edits(program):
    """Edits that keep a region whole: drop a group of kernels with their streams, drop a
    kernel's unused argument, fewer instances of a grid without streams, narrower stream types,
    shallower streams."""
    gs = groups(program)
    if len(gs) > 1:
        for g in range(len(gs)):
            yield f"drop kernel group {g}", lambda p, g=g: _drop_group(p, g)
    for g in range(len(gs)):
        # puts and gets shrink together (kept only when the streams stay balanced)
        yield f"kernel group {g}: main loops once", lambda p, g=g: _group_loops_once(p, g, False)
        yield f"kernel group {g}: all loops once", lambda p, g=g: _group_loops_once(p, g, True)
    for ki, k in enumerate(_kernel_defs(program)):
        for j in range(len(k.args)):
            yield f"drop argument {j} of {k.fn.name}", lambda p, ki=ki, j=j: _drop_kernel_arg(p, ki, j)
        if k.group == "grid" and k.mapping[0] > 1:
            yield f"fewer instances of {k.fn.name}", \
                lambda p, ki=ki: setattr(_kernel_defs(p)[ki], "mapping", (1,) + _kernel_defs(p)[ki].mapping[1:])
    for si, s in enumerate(program.kernel.body):
        if isinstance(s, P.StreamDecl):
            for t in _narrower(s.stream.ty):
                yield f"stream {s.stream.name} -> {t}", \
                    lambda p, si=si, t=t: setattr(p.kernel.body[si].stream, "ty", t)
            if s.stream.depth > 1:
                yield f"stream {s.stream.name} depth 1", \
                    lambda p, si=si: setattr(p.kernel.body[si].stream, "depth", 1)


def _drop_group(p, g):
    kdefs = _kernel_defs(p)
    drop = [kdefs[i] for i in groups(p)[g]]
    used = set()
    for k in drop:
        used |= _streams_of(k)
    p.kernel.body[:] = [s for s in p.kernel.body if not any(s is k for k in drop) and
                        not (isinstance(s, P.StreamDecl) and id(s.stream) in used)]
    _drop_unused_region_params(p)


def _group_loops_once(p, g, nested):
    """Every loop of constant trip count of the group's kernels runs once (the loops at the top
    of a kernel's body and of its meta branches, or all of them)."""
    kdefs = _kernel_defs(p)
    changed = False

    def visit(body):
        nonlocal changed
        for s in body:
            if isinstance(s, P.For):
                changed |= _once(s)
                if nested:
                    visit(s.body)
            elif isinstance(s, (P.MetaIf, P.MetaFor)) or (nested and s.bodies()):
                for inner in s.bodies():
                    visit(inner)
    for i in groups(p)[g]:
        visit(kdefs[i].fn.body)
    if not changed:
        raise IndexError("nothing to change")


def _once(s: P.For) -> bool:
    if s.kind == "range":
        lo, hi, step = s.bounds
        a, b = P.folded(lo), P.folded(hi)
        if a is None or b is None or len(range(a, b, step)) <= 1:
            return False
        s.bounds[1] = P.Lit(a + step)
        return True
    if all(P.folded(b) == 1 for b in s.bounds) or any(P.folded(b) is None for b in s.bounds):
        return False
    s.bounds = [P.Lit(1) for _ in s.bounds]
    return True


def _drop_kernel_arg(p, ki, j):
    k = _kernel_defs(p)[ki]
    k.args.pop(j)
    k.fn.params.pop(j)
    _drop_unused_region_params(p)


def _drop_unused_region_params(p):
    region = p.kernel
    used = {id(a) for k in _kernel_defs(p) for a in k.args}
    used |= {s for k in _kernel_defs(p) for s in _streams_of(k)}
    keep = [i for i, a in enumerate(region.params)
            if id(a if a.stream is None else a.stream) in used]
    region.params = [region.params[i] for i in keep]
    p.inputs = [p.inputs[i] for i in keep]


def _sync_kernel_params(p):
    """A kernel parameter has its argument's exact type and shape."""
    if not p.is_region:
        return
    for k in _kernel_defs(p):
        for param, arg in zip(k.fn.params, k.args):
            param.ty, param.shape = arg.ty, arg.shape


def region_valid(program) -> bool:
    """The frontend's rules for a region (dataflow_model.region_problem) and, unless the case
    was made to deadlock or leave values behind, balanced streams."""
    if dataflow_model.region_problem(program) is not None:
        return False
    if not program.df_fault and not dataflow_model.balanced(program):
        return False
    return True


# ---------------------------------------------------------------------------------------------
# Validity and the greedy loop


def valid(program) -> bool:
    """Every name defined before use (in the generator's scoping), a typing rule for every
    expression, and a model run that finishes."""
    try:
        if program.is_region and not region_valid(program):
            return False
        for fn in program.funcs:
            if not _defined_before_use(fn, program):
                return False
            for e in P.all_exprs(fn.body):
                P.type_of(e) if not (isinstance(e, P.Ref) and e.sym.is_array) else None
        Model(program, step_limit=50_000).run(program.inputs)
    except Fault:
        return True
    except (Diverged, T.NoRule, KeyError, IndexError, TypeError, AttributeError, ValueError,
            RecursionError, ZeroDivisionError):
        return False
    return True


def _defined_before_use(fn, program) -> bool:
    funcs = set(map(id, program.funcs))
    defined = {id(p) for p in fn.params}

    def exprs_ok(exprs):
        for e in exprs:
            for x in P.walk_expr(e):
                if isinstance(x, (P.Ref, P.Load)) and id(x.sym) not in defined:
                    return False
                if isinstance(x, P.Call) and (id(x.fn) not in funcs or len(x.args) != len(x.fn.params)):
                    return False
        return True

    def block(body):
        for s in body:
            if isinstance(s, P.KernelDef):
                defined.update(id(p) for p in s.fn.params)
                if not block(s.fn.body):
                    return False
                continue
            if isinstance(s, P.PidDecl):
                defined.update(id(v) for v in s.syms)
                continue
            if isinstance(s, P.ConstDecl):
                if not exprs_ok([s.value]):
                    return False
                defined.add(id(s.sym))
                continue
            if isinstance(s, P.MetaFor):
                defined.add(id(s.var))
            if isinstance(s, P.For):
                if not exprs_ok(s.exprs()):
                    return False
                defined.update(id(v) for v in s.vars)
                if not block(s.body):
                    return False
                continue
            if isinstance(s, P.While):
                defined.add(id(s.counter))
            if isinstance(s, P.Decl):
                if not exprs_ok(s.exprs()):
                    return False
                defined.add(id(s.sym))
                continue
            if isinstance(s, P.CallStmt) and id(s.fn) not in funcs:
                return False
            if not exprs_ok(s.exprs()):
                return False
            if isinstance(s, P.CallStmt):
                defined.update(id(t) for t in s.targets)
            for inner in s.bodies():
                if not block(inner):
                    return False
        return True

    return block(fn.body)


def shrink(program, target_sig: str, evaluate, max_attempts: int = 200,
           max_seconds: float = 300.0, batch: int = 1, log=None):
    """The smallest program found that fails with ``target_sig``, the last failing result, and
    the number of cases run. ``evaluate(programs)`` runs a list of programs and returns their
    results in order (a batch runs in parallel)."""
    best, best_result = program, None
    attempts, start = 0, time.time()
    progress = True
    while progress and attempts < max_attempts and time.time() - start < max_seconds:
        progress = False
        pending = []
        for desc, edit in edits(best):
            cand = copy.deepcopy(best)
            try:
                edit(cand)
            except (IndexError, KeyError, AttributeError, TypeError):
                continue
            if not valid(cand):
                continue
            pending.append((desc, cand))
            if len(pending) < batch:
                continue
            hit = _try(pending, target_sig, evaluate)
            attempts += len(pending)
            pending = []
            if hit:
                best, best_result = hit[1], hit[2]
                progress = True
                if log:
                    log(f"  shrink: {hit[0]} (attempt {attempts})")
                break
            if attempts >= max_attempts or time.time() - start >= max_seconds:
                break
        if not progress and pending:
            hit = _try(pending, target_sig, evaluate)
            attempts += len(pending)
            if hit:
                best, best_result, progress = hit[1], hit[2], True
    return best, best_result, attempts


def _try(pending, target_sig, evaluate):
    results = evaluate([c for _, c in pending])
    for (desc, cand), res in zip(pending, results):
        if signature(res) == target_sig:
            return desc, cand, res
    return None
