"""One kernel function as an Amaranth ``wiring.Component`` (ports as in ``design.py``)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from amaranth.hdl import EnableInserter, Module, ResetInserter, Signal
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from ...ir import nodes as ir
from ...ir.layout import Layout
from ...types import ArrayType
from .controller import Controller
from .error_status import ErrorLayout, ErrorRecorder
from .datapath import Actions, BlockDatapath
from .pipeline import PipelineDatapath
from ..design import MemorySignature, RegisterFileSignature, addr_width
from .memories import make_storage
from ..analysis.shapes import shape_of
from ..analysis.storage import StoragePlan, bank_members, register_port
from ..analysis.normalize import HwFunction
from ..scheduling.regions import Pipeline, Plan, counter_ranges
from ..dataflow.streams import StreamEnds, stream_members, stream_roles


@dataclass
class FunctionDesign:
    """Everything planned for one function before any hardware is made."""

    hw: HwFunction
    plan: Plan
    external: dict          # id(buffer) -> the member name (base) of its interface(s)
    callees: dict           # callee name -> FunctionDesign
    storage: StoragePlan
    # a kernel of a dataflow region: it may stall (stream and memory handshakes), so it has
    # ``stall`` and ``abort`` inputs and a ``blocked`` output, and no vendor cells
    concurrent: bool = False

    @property
    def name(self) -> str:
        return self.hw.name

    @cached_property
    def has_checks(self) -> bool:
        """Whether this function, or a kernel it calls, has run-time checks (and so the
        ``error`` and ``error_data`` outputs)."""
        return bool(self.plan.checks) or any(c.has_checks for c in self.callees.values())

    @cached_property
    def stream_ops(self) -> list:
        """The function's ``get`` and ``put`` nodes, numbered by their place here."""
        return [n for region in self.plan.blocks + self.plan.pipelines
                for n in region.dfg.nodes if n.kind in ("get", "put")]

    @property
    def stream_waits(self) -> tuple:
        """What each stream operation waits on: (operation, stream, depth, loc)."""
        return tuple((n.kind, n.attrs["channel"].name, n.attrs["channel"].depth, n.loc)
                     for n in self.stream_ops)

    @property
    def waiting_bits(self) -> int:
        """Width of the ``waiting`` output: 1 + the index of the stream operation the kernel
        is blocked on, 0 when none."""
        return max(1, len(self.stream_ops).bit_length())

    @cached_property
    def stream_roles(self) -> dict:
        """Channel parameter -> "get" or "put": what the function does with it
        (``dataflow/streams.py``), or, for a region's stream argument, what its kernel does."""
        return {**stream_roles(self.hw.fn, self.hw.body), **self.stream_arguments}

    @cached_property
    def stream_arguments(self) -> dict:
        """The stream parameters of a region's function -> "get" (input) or "put" (output)."""
        return ir.stream_argument_roles(self.hw.fn)

    @cached_property
    def written(self) -> set:
        """Ids of the buffers this function, or a kernel it passes them to, may write."""
        return written_in(self.hw.body, self.callees)

    @cached_property
    def params_used(self) -> set:
        """Ids of the array parameters this function, or a kernel it passes them to, may read
        or write: a region arbitrates an array only among the kernels that use it."""
        written = {id(p) for p in self.hw.fn.params if id(p) in self.written}
        return ir.params_read(self.hw.fn) | written


def written_in(body: list, callees: dict) -> set:
    """Ids of the buffers that ``body``, or a kernel it passes them to, may write (``callees``:
    name -> FunctionDesign); a call's array results are written too."""
    def call_writes(call):
        callee_written = callees[call.func.name].written
        passed = [a.buffer for p, a in zip(call.func.params, call.args)
                  if isinstance(a, ir.BufferRef) and id(p) in callee_written]
        return passed + [t for t in getattr(call, "targets", ()) if isinstance(t, ir.Buffer)]
    return {id(b) for b in ir.buffers_written(body, call_writes)}


def signature_of(design: FunctionDesign, errors: ErrorLayout | None = None) -> dict:
    """The ports of ``design``'s Component; ``errors``: the design's error status widths, which
    a function with checks (its own or its callees') has outputs of."""
    fn = design.hw.fn
    members = {"start": In(1), "busy": Out(1), "done": Out(1)}
    if design.concurrent:
        members.update({"stall": In(1), "abort": In(1), "blocked": Out(1),
                        "waiting": Out(design.waiting_bits)})
    members.update(stream_members(design.stream_roles))
    if design.stream_arguments:   # every running kernel waits, one on the caller (region.py)
        members["stream_wait"] = Out(1)
    if errors is not None and design.has_checks:
        members["error"] = Out(errors.code_width)
        members["error_data"] = Out(errors.data_width)

    def interfaces(base, buffer):
        layout = Layout.of(buffer)
        if register_port(layout):
            members[base] = Out(RegisterFileSignature(layout.n_banks, buffer.elem.bits))
            return
        for member in bank_members(base, layout):
            members[member] = Out(MemorySignature(addr_width(layout.bank_depth), buffer.elem.bits))

    for p in design.hw.params:
        if isinstance(p, ir.Buffer):
            interfaces(f"mem_{p.name}", p)
        elif isinstance(p, ir.Var):
            members[f"in_{p.name}"] = In(shape_of(p.type))
    for k, t in enumerate(fn.result_types):
        if isinstance(t, ArrayType):
            interfaces(f"mem_result{k}", design.hw.result_buffers[k])
        else:
            members[f"out_{k}"] = Out(shape_of(t))
    return members


def _check_extent(plan) -> tuple:
    """The highest rank and the highest pipeline stage of the function's checks."""
    ranks, stages = [0], [0]
    for region in plan.blocks + plan.pipelines:
        ii = region.schedule.ii if isinstance(region, Pipeline) else None
        for n in region.dfg.nodes:
            if n.kind == "check":
                ranks.append(n.attrs["rank"])
                if ii is not None:
                    stages.append(n.cycle // ii)
    return max(ranks), max(stages)


class _Registers(dict):
    """A register per scalar variable, made on first use; loop counters as narrow as their range."""

    def __init__(self, ranges: dict):
        super().__init__()
        self.ranges = ranges

    def __missing__(self, var):
        if var in self.ranges:
            lo, hi = self.ranges[var]
            reg = Signal(range(lo, hi + 1), name=var.name)
        else:
            reg = Signal(shape_of(var.type), name=var.name)
        self[var] = reg
        return reg


class _Storage(dict):
    """Where each array lives: an external interface, or a local memory made on first use."""

    def __init__(self, component, design, m):
        super().__init__()
        self.component, self.design, self.m = component, design, m

    def __missing__(self, buffer):
        storage = make_storage(self.m, self.component, self.design.storage, buffer,
                               self.design.hw.initial.get(id(buffer)))
        self[buffer] = storage
        return storage


class _Context:
    def __init__(self, m, state, model, regs, storage, dsp_cells, errors):
        self.m, self.state, self.model, self.dsp_cells = m, state, model, dsp_cells
        self.regs, self.storage = regs, storage
        self.errors = errors        # the ErrorRecorder, when the function has checks
        self.actions = Actions()
        self.streams = None         # the function's StreamEnds
        self.component = None       # the KernelComponent being elaborated


class KernelComponent(wiring.Component):
    """The hardware of one kernel function and, as submodules, of the kernels it calls.

    ``dsp_cells``: multipliers instantiate the target family's DSP cells (ECP5 ``MULT18X18D``)
    rather than ``*``; Amaranth's simulator cannot run such a design, Verilog simulators can
    with the models in ``sim/models``. ``None``: the platform decides at elaboration, as
    Amaranth's own library does (DSP cells on an ECP5 platform, ``*`` without a platform)."""

    def __init__(self, design: FunctionDesign, model, dsp_cells: bool | None = False,
                 errors: ErrorLayout | None = None):
        self.design, self.model, self.dsp_cells = design, model, dsp_cells
        self.errors = errors
        super().__init__(signature_of(design, errors))

    def elaborate(self, platform):
        dsp_cells = self.dsp_cells
        if dsp_cells is None:
            dsp_cells = getattr(platform, "family", None) == "ecp5"
        design = self.design
        fn, plan = design.hw.fn, design.plan
        m = Module()
        state = Signal(range(max(2, len(plan.state_names))), name="fsm_state")
        errors = None
        if self.errors is not None and design.has_checks:
            errors = ErrorRecorder(m, self.errors, *_check_extent(plan))
            m.d.comb += [self.error.eq(errors.code), self.error_data.eq(errors.data)]
        ctx = _Context(m, state, self.model, _Registers(counter_ranges(design.hw.body)), None,
                       dsp_cells, errors)
        ctx.storage = _Storage(self, design, m)
        ctx.streams = StreamEnds(self)
        ctx.component = self

        callees = {}
        for name, callee_design in design.callees.items():
            # a kernel that stalls holds its registers with an enable, which the registers
            # inside a vendor multiplier cell would not see
            callee_dsp = False if callee_design.concurrent else dsp_cells
            callees[name] = KernelComponent(callee_design, self.model, callee_dsp, self.errors)
            m.submodules[name] = callees[name]

        datapaths = {}
        for k, block in enumerate(plan.blocks):
            path = BlockDatapath(ctx, block.dfg, block.first_state, f"b{k}")
            path.emit()
            datapaths[id(block)] = path
        for k, pipe in enumerate(plan.pipelines):
            path = PipelineDatapath(ctx, pipe, f"p{k}")
            path.emit()
            datapaths[id(pipe)] = path

        done = Signal(name="done_pulse")
        m.d.sync += done.eq(0)

        def finish(m):
            m.d.sync += [state.eq(0), done.eq(1)]

        controller = Controller(ctx, datapaths, callees, finish)
        body_entry = controller.seq(plan.body, finish)
        params = [p for p in fn.params if isinstance(p, ir.Var)]

        def idle(m):
            with m.If(self.start):
                if errors is not None:
                    errors.clear(m)
                for p in params:
                    m.d.sync += ctx.regs[p].eq(getattr(self, f"in_{p.name}"))
                body_entry(m)
        ctx.actions.at(0, idle)

        with m.Switch(state):
            for s in sorted(ctx.actions.by_state):
                with m.Case(s):
                    for emit in ctx.actions.by_state[s]:
                        emit(m)
        if errors is not None:
            errors.emit()
        m.d.comb += [self.busy.eq(state != 0), self.done.eq(done)]
        for k, var in design.hw.result_vars.items():
            m.d.comb += getattr(self, f"out_{k}").eq(ctx.regs[var])
        if not design.concurrent:
            assert not ctx.streams.operations, "stream operations outside a region's kernel"
            return m
        # held as a whole while stalled (stream completions are remembered outside the
        # enable); back to idle when its region aborts it
        kernel = Module()
        stall = Signal(name="kernel_stall")
        kernel.submodules.core = EnableInserter({"sync": ~stall})(m)
        blocked, stalled = ctx.streams.emit(kernel, self.stall, design.stream_ops, self.waiting)
        kernel.d.comb += [self.blocked.eq(blocked), stall.eq(stalled)]
        return ResetInserter({"sync": self.abort})(kernel)
