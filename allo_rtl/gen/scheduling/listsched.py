"""List scheduling of a block: every live node gets the cycle it runs in.

Nodes are placed in program order, each as early as its operands, its ordering constraints
(``deps``) and its memory port allow. Combinational operations chain within a cycle while the
summed delay fits the timing model's budget; a value used in a later cycle than the one it is
live in is held in a register (``datapath.py``). Variable writes and the terminal (branch or
call start) happen in the block's last cycle, so a variable keeps its old value for every
operation of the block that reads it.
"""
from __future__ import annotations

from ..analysis.graph import SINK_KINDS, STREAM_KINDS, Dfg, Node, signed_digits
from .timing import TimingModel

_ALWAYS = ("const", "var")
_INDEX_WIDTH = 16   # index arithmetic is narrowed by synthesis; model it at this width


def _width(node: Node) -> int:
    t = node.type
    if t is None:
        return 1
    return _INDEX_WIDTH if t.name == "index" else t.bits


def op_delay(node: Node, model: TimingModel) -> float:
    """Combinational delay of an ``op`` node, in ns."""
    op = node.op
    w = max([_width(node)] + [_width(o) for o in node.operands])
    const_operand = [o for o in node.operands[1:] if o.kind == "const"]
    if op in ("add", "sub", "neg", "lt", "le", "gt", "ge"):
        return model.adder(w)
    if op in ("abs", "min", "max"):
        return model.adder(w) + model.logic()
    if op in ("eq", "ne"):
        return model.equality(w)
    if op == "mul":
        terms = len(signed_digits(const_operand[0].attrs["value"]))
        return model.adder(w) * max(1, (terms - 1).bit_length())
    if op in ("shl", "shr", "bitread"):
        return 0.0 if const_operand else model.shifter(w)
    if op == "bitinsert":
        return model.logic() if node.operands[1].kind == "const" else model.shifter(w) + model.logic()
    if op in ("cast", "reverse"):
        return 0.0
    return model.logic()   # and or xor invert not bool_and bool_or select


def live_nodes(dfg: Dfg) -> list:
    """The nodes a sink depends on, in program order (dead loads and arithmetic dropped; a
    ``get`` whose value nothing uses still takes it from its stream)."""
    live = set()
    stack = [n for n in dfg.nodes if n.kind in SINK_KINDS or n.kind == "get"]
    while stack:
        n = stack.pop()
        if id(n) in live:
            continue
        live.add(id(n))
        stack.extend(n.operands)
    out = [n for n in dfg.nodes if id(n) in live]
    for n in out:   # an order with a dead access (a load nothing uses) constrains nothing
        n.deps = [(d, distance) for d, distance in n.deps if id(d) in live]
    return out


class NoFreeSlot(Exception):
    """A modulo reservation table has no slot where every port an access takes is free: an
    access reaching several banks needs one slot free on all of them, which the per-bank
    resource bound does not guarantee. The II must grow."""

    def __init__(self, node: Node):
        super().__init__(node)
        self.node = node


def ports_taken(node: Node, port_of) -> list:
    """``[(port key, accesses per cycle or None for unlimited)]`` that ``node`` takes: a memory
    access the ports ``port_of`` gives; a stream operation its stream's one port."""
    if node.kind in STREAM_KINDS:
        return [((id(node.attrs["channel"]), "stream"), 1)]
    return port_of(node.attrs["buffer"], node.kind, node.attrs["banks"])


class PortModel:
    """Memory and stream ports per cycle. ``port_of(buffer, "load"|"store", banks)`` gives the
    ports an access to one of ``banks`` takes as ``[(port key, accesses per cycle or None for
    unlimited)]`` (a bank chosen at run time takes a port of every bank it can reach); a
    stream takes one operation per cycle (``ports_taken``);
    ``read_latency(buffer)`` is 1 for memories and
    0 for registers. ``modulo`` makes the table a modulo reservation table (pipelines)."""

    def __init__(self, port_of, read_latency, modulo: int | None = None):
        self.port_of, self.read_latency, self.modulo = port_of, read_latency, modulo
        self.used: dict = {}

    def _slot(self, cycle):
        return cycle % self.modulo if self.modulo else cycle

    def free(self, node, cycle) -> bool:
        slot = self._slot(cycle)
        return all(cap is None or self.used.get((key, slot), 0) < cap
                   for key, cap in ports_taken(node, self.port_of))

    def take(self, node, cycle) -> None:
        slot = self._slot(cycle)
        for key, cap in ports_taken(node, self.port_of):
            if cap is not None:
                self.used[(key, slot)] = self.used.get((key, slot), 0) + 1


def schedule_block(dfg: Dfg, model: TimingModel, ports: PortModel, latency_of,
                   writes_last: bool = True, earliest: dict | None = None) -> int:
    """Schedule ``dfg`` in place; returns its length in cycles (at least 1).

    ``latency_of(node)`` gives the latency of ``mul`` and ``div`` nodes. Variable writes come
    in the last cycle, or (``writes_last=False``, pipelines) as soon as their value is.
    ``earliest`` (``id(node)`` -> cycle) holds nodes back: a pipeline delays a read so that a
    previous iteration's write comes before it."""
    earliest = earliest or {}
    nodes = live_nodes(dfg)
    dfg.nodes = nodes
    budget = model.budget
    last = 0

    def arrival(op: Node, cycle: int) -> float:
        if op.kind == "const":
            return 0.0
        if op.kind == "var" or op.ready < cycle:
            return model.reg_out
        return op.arrival

    late = []
    for n in nodes:
        if n.kind in _ALWAYS:
            n.cycle = n.ready = 0
            n.arrival = 0.0 if n.kind == "const" else model.reg_out
            continue
        if n.kind in ("write", "branch", "call"):
            late.append(n)
            continue
        cycle = max([o.ready for o in n.operands if o.kind not in _ALWAYS] +
                    [d.cycle + dist for d, dist in n.deps] + [earliest.get(id(n), 0)])
        port_tries = 0
        while True:
            t_in = max([arrival(o, cycle) for o in n.operands] + [0.0])
            chained = t_in > model.reg_out
            if n.kind == "op":
                finish = t_in + op_delay(n, model)
                if finish > budget and chained:
                    cycle += 1
                    continue
                n.cycle, n.ready, n.arrival = cycle, cycle, finish
                break
            setup = model.mem_setup if n.kind in ("load", "store") else \
                model.mul_in_setup if n.kind == "mul" else model.reg_setup
            if t_in + setup > budget and chained:
                cycle += 1
                continue
            if n.kind in ("load", "store") + STREAM_KINDS:
                if not ports.free(n, cycle):
                    port_tries += 1
                    if ports.modulo and port_tries >= ports.modulo:
                        raise NoFreeSlot(n)   # every slot of the table tried
                    cycle += 1
                    continue
                ports.take(n, cycle)
            n.cycle = cycle
            if n.kind == "load":
                if ports.read_latency(n.attrs["buffer"]):
                    n.ready, n.arrival = cycle + 1, model.mem_out
                else:   # a register: read through a multiplexer in the same cycle
                    n.ready, n.arrival = cycle, t_in + model.logic()
            elif n.kind == "get":   # the FIFO's output register
                n.ready, n.arrival = cycle, model.reg_out
            elif n.kind in ("store", "check", "put"):
                n.ready = cycle
            else:   # mul, div: registered results
                n.ready = cycle + latency_of(n)
                n.arrival = model.reg_out + (model.adder(_width(n)) if n.kind == "div" else 0.0)
            break
        last = max(last, n.cycle, n.ready if n.kind != "load" else n.cycle)
    # writes and the terminal: in the last cycle, after every value they need
    end_budget = budget - model.reg_setup - model.logic()
    for n in late:
        n.cycle = 0
        for o in n.operands:
            if o.kind in _ALWAYS:
                continue
            n.cycle = max(n.cycle, o.ready if o.arrival <= end_budget else o.ready + 1)
        last = max(last, n.cycle)
    for n in late:
        n.ready = n.cycle = last if writes_last else n.cycle
    return last + 1
