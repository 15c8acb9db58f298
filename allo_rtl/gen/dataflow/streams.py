"""A kernel's ends of its streams, and when it must stall.

A kernel of a dataflow region has an ``amaranth.lib.stream`` port per stream parameter:
``stream_<name>``, ``In`` (it takes values: it drives ``ready``) for a stream it gets from,
``Out`` (it drives ``payload`` and ``valid``) for one it puts into. A ``get`` or ``put``
scheduled in a cycle *needs* its stream in that cycle (its state, its pipeline stage, its
branch condition); when a needed stream is not ready (a ``get`` from an empty FIFO, a ``put``
into a full one) the kernel is *blocked*: the whole kernel, pipelines included, holds its
state for the cycle (``component.py`` applies ``EnableInserter(~stall)``), and no stream
transfers. It also stalls when its region's arbiter gives a shared memory to another kernel
(``stall`` in). A kernel that is not stalled keeps the schedule and II it was planned with.
"""
from __future__ import annotations

from amaranth.hdl import Const, Signal, unsigned
from amaranth.lib import stream
from amaranth.lib.wiring import In, Out

from ...errors import UnsupportedError
from ...ir import nodes as ir


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


def stream_members(roles: dict) -> dict:
    """The signature members of a kernel's stream ports."""
    members = {}
    for channel, role in roles.items():
        signature = stream.Signature(unsigned(channel.elem.bits))
        members[stream_port_name(channel)] = In(signature) if role == "get" else Out(signature)
    return members


class StreamEnds:
    """The stream operations of one kernel, collected while its datapaths are emitted, and
    the handshakes and the stall they make (``emit``)."""

    def __init__(self, component):
        self.component = component
        self.needs: dict = {}     # Channel -> [(get/put node, need, value or None)]

    def _port(self, channel):
        return getattr(self.component, stream_port_name(channel))

    def get(self, node, need):
        """The value ``get`` node ``node`` takes when ``need`` is high (raw element bits)."""
        channel = node.attrs["channel"]
        self.needs.setdefault(channel, []).append((node, need, None))
        return self._port(channel).payload

    def put(self, node, need, value) -> None:
        self.needs.setdefault(node.attrs["channel"], []).append((node, need, value))

    def emit(self, m, stall_in, numbered: list, waiting):
        """The handshakes; returns ``(blocked, stall)``: a needed stream is not ready; the
        kernel holds its state this cycle (blocked, or ``stall_in``). ``waiting`` gets 1 + the
        place in ``numbered`` of the operation the kernel is blocked on (0: none), for the
        report of a deadlock."""
        blocked = Signal(name="stream_blocked")
        stall = Signal(name="stall")
        wanted, unready = {}, []
        index = {id(n): k for k, n in enumerate(numbered)}
        for channel, uses in self.needs.items():
            port = self._port(channel)
            ready = port.valid if uses[0][2] is None else port.ready
            wanted[channel] = Signal(name=f"{channel.name}_needed")
            m.d.comb += wanted[channel].eq(_any(need for _, need, _ in uses))
            unready.append(wanted[channel] & ~ready)
            for node, need, _ in reversed(uses):
                with m.If(need & ~ready):
                    m.d.comb += waiting.eq(index[id(node)] + 1)
        m.d.comb += [blocked.eq(_any(unready)), stall.eq(blocked | stall_in)]
        for channel, uses in self.needs.items():
            port = self._port(channel)
            go = wanted[channel] & ~stall
            if uses[0][2] is None:
                m.d.comb += port.ready.eq(go)
                continue
            m.d.comb += port.valid.eq(go)
            for _, need, value in uses:   # at most one put of a stream needs it in a cycle
                with m.If(need):
                    m.d.comb += port.payload.eq(value)
        return blocked, stall


def _any(signals) -> object:
    out = Const(0)
    for s in signals:
        out = out | s
    return out
