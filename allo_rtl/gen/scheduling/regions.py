"""The controller's plan for one function: a tree of regions, each with its states and latency.

Straight-line statements (``if``/``else`` of them included) form scheduled blocks; loops,
``while``, other ``if``/``else`` and calls are control regions. State 0 is idle; every block
cycle and every call's wait has a state of its own. A loop with constant bounds costs no cycle
beyond its body (its counter steps in the body's last cycle); a loop with other bounds has a
head block that evaluates them once. Branches of an ``if``/``else`` with static latencies are
padded to the same length, so the whole design stays statically timed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from ...errors import UnsupportedError

from ...ir import nodes as ir
from ...types import Index
from ..analysis.checks import CheckContext, CheckSite, assume_ir, index_ranges
from ..analysis.dfg import BlockBuilder
from ..analysis.graph import BOOL, Dfg
from .listsched import PortModel, schedule_block
from ..analysis.storage import IN_REGISTERS
from .modsched import modulo_schedule
from ..analysis.shapes import divider_shapes, multiplier_shapes



@dataclass(eq=False)
class Block:
    dfg: Dfg
    cycles: int
    first_state: int
    loc: object

    def states(self):
        return range(self.first_state, self.first_state + self.cycles)


@dataclass(eq=False)
class Seq:
    items: list


@dataclass(eq=False)
class Loop:
    stmt: ir.For
    body: Seq
    head: Block | None            # bounds that are not constants
    trip: int | None              # constant bounds: the trip count (>= 1)
    bound_var: ir.Var | None      # holds ``hi`` when it is not constant


@dataclass(eq=False)
class Pipeline:
    """Perfectly nested loops run as one modulo-scheduled pipeline (``loops`` outermost first;
    the innermost carries the ``pipeline`` annotation). It holds one controller state."""

    loops: list
    dfg: Dfg
    schedule: object              # modsched.ModuloSchedule
    state: int
    head: Block | None            # the innermost loop's bounds when they are not constants
    bound_var: ir.Var | None
    trips: list                   # per loop: its constant trip count, or None

    def iterations(self, env: dict):
        if self.head is None:
            return math.prod(self.trips)
        stmt = self.loops[-1]
        lo, hi = evaluate(stmt.lo, env), evaluate(stmt.hi, env)
        return None if lo is None or hi is None else len(range(lo, hi, stmt.step))

    def cycles(self, iterations: int) -> int:
        """Cycles from the first iteration's start to the last one's end."""
        return 0 if iterations == 0 else (iterations - 1) * self.schedule.ii + self.schedule.length


@dataclass(eq=False)
class WhileLoop:
    stmt: ir.While
    cond: Block
    body: Seq


@dataclass(eq=False)
class Branch:
    stmt: ir.If
    cond: Block
    then: Seq
    orelse: Seq


@dataclass(eq=False)
class Delay:
    """``cycles`` idle cycles: one state each when few, else one state and a down-counter
    (``counted``), so a long padding does not grow the state machine by thousands of states."""

    first_state: int
    cycles: int

    @property
    def counted(self) -> bool:
        return self.cycles > STATES_PER_DELAY


STATES_PER_DELAY = 4   # a longer delay counts its cycles in one state


@dataclass(eq=False)
class Call:
    stmt: ir.CallStmt
    block: Block                  # evaluates the arguments; starts the callee in its last cycle
    wait_state: int
    callee: str                   # the callee's function name (one instance per callee)


@dataclass(eq=False)
class Concurrent:
    """A dataflow region's kernels (``ir.Parallel``): all start together, each its own
    controller, talking through FIFOs; the region waits in ``wait_state`` until all are idle.
    Its latency is data-dependent (stalls on streams and shared memories)."""

    stmt: ir.Parallel
    wait_state: int
    deadlock: CheckSite | None = None   # the check that reports a deadlock (checks on)
    # the state that starts the kernels when they take variables: a cycle after the region is
    # reached, when a variable written as it is reached (a loop's counter) holds its value
    launch_state: int | None = None


@dataclass
class Plan:
    hw: object                    # normalize.HwFunction
    body: Seq
    state_names: list = field(default_factory=lambda: ["idle"])
    calls: list = field(default_factory=list)
    regions: list = field(default_factory=list)     # every Concurrent
    blocks: list = field(default_factory=list)
    loops: list = field(default_factory=list)       # every Loop, outermost first
    pipelines: list = field(default_factory=list)   # every Pipeline
    checks: list = field(default_factory=list)      # every checks.CheckSite kept, in rank order


def is_straight_line(stmt) -> bool:
    if isinstance(stmt, (ir.Assign, ir.Store, ir.BitStore, ir.StreamPut)):
        return True
    if isinstance(stmt, ir.If):
        return all(map(is_straight_line, stmt.then_body + stmt.else_body))
    return False


class Planner:
    def __init__(self, hw, model, storage_kind, callee_latency, checks: bool, top: bool):
        self.hw, self.model = hw, model
        self.storage_kind = storage_kind          # buffer -> a kind of memories.StoragePlan
        self.callee_latency = callee_latency      # (function, env) -> int | None
        self.plan = Plan(hw, Seq([]))
        self.fresh = 0
        self.counter_ranges = counter_ranges(hw.body)
        self.checks = checks                      # whether to make run-time checks
        self.index_ranges = index_ranges(hw.body, self.counter_ranges)
        # how deep inside regions that may not run (branches, while bodies, loops whose trip
        # count data decide) the statements being planned are; -1 everywhere in a callee,
        # which may be called conditionally
        self.conditional = 0 if top else -1

    # -- states ----------------------------------------------------------------------------------
    def states(self, n: int, describe) -> int:
        first = len(self.plan.state_names)
        self.plan.state_names.extend(describe(k) for k in range(n))
        return first

    def builder(self, loc) -> BlockBuilder:
        builder = BlockBuilder(loc, CheckContext(self.checks, self.index_ranges,
                                                 self.conditional == 0, self.hw.name,
                                                 self.plan.checks))
        builder.registers = lambda buffer: self.storage_kind(buffer) in IN_REGISTERS
        builder.counter_ranges = self.counter_ranges
        return builder

    def block(self, builder: BlockBuilder, loc, what: str) -> Block:
        dfg = builder.finish()
        ports = PortModel(self.port_of, self.read_latency)
        cycles = schedule_block(dfg, self.model, ports, self.latency_of)
        where = f"{loc.file.rsplit('/', 1)[-1]}:{loc.line}" if loc else "?"
        first = self.states(cycles, lambda k: f"{what} at {where}, cycle {k + 1} of {cycles}")
        block = Block(dfg, cycles, first, loc)
        self.plan.blocks.append(block)
        return block

    def port_of(self, buffer, kind, banks):
        """[(port, accesses per cycle)] an access to one of ``banks`` takes: per bank it may
        reach, the read or the write port of a local memory or an external interface;
        registers have no limit."""
        if self.storage_kind(buffer) in IN_REGISTERS:
            return [((id(buffer), None), None)]
        role = "r" if kind == "load" else "w"
        return [((id(buffer), b, role), 1) for b in banks]

    def read_latency(self, buffer) -> int:
        return 0 if self.storage_kind(buffer) in IN_REGISTERS else 1

    def latency_of(self, node) -> int:
        if node.kind == "mul":
            latency = self.model.multiplier_latency(*(s.width for s in multiplier_shapes(node)))
        else:
            latency = self.model.divider_latency(divider_shapes(node)[0].width)
        node.attrs["latency"] = latency
        return latency

    # -- statements -----------------------------------------------------------------------------
    def seq(self, stmts: list) -> Seq:
        items, run = [], []
        for stmt in stmts + [None]:
            if stmt is not None and is_straight_line(stmt):
                run.append(stmt)
                continue
            if run:
                builder = self.builder(run[0].loc)
                builder.statements(run)
                items.append(self.block(builder, run[0].loc, "statements"))
                run = []
            if stmt is not None:
                region = self.control(stmt)
                if region is not None:
                    items.append(region)
        return Seq(items)

    def control(self, stmt):
        if isinstance(stmt, ir.For):
            return self.loop(stmt)
        if isinstance(stmt, ir.While):
            builder = self.builder(stmt.loc)
            builder.branch(stmt.cond)
            cond = self.block(builder, stmt.loc, "while condition")
            return WhileLoop(stmt, cond, self.conditionally(self.seq, stmt.body))
        if isinstance(stmt, ir.If):
            builder = self.builder(stmt.loc)
            builder.branch(stmt.cond)
            cond = self.block(builder, stmt.loc, "if condition")
            then = self.conditionally(self.seq, stmt.then_body, stmt.cond, True)
            orelse = self.conditionally(self.seq, stmt.else_body, stmt.cond, False)
            self.pad(then, orelse)
            return Branch(stmt, cond, then, orelse)
        if isinstance(stmt, ir.CallStmt):
            builder = self.builder(stmt.loc)
            builder.call(stmt, None)
            block = self.block(builder, stmt.loc, f"call of {stmt.func.name} (arguments)")
            wait = self.states(1, lambda k: f"call of {stmt.func.name} at "
                               f"{stmt.loc.file.rsplit('/', 1)[-1]}:{stmt.loc.line} (waiting)")
            call = Call(stmt, block, wait, stmt.func.name)
            self.plan.calls.append(call)
            return call
        if isinstance(stmt, ir.Parallel):
            return self.concurrent(stmt)
        raise AssertionError(f"not a control statement: {stmt!r}")

    def concurrent(self, stmt: ir.Parallel) -> Concurrent:
        for call in stmt.calls:
            for p, a in zip(call.func.params, call.args):
                if isinstance(p, ir.Var) and not isinstance(a, (ir.Const, ir.VarRef)):
                    raise UnsupportedError(
                        f"kernel {call.func.name!r} of a dataflow region takes {p.name!r} = an "
                        "expression; on RTL targets a region passes its kernels variables and "
                        "constants", a.loc, "compute the value into a variable first")
        names = ", ".join(c.func.name for c in stmt.calls)
        wait = self.states(1, lambda k: f"dataflow region at {stmt.loc.file.rsplit('/', 1)[-1]}:"
                           f"{stmt.loc.line} (kernels {names} running)")
        region = Concurrent(stmt, wait)
        if any(isinstance(a, ir.VarRef) for call in stmt.calls for a in call.args):
            region.launch_state = self.states(1, lambda k: "dataflow region at "
                                              f"{stmt.loc.file.rsplit('/', 1)[-1]}:"
                                              f"{stmt.loc.line} (passing variables)")
        if self.checks:
            region.deadlock = CheckSite("deadlock", stmt.loc, function=self.hw.name)
            self.plan.checks.append(region.deadlock)
        self.plan.regions.append(region)
        return region

    def loop(self, stmt: ir.For):
        chain = _pipeline_chain(stmt)
        if chain:
            return self.pipeline(chain)
        if isinstance(stmt.lo, ir.Const) and isinstance(stmt.hi, ir.Const):
            trip = len(range(stmt.lo.value, stmt.hi.value, stmt.step))
            if trip == 0:
                return None
            loop = Loop(stmt, None, None, trip, None)
            self.plan.loops.append(loop)
            loop.body = self.seq(stmt.body) if stmt.body else Seq([])
        else:
            head, bound = self.bounds_head(stmt)
            loop = Loop(stmt, None, head, None, bound)
            self.plan.loops.append(loop)
            loop.body = self.conditionally(self.seq, stmt.body)
        if not loop.body.items:   # an empty body still takes a cycle per iteration
            loop.body = Seq([self.block(self.builder(stmt.loc), stmt.loc, f"loop {stmt.name} body")])
        return loop

    def conditionally(self, plan, body: list, cond=None, holds: bool = True):
        """``plan(body)`` for statements that may not run when the code around them does;
        ``cond``: the condition of the branch (``holds``: whether it holds there), which may
        narrow a loop counter's range."""
        self.conditional += 1
        saved = self.index_ranges
        if cond is not None:
            self.index_ranges = assume_ir(self.index_ranges, cond, holds)
        try:
            return plan(body)
        finally:
            self.conditional -= 1
            self.index_ranges = saved

    def bounds_head(self, stmt: ir.For) -> tuple:
        """The block that evaluates a loop's bounds once (the counter's first value and a
        register holding ``hi``) and branches past the loop when it runs no iteration."""
        bound = ir.Var(f"{stmt.name}_hi{self.fresh}", stmt.hi.type, stmt.loc, "local")
        self.fresh += 1
        builder = self.builder(stmt.loc)
        builder.statements([ir.Assign(stmt.loc, stmt.var, stmt.lo),
                            ir.Assign(stmt.loc, bound, stmt.hi)])
        # the values just assigned: a bound is evaluated once (it may take from a stream)
        builder.branch(ir.Compare(BOOL, stmt.loc, "lt" if stmt.step > 0 else "gt",
                                  ir.VarRef(stmt.var.type, stmt.loc, stmt.var),
                                  ir.VarRef(bound.type, stmt.loc, bound)))
        return self.block(builder, stmt.loc, f"loop {stmt.name} bounds"), bound

    def pipeline(self, loops: list) -> Pipeline:
        inner = loops[-1]
        where = f"{inner.loc.file.rsplit('/', 1)[-1]}:{inner.loc.line}" if inner.loc else "?"
        for stmt in inner.body:
            if not is_straight_line(stmt):
                raise UnsupportedError(
                    f"pipelined loop {inner.name!r} contains a {type(stmt).__name__} statement; "
                    "a pipeline's body must become straight-line code", stmt.loc,
                    "inner loops with constant bounds are unrolled; move calls and while "
                    "loops out of the pipelined loop")
        trips = [len(range(l.lo.value, l.hi.value, l.step)) if _constant_bounds(l) else None
                 for l in loops]
        head, bound = self.bounds_head(inner) if trips[-1] is None else (None, None)
        builder = self.builder(inner.loc)
        if trips[-1] is None:
            builder.checks.unconditional = False
        builder.statements(inner.body)
        dfg = builder.finish()
        # a variable each iteration sets before using, and nothing reads after the loop, needs
        # no register write (nor the merge with its old value an if/else would make)
        dead = _assigned(inner.body) - _upward_exposed(inner.body) - \
            _read_outside(self.hw, inner) - set(self.hw.result_vars.values())
        dfg.nodes = [n for n in dfg.nodes if not (n.kind == "write" and n.attrs["var"] in dead)]
        target = inner.attrs["pipeline"]
        sched = modulo_schedule(dfg, self.model, self.port_of, self.read_latency,
                                self.latency_of, target, loops, trips)
        names = "/".join(l.name for l in loops)
        state = self.states(1, lambda k: f"pipeline {names} at {where} (II {sched.ii}, "
                            f"depth {sched.length})")
        pipe = Pipeline(loops, dfg, sched, state, head, bound, trips)
        self.plan.pipelines.append(pipe)
        return pipe

    def pad(self, then: Seq, orelse: Seq) -> None:
        a, b = latency(then, {}, self.callee_latency), latency(orelse, {}, self.callee_latency)
        if a is None or b is None or a == b:
            return
        short = then if a < b else orelse
        n = abs(a - b)
        if n > STATES_PER_DELAY:
            first = self.states(1, lambda k: f"if/else padding of {n} cycles (counted)")
        else:
            first = self.states(n, lambda k: f"if/else padding, cycle {k + 1} of {n}")
        short.items.append(Delay(first, n))


def _reads(expr) -> set:
    return {e.var for e in ir.walk_expr(expr) if isinstance(e, ir.VarRef)}


def _assigned(body: list) -> set:
    return {s.var for s in ir.walk_stmts(body) if isinstance(s, ir.Assign)}


def _upward_exposed(body: list, defined: frozenset = frozenset()) -> set:
    """Variables ``body`` (straight-line, if/else included) may read before assigning them."""
    exposed, defined = set(), set(defined)
    for stmt in body:
        for e in stmt.exprs():
            exposed |= _reads(e) - defined
        if isinstance(stmt, ir.Assign):
            defined.add(stmt.var)
        elif isinstance(stmt, ir.If):
            exposed |= _upward_exposed(stmt.then_body, frozenset(defined))
            exposed |= _upward_exposed(stmt.else_body, frozenset(defined))
            defined |= _assigned(stmt.then_body) & _assigned(stmt.else_body)
    return exposed


def _read_outside(hw, loop: ir.For) -> set:
    inside = {id(s) for s in ir.walk_stmts(loop.body)}
    out = set()
    for stmt in ir.walk_stmts(hw.body):
        if id(stmt) not in inside:
            for e in stmt.exprs():
                out |= _reads(e)
    return out


def _constant_bounds(loop: ir.For) -> bool:
    return isinstance(loop.lo, ir.Const) and isinstance(loop.hi, ir.Const)


def _pipeline_chain(stmt: ir.For):
    """``[stmt, ..., pipelined loop]`` when ``stmt`` is pipelined or perfectly nests one with
    constant bounds all the way (flattened into one pipeline), else None."""
    chain = [stmt]
    while "pipeline" not in chain[-1].attrs:
        loop = chain[-1]
        if len(loop.body) != 1 or not isinstance(loop.body[0], ir.For) or not _constant_bounds(loop):
            return None
        chain.append(loop.body[0])
    if len(chain) > 1 and not _constant_bounds(chain[-1]):
        return None    # flattening needs every trip count: the inner loop pipelines alone
    return chain


def counter_ranges(body: list) -> dict:
    """Var -> (lowest, highest value) of every loop counter with constant bounds."""
    out = {}
    for stmt in ir.walk_stmts(body):
        if isinstance(stmt, ir.For) and isinstance(stmt.lo, ir.Const) and \
                isinstance(stmt.hi, ir.Const):
            values = range(int(stmt.lo.value), int(stmt.hi.value), stmt.step)
            if values:
                out[stmt.var] = (min(values[0], values[-1]), max(values[0], values[-1]))
    return out


def make_plan(hw, model, storage_kind, callee_latency, checks: bool = True,
              top: bool = True) -> Plan:
    """The plan of function ``hw``; ``checks``: make run-time checks (``checks.py``); ``top``:
    the design's top function, whose body runs on every run of the design."""
    planner = Planner(hw, model, storage_kind, callee_latency, checks, top)
    planner.plan.body = planner.seq(hw.body)
    return planner.plan


# ---------------------------------------------------------------------------------------------
# Static latency


def evaluate(expr: ir.Expr, env: dict):
    """The integer value of an index/integer expression over ``env`` (Var -> int), or None."""
    if isinstance(expr, ir.Const):
        return expr.value if isinstance(expr.value, int) else None
    if isinstance(expr, ir.VarRef):
        return env.get(expr.var)
    if isinstance(expr, ir.Cast):
        v = evaluate(expr.operand, env)
        if v is None or expr.type.fracs or expr.operand.type.fracs:
            return None
        return v if isinstance(expr.type, Index) else expr.type.wrap(v)
    if isinstance(expr, ir.BinOp) and not expr.type.fracs:
        a, b = evaluate(expr.lhs, env), evaluate(expr.rhs, env)
        if a is None or b is None:
            return None
        ops = {"add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b,
               "floordiv": lambda: a // b if b else None,
               "shl": lambda: a << b if 0 <= b < 64 else None,
               "shr": lambda: a >> b if b >= 0 else None}
        if expr.op not in ops:
            return None
        v = ops[expr.op]()
        return None if v is None else (v if isinstance(expr.type, Index) else expr.type.wrap(v))
    if isinstance(expr, ir.MinMax):
        values = [evaluate(v, env) for v in expr.values]
        return None if None in values else (min if expr.op == "min" else max)(values)
    return None


def _bound_vars(region, cache: dict) -> frozenset:
    """Variables whose values the latency of ``region`` depends on."""
    key = id(region)
    if key in cache:
        return cache[key]
    out: set = set()
    if isinstance(region, Seq):
        for item in region.items:
            out |= _bound_vars(item, cache)
    elif isinstance(region, Loop):
        if region.trip is None:
            for e in (region.stmt.lo, region.stmt.hi):
                out |= {s.var for s in ir.walk_expr(e) if isinstance(s, ir.VarRef)}
        out |= _bound_vars(region.body, cache) - {region.stmt.var}
    elif isinstance(region, Pipeline):
        if region.head is not None:
            for e in (region.loops[-1].lo, region.loops[-1].hi):
                out |= {s.var for s in ir.walk_expr(e) if isinstance(s, ir.VarRef)}
    elif isinstance(region, Branch):
        out |= _bound_vars(region.then, cache) | _bound_vars(region.orelse, cache)
    elif isinstance(region, Call):
        for a in region.stmt.args:
            out |= {s.var for s in ir.walk_expr(a) if isinstance(s, ir.VarRef)}
    cache[key] = frozenset(out)
    return cache[key]


def _loop_values(loop: Loop, env: dict) -> tuple:
    """(the loop variable's values, cycles of its bounds block) with ``env`` bound; the values
    are None when data decide them."""
    stmt = loop.stmt
    if loop.trip is not None:
        return range(stmt.lo.value, stmt.hi.value, stmt.step), 0
    lo, hi = evaluate(stmt.lo, env), evaluate(stmt.hi, env)
    if lo is None or hi is None:
        return None, loop.head.cycles
    return range(lo, hi, stmt.step), loop.head.cycles


def latency(region, env: dict, callee_latency, _cache=None):
    """Cycles ``region`` takes with the variables of ``env`` bound, or None when data decide."""
    cache = {} if _cache is None else _cache
    if isinstance(region, (Block,)):
        return region.cycles
    if isinstance(region, Delay):
        return region.cycles
    if isinstance(region, Seq):
        total = 0
        for item in region.items:
            n = latency(item, env, callee_latency, cache)
            if n is None:
                return None
            total += n
        return total
    if isinstance(region, Loop):
        stmt = region.stmt
        values, head = _loop_values(region, env)
        if values is None:
            return None
        if stmt.var not in _bound_vars(region.body, cache):
            body = latency(region.body, env, callee_latency, cache)
            return None if body is None else head + len(values) * body
        total = head
        for v in values:
            body = latency(region.body, {**env, stmt.var: v}, callee_latency, cache)
            if body is None:
                return None
            total += body
        return total
    if isinstance(region, Pipeline):
        n = region.iterations(env)
        if n is None:
            return None
        return (region.head.cycles if region.head else 0) + region.cycles(n)
    if isinstance(region, Branch):
        a = latency(region.then, env, callee_latency, cache)
        b = latency(region.orelse, env, callee_latency, cache)
        return None if a is None or b is None or a != b else region.cond.cycles + a
    if isinstance(region, (WhileLoop, Concurrent)):
        return None
    if isinstance(region, Call):
        callee_env = [evaluate(a, env) if not isinstance(a, ir.BufferRef) else None
                      for a in region.stmt.args]
        n = callee_latency(region.stmt.func, callee_env)
        return None if n is None else region.block.cycles + n + 1
    raise AssertionError(region)
