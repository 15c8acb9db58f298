"""Amaranth hardware of a pipelined loop: stage control and the modulo-scheduled datapath.

Iteration ``n`` starts at cycle ``n * II`` of the pipeline's controller state; an operation
scheduled at cycle ``c`` of an iteration runs when stage ``c // II`` holds a valid iteration
and the phase counter equals ``c % II``. The loop counters are the iteration in stage 0; a
value used ``k * II`` or more cycles after it is made is carried through ``k`` registers, one
per stage it crosses, so every iteration in flight keeps its own copy. The controller leaves
the state in the cycle the last iteration's last operation runs.
"""
from __future__ import annotations

import math

from amaranth.hdl import Const, Signal

from .datapath import BlockDatapath
from ..analysis.graph import Node


class PipelineControl:
    """The phase counter and the per-stage valid bits of one pipeline."""

    def __init__(self, pipe, tag: str):
        self.ii = pipe.schedule.ii
        self.stages = math.ceil(pipe.schedule.length / self.ii)
        self.phase = Signal(range(max(2, self.ii)), name=f"{tag}_phase")
        self.valid = Signal(self.stages, name=f"{tag}_valid")

    def at_phase(self, cycle: int):
        return Const(1) if self.ii == 1 else self.phase == cycle % self.ii

    def active(self, cycle: int):
        return self.valid[cycle // self.ii] & self.at_phase(cycle)


class PipelineDatapath(BlockDatapath):
    def __init__(self, ctx, pipe, tag: str):
        super().__init__(ctx, pipe.dfg, pipe.state, tag)
        self.pipe = pipe
        self.control = PipelineControl(pipe, tag)
        self.ii = self.control.ii
        self.loop_vars = {loop.var for loop in pipe.loops}
        self.chains: dict = {}

    def running(self, cycle: int):
        return (self.ctx.state == self.first) & self.control.active(cycle)

    def stage(self, cycle: int):
        return cycle // self.ii

    def when(self, cycle: int, emit) -> None:
        active = self.control.active(cycle)

        def guarded(m):
            with m.If(active):
                emit(m)
        self.ctx.actions.at(self.first, guarded)

    def _ready(self, node: Node):
        """The cycle ``node``'s value is live in, or None when it is the same in every cycle."""
        if node.kind == "const":
            return None
        if node.kind == "var":
            return 0 if node.attrs["var"] in self.loop_vars else None
        return node.ready

    def value(self, node: Node, cycle: int):
        ready = self._ready(node)
        if ready is None or ready == cycle:
            return self.live[id(node)]
        assert ready < cycle, (node, cycle)
        return self.chains[id(node)][math.ceil((cycle - ready) / self.ii) - 1]

    def emit(self) -> None:
        depth: dict = {}
        for n in self.dfg.nodes:
            for o in n.operands:
                ready = self._ready(o)
                if ready is not None and ready < n.cycle:
                    depth[id(o)] = max(depth.get(id(o), 0), math.ceil((n.cycle - ready) / self.ii))
        for n in self.dfg.nodes:
            self.live[id(n)] = getattr(self, "n_" + n.kind)(n)
            if id(n) in depth:
                self.carry(n, depth[id(n)])

    def carry(self, n: Node, count: int) -> None:
        """Registers holding ``n``'s value for the ``count`` stages after it is made: the
        first captured in its ready cycle, each next one a stage (II cycles) later."""
        ready = self._ready(n)
        source = self.live[id(n)]
        chain = []
        for k in range(count):
            reg = Signal(source.shape(), name=f"{self.tag}_s{k + 1}_{n.op or n.kind}{n.id}")
            at_phase = self.control.at_phase(ready + k * self.ii)

            def capture(m, reg=reg, source=source, at_phase=at_phase):
                with m.If(at_phase):
                    m.d.sync += reg.eq(source)
            self.ctx.actions.at(self.first, capture)
            chain.append(reg)
            source = reg
        self.chains[id(n)] = chain


def emit_pipeline(ctx, pipe, path: PipelineDatapath, k, errors=None):
    """The pipeline's control in its state; returns the continuation that enters it.

    ``k`` is what follows the pipeline (emitted in its last cycle). ``errors``: the function's
    ErrorRecorder when the pipeline has run-time checks: once one fails, no iteration is
    issued any more, and the pipeline ends when the ones in flight are done."""
    control = path.control
    ii, stages = control.ii, control.stages
    loops = pipe.loops
    counters = [ctx.regs[loop.var] for loop in loops]
    inner = loops[-1]
    if pipe.head is None:
        lasts = [loop.lo.value + (trip - 1) * loop.step for loop, trip in zip(loops, pipe.trips)]
        at_last = [c == last for c, last in zip(counters, lasts)]
    else:
        bound = ctx.regs[pipe.bound_var]
        following = counters[-1] + inner.step
        at_last = [following >= bound if inner.step > 0 else following <= bound]
    last_issue = at_last[0]
    for flag in at_last[1:]:
        last_issue = last_issue & flag
    if errors is not None:
        last_issue = last_issue | errors.pending
    end_phase = control.at_phase(pipe.schedule.length - 1)
    earlier = control.valid[:stages - 1] if stages > 1 else None
    if stages > 1:
        finishing = control.valid[stages - 1] & (earlier == 0) & end_phase
    else:
        finishing = control.valid[0] & last_issue & end_phase

    def run(m):
        if ii > 1:
            with m.If(control.phase == ii - 1):
                m.d.sync += control.phase.eq(0)
            with m.Else():
                m.d.sync += control.phase.eq(control.phase + 1)
        with m.If(control.at_phase(ii - 1)):
            if errors is not None:
                errors.advance(m)
            issuing = control.valid[0] & ~last_issue
            m.d.sync += control.valid.eq((control.valid << 1) | issuing)
            with m.If(control.valid[0]):
                _advance(m, loops, counters, at_last, pipe.head is None)
        with m.If(finishing):
            k(m)
    ctx.actions.at(pipe.state, run)

    def enter(m):
        m.d.sync += [ctx.state.eq(pipe.state), control.phase.eq(0), control.valid.eq(1)]
        if pipe.head is None:
            m.d.sync += [c.eq(loop.lo.value) for c, loop in zip(counters, loops)]
    return enter


def _advance(m, loops, counters, at_last, constant):
    """Step the counters to the next iteration: the innermost first, carrying outwards."""
    def step(level):
        loop, counter = loops[level], counters[level]
        if level == 0:
            m.d.sync += counter.eq(counter + loop.step)
            return
        with m.If(at_last[level]):
            m.d.sync += counter.eq(loop.lo.value)
            step(level - 1)
        with m.Else():
            m.d.sync += counter.eq(counter + loop.step)
    step(len(loops) - 1)
