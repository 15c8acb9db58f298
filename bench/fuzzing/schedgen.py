"""Random schedules for a generated program: mostly legal sequences of Allo's primitives over the
loops and arrays the program has (tracked as the primitives rename and restructure loops).

Patterns the generator planted (``For.pattern``) get their primitives: a stencil gets a line
buffer and a window buffer (``reuse_at`` chained), a producer nest is moved into its consumer
(``compute_at``), an accumulation nest gets ``buffer_at``. Helpers' schedules are built on their
own ``allo.customize`` and composed into the kernel's (``compose``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import prog as P
from .prog import SchedOp

PARTITION_TYPES = {"complete": ("allo.Partition.Complete", "0"),
                   "block": ("allo.Partition.Block", "1"),
                   "cyclic": ("allo.Partition.Cyclic", "2")}


@dataclass(eq=False)
class Loop:
    """A loop as the schedule sees it: its name, constant trip count (or None) and the loops
    directly inside it; ``perfect`` when its body is exactly one loop."""

    name: str
    trip: int | None
    children: list = field(default_factory=list)
    perfect: bool = False
    stmt: P.For | None = None


def loop_tree(body: list) -> list:
    out = []
    for s in body:
        if isinstance(s, P.For):
            out.append(_nest(s))
        else:
            for inner in s.bodies():
                out.extend(loop_tree(inner))
    return out


def _nest(s: P.For) -> Loop:
    if s.kind == "range":
        lo, hi, step = s.bounds
        a, b = P.folded(lo), P.folded(hi)
        trip = None if a is None or b is None else max(0, len(range(a, b, step)))
        trips = [trip]
    else:
        trips = [P.folded(b) for b in s.bounds]
    children = loop_tree(s.body)
    perfect = len(s.body) == 1 and isinstance(s.body[0], P.For)
    loops = [Loop(v.name, t, stmt=s) for v, t in zip(s.vars, trips)]
    for outer, inner in zip(loops, loops[1:]):
        outer.children, outer.perfect = [inner], True
    loops[-1].children, loops[-1].perfect = children, perfect
    return loops[0]


def all_loops(roots):
    for loop in roots:
        yield loop
        yield from all_loops(loop.children)


class SchedGen:
    def __init__(self, gen, on: str, fn: P.Func, qualify: str = ""):
        self.gen, self.r, self.on, self.fn = gen, gen.r, on, fn
        self.roots = loop_tree(fn.body)
        self.qualify = qualify
        self.ops: list = []
        self.handles = 0
        self.partitioned: set = set()

    def loop_ref(self, loop: Loop) -> str:
        return repr(f"{self.qualify}{loop.name}")

    def array_ref(self, sym: P.Sym) -> str:
        if self.qualify:
            return repr(f"{self.qualify}{sym.name}")
        return f"{self.on}.{sym.name}"

    def emit(self, prim, *args, result=None):
        self.ops.append(SchedOp(self.on, prim, list(args), result, (prim,)))

    def loops(self):
        return list(all_loops(self.roots))

    # -- primitives ----------------------------------------------------------------------------
    def random_ops(self, n: int):
        """``n`` primitives: loop restructuring first, then partitions and annotations (split,
        fuse and reorder refuse loops that already carry pipeline or unroll)."""
        structural = self.r.randint(0, n)
        for k in range(n):
            self.random_op(structural=k < structural)

    def random_op(self, structural=False):
        r = self.r
        loops = self.loops()
        arrays = [p for p in self.fn.params if p.is_array] + [
            s.sym for s in P.walk_stmts(self.fn.body) if isinstance(s, P.Decl) and s.sym.is_array]
        arrays = [a for a in arrays if a.name not in self.partitioned]
        kinds = []
        if loops and structural:
            kinds += ["split"] * 2
        elif loops:
            kinds += ["pipeline"] * 4 + ["unroll"] * 3
        if any(l.perfect for l in loops) and structural:
            kinds += ["reorder", "fuse"]
        if arrays and not structural:
            kinds += ["partition"] * 3
        if not kinds:
            return
        kind = r.choice(kinds)
        if kind == "pipeline":
            loop = r.choice(loops)
            ii = r.choice([1, 1, 1, 2, 3])
            self.emit("pipeline", self.loop_ref(loop),
                      *([] if ii == 1 and r.random() < 0.5 else [f"initiation_interval={ii}"]))
        elif kind == "unroll":
            loop = r.choice(loops)
            if loop.trip is None or r.random() < 0.4:
                self.emit("unroll", self.loop_ref(loop))
            else:
                factor = r.randint(1, max(1, loop.trip))
                self.emit("unroll", self.loop_ref(loop), f"factor={factor}")
        elif kind == "split":
            loop = r.choice(loops)
            factor = r.randint(2, 4)
            self.emit("split", self.loop_ref(loop), str(factor))
            inner = Loop(f"{loop.name}.inner", factor, loop.children, loop.perfect, loop.stmt)
            loop.name = f"{loop.name}.outer"
            loop.trip = None if loop.trip is None else -(-loop.trip // factor)
            loop.children, loop.perfect = [inner], True
        elif kind in ("reorder", "fuse"):
            outer = r.choice([l for l in loops if l.perfect])
            inner = outer.children[0]
            if kind == "reorder":
                self.emit("reorder", self.loop_ref(inner), self.loop_ref(outer))
                outer.name, inner.name = inner.name, outer.name
                outer.trip, inner.trip = inner.trip, outer.trip
            else:
                self.emit("fuse", self.loop_ref(outer), self.loop_ref(inner))
                outer.name = f"{outer.name}_{inner.name}_fused"
                outer.trip = None if None in (outer.trip, inner.trip) else outer.trip * inner.trip
                outer.children, outer.perfect = inner.children, inner.perfect
        else:
            self.partition(r.choice(arrays))

    def partition(self, sym, dim=None, kind=None):
        r = self.r
        self.partitioned.add(sym.name)
        kind = kind or r.choice(["complete", "block", "cyclic", "cyclic"])
        dim = r.choice([0] + list(range(1, len(sym.shape) + 1))) if dim is None else dim
        spelled = r.choice(PARTITION_TYPES[kind])
        args = [self.array_ref(sym) if not isinstance(sym, str) else sym]
        args.append(f"partition_type={spelled}" if r.random() < 0.7 else spelled)
        args.append(f"dim={dim}")
        if kind != "complete":
            extent = min(sym.shape) if dim == 0 else sym.shape[dim - 1]
            factors = [f for f in (1, 2, 2, 4, 3) if f <= extent] or [1]
            args.append(f"factor={r.choice(factors)}")
        self.emit("partition", *args)

    # -- patterns ------------------------------------------------------------------------------
    def patterns(self):
        r = self.r
        for s in P.walk_stmts(self.fn.body):
            if not isinstance(s, P.For) or not s.pattern or r.random() < 0.3:
                continue
            names = [v.name for v in s.vars]
            if s.pattern[0] == "stencil":
                a = s.pattern[1]
                self.handles += 1
                lb = f"lb{self.handles}"
                self.emit("reuse_at", self.array_ref(a), repr(self.qualify + names[0]), result=lb)
                last = lb
                if len(names) == 2 and r.random() < 0.7:
                    wb = f"wb{self.handles}"
                    self.emit("reuse_at", lb, repr(self.qualify + names[1]), result=wb)
                    last = wb
                for h in {lb, last}:
                    if r.random() < 0.6:
                        self.emit("partition", h, "dim=0")
                if r.random() < 0.7:
                    self.emit("pipeline", repr(self.qualify + names[-1]))
            elif s.pattern[0] == "producer":
                consumer = s.pattern[1]
                depth = r.randint(1, len(names))
                self.emit("compute_at", repr(self.qualify + names[0]),
                          repr(self.qualify + consumer.vars[depth - 1].name))
                # the producer's loops are gone; what is left of its body moved into the consumer
                self.roots = [l for l in self.roots if l.stmt is not s]
                return
            elif s.pattern[0] == "tasks":
                # inner loops pipelined first: after dataflow a task holds two copies of each
                for nest in s.body:
                    if isinstance(nest, P.For) and r.random() < 0.5:
                        self.emit("pipeline", repr(self.qualify + nest.vars[0].name))
                self.emit("dataflow", repr(self.qualify + names[0]))
                self.roots = [l for l in self.roots if l.stmt is not s]
                # the rows between the nests are ping-pong pairs now, under other names
                self.partitioned |= {nest.body[0].target.sym.name for nest in s.body[:-1]
                                     if isinstance(nest, P.For)}
                return
            elif s.pattern[0] == "accum":
                self.emit("buffer_at", self.array_ref(s.pattern[1]), f"axis={repr(self.qualify + names[0])}")
                inner = s.body[0].vars[0].name
                if r.random() < 0.5:
                    self.emit("pipeline", repr(self.qualify + r.choice([names[1], inner])))


def reachable(fn: P.Func) -> list:
    """The functions ``fn`` calls, directly or not (not ``fn`` itself)."""
    out = []

    def visit(f):
        for s in P.walk_stmts(f.body):
            callees = [s.fn] if isinstance(s, P.CallStmt) else []
            for e in s.exprs():
                callees += [x.fn for x in P.walk_expr(e) if isinstance(x, P.Call)]
            for c in callees:
                if c not in out:
                    out.append(c)
                    visit(c)
    visit(fn)
    return out


def schedule(gen, program: P.Program) -> list:
    """A list of ``SchedOp`` for ``program`` (empty for about a third of the cases)."""
    r = gen.r
    if r.random() < 0.3:
        return []
    kernel = program.kernel
    top = SchedGen(gen, "s", kernel)
    top.patterns()
    top.random_ops(r.choice([0, 1, 1, 2, 3]))
    ops = top.ops
    helpers = [f for f in reachable(kernel) if f.template is None and loop_tree(f.body)]
    for h in helpers:
        x = r.random()
        if x < 0.35:
            sub = SchedGen(gen, f"s_{h.name}", h)
            sub.patterns()
            sub.random_ops(r.randint(1, 2))
            if sub.ops:
                ops.append(SchedOp("s", "compose", [h.name, sub.ops], None, ("compose",)))
        elif x < 0.55:
            direct = SchedGen(gen, "s", h, qualify=f"{h.name}:")
            direct.random_ops(1)
            ops += direct.ops
    return ops
