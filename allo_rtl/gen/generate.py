"""From a top-level kernel to a planned design: one FunctionDesign per function, its latency
and the interface description the harnesses use."""
from __future__ import annotations

from functools import cached_property

from ..ir import nodes as ir
from ..ir.layout import Layout
from ..types import ArrayType
from .emit.component import FunctionDesign, KernelComponent, written_in
from .dataflow.region import fifo_channels, occupancy_name, waiting_name
from .dataflow.streams import stream_port_name, words_per_value
from .design import (ArrayPort, DesignInfo, FifoProbe, ScalarPort, StateProbe, StreamPort,
                     WaitProbe)
from .emit.error_status import number_checks
from .analysis.storage import StoragePlan, bank_members
from .analysis.normalize import normalize
from .scheduling.regions import latency, make_plan
from .scheduling.timing import timing_model


class GeneratedDesign:
    """A planned design: ``component`` (built on first use), ``info``, ``verilog()``, and the
    static latency of the top (``predicted_cycles``) and of every function (``latency``)."""

    def __init__(self, top: ir.Function, family: str = "ecp5", clock_mhz: float = 100.0,
                 checks: bool = True):
        self.top = top
        self.model = timing_model(family, clock_mhz)
        self.checks_enabled = checks
        self.designs: dict = {}
        self.top_design = self._design(top)
        # every run-time check kept, numbered by its error code (error_status.py)
        self.checks, self.error_layout = number_checks(self.designs.values())
        self.predicted_cycles = self.latency(top.name, [])
        self.info = self._info()

    # -- planning ------------------------------------------------------------------------------
    def _design(self, fn: ir.Function) -> FunctionDesign:
        if fn.name in self.designs:
            return self.designs[fn.name]
        callees = {c.name: self._design(c) for c in fn.callees}
        top_written = (lambda body: written_in(body, callees)) if fn is self.top else None
        hw = normalize(fn, top_written)
        external = {id(p): f"mem_{p.name}" for p in hw.params if isinstance(p, ir.Buffer)}
        for k, buf in hw.result_buffers.items():
            external[id(buf)] = f"mem_result{k}"
        storage = StoragePlan(external, hw.body)
        plan = make_plan(hw, self.model, storage.kind, self._callee_latency,
                         self.checks_enabled, fn is self.top)
        design = FunctionDesign(hw, plan, external, callees, storage)
        for region in plan.regions:
            kernels = [callees[call.func.name] for call in region.stmt.calls]
            for kernel in kernels:
                kernel.concurrent = True
            if region.deadlock is not None:
                region.deadlock.waits = tuple((k.name, k.stream_waits) for k in kernels)
                region.deadlock.fields = tuple((False, k.waiting_bits) for k in kernels)
        self.designs[fn.name] = design
        return design

    def _callee_latency(self, fn: ir.Function, args: list):
        design = self.designs[fn.name]
        env = {p: v for p, v in zip(fn.params, args) if isinstance(p, ir.Var) and v is not None}
        return latency(design.plan.body, env, self._callee_latency)

    def latency(self, name: str, args: list):
        """Static cycles of function ``name`` given its scalar arguments (None: unknown)."""
        design = self.designs[name]
        return self._callee_latency(design.hw.fn, args)

    # -- the interface -----------------------------------------------------------------------
    def _info(self) -> DesignInfo:
        fn = self.top
        info = DesignInfo(fn.name, predicted_cycles=self.predicted_cycles, checks=self.checks,
                          error_layout=self.error_layout)
        written = self.top_design.written
        for k, p in enumerate(self.top_design.hw.params):
            if isinstance(p, ir.Buffer):
                info.arrays.extend(_bank_ports(f"mem_{p.name}", p.name, p, param_index=k,
                                               written=id(p) in written))
            elif isinstance(p, ir.Channel):
                role = self.top_design.stream_arguments[p]
                info.streams.append(StreamPort(stream_port_name(p), p.name, p.elem,
                                               "in" if role == "get" else "out", k, p.depth))
            else:
                info.scalar_args.append(ScalarPort(f"in_{p.name}", p.type, param_index=k))
        for k, t in enumerate(fn.result_types):
            if isinstance(t, ArrayType):
                buffer = self.top_design.hw.result_buffers[k]
                info.arrays.extend(_bank_ports(f"mem_result{k}", f"result{k}", buffer,
                                               result_index=k))
            else:
                info.scalar_results.append(ScalarPort(f"out_{k}", t, result_index=k))
        info.probes.extend(_probes(self.top_design, ()))
        info.fifo_probes.extend(_fifo_probes(self.top_design, ()))
        if info.streams:
            info.wait_probes.extend(
                WaitProbe((), waiting_name(region, call.func.name), call.func.name,
                          self.designs[call.func.name].stream_waits)
                for region in self.top_design.plan.regions for call in region.stmt.calls)
        return info

    @property
    def dsp_cells(self) -> bool:
        """Whether multipliers are the family's DSP cells (ECP5 ``MULT18X18D``, with the input
        and output registers inside the block) rather than ``*`` for synthesis to map."""
        return self.model.family == "ecp5"

    @cached_property
    def component(self) -> KernelComponent:
        """The hardware for a user's own Amaranth design (``build(target="amaranth")``): its
        multipliers are the family's DSP cells when it is elaborated for a platform of that
        family (an amaranth-boards ECP5 board), and ``*`` otherwise, so that Amaranth's
        simulator, which cannot run vendor cells, runs it too."""
        return KernelComponent(self.top_design, self.model, None if self.dsp_cells else False,
                               self.error_layout)

    @cached_property
    def synthesis_component(self) -> KernelComponent:
        """The hardware as synthesis should see it, vendor cells included (``verilog()``)."""
        return KernelComponent(self.top_design, self.model, self.dsp_cells, self.error_layout)

    @cached_property
    def portable_component(self) -> KernelComponent:
        """The same hardware, cycle for cycle, with no vendor cells: for Amaranth's simulator."""
        return KernelComponent(self.top_design, self.model, False, self.error_layout)

    def verilog(self) -> str:
        from amaranth.back import verilog
        return verilog.convert(self.synthesis_component, name=self.top.name, emit_src=False)

    def simulation_verilog(self) -> str:
        """``verilog()`` followed by the simulation models of the vendor cells it instantiates."""
        text = self.verilog()
        if self.dsp_cells and "MULT18X18D" in text:
            from ..sim.models import ecp5_models
            text += "\n" + ecp5_models()
        return text


def _bank_ports(base: str, name: str, buffer: ir.Buffer, **where) -> list:
    """The interfaces of an array of the top: one per bank, each with the array elements its
    words hold when the array is partitioned (never one word per bank: normalize.py stages
    such arrays)."""
    layout = Layout.of(buffer)
    if not layout.banked:
        return [ArrayPort(base, name, tuple(buffer.shape), buffer.elem, **where)]
    elements = layout.elements()
    return [ArrayPort(member, name, layout.bank_shape, buffer.elem,
                      elements=tuple(int(e) for e in elements[b]), **where)
            for b, member in enumerate(bank_members(base, layout))]


def _inside(design: FunctionDesign, path: tuple) -> tuple:
    """The path of the module holding ``design``'s own logic: a region's kernel wraps it in a
    submodule ``core`` (component.py: its enable)."""
    return path + ("core",) if design.concurrent else path


def _probes(design: FunctionDesign, path: tuple) -> list:
    inside = _inside(design, path)
    out = [StateProbe(inside, "fsm_state", tuple(design.plan.state_names), design.name)]
    for name, callee in design.callees.items():
        out.extend(_probes(callee, inside + (name,)))
    return out


def _fifo_probes(design: FunctionDesign, path: tuple) -> list:
    inside = _inside(design, path)
    out = [FifoProbe(inside, occupancy_name(region, channel), channel.name, design.name,
                     channel.depth, words_per_value(channel))
           for region in design.plan.regions for channel in fifo_channels(region, design)]
    for name, callee in design.callees.items():
        out.extend(_fifo_probes(callee, inside + (name,)))
    return out


def generate(top: ir.Function, family: str = "ecp5", clock_mhz: float = 100.0,
             checks: bool = True) -> GeneratedDesign:
    return GeneratedDesign(top, family, clock_mhz, checks)
