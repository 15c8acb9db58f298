"""Hand-made Components that follow gen/design.py's port contract, for the simulation harness
tests. Each has a cycle count known by construction."""
from __future__ import annotations

from amaranth import Module, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from allo_rtl.gen.design import ArrayPort, DesignInfo, MemorySignature, ScalarPort, StateProbe
from allo_rtl.types import Int


def _ports(info: DesignInfo) -> dict:
    members = {"start": In(1), "busy": Out(1), "done": Out(1)}
    for p in info.scalar_args:
        members[p.port] = In(p.width)
    for p in info.scalar_results:
        members[p.port] = Out(p.width)
    for a in info.arrays:
        members[a.port] = Out(MemorySignature(a.addr_width, a.width))
    return members


# --- vadd: C[i] = A[i] + B[i] over int16, two cycles per element -------------------------------

def vadd_info(n: int, depth: int) -> DesignInfo:
    elem = Int(16)
    return DesignInfo(
        name="vadd", arrays=[
            ArrayPort("mem_A", "A", (depth,), elem, param_index=0, written=False),
            ArrayPort("mem_B", "B", (depth,), elem, param_index=1, written=False),
            ArrayPort("mem_result0", "result0", (depth,), elem, result_index=0)],
        probes=[StateProbe((), "state", ("idle", "read", "write", "finish"), "vadd")],
        predicted_cycles=2 * n)


class VectorAdd(wiring.Component):
    """States: idle -> (read i -> write i) * n -> finish (the done cycle) -> idle.

    With ``depth`` < n the memories are smaller than the loop: the last iterations access
    addresses past the end (reads give 0, writes are dropped)."""

    IDLE, READ, WRITE, FINISH = range(4)

    def __init__(self, n: int, depth: int | None = None):
        self.n = n
        self.info = vadd_info(n, n if depth is None else depth)
        assert self.info.arrays[0].addr_width == vadd_info(n, n).arrays[0].addr_width
        super().__init__(_ports(self.info))

    def elaborate(self, platform):
        m = Module()
        state = Signal(2, name="state")
        i = Signal(range(self.n + 1))
        a, b, c = self.mem_A, self.mem_B, self.mem_result0
        m.d.comb += [
            self.busy.eq((state == self.READ) | (state == self.WRITE)),
            self.done.eq(state == self.FINISH),
            a.raddr.eq(i), b.raddr.eq(i), c.waddr.eq(i),
            c.wdata.eq(a.rdata.as_signed() + b.rdata.as_signed()),
        ]
        with m.Switch(state):
            with m.Case(self.IDLE):
                with m.If(self.start):
                    m.d.sync += [i.eq(0), state.eq(self.READ)]
            with m.Case(self.READ):
                m.d.comb += [a.ren.eq(1), b.ren.eq(1)]
                m.d.sync += state.eq(self.WRITE)
            with m.Case(self.WRITE):
                m.d.comb += c.wen.eq(1)
                m.d.sync += i.eq(i + 1)
                with m.If(i == self.n - 1):
                    m.d.sync += state.eq(self.FINISH)
                with m.Else():
                    m.d.sync += state.eq(self.READ)
            with m.Case(self.FINISH):
                m.d.sync += state.eq(self.IDLE)
        return m


# --- scale_sum: x * sum(A) as int32, x: int8, A: int16[n]; n + 1 busy cycles -------------------

def scale_sum_info(n: int) -> DesignInfo:
    return DesignInfo(
        name="scale_sum",
        scalar_args=[ScalarPort("in_x", Int(8), param_index=0)],
        scalar_results=[ScalarPort("out_0", Int(32), result_index=0)],
        arrays=[ArrayPort("mem_A", "A", (n,), Int(16), param_index=1, written=False)],
        probes=[StateProbe((), "state", ("idle", "read", "drain", "finish"), "scale_sum")],
        predicted_cycles=n + 1)


class ScaleSum(wiring.Component):
    """Reads A[0..n-1] back to back (n cycles), adds the last word in one more cycle."""

    IDLE, READ, DRAIN, FINISH = range(4)

    def __init__(self, n: int):
        self.n = n
        self.info = scale_sum_info(n)
        super().__init__(_ports(self.info))

    def elaborate(self, platform):
        m = Module()
        state = Signal(2, name="state")
        i = Signal(range(self.n + 1))
        x = Signal(signed(8))
        acc = Signal(signed(32))
        valid = Signal()       # the read issued last cycle returns data now
        mem = self.mem_A
        m.d.comb += [
            self.busy.eq((state == self.READ) | (state == self.DRAIN)),
            self.done.eq(state == self.FINISH),
            mem.raddr.eq(i),
            self.out_0.eq(acc * x),
        ]
        with m.If(valid):
            m.d.sync += acc.eq(acc + mem.rdata.as_signed())
        m.d.sync += valid.eq(0)
        with m.Switch(state):
            with m.Case(self.IDLE):
                with m.If(self.start):
                    m.d.sync += [i.eq(0), acc.eq(0), x.eq(self.in_x.as_signed()),
                                 state.eq(self.READ)]
            with m.Case(self.READ):
                m.d.comb += mem.ren.eq(1)
                m.d.sync += [valid.eq(1), i.eq(i + 1)]
                with m.If(i == self.n - 1):
                    m.d.sync += state.eq(self.DRAIN)
            with m.Case(self.DRAIN):
                m.d.sync += state.eq(self.FINISH)
            with m.Case(self.FINISH):
                m.d.sync += state.eq(self.IDLE)
        return m


# --- spin: a top that calls a controller whose loop never exits --------------------------------
# The probes reach a named submodule ("control") and, inside it, an unnamed one: Amaranth calls
# it U$0, an escaped identifier in Verilog.

SPIN_TOP_STATES = ("idle", "call loop at spin.py:9")
SPIN_LOOP_STATES = ("idle", "while at spin.py:3, cycle 0", "while at spin.py:3, cycle 1")
SPIN_TICK_STATES = ("even", "odd")


def spin_info() -> DesignInfo:
    return DesignInfo(
        name="spin",
        scalar_args=[ScalarPort("in_n", Int(8), param_index=0)],
        probes=[StateProbe((), "phase", SPIN_TOP_STATES, "spin"),
                StateProbe(("control",), "state", SPIN_LOOP_STATES, "loop"),
                StateProbe(("control", "U$0"), "tick", SPIN_TICK_STATES, "ticker")])


class _Ticker(wiring.Component):
    """Toggles every cycle once started."""

    def __init__(self):
        super().__init__({"go": In(1)})

    def elaborate(self, platform):
        m = Module()
        on = Signal()
        tick = Signal(1, name="tick")
        with m.If(self.go):
            m.d.sync += on.eq(1)
        with m.If(on):
            m.d.sync += tick.eq(~tick)
        return m


class _SpinLoop(wiring.Component):
    def __init__(self):
        super().__init__({"go": In(1)})

    def elaborate(self, platform):
        m = Module()
        ticker = _Ticker()
        m.submodules += ticker
        m.d.comb += ticker.go.eq(self.go)
        state = Signal(2, name="state")
        with m.Switch(state):
            with m.Case(0):
                with m.If(self.go):
                    m.d.sync += state.eq(1)
            with m.Case(1):
                m.d.sync += state.eq(2)
            with m.Case(2):
                m.d.sync += state.eq(1)     # the loop's exit condition is never true
        return m


class Spin(wiring.Component):
    def __init__(self):
        self.info = spin_info()
        super().__init__(_ports(self.info))

    def elaborate(self, platform):
        m = Module()
        m.submodules.control = loop = _SpinLoop()
        phase = Signal(1, name="phase")
        with m.If(self.start & (phase == 0)):
            m.d.sync += phase.eq(1)
        m.d.comb += [loop.go.eq(self.start), self.busy.eq(phase)]
        return m
