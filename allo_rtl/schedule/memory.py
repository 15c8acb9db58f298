"""Memory primitives: partition (with propagation across calls), reshape, buffer_at, reuse_at."""
from __future__ import annotations

import enum

from ..errors import caller_loc
from ..ir import nodes as ir
from ..ir.layout import KINDS, dim_partition
from .buffers import make_accumulation_buffer, make_reuse_buffer
from .common import bad_argument, expect_int, illegal


class Partition(enum.IntEnum):
    """Array partition types; Allo's integer codes are accepted wherever these are."""

    Complete = 0
    Block = 1
    Cyclic = 2


def _partition_kind(value) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or value not in tuple(Partition):
        raise bad_argument("partition", "partition_type",
                           "Partition.Complete, Partition.Block or Partition.Cyclic (0, 1, 2)",
                           value)
    return KINDS[int(value)]


def connected_buffers(top: ir.Function, buffer: ir.Buffer) -> list:
    """``buffer`` and every array it is passed as, or passed from, through calls: the arrays
    that are one memory and so must share one layout."""
    links: dict = {}

    def link(inner, outer):
        links.setdefault(id(inner), []).append(outer)
        links.setdefault(id(outer), []).append(inner)

    def link_arguments(call):
        for p, a in zip(call.func.params, call.args):
            if isinstance(a, ir.BufferRef):
                link(p, a.buffer)

    for fn in ir.all_functions(top):
        for stmt in ir.walk_stmts(fn.body):
            if isinstance(stmt, ir.CallStmt):
                link_arguments(stmt)
                returned = _returned_buffers(stmt.func)
                for k, t in enumerate(stmt.targets):
                    if isinstance(t, ir.Buffer) and k in returned:
                        link(returned[k], t)
            for e in stmt.exprs():   # calls inside expressions (scalar results) pass arrays too
                for call in ir.walk_expr(e) if e is not None else ():
                    if isinstance(call, ir.CallExpr):
                        link_arguments(call)
    out, stack, seen = [], [buffer], set()
    while stack:
        b = stack.pop()
        if id(b) in seen:
            continue
        seen.add(id(b))
        out.append(b)
        stack.extend(links.get(id(b), ()))
    return out


def _returned_buffers(fn: ir.Function) -> dict:
    """Result position -> the local array ``fn`` returns there."""
    ret = fn.body[-1] if fn.body and isinstance(fn.body[-1], ir.Return) else None
    return {k: v.buffer for k, v in enumerate(ret.values if ret else [])
            if isinstance(v, ir.BufferRef)}


def _owner(top: ir.Function, buffer: ir.Buffer) -> str:
    for fn in ir.all_functions(top):
        if any(b is buffer for b in fn.buffers.values()):
            return fn.name
    return "?"


class MemoryPrimitives:
    """Mixed into ``Schedule``; uses its ``_buffer_arg``, ``_loop_arg``, ``function``, ``_record``."""

    def partition(self, target, partition_type=Partition.Complete, dim=0, factor=0):
        """Split array ``target`` into banks along dimension ``dim`` (1-based; 0: every
        dimension): ``Complete`` (one bank per index), ``Cyclic`` (``i % factor``) or
        ``Block`` (``factor`` contiguous blocks). A partitioned argument has one memory
        interface per bank; the layout propagates to every array the target is passed as
        or from, through calls, and two different layouts of one dimension are an error::

            s.partition(s.B, dim=2)        # B: int32[4, 3] -> 3 banks B[:, 0], B[:, 1], B[:, 2]

        The loop nest does not change; ``s.show()`` lists the layout under the function.
        """
        handle = self._buffer_arg("partition", "target", target)
        buffer = handle.buffer
        kind = _partition_kind(partition_type)
        rank = len(buffer.shape)
        dim = expect_int("partition", "dim", dim, 0)
        if dim > rank:
            raise bad_argument("partition", "dim", f"0 (every dimension) or 1..{rank} "
                               f"(a dimension of {handle.name})", dim)
        factor = expect_int("partition", "factor", factor, 0)
        if kind != "complete" and factor < 1:
            raise bad_argument("partition", "factor", f"an int >= 1 for a {kind} partition",
                               factor, "give factor=, the number of banks along the dimension")
        loc = caller_loc()
        dims = range(1, rank + 1) if dim == 0 else [dim]
        parts = {d: dim_partition(kind, factor, buffer.shape[d - 1], loc) for d in dims}
        group = connected_buffers(self.top, buffer)
        for b in group:
            for d, p in parts.items():
                old = b.partition.get(d)
                if old is not None and not old.same_layout(p):
                    where = f"{old.loc.file.rsplit('/', 1)[-1]}:{old.loc.line}" if old.loc else "?"
                    raise illegal("partition", f"dimension {d} of {_owner(self.top, b)}:{b.name} "
                                  f"is already partitioned {old.describe()} (at {where}); "
                                  f"{handle} asks for {p.describe()}",
                                  "an array passed between functions is one memory with one "
                                  "layout: partition it the same way at both sites", loc)
        for b in group:
            b.partition.update(parts)
        self._record("partition", str(handle), partition_type=int(partition_type), dim=dim,
                     factor=factor)

    def _array_and_loop(self, primitive: str, target, axis, hint: str) -> tuple:
        """(buffer handle, loop handle, function) of a primitive that rewrites ``target``'s
        accesses inside loop ``axis``: both must belong to one function."""
        handle = self._buffer_arg(primitive, "target", target)
        loop = self._loop_arg(primitive, "axis", axis)
        fn = self.function(loop.func)
        if not any(b is handle.buffer for b in fn.buffers.values()):
            raise illegal(primitive, f"{handle} is not an array of {loop.func}, where loop "
                          f"{loop.name!r} is", hint)
        return handle, loop, fn

    def buffer_at(self, target, axis):
        """Accumulate ``target`` in a new local buffer inside loop ``axis``: loaded from the
        array before the loops inside ``axis`` run, written back after them (Allo's
        ``buffer_at``). The buffer covers the dimensions indexed by loops inside ``axis``::

            for i in range(4):                         for i in range(4):
                for k in range(5):                         for j0 in range(3): C_buf[j0] = C[i, j0]
                    for j in range(3):          ->         for k in range(5):
                        C[i, j] += A[i, k]*B[k, j]             for j in range(3):
                                                                   C_buf[j] += A[i, k]*B[k, j]
                                                           for j0 in range(3): C[i, j0] = C_buf[j0]

        Every index of ``target`` inside the loop must stay in bounds for all values of the loop
        counters (an affine function of them, bounded by their loops), since an access out of
        bounds would land in the buffer. Returns the new buffer's handle."""
        handle, loop, fn = self._array_and_loop("buffer_at", target, axis,
                                                "name an array the loop accesses")
        new = make_accumulation_buffer(fn, handle.buffer, loop.loop, caller_loc())
        self._record("buffer_at", str(handle), axis=str(loop))
        return type(handle)(fn.name, new.name, new)

    def reuse_at(self, target, axis):
        """Keep the window of ``target`` that loop ``axis`` slides over in a new buffer that
        shifts by one each iteration, so each element of ``target`` is read once (a line
        buffer; ``reuse_at`` of that buffer at an inner loop gives a window buffer). The loop
        runs over every index of ``target`` along the sliding dimension and computes once
        the window is full::

            for y in range(4):                       for y in range(6):
                for x in range(8):                       for x0 in range(8):
                    for r in range(3):         ->            for s in range(2): img_line[s, x0] = img_line[s + 1, x0]
                        ... img[y + r, x] ...                img_line[2, x0] = img[y, x0]
                                                         if y >= 2:
                                                             for x in range(8):
                                                                 for r in range(3):
                                                                     ... img_line[r, x] ...

        Returns the new buffer's handle (partition it, or ``reuse_at`` it again)."""
        handle, loop, fn = self._array_and_loop("reuse_at", target, axis,
                                                "name an array the loop reads")
        new = make_reuse_buffer(fn, handle.buffer, loop.loop, caller_loc())
        self._record("reuse_at", str(handle), axis=str(loop))
        return type(handle)(fn.name, new.name, new)
