"""Schedule primitives that make kernels run concurrently: ``to`` (an array passed from one
call to the next becomes a stream) and ``dataflow`` (the calls of a function run concurrently).

Both keep the results of the unscheduled design: ``to`` checks, by enumerating the accesses,
that the producer writes every element once and that the consumer reads them once each, in the
order they were written, so a FIFO carries exactly what the array did; ``dataflow`` checks that its calls share no
array one of them writes (an array between two calls must be a stream first).
"""
from __future__ import annotations

import itertools

from ..errors import caller_loc
from ..ir import nodes as ir
from ..ir.affine import affine_form
from ..types import StreamType
from .common import bad_argument, expect_int, illegal


class DataflowPrimitives:
    """Mixin of Schedule."""

    def to(self, target, dst, axis=None, depth=-1):
        """Pass local array ``target`` from the call that writes it to the call of ``dst`` (a
        function name) that reads it through a stream of ``depth`` values (default: the whole
        array), and run the two calls concurrently (as Allo, ``to`` implies ``dataflow``)::

            def top(A, F):                                def top(A, F):
                E: int32[P, R]                                E: Stream[int32, R]
                mm1(A, E)       # E[i, j] = ...     ->        in parallel:
                mm2(E, F)       # ... = E[i, k]                   mm1(A, E)   # E.put(...)
                                                                  mm2(E, F)   # E.get()

        The producer must store each element of ``target`` once (one store in loops with
        constant bounds), and the consumer load each element once, in the same order."""
        handle = self._buffer_arg("to", "target", target)
        if axis is not None:
            raise bad_argument("to", "axis", "None (streams between PEs of s.unfold come later)",
                               axis)
        if not isinstance(dst, str):
            raise bad_argument("to", "dst", "the name of the function that reads the array", dst)
        depth = expect_int("to", "depth", depth, minimum=-1)
        if depth == 0:
            raise bad_argument("to", "depth", "a positive int, or -1 for the array's size", depth)
        fn, buffer = self.function(handle.func), handle.buffer
        if buffer.kind != "local":
            raise illegal("to", f"{handle} is a parameter of {fn.name}",
                          "stream a local array that one call writes and the next reads")
        depth = buffer.type.size if depth == -1 else depth
        producer, consumer = _endpoints(fn, buffer, dst)
        channel = ir.Channel(buffer.name, StreamType(buffer.elem, depth), buffer.loc)
        design = list(self.functions.values())
        ends = [_stream_end(call, buffer, op, design) for call, op in
                ((producer, "put"), (consumer, "get"))]
        _check_same_order(buffer, *ends)
        for end in ends:
            _make_stream_parameter(*end[:4], channel.type)
        for call in (producer, consumer):
            call.args = [ir.ChannelRef(channel.type, a.loc, channel)
                         if isinstance(a, ir.BufferRef) and a.buffer is buffer else a
                         for a in call.args]
        fn.body[:] = [s for s in fn.body if not (isinstance(s, ir.Decl) and s.buffer is buffer)]
        del fn.locals[buffer.name]
        _group(fn, [producer, consumer], [channel])
        self._record("to", str(handle), dst, depth=depth)

    def dataflow(self, target):
        """Run the calls in the body of function ``target`` concurrently; an array passed from
        one call to another must have become a stream (``to``) first::

            def top(A, B, C):                   def top(A, B, C):
                f(A, B)            ->               in parallel:
                g(A, C)                                 f(A, B)
                                                        g(A, C)

        Given a loop (a handle, ``"loop"`` or ``"func:loop"``), run the statements of its body
        as tasks, one kernel each, that overlap across iterations; an array one task writes in
        full and later ones read becomes a ping-pong pair (``dataflow_loop``)::

            for i in range(N):                  in parallel:
                for j in range(M):                  for i in range(N):   # task0
                    T[j] = A[i, j] * 2      ->          wait for a free member of T
                for j in range(M):                      T_ping or T_pong [j] = A[i, j] * 2
                    B[i, j] = T[j] + 1              for i in range(N):   # task1
                                                        wait for T's member of iteration i
                                                        B[i, j] = T_ping or T_pong [j] + 1
        """
        from .dataflow_loop import dataflow_loop   # it builds on this module's checks
        from .schedule import LoopHandle
        if isinstance(target, str) and target in self.functions:
            self._dataflow_function(target)
        elif isinstance(target, (str, LoopHandle)):
            handle = self._loop_arg("dataflow", "target", target)
            dataflow_loop(self, self.function(handle.func), handle.loop)
            self._record("dataflow", str(handle))
        else:
            raise bad_argument("dataflow", "target", "the name of a function, or a loop (a "
                               "handle, 'loop' or 'func:loop')", target)

    def _dataflow_function(self, target: str):
        fn = self.function(target)
        calls, channels = [], []
        for s in fn.body:
            if isinstance(s, ir.Parallel):
                calls += s.calls
                channels += s.channels
            elif isinstance(s, ir.CallStmt) and not s.targets:
                calls.append(s)
            elif not isinstance(s, ir.Decl):
                raise illegal("dataflow", f"the body of {fn.name} holds a "
                              f"{type(s).__name__} statement at line {s.loc.line}",
                              "a dataflow function only declares arrays and calls kernels "
                              "without results", s.loc)
        if not calls:
            raise illegal("dataflow", f"{fn.name} calls no kernel", "name the function whose "
                          "calls should run concurrently")
        _check_no_shared_writes(calls)
        _group(fn, calls, channels)
        self._record("dataflow", target)


def _endpoints(fn: ir.Function, buffer: ir.Buffer, dst: str):
    """The call writing ``buffer`` and the call of ``dst`` reading it, in ``fn``'s body."""
    users = []
    for s in ir.walk_stmts(fn.body):
        passes = isinstance(s, ir.CallStmt) and any(
            isinstance(a, ir.BufferRef) and a.buffer is buffer for a in s.args)
        touches = any(isinstance(sub, (ir.Load, ir.BufferRef)) and sub.buffer is buffer
                      for e in s.exprs() if e is not None for sub in ir.walk_expr(e))
        stores = isinstance(s, (ir.Store, ir.BitStore)) and getattr(
            s, "buffer", getattr(s.target, "buffer", None) if isinstance(s, ir.BitStore) else None) is buffer
        if passes:
            users.append(s)
        elif touches or stores:
            raise illegal("to", f"{fn.name} accesses {buffer.name} itself at line {s.loc.line}",
                          "only the two calls may use an array that becomes a stream", s.loc)
    top_level = [s for s in fn.body if isinstance(s, (ir.CallStmt, ir.Parallel))]
    flat = [c for s in top_level for c in (s.calls if isinstance(s, ir.Parallel) else [s])]
    if len(users) != 2 or any(u not in flat for u in users):
        raise illegal("to", f"{buffer.name} is passed to {len(users)} call(s) of {fn.name}",
                      "a stream connects one call that writes the array to one call that "
                      "reads it, both in the function's body (not in a loop or branch)")
    producer, consumer = sorted(users, key=flat.index)
    if consumer.func.name != dst:
        raise illegal("to", f"{buffer.name} goes from {producer.func.name} to "
                      f"{consumer.func.name}, not to {dst!r}", f"write s.to(..., "
                      f"{consumer.func.name!r})")
    return producer, consumer


def _stream_end(call: ir.CallStmt, buffer: ir.Buffer, op: str, design):
    """(callee, parameter index, access, op, offsets): the callee's one store (``op="put"``)
    or load (``"get"``) of the parameter bound to ``buffer``, and the row-major offsets it
    accesses, in order."""
    fn = call.func
    index = next(k for k, a in enumerate(call.args)
                 if isinstance(a, ir.BufferRef) and a.buffer is buffer)
    param = fn.params[index]
    users = _call_sites(fn, design)
    if len(users) != 1:
        raise illegal("to", f"{fn.name} is called {len(users)} times",
                      "a function whose array parameter becomes a stream must be called once")
    stores, loads, other = _accesses(fn, param)
    wanted, unwanted = (stores, loads) if op == "put" else (loads, stores)
    what = "write" if op == "put" else "read"
    if other or unwanted or len(wanted) != 1:
        raise illegal("to", f"{fn.name} must {what} {param.name} in exactly one "
                      f"{'store' if op == 'put' else 'load'} and do nothing else with it",
                      "a stream carries each element once, in order")
    access, loops = wanted[0]
    return fn, index, access, op, _offsets(fn, param, access, loops, what + "s")


def _make_stream_parameter(fn, index, access, op, stream_type):
    param = fn.params[index]
    channel = ir.Channel(param.name, stream_type, param.loc, "arg")
    if op == "put":
        _replace_stmt(fn.body, access, ir.StreamPut(access.loc, channel, access.value))
    else:
        _replace_expr(fn.body, access, ir.StreamGet(access.type, access.loc, channel))
    fn.params[index] = channel


def _check_same_order(buffer, producer, consumer):
    """The producer writes each element once, and the consumer reads them in that order."""
    written, read = producer[4], consumer[4]
    size = buffer.type.size
    if len(written) != size or len(set(written)) != size:
        raise illegal("to", f"{producer[0].name} writes {len(set(written))} distinct elements "
                      f"of {buffer.name} in {len(written)} writes; it has {size}",
                      "a stream carries each element once: write every element exactly once")
    if read != written:
        k = next((k for k, (a, b) in enumerate(zip(written, read)) if a != b), min(len(written), len(read)))
        if k >= len(read):
            raise illegal("to", f"{consumer[0].name} reads {len(read)} elements of "
                          f"{buffer.name}, {producer[0].name} writes {len(written)}",
                          "the consumer must read every element once")
        shape = buffer.shape
        raise illegal("to", f"{consumer[0].name} reads {buffer.name} in another order than "
                      f"{producer[0].name} writes it: read {k} is {buffer.name}"
                      f"{list(_unflatten(read[k], shape))}, write {k} is {buffer.name}"
                      f"{list(_unflatten(written[k], shape))}",
                      "a stream delivers elements in the order they were written: read them "
                      "in that order")


def _unflatten(offset: int, shape) -> tuple:
    out = []
    for d in reversed(shape):
        out.append(offset % d)
        offset //= d
    return tuple(reversed(out))


def _call_sites(fn: ir.Function, design: list) -> list:
    """Every call of ``fn`` in the functions of ``design``."""
    return [e for caller in design for s in ir.walk_stmts(caller.body)
            for e in [s] + [sub for x in s.exprs() if x is not None for sub in ir.walk_expr(x)]
            if isinstance(e, (ir.CallStmt, ir.CallExpr)) and e.func is fn]


def _accesses(fn: ir.Function, param: ir.Buffer):
    """(stores, loads, other uses) of ``param``: stores and loads with their enclosing loops, or
    None in place of the loops where a branch or a lazily evaluated operand may skip them."""
    stores, loads, other = [], [], []

    def visit(body, loops):
        for s in body:
            if isinstance(s, ir.Store) and s.buffer is param:
                stores.append((s, loops))
            if isinstance(s, ir.BitStore) and getattr(s.target, "buffer", None) is param:
                other.append(s)
            for e in s.exprs():
                if e is not None:
                    scan(e, loops)
            if isinstance(s, ir.For):
                visit(s.body, None if loops is None else loops + [s])
            else:
                for inner in s.bodies():
                    visit(inner, None)

    def scan(e, loops):
        lazy = isinstance(e, (ir.Select, ir.BoolOp))
        if isinstance(e, ir.Load) and e.buffer is param:
            loads.append((e, loops))
        elif isinstance(e, ir.BufferRef) and e.buffer is param:
            other.append(e)
        for k, child in enumerate(e.children()):
            if child is not None:
                scan(child, None if lazy and k > 0 else loops)

    visit(fn.body, [])
    return stores, loads, other


_MAX_CHECKED = 1 << 22   # offsets enumerated to compare the orders of the two ends


def _offsets(fn, param, access, loops, what) -> list:
    """The row-major offsets of ``param`` that ``access`` reaches, in the order it runs (once
    per iteration of ``loops``, constant bounds, affine indices)."""
    def refuse(why):
        return illegal("to", f"{fn.name} {what} {param.name} {why}", "a stream needs the order "
                       "of the accesses known at compile time: index the array by counters of "
                       "loops with constant bounds, one access per iteration")
    if loops is None:
        raise refuse(f"at line {access.loc.line} under a condition")
    terms, const, stride = {}, 0, 1
    for index, size in reversed(list(zip(access.indices, param.shape))):
        form = affine_form(index)
        if form is None:
            raise refuse(f"with an index that is not affine at line {access.loc.line}")
        for v, c in form[0].items():
            terms[v] = terms.get(v, 0) + c * stride
        const += form[1] * stride
        stride *= size
    ranges = []
    for loop in loops:
        if not (isinstance(loop.lo, ir.Const) and isinstance(loop.hi, ir.Const)):
            raise refuse(f"inside loop {loop.name!r}, whose bounds are not constant")
        ranges.append(range(loop.lo.value, loop.hi.value, loop.step))
    unknown = set(terms) - {loop.var for loop in loops}
    if unknown:
        raise refuse(f"with an index depending on {', '.join(sorted(v.name for v in unknown))}, "
                     "not on loops around the access")
    count = 1
    for r in ranges:
        count *= len(r)
    if count > _MAX_CHECKED:
        raise refuse(f"{count} times, more than the {_MAX_CHECKED} this check enumerates")
    coeffs = [terms.get(loop.var, 0) for loop in loops]
    return [const + sum(c * v for c, v in zip(coeffs, point))
            for point in itertools.product(*ranges)]


def _replace_stmt(body, old, new):
    for k, s in enumerate(body):
        if s is old:
            body[k] = new
            return True
        if any(_replace_stmt(inner, old, new) for inner in s.bodies()):
            return True
    return False


def _replace_expr(body, old, new):
    for s in ir.walk_stmts(body):
        for name, value in vars(s).items():
            if isinstance(value, ir.Expr):
                if value is old:
                    setattr(s, name, new)
                    return
                _replace_in(value, old, new)
            elif isinstance(value, list):
                for k, item in enumerate(value):
                    if item is old:
                        value[k] = new
                        return
                    if isinstance(item, ir.Expr):
                        _replace_in(item, old, new)


def _replace_in(e, old, new):
    for node in ir.walk_expr(e):
        for name, value in vars(node).items():
            if value is old:
                setattr(node, name, new)
            elif isinstance(value, list):
                for k, item in enumerate(value):
                    if item is old:
                        value[k] = new


def _check_no_shared_writes(calls):
    from ..ir.nodes import params_written
    writers, users = {}, {}
    for call in calls:
        written = params_written(call.func)
        for p, a in zip(call.func.params, call.args):
            if isinstance(a, ir.BufferRef):
                users.setdefault(id(a.buffer), []).append(call)
                if id(p) in written:
                    writers.setdefault(id(a.buffer), []).append(call)
    for key, ws in writers.items():
        others = [c for c in users[key] if c is not ws[0]]
        if others:
            name = next(a.buffer.name for a in ws[0].args
                        if isinstance(a, ir.BufferRef) and id(a.buffer) == key)
            raise illegal("dataflow", f"{name} is written by {ws[0].func.name} and used by "
                          f"{others[0].func.name}, which would run at the same time",
                          f"turn it into a stream first: s.to(s.{name}, "
                          f"{others[0].func.name!r})", caller_loc())


def _group(fn: ir.Function, calls: list, channels: list):
    """Put ``calls`` (with the calls and channels of Parallels holding any of them) into one
    ``ir.Parallel`` of ``fn``'s body, where the first of them was."""
    out, grouped = [], None
    for s in fn.body:
        held = s.calls if isinstance(s, ir.Parallel) else [s]
        if not any(c in calls for c in held):
            out.append(s)
            continue
        if grouped is None:
            grouped = ir.Parallel(s.loc, [], [])
            out.append(grouped)
        grouped.calls += held
        grouped.channels += s.channels if isinstance(s, ir.Parallel) else []
    grouped.channels += [c for c in channels if c not in grouped.channels]
    fn.body[:] = out
