"""``dataflow`` of a loop: the statements of its body become tasks that run concurrently, one
iteration behind the other, as Vitis HLS runs a loop body under ``#pragma HLS dataflow``.

Each task becomes a kernel of its own, ``<function>_<loop>_task<k>``, that runs the whole loop
over its statements; the kernels form a dataflow region (``ir.Parallel``) where the loop was.
What passes between tasks decides what is legal:

* an array no task writes, or that one task alone uses, is passed to the kernels as it is;
* a local array that one task writes in full in every iteration (without reading it) and
  later tasks read becomes a ping-pong pair, ``<name>_ping`` and ``<name>_pong``: in iteration
  ``c`` every task uses member ``c % 2``, so the writer fills one member while the readers read
  the other. Two streams of tokens per reader keep them apart: the writer puts a token into
  ``<name>_full`` after each iteration and the reader gets it before its own; the reader puts
  one into ``<name>_free`` after each iteration and the writer gets one before it writes a
  member for the second time. As the writer overwrites every element each iteration, the
  readers see what they would have seen in the loop run in order. (A task on a pair runs its
  statements in two copies, one per member; the kernels they call are shared.)
* anything else would change the results and is refused: an array two tasks write, an array
  a task reads before the task that writes it (a value carried to the next iteration), a
  scalar written in the loop and used outside it. Statements that share a scalar written in
  the body stay together in one task.
"""
from __future__ import annotations

import dataclasses

from .. import types as T
from ..errors import ScheduleError
from ..ir import nodes as ir
from ..ir.rewrite import Renamed, clone_function
from ..types import StreamType
from .common import illegal, unique_name
from .dataflow import _offsets
from .rewrite import path_to
from .unfold import _called

# tokens in flight per ping-pong pair and reader: one per member
_TOKENS = 2


def dataflow_loop(schedule, fn: ir.Function, loop: ir.For) -> None:
    """Rewrite ``loop`` of ``fn`` into a dataflow region of one kernel per task (see the
    module docstring)."""
    where = f"loop {loop.name!r} of {fn.name}"
    if loop.attrs.get("pipeline") or loop.attrs.get("unroll"):
        raise illegal("dataflow", f"{where} is pipelined or unrolled",
                      "dataflow runs the statements of a loop body concurrently; pipeline "
                      "or unroll the loops inside it instead")
    outside = _uses(fn.body, skip=loop)
    tasks = _tasks(loop, where)
    uses = [_uses(task) for task in tasks]
    bounds = _uses([], exprs=(loop.lo, loop.hi))
    written = {}
    for use in uses:
        written.update(use.vars_written)
    written.pop(id(loop.var), None)
    for key, var in bounds.vars_read.items():
        if key in written:
            raise illegal("dataflow", f"the bounds of {where} read {var.name!r}, which its body "
                          "writes", "compute the bounds into a variable the loop leaves alone")
    for key, var in written.items():
        if var.kind == "arg" or key in outside.vars_read or key in outside.vars_written:
            raise illegal("dataflow", f"{where} writes scalar {var.name!r}, which is also used "
                          "outside the loop", "each task keeps the scalars it writes to "
                          "itself: use a variable assigned inside the loop body, or an array")
    pairs = _ping_pong_pairs(fn, tasks, uses, outside, where)
    local_names = set(fn.locals)
    members = {key: tuple(dataclasses.replace(buffer, name=unique_name(f"{buffer.name}_{role}",
                                                                   local_names),
                                              partition=dict(buffer.partition))
                          for role in ("ping", "pong"))
               for key, (buffer, _, _) in pairs.items()}
    taken = set(schedule.functions)
    channels, calls = [], []
    for k, (task, use) in enumerate(zip(tasks, uses)):
        name = unique_name(f"{fn.name}_{loop.name}_task{k}", taken)
        raw, args = _task(name, loop, k, task, use, bounds, pairs, members, written,
                          channels)
        for obj in raw.locals.values():
            if fn.locals.get(obj.name) is obj:
                del fn.locals[obj.name]
        kernel = clone_function(raw, name)
        for p in kernel.params:
            p.kind = "arg"
        calls.append(ir.CallStmt(loop.loc, kernel, args, []))
    _declare_members(fn, pairs, members)
    parent, at = path_to(fn.body, loop)[-1]
    parent[at] = ir.Parallel(loop.loc, calls, channels)
    fn.callees[:] = _called(fn.body)


# -- what statements use ------------------------------------------------------------------------
@dataclasses.dataclass
class _Use:
    """The scalars and arrays some statements read, write and declare (by id), and whether
    they touch a stream."""

    vars_read: dict = dataclasses.field(default_factory=dict)
    vars_written: dict = dataclasses.field(default_factory=dict)
    buffers_read: dict = dataclasses.field(default_factory=dict)
    buffers_written: dict = dataclasses.field(default_factory=dict)
    declared: dict = dataclasses.field(default_factory=dict)
    streams: bool = False

    def buffers(self) -> dict:
        return {**self.buffers_read, **self.buffers_written, **self.declared}

    def touches(self, var) -> bool:
        return id(var) in self.vars_read or id(var) in self.vars_written


def _uses(body: list, skip=None, exprs=()) -> _Use:
    """What ``body`` (leaving out statement ``skip``) and ``exprs`` read and write; an array
    passed to a kernel counts as read or written by what the kernel does with it."""
    use = _Use()

    def call(node):
        read, wrote = ir.params_read(node.func), ir.params_written(node.func)
        for p, a in zip(node.func.params, node.args):
            if isinstance(a, ir.BufferRef):
                if id(p) in read:
                    use.buffers_read[id(a.buffer)] = a.buffer
                if id(p) in wrote:
                    use.buffers_written[id(a.buffer)] = a.buffer
            else:
                expr(a)

    def expr(e):
        stack = [e]
        while stack:
            node = stack.pop()
            if isinstance(node, ir.CallExpr):
                call(node)
                continue
            if isinstance(node, ir.VarRef):
                use.vars_read[id(node.var)] = node.var
            elif isinstance(node, (ir.Load, ir.BufferRef)):
                use.buffers_read[id(node.buffer)] = node.buffer
            elif isinstance(node, (ir.StreamGet, ir.ChannelRef)):
                use.streams = True
            stack.extend(c for c in node.children() if c is not None)

    def visit(stmts):
        for s in stmts:
            if s is skip:
                continue
            if isinstance(s, ir.CallStmt):
                call(s)
                for t in s.targets:
                    if isinstance(t, ir.Var):
                        use.vars_written[id(t)] = t
                    elif isinstance(t, ir.Buffer):
                        use.buffers_written[id(t)] = t
                    else:
                        use.buffers_written[id(t.buffer)] = t.buffer
                        for i in t.indices:
                            expr(i)
                continue
            if isinstance(s, (ir.Assign, ir.For)):
                use.vars_written[id(s.var)] = s.var
            elif isinstance(s, ir.Store):
                use.buffers_written[id(s.buffer)] = s.buffer
            elif isinstance(s, ir.BitStore) and isinstance(s.target, ir.VarRef):
                use.vars_written[id(s.target.var)] = s.target.var
            elif isinstance(s, ir.BitStore):
                use.buffers_written[id(s.target.buffer)] = s.target.buffer
            elif isinstance(s, ir.Decl):
                use.declared[id(s.buffer)] = s.buffer
            elif isinstance(s, ir.StreamGetInto):
                use.buffers_written[id(s.buffer)] = s.buffer
            if isinstance(s, (ir.StreamPut, ir.StreamGetInto, ir.Parallel)):
                use.streams = True
            for e in s.exprs():
                if e is not None:
                    expr(e)
            for inner in s.bodies():
                visit(inner)

    visit(body)
    for e in exprs:
        expr(e)
    return use


# -- tasks --------------------------------------------------------------------------------------
def _tasks(loop: ir.For, where: str) -> list:
    """The statements of ``loop``'s body grouped into tasks: one per statement, except that
    statements sharing a scalar written in the body stay together (with those between them);
    a local array declared in the body goes to the one task that uses it."""
    stmts = [s for s in loop.body if not isinstance(s, ir.Decl)]
    if not stmts:
        raise illegal("dataflow", f"{where} has no statements", "name a loop whose body holds "
                      "the statements to run concurrently")
    uses = [_uses([s]) for s in stmts]
    for s, use in zip(stmts, uses):
        if use.streams:
            raise illegal("dataflow", f"{where} uses a stream at line {s.loc.line}",
                          "the tasks of a dataflow loop pass arrays; a loop body with streams "
                          "is not supported: make it a df.region instead")
    joined = [False] * len(stmts)   # joined[k]: statements k and k + 1 are in one task
    for use in uses:
        for var in use.vars_written.values():
            if var is loop.var:
                continue
            at = [k for k, other in enumerate(uses) if other.touches(var)]
            for k in range(at[0], at[-1]):
                joined[k] = True
    tasks, current = [], []
    for k, s in enumerate(stmts):
        current.append(s)
        if not joined[k]:
            tasks.append(current)
            current = []
    position = {id(s): k for k, s in enumerate(loop.body)}
    for decl in (s for s in loop.body if isinstance(s, ir.Decl)):
        users = [t for t in tasks if id(decl.buffer) in _uses(t).buffers()]
        if len(users) > 1:
            raise illegal("dataflow", f"array {decl.buffer.name!r}, declared in the body of "
                          f"{where}, is used by {len(users)} of its tasks",
                          "declare it before the loop so that it can pass between tasks")
        task = users[0] if users else tasks[0]
        at = next((k for k, s in enumerate(task) if position[id(s)] > position[id(decl)]),
                  len(task))
        task.insert(at, decl)
    return tasks


def _ping_pong_pairs(fn, tasks, uses, outside, where) -> dict:
    """id of each array that passes from one task to later ones -> (array, writer, readers)."""
    arrays = {}
    for use in uses:
        arrays.update(use.buffers())
    pairs = {}
    for key, buffer in arrays.items():
        writers = [k for k, u in enumerate(uses) if key in u.buffers_written or key in u.declared]
        readers = [k for k, u in enumerate(uses) if key in u.buffers_read]
        if len(writers) > 1:
            raise illegal("dataflow", f"{buffer.name!r} is written by two tasks of {where}, at "
                          f"lines {_line(tasks[writers[0]])} and {_line(tasks[writers[1]])}",
                          "the tasks run at the same time: let one task write each array")
        if not writers or all(r == writers[0] for r in readers):
            continue
        w = writers[0]
        earlier = [r for r in readers if r < w]
        if earlier:
            raise illegal("dataflow", f"the task at line {_line(tasks[earlier[0]])} of {where} "
                          f"reads {buffer.name!r} before the task at line {_line(tasks[w])} "
                          "writes it", "a value carried to the next iteration cannot pass "
                          "between concurrent tasks: put the writer first")
        if buffer.kind != "local":
            problem = f"it is a parameter of {fn.name}"
        elif key in outside.buffers_read or key in outside.buffers_written:
            problem = "it is also used outside the loop"
        elif key in uses[w].buffers_read:
            problem = f"the task that writes it (line {_line(tasks[w])}) also reads it"
        else:
            problem = _not_covered(fn, tasks[w], buffer)
        if problem:
            raise illegal("dataflow", f"{buffer.name!r} passes between tasks of {where} but "
                          f"cannot become a ping-pong pair: {problem}",
                          "a ping-pong pair is a local array that one task writes in full in "
                          "every iteration without reading it, and later tasks only read")
        pairs[key] = (buffer, w, [r for r in readers if r != w])
    return pairs


def _not_covered(fn, body: list, buffer: ir.Buffer):
    """None when ``body`` writes every element of ``buffer`` each time it runs: by stores in
    loops with constant bounds, at affine indices of those loops, outside any branch (or in a
    kernel ``buffer`` is passed to); else why that cannot be shown."""
    written = set()

    def visit(stmts, loops, target, owner):
        for s in stmts:
            if isinstance(s, ir.Store) and s.buffer is target:
                try:
                    written.update(_offsets(owner, target, s, loops, "writes"))
                except ScheduleError:   # not provably every time: it does not count
                    pass
            elif isinstance(s, ir.StreamGetInto) and s.buffer is target:
                written.update(range(target.type.size))
            elif isinstance(s, ir.For) and isinstance(s.lo, ir.Const) and \
                    isinstance(s.hi, ir.Const):
                visit(s.body, loops + [s], target, owner)
            elif isinstance(s, ir.Parallel):
                visit(s.calls, loops, target, owner)
            elif isinstance(s, ir.CallStmt):
                for p, a in zip(s.func.params, s.args):
                    if isinstance(a, ir.BufferRef) and a.buffer is target:
                        visit(s.func.body, [], p, s.func)
    visit(body, [], buffer, fn)
    if len(written) == buffer.type.size:
        return None
    return (f"its writer (line {_line(body)}) cannot be shown to write all {buffer.type.size} "
            f"of its elements in each iteration ({len(written)} found)")


def _line(stmts: list) -> int:
    return next(s for s in stmts if not isinstance(s, ir.Decl)).loc.line


# -- the kernels ----------------------------------------------------------------------------
def _task(name, loop, k, task, use, bounds, pairs, members, written, channels):
    """The kernel of task ``k`` on the caller's variables (``clone_function`` gives it its
    own) and the arguments of its call; adds the token streams it uses to ``channels``."""
    loc = task[0].loc
    params, args = [], []
    for key, var in {**use.vars_read, **bounds.vars_read}.items():
        if key not in written and var is not loop.var:
            params.append(var)
            args.append(ir.VarRef(var.type, loc, var))
    ping, pong = {}, {}
    for key, buffer in use.buffers().items():
        if key in use.declared:
            continue
        passed = members.get(key, (buffer,))
        if key in pairs:
            ping[buffer], pong[buffer] = passed
        params += passed
        args += [ir.BufferRef(m.type, loc, m) for m in passed]

    token, bank, primed = (ir.Var(f"pingpong_{n}", T.bool, loc) for n in
                           ("token", "bank", "primed"))
    bank_ref = ir.VarRef(T.bool, loc, bank)

    def stream(channel):
        for p, a in zip(params, args):
            if isinstance(a, ir.ChannelRef) and a.channel is channel:
                return p
        param = ir.Channel(channel.name, channel.type, loc, "arg")
        params.append(param)
        args.append(ir.ChannelRef(channel.type, loc, channel))
        return param

    def take(channel):
        return ir.Assign(loc, token, ir.StreamGet(T.bool, loc, stream(channel)))

    def give(channel):
        return ir.StreamPut(loc, stream(channel), ir.Const(T.bool, loc, 1))

    wait_full, wait_free, give_full, give_free = [], [], [], []
    for buffer, writer, readers in pairs.values():
        for reader in readers:
            if k not in (writer, reader):
                continue
            full, free = _token_streams(buffer, reader, readers, channels, loc)
            if k == writer:
                wait_free.append(ir.If(loc, ir.VarRef(T.bool, loc, primed), [take(free)], []))
                give_full.append(give(full))
            else:
                wait_full.append(take(full))
                give_free.append(give(free))
    body, start, local = list(task), [], {}
    if ping:
        on_member = ir.If(loc, ir.Not(T.bool, loc, bank_ref), _OnMembers(ping, "").stmts(task),
                          _OnMembers(pong, "_pong").stmts(task))
        next_member = [ir.If(loc, ir.VarRef(T.bool, loc, bank),
                             [ir.Assign(loc, primed, ir.Const(T.bool, loc, 1))], []),
                       ir.Assign(loc, bank, ir.Not(T.bool, loc, ir.VarRef(T.bool, loc, bank)))]
        body = wait_full + wait_free + [on_member] + give_full + give_free + next_member
        start = [ir.Assign(loc, v, ir.Const(T.bool, loc, 0)) for v in (bank, primed)]
        local = {v.name: v for v in (token, bank, primed)}
    local.update({v.name: v for v in use.vars_written.values()
                  if v is not loop.var and v.kind != "loop"})
    local.update({b.name: b for b in use.declared.values()})
    task_loop = dataclasses.replace(loop, body=body, attrs=dict(loop.attrs))
    raw = ir.Function(name, params, [], start + [task_loop], loc, local, [], None)
    raw.callees[:] = _called(raw.body)
    return raw, args


def _declare_members(fn, pairs, members) -> None:
    """Each pair replaces its array, in ``fn.locals`` and in the array's declarations."""
    for key, (buffer, _, _) in pairs.items():
        del fn.locals[buffer.name]
        for m in members[key]:
            fn.locals[m.name] = m
        for decl in [s for s in ir.walk_stmts(fn.body)
                     if isinstance(s, ir.Decl) and s.buffer is buffer]:
            body, at = path_to(fn.body, decl)[-1]
            body[at:at + 1] = [dataclasses.replace(decl, buffer=m, observable=False)
                               for m in members[key]]


def _token_streams(buffer, reader, readers, channels, loc) -> list:
    suffix = f"_{reader}" if len(readers) > 1 else ""
    made = []
    for role in ("full", "free"):
        name = f"{buffer.name}_{role}{suffix}"
        channel = next((c for c in channels if c.name == name), None)
        if channel is None:
            channel = ir.Channel(name, StreamType(T.bool, _TOKENS), loc)
            channels.append(channel)
        made.append(channel)
    return made


class _OnMembers(Renamed):
    """A copy of statements on one member of each ping-pong pair (``members``: array ->
    member), the bands of its loops suffixed so that the two copies keep apart."""

    def __init__(self, members: dict, band_suffix: str):
        super().__init__(lambda x: members.get(x, x))
        self.suffix = band_suffix

    def copy_node(self, node):
        clone = super().copy_node(node)
        if isinstance(clone, ir.For):
            clone.band += self.suffix
        return clone
