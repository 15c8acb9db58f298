"""A dataflow region in the function that holds it: its FIFOs, the arbitration of the arrays
its kernels share, and the controller state that starts the kernels and waits for them.

* Every stream of the region is an ``amaranth.lib.fifo`` FIFO holding exactly the stream's depth
  (more would hide the interpreter's deadlocks), emptied as the region starts (the
  interpreter's streams start empty too): a ``SyncFIFO`` (registers or LUT RAM, read in the
  cycle) up to ``REGISTER_FIFO_DEPTH``, a ``SyncFIFOBuffered`` (block RAM) beyond. A value put
  is there to get in the next cycle, and a FIFO of depth 2 or more passes one value per
  cycle.
* An array passed to kernels of the region is one storage (a memory interface, a memory, or
  registers) that several kernels may access in one cycle. Per bank and port (read, write),
  the kernels' requests are granted in the region's call order, one per cycle; a kernel whose
  request is not granted stalls (``stall`` in) and asks again in the next cycle. A request
  counts only when the kernel is not blocked on a stream, so a kernel waiting for another can
  never keep it from the memory it needs to make progress. The read data a kernel gets is held
  for it until it takes it (it may stall right after its read was served).
* A stream parameter of the function (a region's stream argument) is a port of its Component
  (``stream_<name>``). An input (its kernel gets from it) is that kernel's own handshake: ready
  rises in the cycle the kernel takes the value. An output leaves through a FIFO of the
  declared depth, so its ``valid`` never waits for ``ready`` (``amaranth.lib.stream``'s rule).
* The region ends when every kernel is idle and its output FIFOs are empty. A kernel that stops
  on a run-time check stops the others (``abort``) and the function, with that kernel's error.
* When every running kernel has waited on a stream for ``STUCK_CYCLES`` cycles with no value
  moving, nothing can change any more: the region stops with a deadlock error (a run-time check,
  ``checks.CheckSite`` of kind ``deadlock``) naming each kernel's blocked operation. A kernel
  waiting on a stream argument waits on the caller, which may give or take a value any time:
  the hardware then never decides a deadlock. It raises ``stream_wait`` instead (every running
  kernel waits, one of them on the caller, and nothing moves), and keeps what each kernel waits
  on in a register (``waiting_name``), so that a testbench that has nothing more to give can
  report the deadlock as the interpreter does.
"""
from __future__ import annotations

from amaranth.hdl import Cat, Const, Mux, ResetInserter, Signal
from amaranth.lib.fifo import SyncFIFO, SyncFIFOBuffered

from ...errors import UnsupportedError
from ...ir import nodes as ir
from ...ir.layout import Layout
from ..analysis.storage import bank_members, register_port
from ..design import MemorySignature, RegisterFileSignature, addr_width
from .streams import all_of, any_of, fifo_words, stream_port_name

# A value put into an empty FIFO reaches its output within two cycles, so a region whose
# running kernels all wait this long is deadlocked.
STUCK_CYCLES = 8
REGISTER_FIFO_DEPTH = 16


def fifo_kind(depth: int) -> str:
    """Where a FIFO of ``depth`` values keeps them: "registers" (``SyncFIFO``, LUT RAM or
    flip-flops, read in the cycle) or "block RAM" (``SyncFIFOBuffered``)."""
    return "registers" if depth <= REGISTER_FIFO_DEPTH else "block RAM"


def region_tag(region) -> str:
    """The prefix of the names of a region's signals in the function holding it."""
    return f"region{region.wait_state}"


def occupancy_name(region, channel) -> str:
    """The register holding the highest occupancy of ``channel``'s FIFO (read after a run)."""
    return f"{region_tag(region)}_{channel.name}_max"


def waiting_name(region, kernel: str) -> str:
    """The register holding what ``kernel`` of the region waits on (as its ``waiting``)."""
    return f"{region_tag(region)}_{kernel}_waiting"


def fifo_channels(region, design) -> list:
    """The streams of ``region`` (in ``design``'s function) that are FIFOs: its own, then the
    function's output stream arguments."""
    outputs = [c for c, role in design.stream_arguments.items() if role == "put"]
    return list(region.stmt.channels) + outputs


def emit_region(ctx, region, instances: dict, k, finish):
    """The hardware of ``region`` (a ``regions.Concurrent``) in ``ctx.m``; returns the
    continuation that starts it. ``instances``: callee name -> its component; ``k``: what
    follows the region; ``finish``: the function's end (after an error)."""
    m, stmt = ctx.m, region.stmt
    tag = region_tag(region)
    calls = stmt.calls
    kernels = [instances[c.func.name] for c in calls]
    flush = Signal(name=f"{tag}_flush")
    ends = _connect_streams(m, stmt, kernels, flush, tag, ctx.component)
    channels = [c for c in fifo_channels(region, ctx.component.design) if id(c) in ends.fifos]
    fifos = [ends.fifos[id(c)] for c in channels]
    for channel, fifo in zip(channels, fifos):   # the highest occupancy since the start
        highest = Signal(range(fifo_words(channel)[1] + 1), name=occupancy_name(region, channel))
        with m.If(flush):
            m.d.sync += highest.eq(0)
        with m.Elif(fifo.level > highest):
            m.d.sync += highest.eq(fifo.level)
    stalls = [Signal(name=f"{c.func.name}_stall") for c in calls]
    halted = [Signal(name=f"{c.func.name}_halted") for c in calls]   # stalled or blocked
    for kernel, stall, halt in zip(kernels, stalls, halted):
        m.d.comb += [kernel.stall.eq(stall), halt.eq(stall | kernel.blocked)]
    denied = [[] for _ in calls]
    binders = _share_arrays(m, ctx, calls, kernels, halted, denied, tag)
    for stall, terms in zip(stalls, denied):
        m.d.comb += stall.eq(any_of(terms))

    stuck_for = Signal(range(STUCK_CYCLES), name=f"{tag}_stuck_cycles")
    externals = [ends.external_waits(call, kernel) for call, kernel in zip(calls, kernels)]
    running = any_of(kernel.busy for kernel in kernels)
    stuck = Signal(name=f"{tag}_stuck")
    deadlocked = Signal(name=f"{tag}_deadlocked")
    # a blocked kernel may still complete earlier operations
    moves = [(fifo.w_en & fifo.w_rdy) | (fifo.r_en & fifo.r_rdy) for fifo in fifos] + \
        [port.valid & port.ready for port in ends.inputs]

    def sampled(value, name):
        held = Signal(name=f"{tag}_{name}")
        m.d.sync += held.eq(value)
        return held
    # the test spans every kernel and FIFO of the region, and what it decides (abort) reaches
    # every kernel: it reads each kernel's and FIFO's state of the cycle before, from a
    # register beside it (a deadlock lasts, so a cycle later decides the same)
    kernels_wait = [sampled(~kernel.busy | (kernel.blocked & ~external), f"{call.func.name}_waits")
                    for call, kernel, external in zip(calls, kernels, externals)]
    values_move = [sampled(move, f"moved{k}") for k, move in enumerate(moves)]
    m.d.sync += stuck.eq(sampled(running, "running") & all_of(kernels_wait) &
                         ~any_of(values_move))
    m.d.comb += deadlocked.eq(stuck & (stuck_for == STUCK_CYCLES - 1))
    if ends.arguments:   # this cycle's state: the caller's testbench acts on it at once
        all_waiting = all_of(~kernel.busy | kernel.blocked for kernel in kernels)
        on_caller = any_of(kernel.busy & kernel.blocked & external
                           for kernel, external in zip(kernels, externals))
        m.d.comb += ctx.component.stream_wait.eq(all_waiting & on_caller & ~any_of(moves))
        for call, kernel in zip(calls, kernels):
            held = Signal.like(kernel.waiting, name=waiting_name(region, call.func.name))
            m.d.sync += held.eq(kernel.waiting)
    if region.deadlock is not None:
        ctx.errors.check(ctx.state == region.wait_state, deadlocked,
                         [kernel.waiting for kernel in kernels], region.deadlock, 0, None)

    def launch(m):
        m.d.comb += flush.eq(1)
        m.d.sync += [stuck_for.eq(0), stuck.eq(0)]
        for call, kernel in zip(calls, kernels):
            m.d.comb += kernel.start.eq(1)
            for p, a in zip(call.func.params, call.args):
                if isinstance(p, ir.Var):
                    value = ctx.regs[a.var] if isinstance(a, ir.VarRef) else Const(int(a.value))
                    m.d.comb += getattr(kernel, f"in_{p.name}").eq(value)
        m.d.sync += ctx.state.eq(region.wait_state)

    if region.launch_state is None:
        enter = launch
    else:
        ctx.actions.at(region.launch_state, launch)

        def enter(m):
            m.d.sync += ctx.state.eq(region.launch_state)

    checked = [kernel for kernel in kernels if kernel.design.has_checks]

    def wait(m):
        for bind in binders:
            bind(m)
        m.d.sync += stuck_for.eq(Mux(stuck, stuck_for + 1, 0))
        # the values put reach the caller before the region ends
        all_idle = all_of([~kernel.busy for kernel in kernels] +
                          [fifo.level == 0 for fifo in ends.outputs])
        failed = [~kernel.busy & (kernel.error != 0) for kernel in checked]
        with m.If(any_of(failed)):
            for kernel in kernels:
                m.d.comb += kernel.abort.eq(1)
            for kernel, fails in reversed(list(zip(checked, failed))):   # the first one wins
                with m.If(fails):
                    ctx.errors.adopt(m, kernel.error, kernel.error_data)
            finish(m)
        if region.deadlock is not None:
            with m.Elif(deadlocked):
                for kernel in kernels:
                    m.d.comb += kernel.abort.eq(1)
                finish(m)
        with m.Elif(all_idle):
            k(m)
    ctx.actions.at(region.wait_state, wait)
    return enter


class _StreamEnds:
    """The FIFOs of a region (keyed by id of their channel) and the ports of the function's
    stream arguments its kernels use."""

    def __init__(self):
        self.fifos: dict = {}
        self.outputs: list = []      # FIFOs of output stream arguments
        self.inputs: list = []       # the function's ports of input stream arguments
        self.arguments: set = set()  # ids of the stream arguments

    def external_waits(self, call, kernel):
        """High when ``kernel`` (the instance ``call`` runs) waits on a stream argument."""
        params = {id(p) for p, a in zip(call.func.params, call.args)
                  if isinstance(a, ir.ChannelRef) and id(a.channel) in self.arguments}
        return any_of(kernel.waiting == k + 1 for k, n in enumerate(kernel.design.stream_ops)
                      if id(n.attrs["channel"]) in params)


def _connect_streams(m, stmt, kernels, flush, tag, component) -> _StreamEnds:
    """A FIFO per stream of the region, between the kernel that puts and the one that gets;
    the function's stream arguments connected to the kernel that uses each."""
    ends = _StreamEnds()

    def fifo_for(channel):
        bits, words = fifo_words(channel)
        fifo = (SyncFIFO if fifo_kind(words) == "registers" else SyncFIFOBuffered)(
            width=bits, depth=words)
        m.submodules[f"{tag}_fifo_{channel.name}"] = ResetInserter({"sync": flush})(fifo)
        ends.fifos[id(channel)] = fifo
        return fifo

    for channel in stmt.channels:
        fifo_for(channel)
    for call, kernel in zip(stmt.calls, kernels):
        roles = kernel.design.stream_roles
        for p, a in zip(call.func.params, call.args):
            if not isinstance(a, ir.ChannelRef) or p not in roles:
                continue
            port = getattr(kernel, stream_port_name(p))
            fifo = ends.fifos.get(id(a.channel))
            outer = getattr(component, stream_port_name(a.channel), None)
            if fifo is None and a.channel.kind == "arg" and outer is not None:
                ends.arguments.add(id(a.channel))
                if roles[p] == "get":
                    m.d.comb += [port.payload.eq(outer.payload), port.valid.eq(outer.valid),
                                 outer.ready.eq(port.ready)]
                    ends.inputs.append(outer)
                    continue
                fifo = fifo_for(a.channel)
                ends.outputs.append(fifo)
                m.d.comb += [outer.payload.eq(fifo.r_data), outer.valid.eq(fifo.r_rdy),
                             fifo.r_en.eq(outer.ready)]
            if fifo is None:
                raise UnsupportedError(
                    f"stream {a.channel.name!r} comes into a region from outside it; RTL "
                    "targets build regions whose streams are their own or the top "
                    "function's stream arguments", call.loc,
                    "declare the stream inside the region, or run it with target='interp'")
            if roles[p] == "put":
                m.d.comb += [fifo.w_data.eq(port.payload), fifo.w_en.eq(port.valid),
                             port.ready.eq(fifo.w_rdy)]
            else:
                m.d.comb += [port.payload.eq(fifo.r_data), port.valid.eq(fifo.r_rdy),
                             fifo.r_en.eq(port.ready)]
    return ends


def _share_arrays(m, ctx, calls, kernels, halted, denied, tag) -> list:
    """The arbitration of every array the region's kernels are passed; returns the actions
    that bind the arrays' storage to it while the region runs."""
    blocked = [kernel.blocked for kernel in kernels]
    users: dict = {}
    for index, (call, kernel) in enumerate(zip(calls, kernels)):
        for p, a in zip(call.func.params, call.args):
            if isinstance(a, ir.BufferRef) and id(p) in kernel.design.params_used:
                users.setdefault(id(a.buffer), (a.buffer, []))[1].append((index, kernel, p))
    binders = []
    for buffer, sharing in users.values():
        layout = Layout.of(buffer)
        storage = ctx.storage[buffer]
        writes = any(id(p) in kernel.design.written for _, kernel, p in sharing)
        members = bank_members(f"mem_{buffer.name}", layout)
        if register_port(layout):
            shared = [RegisterFileSignature(layout.n_banks, buffer.elem.bits).create(
                path=(f"{tag}_{buffer.name}",))]
            _merge_register_writes(m, shared[0], buffer, sharing, halted, tag)
        else:
            shared = []
            for bank, member in enumerate(members):
                iface = MemorySignature(addr_width(layout.bank_depth), buffer.elem.bits).create(
                    path=(f"{tag}_{member}",))
                ports = [(index, getattr(kernel, bank_member_of(p, layout, bank)))
                         for index, kernel, p in sharing]
                _arbitrate(m, iface, ports, blocked, halted, denied, f"{tag}_{member}")
                shared.append(iface)
        binders.append(lambda m, s=storage, ifaces=shared, w=writes: s.bind(m, ifaces, w))
    return binders


def bank_member_of(param: ir.Buffer, layout: Layout, bank: int) -> str:
    return bank_members(f"mem_{param.name}", layout)[bank]


def _arbitrate(m, shared, ports: list, blocked, halted, denied, tag) -> None:
    """One bank's interface ``shared`` (a read and a write port) for the kernels' interfaces
    ``ports`` ([(kernel index, interface)], highest priority first): each port is granted to
    the first kernel asking for it."""
    free = {"read": Const(1), "write": Const(1)}
    fires = {"read": [], "write": []}
    for index, port in ports:
        refused = []
        for kind, enable in (("read", port.ren), ("write", port.wen)):
            request = Signal(name=f"{tag}_{kind}_req{index}")
            fire = Signal(name=f"{tag}_{kind}_fire{index}")
            # a kernel blocked on a stream does not ask (see the docstring); one granted this
            # port but stalled by another uses it neither
            m.d.comb += [request.eq(enable & ~blocked[index]),
                         fire.eq(request & free[kind] & ~halted[index])]
            refused.append(request & ~free[kind])
            free[kind] = free[kind] & ~request
            fires[kind].append((fire, port))
        denied[index].append(any_of(refused))
        read_fired = Signal(name=f"{tag}_read{index}")
        held = Signal(len(port.rdata), name=f"{tag}_held{index}")
        m.d.sync += read_fired.eq(fires["read"][-1][0])
        with m.If(read_fired):
            m.d.sync += held.eq(shared.rdata)
        m.d.comb += port.rdata.eq(Mux(read_fired, shared.rdata, held))
    for fire, port in reversed(fires["read"]):   # the granted kernels' addresses and data
        with m.If(fire):
            m.d.comb += shared.raddr.eq(port.raddr)
    for fire, port in reversed(fires["write"]):
        with m.If(fire):
            m.d.comb += [shared.waddr.eq(port.waddr), shared.wdata.eq(port.wdata)]
    m.d.comb += [shared.ren.eq(any_of(fire for fire, _ in fires["read"])),
                 shared.wen.eq(any_of(fire for fire, _ in fires["write"]))]


def _merge_register_writes(m, shared, buffer, sharing, halted, tag) -> None:
    """An array in registers (every word at once): reads need no arbitration; each word takes
    the write of the first kernel in call order that writes it in the cycle. The write waits a
    cycle in a register of the region before it reaches the array, and reads in that cycle get
    it from there: a kernel's enable (which stalls depend on) then ends at that register
    instead of crossing the chip to the array."""
    files = shared.signature
    bits = files.data_width
    pending = [Signal(name=f"{tag}_{buffer.name}_wen{w}") for w in range(files.n_words)]
    data = [Signal(bits, name=f"{tag}_{buffer.name}_wdata{w}") for w in range(files.n_words)]
    for c in range(files.n_chunks):
        words = []
        for at in range(files.chunk_words):
            w = c * files.chunk_words + at
            stored = shared.words[c].word_select(at, bits)
            words.append(Mux(pending[w], data[w], stored) if w < files.n_words else stored)
        for _, kernel, p in sharing:
            m.d.comb += getattr(kernel, f"mem_{p.name}").words[c].eq(Cat(*words))
    for word in range(files.n_words):
        m.d.sync += pending[word].eq(0)
        for index, kernel, p in reversed(sharing):
            port = getattr(kernel, f"mem_{p.name}")
            with m.If(files.enable(port.wen, word) & ~halted[index]):
                m.d.sync += [pending[word].eq(1), data[word].eq(files.word(port.wdata, word))]
        m.d.comb += [files.enable(shared.wen, word).eq(pending[word]),
                     files.word(shared.wdata, word).eq(data[word])]
