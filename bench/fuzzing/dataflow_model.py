"""The fuzzer's independent model of dataflow regions (``@df.region()``): streams, kernel
instances, deadlocks. Like model.py it knows nothing of allo_rtl; the semantics are those of the
language's documentation:

* a ``@df.kernel(mapping=[P])`` is one instance per point of its grid, named
  ``<kernel>_<p0>[_<p1>]``; ``df.get_pid()``, ``meta_if``/``meta_elif``/``meta_else``,
  ``meta_for`` and ``ConstExpr`` are resolved per instance at compile time (a pid or a meta_for
  value is a literal of the instance: it folds with other literals and types as one);
* instances run concurrently; a stream is a FIFO of ``depth`` values with one producer and one
  consumer instance; ``put`` converts its value to the element type as an assignment does,
  ``get`` returns the oldest value; put waits while the stream is full, get while it is empty;
  values left in a stream at the end are ignored;
* when nothing can progress and some instance has not finished, the run fails with
  AlloDeadlockError: "deadlock: every running kernel waits: " and, per waiting instance in
  declaration order, "<instance> waits to get from '<stream>' (empty) at <file>:<line>" or
  "<instance> waits to put into '<stream>' (full, depth D) at <file>:<line>", joined by "; ";
  the error's line is the first one's; nothing is written back.

How: the stream graph of generated regions is acyclic, so the instances run one after another in
topological order with unbounded queues (an instance that finds a queue empty then is blocked
for good: every producer has finished), recording each instance's sequence of stream
operations. The network is deterministic (Kahn), so those sequences are what each instance does
with bounded streams too, up to where it waits; a replay of them with the streams' depths finds
where every instance stops.
"""
from __future__ import annotations

import copy
import dataclasses
import itertools
from collections import defaultdict, deque

from . import prog as P
from . import types as T
from .model import Fault, Model

MODULE_FILE = "@module@"     # stands for the kernel module's file name in deadlock messages


class Unpredictable(T.NoRule):
    """A region the model cannot predict (a kernel faults, streams form a cycle): not a case."""


class _Blocked(Exception):
    def __init__(self, key, line):
        self.key, self.line = key, line


# ---------------------------------------------------------------------------------------------
# Compile-time values: pids, meta_for values, ConstExpr names


def const_eval(e, values: dict):
    """The Python value of a compile-time expression (Python's own arithmetic)."""
    if isinstance(e, P.Lit):
        return e.value
    if isinstance(e, P.Ref):
        if id(e.sym) not in values:
            raise Unpredictable(f"{e.sym.name} is not a compile-time value")
        return values[id(e.sym)]
    if isinstance(e, P.Bin):
        a, b = const_eval(e.lhs, values), const_eval(e.rhs, values)
        return {"add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b,
                "floordiv": lambda: a // b, "mod": lambda: a % b}[e.op]()
    if isinstance(e, P.Cmp):
        a, b = const_eval(e.lhs, values), const_eval(e.rhs, values)
        return {"lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b, "eq": a == b,
                "ne": a != b}[e.op]
    if isinstance(e, P.BoolOp):
        vals = [const_eval(v, values) for v in e.vals]
        return all(vals) if e.op == "and" else any(vals)
    if isinstance(e, P.Un) and e.op == "not":
        return not const_eval(e.x, values)
    if isinstance(e, P.Un) and e.op == "neg":
        return -const_eval(e.x, values)
    raise Unpredictable(f"not a compile-time expression: {type(e).__name__}")


def channel(chan: P.Chan, values: dict):
    """``(key, name, depth)`` of the stream ``chan`` names in an instance."""
    s = chan.stream
    if s.count is None:
        if chan.idx is not None:
            raise Unpredictable(f"stream {s.name} is not an array")
        return (id(s), None), s.name, s.depth
    ks = tuple(const_eval(i, values) for i in chan.indices)
    if len(ks) != len(s.shape) or not all(isinstance(k, int) and 0 <= k < d
                                          for k, d in zip(ks, s.shape)):
        raise Unpredictable(f"stream index {list(ks)} outside {s.name}{list(s.shape)}")
    return (id(s), ks), f"{s.name}_{'_'.join(map(str, ks))}", s.depth


# ---------------------------------------------------------------------------------------------
# Instances: the kernel's body with the compile-time constructs resolved


@dataclasses.dataclass(eq=False)
class Instance:
    name: str
    kdef: P.KernelDef
    pid: tuple
    body: list
    puts: set
    gets: set
    trace: list = dataclasses.field(default_factory=list)     # (op, key, line)
    blocked: tuple | None = None                              # (key, line) of a get for good
    names: dict = dataclasses.field(default_factory=dict)     # key -> (stream name, depth)


def instances(region: P.Func) -> list:
    out = []
    for s in region.body:
        if not isinstance(s, P.KernelDef):
            continue
        for pid in itertools.product(*(range(m) for m in s.mapping)):
            names = {}
            body = resolve(s.fn.body, {}, pid, names)
            if not body:
                continue          # an instance with nothing to do is not made
            puts, gets = set(), set()
            for st in P.walk_stmts(body):
                if isinstance(st, P.Put):
                    puts.add(st.chan.key)
                if isinstance(st, P.GetStmt):
                    gets.add(st.chan.key)
                for e in st.exprs():
                    for x in P.walk_expr(e):
                        if isinstance(x, P.Get):
                            gets.add(x.chan.key)
            out.append(Instance("_".join([s.fn.name, *map(str, pid)]), s, pid, body, puts, gets,
                                names=names))
    return out


def resolve(body: list, values: dict, pid: tuple, names: dict) -> list:
    """``body`` for one instance: pids, meta constructs and ConstExpr names replaced by their
    values (as literals), streams by resolved channels. Statements are shallow copies; symbols
    stay the same objects."""
    out = []
    for s in body:
        if isinstance(s, P.PidDecl):
            if len(s.syms) != len(pid):
                raise Unpredictable("get_pid arity")
            for sym, v in zip(s.syms, pid):
                values[id(sym)] = v
            continue
        if isinstance(s, P.ConstDecl):
            values[id(s.sym)] = const_eval(s.value, values)
            continue
        if isinstance(s, P.MetaIf):
            for cond, b in s.branches:
                if const_eval(cond, values):
                    out += resolve(b, values, pid, names)
                    break
            else:
                if s.orelse is not None:
                    out += resolve(s.orelse, values, pid, names)
            continue
        if isinstance(s, P.MetaFor):
            for u in range(s.count):
                inner = dict(values)
                inner[id(s.var)] = u
                out += resolve(s.body, inner, pid, names)
            continue
        out.append(_subst_stmt(s, values, pid, names))
    return out


def _subst_chan(chan, values, names):
    key, name, depth = channel(chan, values)
    names[key] = (name, depth)
    new = P.Chan(chan.stream, None)
    new.key = key
    return new


def _subst_stmt(s, values, pid, names):
    new = copy.copy(s)
    for f in dataclasses.fields(s):
        v = getattr(s, f.name)
        if f.name in ("then", "orelse", "body") and isinstance(v, list):
            setattr(new, f.name, resolve(v, values, pid, names))
        elif isinstance(v, P.Expr):
            setattr(new, f.name, subst(v, values, names))
        elif isinstance(v, P.Chan):
            setattr(new, f.name, _subst_chan(v, values, names))
        elif isinstance(v, list) and any(isinstance(x, P.Expr) for x in v):
            setattr(new, f.name, [subst(x, values, names) if isinstance(x, P.Expr) else x
                                  for x in v])
    return new


def subst(e, values, names):
    if isinstance(e, P.Ref) and id(e.sym) in values:
        return P.Lit(values[id(e.sym)])
    new = copy.copy(e)
    for f in dataclasses.fields(e):
        v = getattr(e, f.name)
        if isinstance(v, P.Expr):
            setattr(new, f.name, subst(v, values, names))
        elif isinstance(v, P.Chan):
            setattr(new, f.name, _subst_chan(v, values, names))
        elif isinstance(v, list):
            setattr(new, f.name, [subst(x, values, names) if isinstance(x, P.Expr) else x
                                  for x in v])
    return new


# ---------------------------------------------------------------------------------------------
# Running


class InstanceModel(Model):
    """The sequential model running one instance, with unbounded queues."""

    def __init__(self, program, queues, step_limit):
        super().__init__(program, step_limit)
        self.queues = queues
        self.trace = []

    def stmt(self, s, env):
        if isinstance(s, P.Decl) and s.sym.is_array and isinstance(s.init, P.Get):   # a block
            self.tick()
            self.line = s.line
            env[s.sym] = list(self.take(s.init.chan))
            return
        super().stmt(s, env)

    def other_stmt(self, s, env):
        if isinstance(s, P.Put) and s.chan.stream.block is not None:
            self.queues[s.chan.key].append(list(env[s.value.sym]))   # the stream keeps a copy
            self.trace.append(("put", s.chan.key, self.line))
        elif isinstance(s, P.Put):
            value = self.conv(s.value, s.chan.stream.ty, env)
            self.queues[s.chan.key].append(value)
            self.trace.append(("put", s.chan.key, self.line))
        elif isinstance(s, P.GetStmt):
            self.take(s.chan)
        else:
            raise TypeError(s)

    def other_expr(self, e, env):
        if isinstance(e, P.Get):
            return self.take(e.chan)
        raise TypeError(e)

    def take(self, chan):
        q = self.queues[chan.key]
        if not q:
            raise _Blocked(chan.key, self.line)
        self.trace.append(("get", chan.key, self.line))
        return q.popleft()


def topological(insts: list) -> list:
    """Producers before consumers; otherwise declaration order."""
    producers = defaultdict(set)
    for k, inst in enumerate(insts):
        for key in inst.puts:
            producers[key].add(k)
    deps = [{p for key in inst.gets for p in producers[key] if p != k}
            for k, inst in enumerate(insts)]
    done, order = set(), []
    while len(order) < len(insts):
        ready = [k for k in range(len(insts)) if k not in done and deps[k] <= done]
        if not ready:
            raise Unpredictable("the streams form a cycle")
        done.add(ready[0])
        order.append(insts[ready[0]])
    return order


def stream_key(param: P.Sym) -> tuple:
    """The key of a region's stream parameter's channel (as ``channel`` makes it)."""
    return (id(param.stream), None)


def _given(region: P.Func, inputs: list) -> dict:
    """Key -> the values the caller gives, for each input stream parameter."""
    return {stream_key(p): list(v) for p, v in zip(region.params, inputs)
            if p.stream is not None and p.stream.arg == "in"}


def run_region(model: Model, inputs: list):
    program = model.program
    region = program.kernel
    arrays = {p: list(v) for p, v in zip(region.params, inputs) if p.stream is None}
    insts = instances(region)
    depth_of, name_of = {}, {}
    for inst in insts:
        for key, (name, depth) in inst.names.items():
            name_of[key], depth_of[key] = name, depth
    given = _given(region, inputs)
    for p in region.params:     # the caller takes every value of an output at once
        if p.stream is not None and p.stream.arg == "out":
            depth_of[stream_key(p)] = float("inf")
    queues = defaultdict(deque, {key: deque(v) for key, v in given.items()})
    for inst in topological(insts):
        env = {}
        for param, arg in zip(inst.kdef.fn.params, inst.kdef.args):
            env[param] = arrays[arg]
        im = InstanceModel(program, queues, max(1, model.step_limit - model.steps))
        try:
            im.block(inst.body, env)
        except _Blocked as b:
            inst.blocked = (b.key, b.line)
        except Fault as f:
            raise Unpredictable(f"instance {inst.name} faults: {f}") from None
        finally:
            model.steps += im.steps
        inst.trace = im.trace
    waits = replay(insts, depth_of, {key: len(v) for key, v in given.items()})
    if waits:
        parts = []
        for inst_name, op, key, line in waits:
            where = f"{MODULE_FILE}:{line}"
            if op == "put":
                parts.append(f"{inst_name} waits to put into '{name_of[key]}' (full, depth "
                             f"{depth_of[key]}) at {where}")
            else:
                parts.append(f"{inst_name} waits to get from '{name_of[key]}' (empty) at {where}")
        raise Fault("AlloDeadlockError", "deadlock: every running kernel waits: " +
                    "; ".join(parts), waits[0][3])
    out = {}
    for p, v in zip(region.params, inputs):
        if p.stream is None:
            out[p.name] = arrays[p]
            continue
        left = list(queues[stream_key(p)])
        if p.stream.arg == "in" and left:
            raise Unpredictable(f"input stream {p.name}: {len(left)} values not taken")
        if p.stream.arg == "out" and len(left) != len(v):
            raise Unpredictable(f"output stream {p.name}: {len(left)} values for {len(v)}")
        out[p.name] = list(v) if p.stream.arg == "in" else left
    return [], out


def replay(insts: list, depth_of: dict, given: dict) -> list:
    """Each instance's operations again with bounded streams (``given``: the values in input
    streams at the start), until none can progress; the waiting instances as ``(name, op,
    key, line)`` in declaration order."""
    pos = [0] * len(insts)
    count = defaultdict(int, given)
    progress = True
    while progress:
        progress = False
        for k, inst in enumerate(insts):
            while pos[k] < len(inst.trace):
                op, key, _ = inst.trace[pos[k]]
                if op == "put":
                    if count[key] >= depth_of[key]:
                        break
                    count[key] += 1
                else:
                    if count[key] == 0:
                        break
                    count[key] -= 1
                pos[k] += 1
                progress = True
    waits = []
    for k, inst in enumerate(insts):
        if pos[k] < len(inst.trace):
            op, key, line = inst.trace[pos[k]]
            waits.append((inst.name, op, key, line))
        elif inst.blocked is not None:
            waits.append((inst.name, "get", inst.blocked[0], inst.blocked[1]))
    return waits


# ---------------------------------------------------------------------------------------------
# What the frontend requires of a region (for the shrinker: edits must keep it)


def region_problem(program: P.Program) -> str | None:
    """Why the region is not a valid dataflow program, or None: arguments are the region's
    arrays of the kernel parameters' exact types, streams are declared before use and in
    bounds, and each stream used has exactly one producer and one consumer instance."""
    region = program.kernel
    declared = {id(p.stream) for p in region.params if p.stream is not None}
    params = {id(p) for p in region.params if p.stream is None}
    for s in region.body:
        if isinstance(s, P.StreamDecl):
            declared.add(id(s.stream))
        elif isinstance(s, P.KernelDef):
            if len(s.args) != len(s.fn.params):
                return f"{s.fn.name}: args"
            for p, a in zip(s.fn.params, s.args):
                if id(a) not in params or p.ty != a.ty or p.shape != a.shape:
                    return f"{s.fn.name}: argument {a.name}"
            for st in P.walk_stmts(s.fn.body):
                chans = [st.chan] if isinstance(st, (P.Put, P.GetStmt)) else []
                chans += [x.chan for e in st.exprs() for x in P.walk_expr(e)
                          if isinstance(x, P.Get)]
                if any(id(c.stream) not in declared for c in chans):
                    return f"{s.fn.name}: undeclared stream"
        else:
            return f"{type(s).__name__} in a region body"
    try:
        insts = instances(region)
    except (Unpredictable, KeyError, ZeroDivisionError, TypeError) as e:
        return f"instances: {e}"
    ends = defaultdict(lambda: ([], []))
    for inst in insts:
        for key in inst.puts:
            ends[key][0].append(inst.name)
        for key in inst.gets:
            ends[key][1].append(inst.name)
    for p in region.params:     # the caller is one end of a stream parameter
        if p.stream is not None:
            puts, gets = ends[stream_key(p)]
            (gets if p.stream.arg == "out" else puts).append("caller")
    for key, (puts, gets) in ends.items():
        if len(puts) != 1 or len(gets) != 1:
            return f"stream {key}: {len(puts)} producer(s), {len(gets)} consumer(s)"
    return None


def balanced(program: P.Program) -> bool:
    """Every stream gets as many values as are put into it (the model ran without a deadlock
    and left nothing behind), from a model run of the region."""
    region = program.kernel
    insts = instances(region)
    queues = defaultdict(deque, {k: deque(v) for k, v in _given(region, program.inputs).items()})
    arrays = {p: list(v) for p, v in zip(region.params, program.inputs) if p.stream is None}
    steps = 0
    for inst in topological(insts):
        env = {param: arrays[arg] for param, arg in zip(inst.kdef.fn.params, inst.kdef.args)}
        im = InstanceModel(program, queues, max(1, 50_000 - steps))
        try:
            im.block(inst.body, env)
        except _Blocked:
            return False
        except Fault as f:
            raise Unpredictable(f"instance {inst.name} faults: {f}") from None
        steps += im.steps
    for p, v in zip(region.params, program.inputs):   # the caller takes its outputs whole
        if p.stream is not None and p.stream.arg == "out":
            if len(queues.pop(stream_key(p))) != len(v):
                return False
    return not any(queues.values())
