"""The arrays of one function as storage: external interfaces, block RAMs and registers.

An array parameter or an array result is external: a ``MemorySignature`` interface per bank
(``mem_<name>`` unbanked, ``mem_<name>_<bank>`` when partitioned; a read and a write per cycle
each, as a simple dual-port block RAM),
or one ``RegisterFileSignature`` (``mem_<name>``) when a partition leaves one word per bank: the
caller holds those words in registers. A local array is an ``amaranth.lib.memory.Memory`` per
bank with one read and one write port (simple dual-port block RAM), or registers when every
bank holds one word (a complete partition) or when it is small and a pipelined loop accesses it
(the pipeline then reads and writes any number of its words per cycle). Accesses are driven per
controller state; a callee's interfaces are bound to the caller's storage while the call waits
(its writes only when it may write the array: ``bind(..., writes)``).
"""
from __future__ import annotations

from dataclasses import dataclass

from amaranth.hdl import Array, Cat, Const, Signal, unsigned
from amaranth.lib.memory import Memory

from ...ir.layout import Layout
from ..design import addr_width
from ..analysis.shapes import shape_of
from ..analysis.storage import StoragePlan, bank_member, register_port

def _signed(buffer, raw):
    return raw.as_signed() if buffer.elem.signed else raw


class ExternalBank:
    """One bank behind a ``MemorySignature`` interface of the component."""

    def __init__(self, buffer, iface, depth):
        self.buffer, self.iface, self.addr_width = buffer, iface, addr_width(depth)

    def rdata(self):
        return _signed(self.buffer, self.iface.rdata)

    def read(self, m, addr):
        m.d.comb += [self.iface.raddr.eq(addr[:self.addr_width]), self.iface.ren.eq(1)]

    def write(self, m, addr, data, pred):
        m.d.comb += [self.iface.waddr.eq(addr[:self.addr_width]), self.iface.wdata.eq(data)]
        m.d.comb += self.iface.wen.eq(1 if pred is None else pred)

    def bind(self, m, callee_iface, writes: bool):
        m.d.comb += [self.iface.raddr.eq(callee_iface.raddr),
                     self.iface.ren.eq(callee_iface.ren), callee_iface.rdata.eq(self.iface.rdata)]
        if writes:
            m.d.comb += [self.iface.waddr.eq(callee_iface.waddr),
                         self.iface.wen.eq(callee_iface.wen),
                         self.iface.wdata.eq(callee_iface.wdata)]


class MemoryBank:
    """One bank in a Memory with one read and one write port."""

    def __init__(self, m, name, buffer, depth, initial):
        self.buffer, self.addr_width = buffer, addr_width(depth)
        mask = (1 << buffer.elem.bits) - 1
        # The scheduler never reads and writes a local memory in one cycle unless the addresses
        # provably differ (dfg.py), so Yosys need not add bypass logic for that case.
        self.memory = Memory(shape=unsigned(buffer.elem.bits), depth=depth,
                             init=[w & mask for w in initial or []], attrs={"no_rw_check": 1})
        self.rport = self.memory.read_port()
        self.wport = self.memory.write_port()
        self.ren = Signal(name=f"{name}_ren")
        m.submodules[name] = self.memory
        m.d.comb += self.rport.en.eq(self.ren)

    def rdata(self):
        return _signed(self.buffer, self.rport.data)

    def read(self, m, addr):
        m.d.comb += [self.rport.addr.eq(addr[:self.addr_width]), self.ren.eq(1)]

    def write(self, m, addr, data, pred):
        m.d.comb += [self.wport.addr.eq(addr[:self.addr_width]), self.wport.data.eq(data)]
        m.d.comb += self.wport.en.eq(1 if pred is None else pred)

    def bind(self, m, callee_iface, writes: bool):
        m.d.comb += [self.rport.addr.eq(callee_iface.raddr), self.ren.eq(callee_iface.ren),
                     callee_iface.rdata.eq(self.rport.data)]
        if writes:
            m.d.comb += [self.wport.addr.eq(callee_iface.waddr),
                         self.wport.en.eq(callee_iface.wen),
                         self.wport.data.eq(callee_iface.wdata)]


@dataclass(frozen=True)
class BankChoice:
    """A bank chosen at run time: ``value`` picks one of ``candidates``, the banks the index can
    reach (from the ranges of the loop counters in it; every bank when they are unknown)."""

    value: object
    candidates: tuple


class Banked:
    """An array in banks of memories or interfaces (latency 1): an access names its bank, a
    constant (direct wiring) or a ``BankChoice`` (a multiplexer over the reachable banks only,
    so that hardware grows with the banks an access can reach, not with all of them)."""

    latency = 1

    def __init__(self, buffer, banks: list):
        self.buffer, self.banks = buffer, banks

    def read(self, m, addr, bank):
        _on_bank(m, bank, lambda k: self.banks[k].read(m, addr))

    def rdata(self, m, bank):
        """Read data of ``bank``: an int, or a choice by the bank registered when the read was
        issued."""
        return _chosen(m, self.buffer, bank, lambda k: self.banks[k].rdata())

    def write(self, m, addr, data, pred, bank):
        _on_bank(m, bank, lambda k: self.banks[k].write(m, addr, data, pred))

    def bind(self, m, callee_ifaces: list, writes: bool):
        for bank, iface in zip(self.banks, callee_ifaces):
            bank.bind(m, iface, writes)


class Registers:
    """An array in registers (latency 0): any number of reads and writes per cycle. Word
    ``bank * bank_depth + addr`` holds the element of that bank and address."""

    latency = 0

    def __init__(self, buffer, layout: Layout, initial, name: str):
        self.buffer, self.layout, self.depth = buffer, layout, layout.bank_depth
        order = [int(e) for e in layout.elements().flat]
        values = [initial[e] if initial and e >= 0 else 0 for e in order]
        self.words = [Signal(_shape(buffer), name=f"{name}_{k}", init=v)
                      for k, v in enumerate(values)]

    def _word(self, addr, bank: int):
        addr = _static(addr)
        if isinstance(addr, int):
            return self.words[bank * self.depth + addr]
        if self.depth == 1:
            return self.words[bank]
        return Array(self.words[bank * self.depth:(bank + 1) * self.depth])[addr]

    def read_now(self, m, addr, bank):
        return _chosen(m, self.buffer, bank, lambda k: self._word(addr, k))

    def write(self, m, addr, data, pred, bank):
        def write_bank(k):
            target = self._word(addr, k)
            if pred is None:
                m.d.sync += target.eq(data)
            else:
                with m.If(pred):
                    m.d.sync += target.eq(data)
        _on_bank(m, bank, write_bank)

    def bind(self, m, callee_ifaces: list, writes: bool):
        """A callee sees the registers as one register-file port when every bank holds one
        word, else as memory interfaces (read latency 1), bank by bank."""
        if register_port(self.layout):
            (iface,) = callee_ifaces
            files = iface.signature
            for c in range(files.n_chunks):
                chunk = self.words[c * files.chunk_words:(c + 1) * files.chunk_words]
                m.d.comb += iface.words[c].eq(Cat(chunk))
            if writes:
                for k, word in enumerate(self.words):
                    with m.If(files.enable(iface.wen, k)):
                        m.d.sync += word.eq(files.word(iface.wdata, k))
            return
        for bank, iface in enumerate(callee_ifaces):
            rdata = Signal(len(iface.rdata), name=f"{self.buffer.name}_bind{bank}_rdata")
            m.d.sync += rdata.eq(self._word(iface.raddr, bank))
            m.d.comb += iface.rdata.eq(rdata)
            if writes:
                with m.If(iface.wen):
                    m.d.sync += self._word(iface.waddr, bank).eq(iface.wdata)


class RegisterPort:
    """A completely partitioned array behind a ``RegisterFileSignature``, its words held by the
    caller (latency 0): reads are slices of ``words``, a write sets the word's ``wen`` bit."""

    latency = 0

    def __init__(self, buffer, iface):
        self.buffer, self.iface, self.files = buffer, iface, iface.signature

    def read_now(self, m, addr, bank):
        return _chosen(m, self.buffer, bank,
                       lambda k: _signed(self.buffer, self.files.word(self.iface.words, k)))

    def write(self, m, addr, data, pred, bank):
        def write_bank(k):
            m.d.comb += [self.files.enable(self.iface.wen, k).eq(1 if pred is None else pred),
                         self.files.word(self.iface.wdata, k).eq(data)]
        _on_bank(m, bank, write_bank)

    def bind(self, m, callee_ifaces: list, writes: bool):
        (callee,) = callee_ifaces
        for c in range(self.files.n_chunks):
            m.d.comb += callee.words[c].eq(self.iface.words[c])
            if writes:
                m.d.comb += [self.iface.wen[c].eq(callee.wen[c]),
                             self.iface.wdata[c].eq(callee.wdata[c])]


def _on_bank(m, bank, act) -> None:
    """``act(k)`` for bank ``k`` of an access: wired directly when ``bank`` is an int, else
    enabled by a comparison with each candidate of the ``BankChoice``."""
    if isinstance(bank, int):
        act(bank)
        return
    for k in bank.candidates:
        with m.If(bank.value == k):
            act(k)


def _chosen(m, buffer, bank, word_of):
    """``word_of(k)`` for bank ``bank``: an int, or a multiplexer over the candidates of a
    ``BankChoice``."""
    if isinstance(bank, int):
        return word_of(bank)
    data = Signal(_shape(buffer), name=f"{buffer.name}_rdata")
    with m.Switch(bank.value):
        for k in bank.candidates:
            with m.Case(k):
                m.d.comb += data.eq(word_of(k))
    return data


def _static(value):
    """A constant as a Python int (an index known at compile time wires one register)."""
    return value.value if isinstance(value, Const) else value


def _shape(buffer):
    return shape_of(buffer.elem)


def make_storage(m, component, plan: StoragePlan, buffer, initial):
    """The storage of ``buffer`` in module ``m`` of ``component``."""
    layout = Layout.of(buffer)
    kind = plan.kind(buffer)
    if kind == "registers":
        return Registers(buffer, layout, initial, f"reg_{buffer.name}")
    if kind == "register_port":
        return RegisterPort(buffer, getattr(component, plan.external[id(buffer)]))
    elements = layout.elements()
    banks = []
    for b in range(layout.n_banks):
        if kind == "external":
            iface = getattr(component, bank_member(plan.external[id(buffer)], layout, b))
            banks.append(ExternalBank(buffer, iface, layout.bank_depth))
        else:
            words = None if initial is None else \
                [initial[e] if e >= 0 else 0 for e in elements[b]]
            banks.append(MemoryBank(m, bank_member(f"mem_{buffer.name}", layout, b), buffer,
                                    layout.bank_depth, words))
    return Banked(buffer, banks)
