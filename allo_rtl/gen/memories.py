"""The arrays of one function as memories: external interfaces and local block RAMs.

An array parameter or an array result is an external interface (``MemorySignature``: one
access per cycle). Every other local array is an ``amaranth.lib.memory.Memory`` with one read
port and one write port (a simple dual-port block RAM). Accesses are registered per controller
state; a callee's interface is bound to a memory for the states its call waits in.
"""
from __future__ import annotations

from amaranth.hdl import Signal, unsigned
from amaranth.lib.memory import Memory

from .design import addr_width


class ArrayStorage:
    """Where one array lives, and the per-state drivers of its ports."""

    def __init__(self, buffer):
        self.buffer = buffer
        self.depth = buffer.type.size
        self.addr_width = addr_width(self.depth)

    def rdata(self):
        raise NotImplementedError

    def value_of(self, raw):
        return raw.as_signed() if self.buffer.elem.signed else raw


class ExternalArray(ArrayStorage):
    """An array behind a ``MemorySignature`` interface of the component."""

    kind = "external"

    def __init__(self, buffer, iface):
        super().__init__(buffer)
        self.iface = iface

    def rdata(self):
        return self.value_of(self.iface.rdata)

    def read(self, m, addr):
        m.d.comb += [self.iface.addr.eq(addr[:self.addr_width]), self.iface.ren.eq(1)]

    def write(self, m, addr, data, pred):
        m.d.comb += [self.iface.addr.eq(addr[:self.addr_width]), self.iface.wdata.eq(data)]
        m.d.comb += self.iface.wen.eq(1 if pred is None else pred)

    def bind(self, m, callee_iface):
        m.d.comb += [self.iface.addr.eq(callee_iface.addr), self.iface.ren.eq(callee_iface.ren),
                     self.iface.wen.eq(callee_iface.wen), self.iface.wdata.eq(callee_iface.wdata),
                     callee_iface.rdata.eq(self.iface.rdata)]


class LocalArray(ArrayStorage):
    """A local array in a Memory with one read and one write port."""

    kind = "local"

    def __init__(self, buffer, initial=None):
        super().__init__(buffer)
        mask = (1 << buffer.elem.bits) - 1
        # The scheduler never reads and writes a local memory in one cycle unless the addresses
        # provably differ (dfg.py), so Yosys need not add bypass logic for that case.
        self.memory = Memory(shape=unsigned(buffer.elem.bits), depth=self.depth,
                             init=[w & mask for w in initial or []], attrs={"no_rw_check": 1})
        self.rport = self.memory.read_port()
        self.wport = self.memory.write_port()
        self.ren = Signal(name=f"{buffer.name}_ren")

    def add_to(self, m, name):
        m.submodules[name] = self.memory
        m.d.comb += self.rport.en.eq(self.ren)

    def rdata(self):
        return self.value_of(self.rport.data)

    def read(self, m, addr):
        m.d.comb += [self.rport.addr.eq(addr[:self.addr_width]), self.ren.eq(1)]

    def write(self, m, addr, data, pred):
        m.d.comb += [self.wport.addr.eq(addr[:self.addr_width]), self.wport.data.eq(data)]
        m.d.comb += self.wport.en.eq(1 if pred is None else pred)

    def bind(self, m, callee_iface):
        m.d.comb += [self.rport.addr.eq(callee_iface.addr), self.ren.eq(callee_iface.ren),
                     self.wport.addr.eq(callee_iface.addr), self.wport.en.eq(callee_iface.wen),
                     self.wport.data.eq(callee_iface.wdata),
                     callee_iface.rdata.eq(self.rport.data)]
