"""Dependence analysis for the loop primitives that change the order of iterations (reorder,
compute_at): which arrays a region touches and where, the direction vectors of the pairs of
accesses that may touch the same element, and the scalars that carry values across iterations.

Array indices that are affine in the loop variables give exact distances for uniform pairs
(``C[i, j]`` against ``C[i, j + 1]``); everything else (indices that are not affine, that read
arrays or variables assigned in the region, pairs whose coefficients differ, guarded accesses,
whole arrays passed to calls) is approximated from above: the affected loops may then take any
direction, and the result says it was ``conservative`` so that an error can tell the user why.
Distinct arrays are assumed not to alias (as in Allo, where each argument is its own memref).
Directions are over iteration numbers: a loop with a negative step runs its values downwards.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from ..errors import SourceLoc
from ..ir import nodes as ir
from ..ir.affine import affine_form
from ..ir.printer import format_expr
from .rewrite import const_trip


@dataclass(frozen=True, eq=False)
class Access:
    """One read or write of an array element (``indices``), or of any element (None: a whole
    array passed to a call or declared anew). A stream's put or get is a write of the whole
    stream (``buffer`` is its Channel), so that no transformation reorders them."""

    buffer: ir.Buffer
    indices: tuple | None
    write: bool
    loc: SourceLoc
    guarded: bool  # under an if/while of the region, whose condition the analysis ignores

    def __str__(self):
        if isinstance(self.buffer, ir.Channel):
            return f"stream {self.buffer.name} (used in order)"
        if self.indices is None:
            return f"{self.buffer.name} (whole array)"
        return f"{self.buffer.name}[{', '.join(map(format_expr, self.indices))}]"


# -- what a region touches ------------------------------------------------------------------------
def _callee_writes(fn: ir.Function, param: ir.Buffer, seen=None) -> bool:
    """Whether calling ``fn`` may write its array parameter ``param``."""
    seen = set() if seen is None else seen
    if (id(fn), id(param)) in seen:
        return False
    seen.add((id(fn), id(param)))
    for s in ir.walk_stmts(fn.body):
        if isinstance(s, ir.Store) and s.buffer is param:
            return True
        if isinstance(s, ir.BitStore) and isinstance(s.target, ir.Load) and s.target.buffer is param:
            return True
        calls = []
        if isinstance(s, ir.CallStmt):
            if any(t is param or (isinstance(t, ir.Load) and t.buffer is param) for t in s.targets):
                return True
            calls.append((s.func, s.args))
        for e in s.exprs():
            calls += [(sub.func, sub.args) for sub in ([] if e is None else ir.walk_expr(e))
                      if isinstance(sub, ir.CallExpr)]
        for callee, args in calls:
            for arg, p in zip(args, callee.params):
                if isinstance(arg, ir.BufferRef) and arg.buffer is param and \
                        isinstance(p, ir.Buffer) and _callee_writes(callee, p, seen):
                    return True
    return False


def _call_accesses(fn: ir.Function, args: list, loc, guarded: bool, out: list) -> None:
    for arg, param in zip(args, fn.params):
        if isinstance(arg, ir.BufferRef):
            out.append(Access(arg.buffer, None, False, loc, guarded))
            if isinstance(param, ir.Buffer) and _callee_writes(fn, param):
                out.append(Access(arg.buffer, None, True, loc, guarded))


def _expr_accesses(expr, loc, guarded: bool, out: list) -> None:
    if expr is None:
        return
    for sub in ir.walk_expr(expr):
        if isinstance(sub, ir.Load):
            out.append(Access(sub.buffer, tuple(sub.indices), False, sub.loc, guarded))
        elif isinstance(sub, ir.BufferRef):
            out.append(Access(sub.buffer, None, False, sub.loc, guarded))
        elif isinstance(sub, ir.CallExpr):
            _call_accesses(sub.func, sub.args, sub.loc, guarded, out)
        elif isinstance(sub, (ir.StreamGet, ir.ChannelRef)):
            # a stream is used in order: as a write of the whole of it, every use depends on
            # every other, so no loop transformation may reorder them
            out.append(Access(sub.channel, None, True, sub.loc, guarded))


def expr_accesses(exprs, loc) -> list:
    """The array reads of the expressions ``exprs`` (loop bounds, conditions)."""
    out: list = []
    for e in exprs:
        _expr_accesses(e, loc, False, out)
    return out


def accesses(stmts: list, guarded: bool = False) -> list:
    """Every array access of ``stmts`` (nested statements and loop bounds included)."""
    out: list = []
    for s in stmts:
        if isinstance(s, ir.Store):
            for e in s.indices:
                _expr_accesses(e, s.loc, guarded, out)
            _expr_accesses(s.value, s.loc, guarded, out)
            out.append(Access(s.buffer, tuple(s.indices), True, s.loc, guarded))
        elif isinstance(s, ir.BitStore):
            for e in s.exprs():
                _expr_accesses(e, s.loc, guarded, out)   # the target is read, too
            if isinstance(s.target, ir.Load):
                out.append(Access(s.target.buffer, tuple(s.target.indices), True, s.loc, guarded))
        elif isinstance(s, ir.Decl):
            out.append(Access(s.buffer, None, True, s.loc, guarded))
        elif isinstance(s, (ir.StreamPut, ir.StreamGetInto)):
            _expr_accesses(s.value if isinstance(s, ir.StreamPut) else None, s.loc, guarded, out)
            out.append(Access(s.channel, None, True, s.loc, guarded))
            if isinstance(s, ir.StreamGetInto):
                out.append(Access(s.buffer, None, True, s.loc, guarded))
        elif isinstance(s, ir.CallStmt):
            for e in s.exprs():
                if not isinstance(e, ir.BufferRef):
                    _expr_accesses(e, s.loc, guarded, out)
            _call_accesses(s.func, s.args, s.loc, guarded, out)
            for t in s.targets:
                if isinstance(t, ir.Buffer):
                    out.append(Access(t, None, True, s.loc, guarded))
                elif isinstance(t, ir.Load):
                    out.append(Access(t.buffer, tuple(t.indices), True, s.loc, guarded))
        else:
            for e in s.exprs():
                _expr_accesses(e, s.loc, guarded, out)
            inner_guard = guarded or isinstance(s, (ir.If, ir.While))
            for body in s.bodies():
                out.extend(accesses(body, inner_guard))
    return out


def assigned_vars(stmts: list) -> dict:
    """Scalars written in ``stmts`` (loop variables included), each with one location."""
    out: dict = {}
    for s in ir.walk_stmts(stmts):
        if isinstance(s, (ir.Assign, ir.For)):
            out.setdefault(s.var, s.loc)
        elif isinstance(s, ir.BitStore) and isinstance(s.target, ir.VarRef):
            out.setdefault(s.target.var, s.loc)
        elif isinstance(s, ir.CallStmt):
            for t in s.targets:
                if isinstance(t, ir.Var):
                    out.setdefault(t, s.loc)
    return out


def read_vars(stmts: list) -> dict:
    """Scalars read in ``stmts``, each with the location of one read."""
    out: dict = {}
    for s in ir.walk_stmts(stmts):
        for e in s.exprs():
            for sub in ([] if e is None else ir.walk_expr(e)):
                if isinstance(sub, ir.VarRef):
                    out.setdefault(sub.var, sub.loc)
    return out


def carried_scalars(body: list) -> list:
    """``(var, loc)`` of the scalars ``body`` may read before it assigns them in the same run:
    values carried from one iteration of the enclosing loops to the next. Flow-sensitive: an
    assignment counts only where it certainly happened (not inside a loop or one branch)."""
    candidates = {v for v in assigned_vars(body) if v.kind != "loop"}
    carried: dict = {}

    def reads(exprs, defined):
        for e in exprs:
            for sub in ([] if e is None else ir.walk_expr(e)):
                if isinstance(sub, ir.VarRef) and sub.var in candidates and sub.var not in defined:
                    carried.setdefault(sub.var, sub.loc)

    def walk(stmts, defined: set) -> set:
        for s in stmts:
            if isinstance(s, ir.Assign):
                reads([s.value], defined)
                defined = defined | {s.var}
            elif isinstance(s, ir.BitStore):
                reads(s.exprs(), defined)      # a partial write reads the rest of the value
            elif isinstance(s, ir.CallStmt):
                reads(s.exprs(), defined)
                defined = defined | {t for t in s.targets if isinstance(t, ir.Var)}
            elif isinstance(s, ir.If):
                reads([s.cond], defined)
                defined = walk(s.then_body, defined) & walk(s.else_body, defined)
            elif isinstance(s, (ir.For, ir.While)):
                reads(s.exprs(), defined)
                walk(s.body, defined)
            else:
                reads(s.exprs(), defined)
        return defined

    walk(body, set())
    return list(carried.items())


# -- direction vectors ---------------------------------------------------------------------------
LESS, EQUAL, GREATER = 1, 0, -1


_ENUMERATION_LIMIT = 1 << 12


def _sign_range(sign: int, trip):
    """The distances a loop of ``trip`` iterations (None: unknown) allows with ``sign``."""
    top = None if trip is None else trip - 1
    if sign == 0:
        return 0, 0
    return (1, top) if sign > 0 else (None if top is None else -top, -1)


def _constraint_feasible(coefs: dict, rhs: int, signs: tuple, trips: list):
    """Whether ``sum(coefs[k] * d[k]) == rhs`` has a solution with ``sign(d[k]) == signs[k]``
    and ``|d[k]| < trips[k]``: ``(answer, exact)``. Small bounded cases are enumerated; others
    get an interval and gcd test, which may accept what has no solution (never the reverse)."""
    live = {k: c for k, c in coefs.items() if signs[k] != 0}
    if not live:
        return rhs == 0, True
    if rhs % math.gcd(*live.values()):
        return False, True
    lo = hi = 0
    for k, c in live.items():
        a, b = _sign_range(signs[k], trips[k])
        ends = [c * a if a is not None else None, c * b if b is not None else None]
        if c < 0:
            ends.reverse()
        lo = None if lo is None or ends[0] is None else lo + ends[0]
        hi = None if hi is None or ends[1] is None else hi + ends[1]
    if (lo is not None and rhs < lo) or (hi is not None and rhs > hi):
        return False, True
    ranges = [_sign_range(signs[k], trips[k]) for k in live]
    if any(a is None or b is None for a, b in ranges) or \
            math.prod(b - a + 1 for a, b in ranges) > _ENUMERATION_LIMIT:
        return True, False
    spans = [range(a, b + 1) for a, b in ranges]
    found = any(sum(c * d for c, d in zip(live.values(), ds)) == rhs
                for ds in itertools.product(*spans))
    return found, True


def directions(a: Access, b: Access, common: list, invariant, trips: list, steps: list):
    """The direction vectors of the pairs of iterations where ``a`` and ``b`` touch the same
    element: per common loop ``k`` the sign of ``b``'s iteration number of it minus ``a``'s
    (iteration numbers, not values: a loop with a negative step runs its values downwards).

    ``common``: ``(var_in_a, var_in_b)`` per loop whose order matters, outermost first;
    ``invariant``: Vars that hold one value for both accesses (outer loops, arguments, scalars
    the region does not assign); any other Var (inner loops, scalars assigned in the region) is
    free. ``trips``: constant trip count per common loop, or None; ``steps``: their steps.

    Returns ``(vectors, conservative)``, or None when the accesses never touch the same element.
    """
    n = len(common)
    if a.buffer is not b.buffer:
        return None
    pos_a = {va: k for k, (va, _) in enumerate(common)}
    pos_b = {vb: k for k, (_, vb) in enumerate(common)}
    fixed: list = [None] * n
    constraints: list = []
    conservative = a.guarded or b.guarded or a.indices is None or b.indices is None
    rows = [] if a.indices is None or b.indices is None else list(zip(a.indices, b.indices))
    for ea, eb in rows:
        fa, fb = affine_form(ea), affine_form(eb)
        if fa is None or fb is None:
            conservative = True
            continue
        (ta, ca), (tb, cb) = fa, fb
        common_a = {pos_a[v]: c for v, c in ta.items() if v in pos_a}
        common_b = {pos_b[v]: c for v, c in tb.items() if v in pos_b}
        rest_a = {v: c for v, c in ta.items() if v not in pos_a}
        rest_b = {v: c for v, c in tb.items() if v not in pos_b}
        if any(v not in invariant for v in (*rest_a, *rest_b)) or rest_a != rest_b \
                or common_a != common_b:
            conservative = True   # free variables or different coefficients: no information
            continue
        # sum(c_k * (b_k - a_k)) == ca - cb, where the values differ by step_k times the
        # difference of the iteration numbers
        rhs = ca - cb
        per_iteration = {k: c * steps[k] for k, c in common_a.items()}
        if not per_iteration:
            if rhs != 0:
                return None
        elif len(per_iteration) == 1:
            (k, c), = per_iteration.items()
            if rhs % c or (fixed[k] is not None and fixed[k] != rhs // c):
                return None
            fixed[k] = rhs // c
        else:
            constraints.append((per_iteration, rhs))
    choices = []
    for k in range(n):
        if fixed[k] is not None:
            if trips[k] is not None and abs(fixed[k]) >= trips[k]:
                return None       # farther apart than the loop runs
            choices.append(((fixed[k] > 0) - (fixed[k] < 0),))
        elif trips[k] is not None and trips[k] <= 1:
            choices.append((EQUAL,))
        else:
            choices.append((LESS, EQUAL, GREATER))
    vectors = set()
    for signs in itertools.product(*choices):
        verdicts = [_constraint_feasible(c, r, signs, trips) for c, r in constraints]
        if all(ok for ok, _ in verdicts):
            vectors.add(signs)
            conservative = conservative or not all(exact for _, exact in verdicts)
    return (vectors, conservative) if vectors else None


def lex_sign(vector) -> int:
    """1 when the first nonzero entry is positive, -1 when negative, 0 for all zeros."""
    for d in vector:
        if d:
            return d
    return 0


def format_direction(vector) -> str:
    return "(" + ", ".join({LESS: "<", EQUAL: "=", GREATER: ">"}[d] for d in vector) + ")"


@dataclass
class Violation:
    """A pair of accesses whose dependence a new iteration order would break."""

    first: Access
    second: Access
    direction: tuple          # over the original loops, source first
    conservative: bool


def reorder_violation(body: list, chain: list, new_order: list, invariant):
    """The first dependence of ``body`` (the innermost body of the perfectly nested ``chain``
    of loops, outermost first) that iterating in ``new_order`` would reverse."""
    accs = accesses(body)
    common = [(loop.var, loop.var) for loop in chain]
    perm = [chain.index(loop) for loop in new_order]
    pairs = ((a, b) for i, a in enumerate(accs) for b in accs[i:])
    for a, b, vectors, conservative in _dependences(pairs, common, chain, invariant):
        for vec in sorted(vectors, reverse=True):
            sign = lex_sign(vec)
            if sign == 0:
                continue          # the same iteration: the body's own order is kept
            src, dst, vec = (a, b, vec) if sign > 0 else (b, a, tuple(-d for d in vec))
            if lex_sign([vec[p] for p in perm]) < 0:
                return Violation(src, dst, vec, conservative)
    return None


def compute_at_violation(producer: list, consumer: list, pairs: list, merged: list, invariant):
    """The first pair of a producer access and a consumer access that touch the same element
    with the producer's iteration of the merged loops (``pairs``: (producer var, consumer var),
    outermost first; ``merged``: the consumer's loops) after the consumer's: merging would run
    them in the wrong order."""
    consumer_accesses = accesses(consumer)
    both = ((a, b) for a in accesses(producer) for b in consumer_accesses)
    for a, b, vectors, conservative in _dependences(both, pairs, merged, invariant):
        for vec in sorted(vectors):
            if lex_sign(vec) < 0:
                return Violation(a, b, vec, conservative)
    return None


def _dependences(access_pairs, common: list, loops: list, invariant):
    """(a, b, direction vectors, conservative) for each pair of accesses to one array, at least
    one a write, that may touch the same element over ``loops`` (``common``: their variables
    in ``a`` and in ``b``, outermost first)."""
    trips, steps = [const_trip(loop) for loop in loops], [loop.step for loop in loops]
    for a, b in access_pairs:
        if not (a.write or b.write) or a.buffer is not b.buffer:
            continue
        found = directions(a, b, common, invariant, trips, steps)
        if found is not None:
            yield (a, b, *found)
