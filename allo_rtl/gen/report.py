"""``s.report()``: what the generated hardware will do, before anything is simulated.

Per loop: trip count, cycles per iteration and in all; per function: controller states, static
latency, units and memories; for the design: the predicted cycle count (equal to the simulated
one whenever it is known) and, on request, ECP5 resources after synthesis.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..ir import nodes as ir
from .regions import Loop, Seq, latency


@dataclass
class LoopReport:
    function: str
    name: str
    band: str
    line: int
    depth: int                     # nesting level inside its function, 0 outermost
    trip: int | None               # None: bounds known only at run time
    iteration: int | None          # cycles of one iteration (None: varies)
    total: int | None              # cycles of the whole loop each time it runs (None: varies)


@dataclass
class FunctionReport:
    name: str
    states: int
    latency: int | None
    multipliers: int
    dividers: int
    memories: list                 # (name, words, bits) of local memories
    interfaces: list               # (port, words, bits) of external memory interfaces


@dataclass
class Report:
    top: str
    clock_mhz: float
    family: str
    predicted_cycles: int | None
    functions: list = field(default_factory=list)
    loops: list = field(default_factory=list)
    resources: object = None       # boards.synth.SynthResult when asked for

    def loop(self, name: str) -> LoopReport:
        found = [r for r in self.loops if r.name == name or f"{r.function}:{r.name}" == name]
        if len(found) != 1:
            raise KeyError(name)
        return found[0]

    def __str__(self) -> str:
        def n(v):
            return "varies" if v is None else str(v)
        lines = [f"design {self.top}: {n(self.predicted_cycles)} cycles predicted "
                 f"({self.family}, {self.clock_mhz:g} MHz target)"]
        lines.append(f"  {'loop':28s} {'line':>5s} {'trip':>7s} {'cycles/iter':>11s} {'cycles':>9s}")
        for r in self.loops:
            label = "  " * r.depth + f"{r.function}:{r.name}"
            lines.append(f"  {label:28s} {r.line:5d} {n(r.trip):>7s} {n(r.iteration):>11s} "
                         f"{n(r.total):>9s}")
        for f in self.functions:
            mems = ", ".join(f"{name} {words}x{bits}" for name, words, bits in f.memories) or "none"
            lines.append(f"  function {f.name}: {f.states} states, latency {n(f.latency)}, "
                         f"{f.multipliers} multipliers, {f.dividers} dividers, local memories: {mems}")
        if self.resources is not None:
            from ..boards.synth import resource_summary
            lines.append(f"  resources (yosys synth_ecp5): {resource_summary(self.resources)}")
        return "\n".join(lines)


def _loops(seq: Seq, depth: int = 0):
    for item in seq.items:
        if isinstance(item, Loop):
            yield item, depth
            yield from _loops(item.body, depth + 1)
        for name in ("body", "then", "orelse"):
            inner = getattr(item, name, None)
            if isinstance(inner, Seq) and not isinstance(item, Loop):
                yield from _loops(inner, depth + 1)


def make_report(design) -> Report:
    """The report of a ``GeneratedDesign``."""
    model = design.model
    report = Report(design.top.name, model.clock_mhz, model.family, design.predicted_cycles)
    callee_latency = design._callee_latency
    for name, fdesign in design.designs.items():
        plan = fdesign.plan
        for loop, depth in _loops(plan.body):
            if loop.stmt.kind == "fill":
                continue
            iteration = latency(loop.body, {}, callee_latency)
            total = latency(loop, {}, callee_latency)
            report.loops.append(LoopReport(name, loop.stmt.name, loop.stmt.band, loop.stmt.loc.line,
                                           depth, loop.trip, iteration, total))
        nodes = [n for b in plan.blocks for n in b.dfg.nodes]
        local = {}
        for stmt in ir.walk_stmts(fdesign.hw.body):
            for buf in _buffers_of(stmt):
                if id(buf) not in fdesign.external:
                    local[id(buf)] = buf
        memories = [(b.name, b.type.size, b.elem.bits) for b in local.values()]
        interfaces = [(p.name, p.type.size, p.elem.bits)
                      for p in fdesign.hw.fn.params if isinstance(p, ir.Buffer)]
        report.functions.append(FunctionReport(
            name, len(plan.state_names), design.latency(name, []),
            sum(n.kind == "mul" for n in nodes), sum(n.kind == "div" for n in nodes),
            memories, interfaces))
    return report


def _buffers_of(stmt):
    if isinstance(stmt, ir.Store):
        yield stmt.buffer
    for e in stmt.exprs():
        for sub in ir.walk_expr(e):
            if isinstance(sub, (ir.Load, ir.BufferRef)):
                yield sub.buffer

