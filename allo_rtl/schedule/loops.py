"""Loop primitives: split, reorder, fuse, unroll, pipeline, compute_at (IR rewrites and loop
annotations, each with its legality checks).

Names follow Allo (and the HeteroCL dialect it builds on): ``split`` makes ``j.outer`` and
``j.inner``, ``fuse`` makes ``i_j_fused``; ``reorder`` puts the named loops, in the order given,
into the places they occupied in their nest; ``compute_at`` merges a producer's loop nest into
its consumer's at an axis. Loops keep their band; annotations live in ``For.attrs``."""
from __future__ import annotations

import math

from .. import types as T
from ..ir import nodes as ir
from ..ir.printer import format_expr
from ..ir.rewrite import add, compare, copy_expr, floordiv, index_const, mod, mul, sub
from .common import bad_argument, expect_bool, expect_int, illegal
from .dependence import (accesses, assigned_vars, carried_scalars, compute_at_violation,
                         expr_accesses, format_direction, read_vars, reorder_violation)
from .rewrite import (annotations_of, const_trip, has_side_reads, path_to, same_expr, substitute,
                      var_ref, vars_read)

CONSERVATIVE_NOTE = ("; the analysis was conservative: it assumes that guarded accesses, indices "
                     "that are not affine in the loop variables, and arrays passed to calls may "
                     "touch any element")


def _names(loops) -> str:
    return ", ".join(repr(loop.name) for loop in loops)


def _range(loop: ir.For) -> str:
    step = f", {loop.step}" if loop.step != 1 else ""
    return f"range({format_expr(loop.lo)}, {format_expr(loop.hi)}{step})"


def _line(loc) -> str:
    return f"line {loc.line}" if loc else "unknown line"


def _reads_outside(body: list, subtree: ir.Stmt) -> set:
    """The Vars read in ``body`` outside the statement ``subtree``."""
    out: set = set()
    for stmt in body:
        if stmt is subtree:
            continue
        out |= vars_read(stmt.exprs())
        for inner in stmt.bodies():
            out |= _reads_outside(inner, subtree)
    return out


class LoopPrimitives:
    """Mixed into ``Schedule``; uses its ``_loop_arg``, ``function`` and ``_record``."""

    # -- shared checks --------------------------------------------------------------------------
    def _located(self, primitive: str, argument: str, ref):
        """``(handle, function, path)`` of the loop ``ref`` names; ``path`` as ``path_to``."""
        handle = self._loop_arg(primitive, argument, ref)
        fn = self.function(handle.func)
        path = path_to(fn.body, handle.loop)
        if path is None:
            # a handle of a loop that a primitive has replaced since, or of another schedule
            # of the same kernel: look its name up again
            handle = self._loop_arg(primitive, argument, str(handle))
            fn = self.function(handle.func)
            path = path_to(fn.body, handle.loop)
        return handle, fn, path

    def _loops_of_one_function(self, primitive: str, axes) -> tuple:
        located = [self._located(primitive, f"axes[{n}]", a) for n, a in enumerate(axes)]
        funcs = {fn.name for _, fn, _ in located}
        if len(funcs) > 1:
            raise illegal(primitive, "the loops belong to different functions: " +
                          ", ".join(str(h) for h, _, _ in located),
                          "name loops of one function, e.g. 'func:i', 'func:j'")
        seen = {}
        for n, (h, _, _) in enumerate(located):
            if id(h.loop) in seen:
                raise bad_argument(primitive, f"axes[{n}]", "a loop not named before", h.name,
                                   f"loop {h.name!r} is already axes[{seen[id(h.loop)]}]")
            seen[id(h.loop)] = n
        return located

    @staticmethod
    def _annotated_before(primitive: str, handle, wanted: dict) -> bool:
        """True when ``primitive`` already annotated the loop with the same values (a repeated
        call, accepted as in Allo, changes nothing); a ``ScheduleError`` naming the argument
        when it did with other values. ``wanted``: argument -> (attribute, value asked for)."""
        attrs = handle.loop.attrs
        if primitive not in attrs:
            return False
        before = {arg: attrs.get(attr, False if attr == "rewind" else None)
                  for arg, (attr, _) in wanted.items()}
        for arg, (_, value) in wanted.items():
            if before[arg] != value:
                shown = ", ".join(f"{a}={v!r}" for a, v in before.items())
                raise bad_argument(primitive, arg, f"{before[arg]!r}, as loop {handle.name!r} is "
                                   f"already annotated {primitive}({shown})", value,
                                   f"apply {primitive} once per loop, with the arguments you "
                                   "mean (the same call again is accepted and changes nothing)")
        return True

    @staticmethod
    def _refuse_annotated(primitive: str, loop: ir.For) -> None:
        notes = annotations_of(loop)
        if notes:
            shown = ", ".join(f"{k}={v}" for k, v in notes.items())
            raise illegal(primitive, f"loop {loop.name!r} carries {shown}, which {primitive} "
                          f"would drop with the loop", f"apply {primitive} before pipeline/unroll, "
                          f"then annotate the loops it leaves")

    @staticmethod
    def _refuse_unstable_bounds(primitive: str, loop: ir.For) -> None:
        """The rewritten loops evaluate the bounds again inside the body, so the bounds must
        give the same value there: no array reads or calls, no scalars the body assigns."""
        for bound in (loop.lo, loop.hi):
            if has_side_reads(bound):
                raise illegal(primitive, f"the bounds of loop {loop.name!r} read an array or "
                              f"call a kernel ({format_expr(bound)})",
                              "compute the bound into a variable before the loop")
        changed = vars_read([loop.lo, loop.hi]) & set(assigned_vars(loop.body))
        if changed:
            raise illegal(primitive, f"the bounds of loop {loop.name!r} use "
                          f"{', '.join(sorted(v.name for v in changed))}, which its body assigns",
                          "compute the bound into a variable that the loop does not change")

    # -- split ------------------------------------------------------------------------------------
    def split(self, axis, factor):
        """Split loop ``axis`` into ``axis.outer`` and ``axis.inner`` (``factor`` iterations)::

            for j in range(0, 10):                  for j.outer in range(0, 3):
                B[j] = A[j]              ──▶            for j.inner in range(0, 4):
                                                            if (((j.outer * 4) + j.inner) < 10):
                                                                B[((j.outer * 4) + j.inner)] = ...

        The body sees ``j = lo + (outer * factor + inner) * step``; the ``if`` guard appears when
        ``factor`` does not divide the trip count or the bounds are not constants (the outer
        loop then runs ``ceil(trip / factor)`` times). Both loops keep the band and kind of
        ``axis``. Returns the handles of the outer and inner loops."""
        primitive = "split"
        handle, fn, path = self._located(primitive, "axis", axis)
        factor = expect_int(primitive, "factor", factor, minimum=1)
        loop = handle.loop
        self._refuse_annotated(primitive, loop)
        self._refuse_unstable_bounds(primitive, loop)
        loc, step = loop.loc, loop.step
        outer_var = ir.Var(f"{loop.name}.outer", T.index, loop.var.loc, "loop")
        inner_var = ir.Var(f"{loop.name}.inner", T.index, loop.var.loc, "loop")
        trip = const_trip(loop)
        if trip is not None:
            outer_hi = index_const(-(-trip // factor), loop.hi.loc)
            guarded = trip % factor != 0
        else:
            # ceil(span / (|step| * factor)); a negative span gives an empty outer loop
            span = (sub(copy_expr(loop.hi), copy_expr(loop.lo), loc) if step > 0
                    else sub(copy_expr(loop.lo), copy_expr(loop.hi), loc))
            chunk = abs(step) * factor
            outer_hi = floordiv(add(span, index_const(chunk - 1, loc), loc), chunk, loc)
            guarded = True

        def original_value(at):
            position = add(mul(var_ref(outer_var, at), factor, at), var_ref(inner_var, at), at)
            return add(copy_expr(loop.lo), mul(position, step, at), at)

        body = loop.body
        substitute(body, {loop.var: original_value})
        if guarded:
            # The guard goes down to the innermost body of the perfect nest below, so that the
            # nest stays perfectly nested (reorder, fuse and compute_at keep working on it); the
            # loops it passes run their bounds for an out-of-range value, which is harmless as
            # long as the bounds read no arrays.
            target = body
            while len(target) == 1 and isinstance(target[0], ir.For) \
                    and not has_side_reads(target[0].lo) and not has_side_reads(target[0].hi):
                target = target[0].body
            cond = compare("lt" if step > 0 else "gt", original_value(loc), copy_expr(loop.hi), loc)
            target[:] = [ir.If(loc, cond, list(target), [])]
        inner = ir.For(loc, inner_var, index_const(0, loc), index_const(factor, loc), 1, body,
                       inner_var.name, loop.band, loop.kind)
        outer = ir.For(loc, outer_var, index_const(0, loc), outer_hi, 1, [inner],
                       outer_var.name, loop.band, loop.kind)
        stmts, pos = path[-1]
        stmts[pos] = outer
        self._record(primitive, str(handle), factor)
        make = type(handle)
        return (make(fn.name, loop.band, outer.name, outer), make(fn.name, loop.band, inner.name, inner))

    # -- reorder ----------------------------------------------------------------------------------
    def _perfect_chain(self, primitive: str, located: list) -> list:
        """The loops from the outermost named one down to the innermost named one, each the
        only statement of the previous one's body; an error when they are not like that."""
        outermost = min(located, key=lambda item: len(item[2]))
        chain = [outermost[0].loop]
        wanted = {id(h.loop) for h, _, _ in located}
        found = {id(chain[0])}
        while not wanted <= found:
            body = chain[-1].body
            if len(body) != 1 or not isinstance(body[0], ir.For):
                break
            chain.append(body[0])
            found.add(id(body[0]))
        missing = [h for h, _, _ in located if id(h.loop) not in found]
        if missing:
            stray = missing[0]
            top = outermost[0].loop
            if path_to(top.body, stray.loop) is None:
                raise illegal(primitive, f"loop {stray.name!r} is not nested inside loop "
                              f"{top.name!r}, so they cannot be reordered",
                              "name loops of one loop nest (s.show() prints the nests)")
            raise illegal(primitive, f"loops {_names([top, stray.loop])} are not perfectly "
                          f"nested: the body of loop {chain[-1].name!r} holds more than one "
                          f"loop", "reorder only loops whose bodies are exactly the next loop")
        return chain

    def reorder(self, *axes):
        """Permute loops of one perfectly nested loop nest: the loops named, in the order given,
        take the places the named loops occupied (other loops between them stay)::

            for i in range(0, 4):                   for i in range(0, 4):
                for j in range(0, 4):    ──▶            for k in range(0, 4):
                    for k in range(0, 4):                   for j in range(0, 4):
                        C[i, j] += ...                          C[i, j] += ...
            (reorder("k", "j"))

        Legal when every dependence of the nest's array accesses keeps its direction (the
        reduction ``C[i, j] += ...`` above is carried by ``k`` and stays lexicographically
        positive), when no scalar carries a value from one iteration to the next, and when no
        loop's bounds use a loop that would move inside it."""
        primitive = "reorder"
        if len(axes) < 2:
            raise bad_argument(primitive, "axes", "two or more loops", axes,
                               "write e.g. s.reorder('k', 'j')")
        located = self._loops_of_one_function(primitive, axes)
        given = [h.loop for h, _, _ in located]
        chain = self._perfect_chain(primitive, located)
        slots = sorted(chain.index(loop) for loop in given)
        new = list(chain)
        for slot, loop in zip(slots, given):
            new[slot] = loop
        self._check_reorder(primitive, chain, new, located[0][1])
        body = chain[-1].body
        for outer, inner in zip(new, new[1:]):
            outer.body = [inner]
        new[-1].body = body
        stmts, pos = min((p for _, _, p in located), key=len)[-1]
        stmts[pos] = new[0]
        self._record(primitive, *(str(h) for h, _, _ in located))

    def _check_reorder(self, primitive: str, chain: list, new: list, fn: ir.Function) -> None:
        for pos, loop in enumerate(new):
            uses = vars_read([loop.lo, loop.hi])
            inside = [later for later in new[pos + 1:] if later.var in uses]
            if inside:
                raise illegal(primitive, f"the bounds of loop {loop.name!r} use loop "
                              f"{inside[0].name!r}, which the order ({_names(new)}) puts inside it",
                              f"keep {inside[0].name!r} outside {loop.name!r}")
        body = chain[-1].body
        # a moved loop evaluates its bounds at other times than before: they must not depend
        # on anything the body changes
        written = {a.buffer for a in accesses(body) if a.write}
        changed_vars = set(assigned_vars(body))
        for loop in chain:
            bound_reads = expr_accesses([loop.lo, loop.hi], loop.loc)
            changed = [v.name for v in vars_read([loop.lo, loop.hi]) & changed_vars] + \
                      [a.buffer.name for a in bound_reads if a.buffer in written]
            if changed:
                raise illegal(primitive, f"the bounds of loop {loop.name!r} use {changed[0]!r}, "
                              f"which the loop body changes", "compute the bound into a "
                              "variable before the loop nest")
        carried = carried_scalars(body)
        if carried:
            var, loc = carried[0]
            raise illegal(primitive, f"scalar {var.name!r} carries a value from one iteration of "
                          f"loops {_names(chain)} to the next (read at {_line(loc)} before it is "
                          f"assigned), so their order matters",
                          f"assign {var.name!r} at the start of the loop body, or keep the order")
        assigned = assigned_vars(body)
        read_after = _reads_outside(fn.body, chain[0])
        escaping = [v for v in assigned if v.kind != "loop" and v in read_after]
        if escaping:
            raise illegal(primitive, f"scalar {escaping[0].name!r} is assigned in loops "
                          f"{_names(chain)} and read after them: its final value depends on "
                          f"their order", "store the value you need into an array instead")
        invariant = set(read_vars(body)) - set(assigned)
        violation = reorder_violation(body, chain, new, invariant)
        if violation:
            carrier = next(l for l, d in zip(chain, violation.direction) if d)
            raise illegal(primitive, f"the order ({_names(new)}) would reverse the dependence "
                          f"from {violation.first} ({_line(violation.first.loc)}) to "
                          f"{violation.second} ({_line(violation.second.loc)}), direction "
                          f"{format_direction(violation.direction)} over ({_names(chain)})",
                          f"loop {carrier.name!r} carries it; keep it outside the loops it "
                          f"would cross" + (CONSERVATIVE_NOTE if violation.conservative else ""))

    # -- fuse -------------------------------------------------------------------------------------
    def fuse(self, *axes):
        """Fuse consecutive perfectly nested loops with constant bounds into one loop named
        ``i_j_fused``, recovering each variable by division and remainder::

            for i in range(0, 2):                   for i_j_fused in range(0, 6):
                for j in range(0, 3):    ──▶            B[(i_j_fused // 3), (i_j_fused % 3)] = ...
                    B[i, j] = ...

        Name the loops from outermost to innermost. Returns the fused loop's handle."""
        primitive = "fuse"
        if len(axes) < 2:
            raise bad_argument(primitive, "axes", "two or more loops", axes,
                               "write e.g. s.fuse('i', 'j')")
        located = self._loops_of_one_function(primitive, axes)
        loops = [h.loop for h, _, _ in located]
        for outer, inner in zip(loops, loops[1:]):
            if len(outer.body) != 1 or outer.body[0] is not inner:
                raise illegal(primitive, f"loops {_names([outer, inner])} are not consecutive: "
                              f"the body of {outer.name!r} is not exactly loop {inner.name!r}",
                              "name perfectly nested loops from outermost to innermost, "
                              "e.g. s.fuse('i', 'j')")
        trips = []
        for loop in loops:
            trip = const_trip(loop)
            if trip is None:
                raise illegal(primitive, f"loop {loop.name!r} has bounds that are not constants "
                              f"({_range(loop)})",
                              "fuse needs constant trip counts; split or reorder instead")
            self._refuse_annotated(primitive, loop)
            trips.append(trip)
        name = "_".join(loop.name for loop in loops) + "_fused"
        var = ir.Var(name, T.index, loops[0].var.loc, "loop")
        sizes = [max(trip, 1) for trip in trips]   # an empty nest never runs the body

        def recover(k: int, loop: ir.For):
            def value(at):
                position = floordiv(var_ref(var, at), math.prod(sizes[k + 1:]), at)
                if k > 0:
                    position = mod(position, sizes[k], at)
                return add(copy_expr(loop.lo), mul(position, loop.step, at), at)
            return value

        body = loops[-1].body
        substitute(body, {loop.var: recover(k, loop) for k, loop in enumerate(loops)})
        kinds = {loop.kind for loop in loops}
        top = loops[0]
        fused = ir.For(top.loc, var, index_const(0, top.loc), index_const(math.prod(trips), top.loc),
                       1, body, name, top.band, kinds.pop() if len(kinds) == 1 else "range")
        stmts, pos = located[0][2][-1]
        stmts[pos] = fused
        self._record(primitive, *(str(h) for h, _, _ in located))
        return type(located[0][0])(located[0][1].name, top.band, name, fused)

    # -- annotations ------------------------------------------------------------------------------
    def unroll(self, axis, factor=0):
        """Unroll loop ``axis`` by ``factor`` (0: fully), an annotation for the RTL generator::

            for j in range(0, 8):        ──▶    for j in range(0, 8):  # band S_j_0, unroll=2

        The RTL generator copies the body ``factor`` times; loops inside the body stay loops
        (copied with it) unless they are themselves unrolled or inside a pipelined loop. A factor
        larger than a constant trip count is an error, and so is unrolling a loop again with
        another factor (the same call again changes nothing)."""
        primitive = "unroll"
        handle, _, _ = self._located(primitive, "axis", axis)
        factor = expect_int(primitive, "factor", factor, minimum=0)
        trip = const_trip(handle.loop)
        if trip is not None and factor > trip:
            raise bad_argument(primitive, "factor", f"at most the trip count {trip} of loop "
                               f"{handle.name!r}", factor, "use 0 to unroll the loop fully")
        if self._annotated_before(primitive, handle, {"factor": ("unroll", factor)}):
            return
        handle.loop.attrs["unroll"] = factor
        self._record(primitive, str(handle), factor=factor)

    def pipeline(self, axis, initiation_interval=1, rewind=False):
        """Pipeline loop ``axis`` with initiation interval ``initiation_interval`` (Allo's
        spelling; ``rewind=True`` also overlaps consecutive runs of the loop)::

            for k in range(0, 8):        ──▶    for k in range(0, 8):  # band S_k_0, pipeline=1

        An annotation: the RTL generator modulo-schedules the loop and reports the II it
        achieves. Pipelining a loop again with another II or ``rewind`` is an error (Allo
        would silently replace the first); the same call again changes nothing."""
        primitive = "pipeline"
        handle, _, _ = self._located(primitive, "axis", axis)
        ii = expect_int(primitive, "initiation_interval", initiation_interval, minimum=1)
        rewind = expect_bool(primitive, "rewind", rewind)
        if self._annotated_before(primitive, handle, {"initiation_interval": ("pipeline", ii),
                                                      "rewind": ("rewind", rewind)}):
            return
        handle.loop.attrs["pipeline"] = ii
        if rewind:
            handle.loop.attrs["rewind"] = True
        else:
            handle.loop.attrs.pop("rewind", None)
        self._record(primitive, str(handle), initiation_interval=ii, rewind=rewind)

    # -- compute_at -------------------------------------------------------------------------------
    def compute_at(self, producer, consumer_axis):
        """Merge the loop nest of ``producer`` (any loop of it, as in Allo) into the sibling
        consumer nest that follows it: the producer's outer loops become the consumer's loops
        down to ``consumer_axis``, and the rest of the producer's body runs at the start of
        ``consumer_axis``'s body::

            for i in range(0, 4):                   for ii in range(0, 4):
                for j in range(0, 4):                   for jj in range(0, 4):
                    B[i, j] = A[i, j] * 2    ──▶            B[ii, jj] = A[ii, jj] * 2
            for ii in range(0, 4):                          C[ii, jj] = B[ii, jj] + 1
                for jj in range(0, 4):
                    C[ii, jj] = B[ii, jj] + 1       (compute_at("j", "jj"))

        The merged loops must have the same bounds, both nests must be perfectly nested down
        to the merged depth, and every element the consumer uses at an iteration of the merged
        loops must be produced at that iteration or an earlier one."""
        primitive = "compute_at"
        p_handle, p_fn, p_path = self._located(primitive, "producer", producer)
        c_handle, c_fn, c_path = self._located(primitive, "consumer_axis", consumer_axis)
        if p_fn is not c_fn:
            raise illegal(primitive, f"the producer loop {str(p_handle)!r} and the consumer axis "
                          f"{str(c_handle)!r} are in different functions",
                          "compute_at merges two loop nests of one function")
        level = 0
        while level < min(len(p_path), len(c_path)) and p_path[level][0] is c_path[level][0] \
                and p_path[level][1] == c_path[level][1]:
            level += 1
        if level == len(p_path) or level == len(c_path) or p_path[level][0] is not c_path[level][0]:
            raise illegal(primitive, f"loops {p_handle.name!r} and {c_handle.name!r} are not in "
                          f"two sibling loop nests", "name a loop of the producer's nest and a "
                          "loop of the consumer's nest that follows it in the same block")
        stmts, p_pos = p_path[level]
        c_pos = c_path[level][1]
        p_root, c_root = stmts[p_pos], stmts[c_pos]
        if not isinstance(p_root, ir.For) or not isinstance(c_root, ir.For):
            raise illegal(primitive, f"loops {p_handle.name!r} and {c_handle.name!r} are not in "
                          f"two sibling loop nests", "the nests must be loops of the same block")
        if p_pos > c_pos:
            raise illegal(primitive, f"the producer's loop nest ({p_root.name!r}) comes after the "
                          f"consumer's ({c_root.name!r})",
                          "compute_at moves a producer into a consumer that follows it")
        consumers = [lst[pos] for lst, pos in c_path[level:]]
        for outer, inner in zip(consumers, consumers[1:]):
            if not isinstance(outer, ir.For):
                raise illegal(primitive, f"the consumer axis {c_handle.name!r} sits under an "
                              f"if or while of its loop nest", "choose an axis whose enclosing "
                              "loops hold nothing but the next loop")
            if len(outer.body) != 1 or outer.body[0] is not inner:
                raise illegal(primitive, f"the consumer's loops down to {c_handle.name!r} are not "
                              f"perfectly nested: the body of {outer.name!r} holds more than the "
                              f"next loop", "choose an axis whose enclosing loops hold nothing "
                              "but the next loop")
        producers = [p_root]
        while len(producers) < len(consumers):
            body = producers[-1].body
            if len(body) != 1 or not isinstance(body[0], ir.For):
                raise illegal(primitive, f"the producer's nest ({p_root.name!r}) has only "
                              f"{len(producers)} perfectly nested loop(s), the consumer axis "
                              f"{c_handle.name!r} is at depth {len(consumers)}",
                              "choose a consumer axis no deeper than the producer's perfect nest")
            producers.append(body[0])
        self._check_compute_at(primitive, producers, consumers, stmts[p_pos + 1:c_pos])
        slice_body = producers[-1].body
        substitute(slice_body, {p.var: (lambda at, c=c: var_ref(c.var, at))
                                for p, c in zip(producers, consumers)})
        consumers[-1].body[:0] = slice_body
        del stmts[p_pos]
        self._record(primitive, str(p_handle), str(c_handle))

    def _check_compute_at(self, primitive: str, producers: list, consumers: list, between: list):
        var_map = {}
        for p, c in zip(producers, consumers):
            self._refuse_annotated(primitive, p)
            if p.step != c.step or not same_expr(p.lo, c.lo, var_map) \
                    or not same_expr(p.hi, c.hi, var_map):
                raise illegal(primitive, f"producer loop {p.name!r} ({_range(p)}) and consumer "
                              f"loop {c.name!r} ({_range(c)}) do not run over the same range",
                              "merge loops with equal bounds and steps")
            var_map[p.var] = c.var
        p_body, c_body = producers[-1].body, consumers[-1].body
        p_writes, c_writes = assigned_vars(p_body), assigned_vars(c_body)
        p_reads, c_reads = read_vars(p_body), read_vars(c_body)
        shared = [v for v in p_writes if v in c_reads or v in c_writes] + \
                 [v for v in c_writes if v in p_reads]
        if shared:
            raise illegal(primitive, f"scalar {shared[0].name!r} is used by both the producer and "
                          f"the consumer, so merging them changes the values it holds",
                          "keep a value shared by both nests in an array")
        self._check_between(primitive, producers[0], between)
        merged = set(var_map) | set(var_map.values())
        invariant = (set(p_reads) | set(c_reads)) - set(p_writes) - set(c_writes) - merged
        violation = compute_at_violation(p_body, c_body, list(var_map.items()), consumers,
                                         invariant)
        if violation:
            raise illegal(primitive, f"the consumer's {violation.second} "
                          f"({_line(violation.second.loc)}) would run before the producer's "
                          f"{violation.first} ({_line(violation.first.loc)}) that it depends on "
                          f"(direction {format_direction(violation.direction)} over loops "
                          f"{_names(consumers)})",
                          "compute at an outer axis, or leave the nests apart" +
                          (CONSERVATIVE_NOTE if violation.conservative else ""))

    @staticmethod
    def _check_between(primitive: str, p_root: ir.For, between: list) -> None:
        """The producer moves past ``between``: they must not touch what it reads or writes."""
        if not between:
            return
        p_acc, b_acc = accesses([p_root]), accesses(between)
        p_vars, b_vars = assigned_vars([p_root]), assigned_vars(between)
        for a in p_acc:
            for b in b_acc:
                if a.buffer is b.buffer and (a.write or b.write):
                    raise illegal(primitive, f"array {a.buffer.name!r} is used between the "
                                  f"producer and the consumer ({_line(b.loc)}), so the producer "
                                  f"cannot move past it", "move that statement before the "
                                  "producer or after the consumer")
        clash = [v for v in b_vars if v in read_vars([p_root]) or v in p_vars] + \
                [v for v in p_vars if v in read_vars(between)]
        if clash:
            raise illegal(primitive, f"scalar {clash[0].name!r} is used between the producer and "
                          f"the consumer, so the producer cannot move past it",
                          "move that statement before the producer or after the consumer")
