"""``s.report()``: what the generated hardware will do, before anything is simulated.

Per loop: trip count, cycles per iteration and in all; for a pipelined loop the target and
achieved initiation interval (II), what limits it (a memory port of an array bank, a divider, or
a recurrence with its source line) and the pipeline depth; loops flattened into a pipeline
around it say so. Per function: controller states, static latency, units, memory banks and
register arrays; per stream of a dataflow region its element width, depth, FIFO kind and ends;
for the design: the predicted cycle count (equal to the simulated one whenever
it is known), the run-time checks kept (gen/checks.py) and, on request, ECP5 resources after
synthesis.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..ir import nodes as ir
from ..ir.layout import Layout
from .dataflow.region import fifo_kind
from .dataflow.streams import fifo_words
from .scheduling.regions import Loop, Pipeline, Seq, latency


@dataclass
class LoopReport:
    function: str
    name: str
    band: str
    line: int
    depth: int                     # nesting level inside its function, 0 outermost
    trip: int | None               # None: bounds known only at run time
    iteration: int | None          # cycles of one iteration (None: varies); pipelines: the II
    total: int | None              # cycles of the whole loop each time it runs (None: varies)
    target_ii: int | None = None   # pipelined loops: the II asked for
    ii: int | None = None          # pipelined loops: the II achieved
    cause: str = ""                # pipelined loops: what sets the II
    pipeline_depth: int | None = None  # cycles from an iteration's start to its end
    flattened_into: str = ""       # an outer loop run as part of this pipeline


@dataclass
class FunctionReport:
    name: str
    states: int
    latency: int | None
    multipliers: int
    dividers: int
    memories: list                 # (name, banks, words per bank, bits) of local block RAMs
    interfaces: list               # (name, banks, words per bank, bits) of external interfaces
    registers: list = field(default_factory=list)  # (name, words, bits) of register arrays

    @property
    def memory_banks(self) -> int:
        return sum(banks for _, banks, _, _ in self.memories)


@dataclass
class StreamReport:
    function: str                  # the function holding the region
    name: str
    line: int
    width: int                     # bits per value
    depth: int
    fifo: str                      # "registers" or "block RAM"
    producer: str                  # the kernel instances at its ends
    consumer: str


@dataclass
class RegionReport:
    function: str                  # the function holding the region
    line: int
    kernels: list                  # (instance, static latency or None)

    @property
    def lower_bound(self) -> int | None:
        """Cycles the region takes at least: its slowest kernel's latency (each kernel's
        own schedule, never stalled), when every kernel's is known. Stalls on streams and
        shared memories decide how much longer it takes."""
        latencies = [n for _, n in self.kernels]
        return None if not latencies or None in latencies else max(latencies)


@dataclass
class Report:
    top: str
    clock_mhz: float
    family: str
    predicted_cycles: int | None
    functions: list = field(default_factory=list)
    loops: list = field(default_factory=list)
    streams: list = field(default_factory=list)
    regions: list = field(default_factory=list)
    resources: object = None       # boards.synth.SynthResult when asked for
    checks: list = field(default_factory=list)   # gen.checks.CheckSite kept, by error code
    checks_enabled: bool = True    # False: built with checks=False

    @property
    def ideal_cycles(self) -> int | None:
        """Cycles of the schedule with no controller overhead: per pipeline run, iterations x
        II + (depth - II); per straight-line block, its cycles; summed over every execution.
        That is the static latency model itself (a loop's counter steps within its body's last
        cycle, a pipeline leaves in its last iteration's last cycle), so it is the prediction;
        a simulation that takes longer shows controller overhead."""
        return self.predicted_cycles

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
        lines.append(f"  {'loop':28s} {'line':>5s} {'trip':>7s} {'cycles/iter':>11s} "
                     f"{'cycles':>9s}  pipeline")
        for r in self.loops:
            label = "  " * r.depth + f"{r.function}:{r.name}"
            note = ""
            if r.ii is not None:
                note = f"II {r.ii} (target {r.target_ii}; {r.cause}), depth {r.pipeline_depth}"
            elif r.flattened_into:
                note = f"flattened into pipeline {r.flattened_into}"
            iteration, total = ("-", "-") if r.flattened_into else (n(r.iteration), n(r.total))
            lines.append(f"  {label:28s} {r.line:5d} {n(r.trip):>7s} {iteration:>11s} "
                         f"{total:>9s}  {note}".rstrip())
        for f in self.functions:
            def arrays(items):
                return ", ".join(f"{name} {banks}x{words}x{bits}b" for name, banks, words, bits
                                 in items) or "none"
            regs = ", ".join(f"{name} {words}x{bits}b" for name, words, bits in f.registers) or "none"
            lines.append(f"  function {f.name}: {f.states} states, latency {n(f.latency)}, "
                         f"{f.multipliers} multipliers, {f.dividers} dividers")
            lines.append(f"    memory banks (banks x words x bits): {arrays(f.memories)}; "
                         f"interfaces: {arrays(f.interfaces)}; register arrays: {regs}")
        for region in self.regions:
            bound = region.lower_bound
            lines.append(f"  dataflow region in {region.function} (line {region.line}): "
                         f"{len(region.kernels)} kernels, at least "
                         f"{'?' if bound is None else bound} cycles (its slowest kernel; stalls "
                         "on streams and shared memories add to it)")
        if self.streams:
            lines.append("  streams (FIFOs of dataflow regions)")
        for st in self.streams:
            lines.append(f"    {st.function}:{st.name} (line {st.line}): {st.width} bits, depth "
                         f"{st.depth} in {st.fifo}, {st.producer} -> {st.consumer}")
        if not self.checks_enabled:
            lines.append("  run-time checks: off (checks=False): an out-of-bounds index, a "
                         "division by zero or a bad shift gives undefined results")
        else:
            lines.append(f"  run-time checks: {len(self.checks)} kept (the rest proven needless)"
                         + ("; a failed one stops the design with its code on the error output"
                            if self.checks else ""))
            lines += [f"    error {site.code}: {site.describe()}" for site in self.checks]
        if self.resources is not None:
            from ..boards.synth import resource_summary
            lines.append(f"  resources (yosys synth_ecp5): {resource_summary(self.resources)}")
        return "\n".join(lines)


def _loops(seq: Seq, depth: int = 0):
    for item in seq.items:
        if isinstance(item, (Loop, Pipeline)):
            yield item, depth
            if isinstance(item, Loop):
                yield from _loops(item.body, depth + 1)
            continue
        for name in ("body", "then", "orelse"):
            inner = getattr(item, name, None)
            if isinstance(inner, Seq):
                yield from _loops(inner, depth + 1)


def _loop_rows(name: str, region, depth: int, callee_latency) -> list:
    if isinstance(region, Loop):
        stmt = region.stmt
        return [LoopReport(name, stmt.name, stmt.band, stmt.loc.line, depth, region.trip,
                           latency(region.body, {}, callee_latency),
                           latency(region, {}, callee_latency))]
    sched, inner = region.schedule, region.loops[-1]
    rows = [LoopReport(name, stmt.name, stmt.band, stmt.loc.line, depth + k, trip, None, None,
                       flattened_into=inner.name)
            for k, (stmt, trip) in enumerate(zip(region.loops[:-1], region.trips))]
    rows.append(LoopReport(name, inner.name, inner.band, inner.loc.line,
                           depth + len(region.loops) - 1, region.trips[-1], sched.ii,
                           latency(region, {}, callee_latency), sched.target, sched.ii,
                           sched.cause, sched.length))
    return rows


def make_report(design) -> Report:
    """The report of a ``GeneratedDesign``."""
    model = design.model
    report = Report(design.top.name, model.clock_mhz, model.family, design.predicted_cycles,
                    checks=list(design.checks), checks_enabled=design.checks_enabled)
    callee_latency = design._callee_latency
    for name, fdesign in design.designs.items():
        plan = fdesign.plan
        for region, depth in _loops(plan.body):
            if isinstance(region, Loop) and region.stmt.kind == "fill":
                continue
            report.loops.extend(_loop_rows(name, region, depth, callee_latency))
        nodes = [n for b in plan.blocks for n in b.dfg.nodes]
        nodes += [n for p in plan.pipelines for n in p.dfg.nodes]
        arrays = {}
        for stmt in ir.walk_stmts(fdesign.hw.body):
            for buf in _buffers_of(stmt):
                arrays[id(buf)] = buf
        for p in fdesign.hw.params:
            if isinstance(p, ir.Buffer):
                arrays[id(p)] = p
        memories, interfaces, registers = [], [], []
        for buf in arrays.values():
            layout = Layout.of(buf)
            kind = fdesign.storage.kind(buf)
            if kind == "registers":
                registers.append((buf.name, buf.type.size, buf.elem.bits))
            else:
                row = (buf.name, layout.n_banks, layout.bank_depth, buf.elem.bits)
                (memories if kind == "memory" else interfaces).append(row)
        for region in plan.regions:
            report.streams.extend(_stream_rows(name, region.stmt, design.designs))
            report.regions.append(RegionReport(name, region.stmt.loc.line, [
                (call.func.name, design.latency(call.func.name, [])) for call in region.stmt.calls]))
        report.functions.append(FunctionReport(
            name, len(plan.state_names), design.latency(name, []),
            sum(n.kind == "mul" for n in nodes), sum(n.kind == "div" for n in nodes),
            memories, interfaces, registers))
    return report


def _stream_rows(function: str, stmt: ir.Parallel, designs: dict) -> list:
    ends: dict = {}
    for call in stmt.calls:
        roles = designs[call.func.name].stream_roles
        for p, a in zip(call.func.params, call.args):
            if isinstance(a, ir.ChannelRef) and p in roles:
                ends.setdefault(id(a.channel), {})[roles[p]] = call.func.name
    return [StreamReport(function, ch.name, ch.loc.line, fifo_words(ch)[0], ch.depth,
                         fifo_kind(fifo_words(ch)[1]),
                         ends.get(id(ch), {}).get("put", "-"), ends.get(id(ch), {}).get("get", "-"))
            for ch in stmt.channels]


def _buffers_of(stmt):
    if isinstance(stmt, ir.Store):
        yield stmt.buffer
    for e in stmt.exprs():
        for sub in ir.walk_expr(e):
            if isinstance(sub, (ir.Load, ir.BufferRef)):
                yield sub.buffer

