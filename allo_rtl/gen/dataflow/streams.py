"""A kernel's ends of its streams, and when it must stall.

A kernel of a dataflow region has an ``amaranth.lib.stream`` port per stream parameter:
``stream_<name>``, ``In`` (it takes values: it drives ``ready``) for a stream it gets from,
``Out`` (it drives ``payload`` and ``valid``) for one it puts into. A ``get`` or ``put``
scheduled in a cycle *needs* its stream in that cycle (its state, its pipeline stage, its
branch condition).

The interpreter runs a kernel's stream operations one after another, and which ones have
happened when every kernel waits decides whether a design deadlocks. The hardware keeps that
order: the scheduler never puts a stream operation in an earlier cycle than one before it in
program order (``dfg.py``, ``modsched.py``), and the operations of one cycle complete in
program order (older pipeline iterations first): one completes when it is ready and every
operation before it has completed. When a needed operation cannot complete (a ``get`` from an
empty FIFO, a ``put`` into a full one) the kernel is *blocked*: the whole kernel, pipelines
included, holds its state for the cycle (``component.py`` applies ``EnableInserter(~stall)``)
and tries the cycle again, skipping the operations that completed (``done`` flags and the
values they got, held outside the enable). It also stalls when its region's arbiter gives a
shared memory to another kernel (``stall`` in). A kernel that is not stalled keeps the
schedule and II it was planned with.
"""
from __future__ import annotations

from amaranth.hdl import Cat, Const, Mux, Signal, unsigned
from amaranth.lib import stream
from amaranth.lib.wiring import In, Out

from ...errors import UnsupportedError
from ...ir import nodes as ir
from ...types import ArrayType


def stream_roles(fn: ir.Function, body: list) -> dict:
    """Channel parameter -> ``"get"`` or ``"put"``: what ``body`` does with it (absent when it
    does neither)."""
    roles: dict = {}
    params = {id(p) for p in fn.params if isinstance(p, ir.Channel)}

    def note(channel, role, loc):
        if id(channel) not in params:
            return
        if roles.get(channel, role) != role:
            raise UnsupportedError(f"kernel {fn.name!r} both puts into and gets from stream "
                                   f"{channel.name!r}; on RTL targets a kernel is one end of a "
                                   "stream", loc, "keep such values in a local variable or "
                                   "array instead")
        roles[channel] = role

    for stmt in ir.walk_stmts(body):
        if isinstance(stmt, ir.StreamPut):
            note(stmt.channel, "put", stmt.loc)
        for e in stmt.exprs():
            for sub in ir.walk_expr(e) if e is not None else ():
                if isinstance(sub, ir.StreamGet):
                    note(sub.channel, "get", sub.loc)
    return {p: roles[p] for p in fn.params if p in roles}


def stream_port_name(channel: ir.Channel) -> str:
    return f"stream_{channel.name}"


def fifo_words(channel: ir.Channel) -> tuple:
    """``(bits, words)``: the width and depth of the FIFO of ``channel``. A stream of blocks
    passes each block element by element (``normalize.py``), so its FIFO holds the stream's
    depth times the block's elements."""
    elem = channel.elem
    if isinstance(elem, ArrayType):
        return elem.elem.bits, channel.depth * elem.size
    return elem.bits, channel.depth


def words_per_value(channel: ir.Channel) -> int:
    return channel.elem.size if isinstance(channel.elem, ArrayType) else 1


def stream_members(roles: dict) -> dict:
    """The signature members of a kernel's stream ports."""
    members = {}
    for channel, role in roles.items():
        signature = stream.Signature(unsigned(fifo_words(channel)[0]))
        members[stream_port_name(channel)] = In(signature) if role == "get" else Out(signature)
    return members


class _Operation:
    def __init__(self, node, need, value, order, payload_shape):
        self.node, self.need, self.value, self.order = node, need, value, order
        self.channel = node.attrs["channel"]
        tag = f"{self.channel.name}_{node.kind}{node.id}"
        self.done = Signal(name=f"{tag}_done")        # completed in a cycle being retried
        self.go = Signal(name=f"{tag}_go")            # completes in this cycle
        self.saved = Signal(payload_shape, name=f"{tag}_taken") if value is None else None


class StreamEnds:
    """The stream operations of one kernel, collected while its datapaths are emitted, and
    the handshakes and the stall they make (``emit``)."""

    def __init__(self, component):
        self.component = component
        self.operations: list = []

    def _port(self, channel):
        return getattr(self.component, stream_port_name(channel))

    def get(self, node, need, block: str, stage: int):
        """The value ``get`` node ``node`` takes when ``need`` is high (raw element bits);
        ``block``: the block or pipeline it is in, ``stage``: its pipeline stage (0 outside
        pipelines)."""
        port = self._port(node.attrs["channel"])
        op = _Operation(node, need, None, (block, -stage, node.id), len(port.payload))
        self.operations.append(op)
        return Mux(op.done, op.saved, port.payload)

    def put(self, node, need, value, block: str, stage: int) -> None:
        self.operations.append(_Operation(node, need, value, (block, -stage, node.id), None))

    def emit(self, m, stall_in, numbered: list, waiting):
        """The handshakes, in module ``m`` outside the kernel's enable; returns ``(blocked,
        stall)``: an operation the kernel needs cannot complete; the kernel holds its state
        this cycle (blocked, or ``stall_in``). ``waiting`` gets 1 + the place in ``numbered``
        of the first operation that cannot complete (0: none), for the report of a
        deadlock."""
        blocked = Signal(name="stream_blocked")
        stall = Signal(name="stall")
        index = {id(n): k for k, n in enumerate(numbered)}
        # only the operations of one block or pipeline are needed at a time; among them,
        # older iterations first, then program order
        ordered = sorted(self.operations, key=lambda op: op.order)
        stuck = []
        for k, op in enumerate(ordered):
            if k == 0 or op.order[0] != ordered[k - 1].order[0]:
                before_ok = Const(1)   # every earlier operation needed in the cycle completed
            port = self._port(op.channel)
            ready = port.valid if op.value is None else port.ready
            pending = op.need & ~op.done
            m.d.comb += op.go.eq(pending & ready & before_ok)
            stuck.append(pending & ~ready)
            before_ok = before_ok & (~pending | op.go)
        for op in reversed(ordered):
            port = self._port(op.channel)
            ready = port.valid if op.value is None else port.ready
            with m.If(op.need & ~op.done & ~ready):
                m.d.comb += waiting.eq(index[id(op.node)] + 1)
        m.d.comb += [blocked.eq(any_of(stuck)), stall.eq(blocked | stall_in)]
        for op in ordered:
            port = self._port(op.channel)
            with m.If(stall):
                with m.If(op.go):
                    m.d.sync += op.done.eq(1)
            with m.Else():
                m.d.sync += op.done.eq(0)
            if op.value is None:
                with m.If(op.go):
                    m.d.sync += op.saved.eq(port.payload)
        by_channel: dict = {}
        for op in ordered:
            by_channel.setdefault(op.channel, []).append(op)
        for channel, ops in by_channel.items():
            port = self._port(channel)
            go = any_of(op.go for op in ops)
            if ops[0].value is None:
                m.d.comb += port.ready.eq(go)
                continue
            m.d.comb += port.valid.eq(go)
            for op in ops:   # one operation of a stream completes in a cycle
                with m.If(op.go):
                    m.d.comb += port.payload.eq(op.value)
        return blocked, stall


def any_of(signals):
    """The OR of ``signals`` (0 when there are none), as one reduction: Yosys maps it to a
    tree, where a chain of ORs over a region's kernels stays a chain of LUTs."""
    signals = [s for s in signals]
    return Cat(*signals).any() if signals else Const(0)


def all_of(signals):
    """The AND of ``signals`` (1 when there are none), as one reduction."""
    signals = [s for s in signals]
    return Cat(*signals).all() if signals else Const(1)
