"""Amaranth datapath of a scheduled block: the operations of every node at its cycle.

A node's value is *live* in its ``ready`` cycle; a consumer in a later cycle reads a hold
register captured in that cycle. Every value has its IR type's shape (``index`` values keep
Amaranth's exact width), so assigning an exact result to it wraps as the IR says.
"""
from __future__ import annotations

from amaranth.hdl import Cat, Const, Mux, Signal, Value, unsigned

from ...types import Index, is_fixed_or_int
from ..analysis.demand import demanded_bits
from ..analysis.graph import Node, signed_digits
from .memories import BankChoice
from ..analysis.shapes import divider_shapes, multiplier_shapes, shape_of
from .units import SequentialDivider, registered_multiply, resize


def rescale(value, src_fracs: int, dst_fracs: int):
    """Move the binary point (floor when bits are dropped: ``>>`` is arithmetic on signed)."""
    if dst_fracs > src_fracs:
        return value << (dst_fracs - src_fracs)
    if dst_fracs < src_fracs:
        return value >> (src_fracs - dst_fracs)
    return value


class Actions:
    """Per controller state, the callables that emit what happens in that state."""

    def __init__(self):
        self.by_state: dict = {}

    def at(self, state: int, emit) -> None:
        self.by_state.setdefault(state, []).append(emit)


class BlockDatapath:
    """Emits one scheduled block. ``first_state`` is the state of its cycle 0."""

    def __init__(self, ctx, dfg, first_state: int, tag: str):
        self.ctx, self.dfg, self.first, self.tag = ctx, dfg, first_state, tag
        self.demand = demanded_bits(dfg.nodes)
        self.live: dict = {}
        self.held: dict = {}

    def state(self, cycle: int) -> int:
        return self.first + cycle

    def running(self, cycle: int):
        """High in the block's ``cycle``."""
        return self.ctx.state == self.state(cycle)

    def stage(self, cycle: int):
        """The pipeline stage of ``cycle`` (None: not a pipeline)."""
        return None

    def when(self, cycle: int, emit) -> None:
        """Emit ``emit(m)`` under the condition of the block's ``cycle``."""
        self.ctx.actions.at(self.state(cycle), emit)

    def enabled(self, pred):
        """The write enable of a store with predicate ``pred`` (None: always)."""
        return pred

    def guarded_sync(self, m, statement) -> None:
        m.d.sync += statement

    def value(self, node: Node, cycle: int):
        """``node``'s value as seen by an operation running in ``cycle``."""
        if node.kind in ("const", "var") or node.ready == cycle:
            return self.live[id(node)]
        assert node.ready < cycle, (node, cycle)
        return self.held[id(node)]

    def emit(self) -> None:
        nodes = self.dfg.nodes
        later = {}   # node -> needs a hold register
        for n in nodes:
            for o in n.operands:
                if o.kind not in ("const", "var") and o.ready < n.cycle:
                    later[id(o)] = o
        for n in nodes:
            self.live[id(n)] = getattr(self, "n_" + n.kind)(n)
            if id(n) in later:
                self.hold(n)

    def hold(self, n: Node) -> None:
        live = self.live[id(n)]
        reg = Signal(live.shape(), name=f"{self.tag}_h{n.id}")
        self.held[id(n)] = reg
        self.when(n.ready, lambda m, reg=reg, live=live: m.d.sync.__iadd__(reg.eq(live)))

    def signal(self, n: Node, expr, shape=None):
        """A signal holding ``expr`` as ``n``'s value: of ``n``'s type, or as wide as ``expr``
        for an index value (exact)."""
        shape = shape or self.shape(n) or Value.cast(expr).shape()
        sig = Signal(shape, name=f"{self.tag}_{n.op or n.kind}{n.id}")
        self.ctx.m.d.comb += sig.eq(expr)
        return sig

    @staticmethod
    def shape(n: Node):
        return None if isinstance(n.type, Index) else shape_of(n.type)

    def args(self, n: Node) -> list:
        return [self.value(o, n.cycle) for o in n.operands]

    # -- node kinds -----------------------------------------------------------------------------
    def n_const(self, n):
        if isinstance(n.type, Index):
            return Const(n.attrs["value"])
        return Const(n.attrs["value"], shape_of(n.type))

    def n_var(self, n):
        return self.ctx.regs[n.attrs["var"]]

    def n_op(self, n):
        return self.signal(n, _combinational(n, self.args(n)))

    def n_mul(self, n):
        a, b = (resize(v, shape) for v, shape in zip(self.args(n), multiplier_shapes(n)))
        fracs = n.operands[0].type.fracs + n.operands[1].type.fracs
        wanted = self.demand.get(n, n.type.bits) + max(0, fracs - n.type.fracs)
        product = registered_multiply(self.ctx.m, a, b, n.attrs["latency"], f"{self.tag}_mul{n.id}",
                                      wanted, self.ctx.dsp_cells)
        return self.signal(n, rescale(product, fracs, n.type.fracs))

    def n_div(self, n):
        a, b = self.args(n)
        num_shape, den_shape, exp = divider_shapes(n)
        num = a << exp if exp > 0 else a
        den = b << -exp if exp < 0 else b
        unit = SequentialDivider(num_shape, den_shape)
        assert unit.latency == n.attrs["latency"]
        self.ctx.m.submodules[f"{self.tag}_div{n.id}"] = unit
        self.ctx.m.d.comb += [unit.dividend.eq(num), unit.divisor.eq(den)]
        self.when(n.cycle, lambda m, u=unit: m.d.comb.__iadd__(u.start.eq(1)))
        result = {"div": unit.quotient, "floordiv": unit.floor_quotient, "mod": unit.remainder}[n.op]
        return self.signal(n, result)

    def n_load(self, n):
        storage = self.ctx.storage[n.attrs["buffer"]]
        addr = self.value(n.operands[0], n.cycle)
        bank = self.bank(n, lambda: self.value(n.operands[1], n.cycle))
        if storage.latency == 0:
            return self.signal(n, storage.read_now(self.ctx.m, addr, bank))
        self.when(n.cycle, lambda m, s=storage, a=addr, b=bank: s.read(m, a, b))
        if not isinstance(bank, int):   # the read data comes back a cycle later
            held = Signal(bank.value.shape(), name=f"{self.tag}_bank{n.id}")
            self.when(n.cycle, lambda m, r=held, b=bank.value: m.d.sync.__iadd__(r.eq(b)))
            bank = BankChoice(held, bank.candidates)
        return self.signal(n, storage.rdata(self.ctx.m, bank))

    @staticmethod
    def bank(n: Node, value):
        """The bank access ``n`` uses: an int when only one is possible (a constant, or the one
        bank its index can reach), else a ``BankChoice`` by ``value()`` among those it can."""
        if n.attrs["bank"] is not None:
            return n.attrs["bank"]
        if len(n.attrs["banks"]) == 1:
            return n.attrs["banks"][0]
        return BankChoice(value(), n.attrs["banks"])

    def n_store(self, n):
        storage = self.ctx.storage[n.attrs["buffer"]]
        addr, data = (self.value(o, n.cycle) for o in n.operands[:2])
        bank = self.bank(n, lambda: self.value(n.operands[2], n.cycle))
        pred = self.value(n.operands[-1], n.cycle) if n.attrs["predicated"] else None
        self.when(n.cycle, lambda m, s=storage, a=addr, d=data, p=pred, b=bank:
                  s.write(m, a, d, self.enabled(p), b))
        return None

    def stream_need(self, n: Node):
        """High when stream operation ``n`` runs: its cycle, and its branch condition."""
        need = self.running(n.cycle)
        if n.attrs["predicated"]:
            need = need & self.value(n.operands[-1], n.cycle)
        return need

    def n_get(self, n):
        stage = self.stage(n.cycle) or 0
        return self.signal(n, self.ctx.streams.get(n, self.stream_need(n), self.tag, stage))

    def n_put(self, n):
        value = self.value(n.operands[0], n.cycle)
        self.ctx.streams.put(n, self.stream_need(n), value, self.tag, self.stage(n.cycle) or 0)
        return None

    def n_write(self, n):
        reg = self.ctx.regs[n.attrs["var"]]
        value = self.value(n.operands[0], n.cycle)
        self.when(n.cycle, lambda m, r=reg, v=value: self.guarded_sync(m, r.eq(v)))
        return None

    def n_check(self, n):
        fails, *values = (self.value(o, n.cycle) for o in n.operands)
        self.ctx.errors.check(self.running(n.cycle), fails, values, n.attrs["site"],
                              n.attrs["rank"], self.stage(n.cycle))
        return None

    def n_branch(self, n):
        return None

    n_call = n_branch

    def terminal_values(self) -> list:
        t = self.dfg.terminal
        return [] if t is None else self.args(t)


def _aligned(n: Node, values: list, fracs: int) -> list:
    return [rescale(v, o.type.fracs, fracs) for v, o in zip(values, n.operands)]


def _combinational(n: Node, v: list):
    """The exact value of an ``op`` node (assigning it to the node's shape wraps it)."""
    op, t = n.op, n.type
    f_out = t.fracs
    if op in ("add", "sub", "and", "or", "xor"):
        f = max(o.type.fracs for o in n.operands)
        a, b = _aligned(n, v, f)
        exact = {"add": a + b, "sub": a - b, "and": a & b, "or": a | b, "xor": a ^ b}[op]
        return rescale(exact, f, f_out)
    if op == "mul":   # by a constant with few signed digits: shifts and adds, no DSP block
        product = Const(0)
        for shift, sign in signed_digits(n.operands[1].attrs["value"]):
            product = product + (v[0] << shift) if sign > 0 else product - (v[0] << shift)
        return rescale(product, n.operands[0].type.fracs + n.operands[1].type.fracs, f_out)
    if op in ("lt", "le", "gt", "ge", "eq", "ne"):
        f = max(o.type.fracs for o in n.operands)
        a, b = _aligned(n, v, f)
        return {"lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b, "eq": a == b, "ne": a != b}[op]
    if op == "shl":
        bits = t.bits + max(0, n.operands[0].type.fracs - f_out)
        amount = v[1].as_unsigned()
        if n.operands[1].kind == "const":
            shifted = v[0] << n.operands[1].attrs["value"]
        else:
            small = amount[:max(1, (bits - 1).bit_length())]
            shifted = Mux(amount >= bits, 0, v[0] << small)
        return rescale(shifted, n.operands[0].type.fracs, f_out)
    if op == "shr":
        if n.operands[1].kind == "const":
            shifted = v[0] >> n.operands[1].attrs["value"]
        else:
            shifted = v[0] >> v[1].as_unsigned()
        return rescale(shifted, n.operands[0].type.fracs, f_out)
    if op == "neg":
        return rescale(-v[0], n.operands[0].type.fracs, f_out)
    if op == "invert":   # of the whole value: a loop counter's register is narrower
        return rescale(~resize(v[0], shape_of(n.operands[0].type)), n.operands[0].type.fracs, f_out)
    if op == "abs":
        return rescale(Mux(v[0] < 0, -v[0], v[0]), n.operands[0].type.fracs, f_out)
    if op in ("min", "max"):
        a, b = _aligned(n, v, f_out)
        return Mux(a < b, a, b) if op == "min" else Mux(a < b, b, a)
    if op == "select":
        x = rescale(v[1], n.operands[1].type.fracs, f_out)
        y = rescale(v[2], n.operands[2].type.fracs, f_out)
        return Mux(v[0], x, y)
    if op == "not":
        return ~v[0].bool()
    if op == "bool_and":
        return v[0].bool() & v[1].bool()
    if op == "bool_or":
        return v[0].bool() | v[1].bool()
    if op == "cast":
        return rescale(v[0], n.operands[0].type.fracs, f_out)
    if op == "bitread":
        width = n.attrs["width"]
        raw = resize(v[0], unsigned(n.operands[0].type.bits))
        if n.operands[1].kind == "const":
            lo = n.operands[1].attrs["value"]
            return raw[lo:lo + width]
        return (raw >> v[1].as_unsigned())[:width]
    if op == "bitinsert":
        width = n.attrs["width"]
        bits = n.operands[0].type.bits
        old, value = resize(v[0], unsigned(bits)), resize(v[2], unsigned(width))
        if n.operands[1].kind == "const":
            lo = n.operands[1].attrs["value"]
            return Cat(old[:lo], value, old[lo + width:bits])
        # a low bit beyond the value is an error in the IR, so its top bits can be ignored
        lo = v[1].as_unsigned()[:max(1, (bits - 1).bit_length())]
        mask = (Const((1 << width) - 1, bits) << lo)[:bits]   # bits wide before ~
        return (old & ~mask) | (value << lo)[:bits]
    if op == "reverse":   # the raw bits, reversed, read as the value's own type
        raw = resize(v[0], unsigned(n.operands[0].type.bits))
        bits = Cat(*[raw[i] for i in reversed(range(len(raw)))])
        return bits.as_signed() if is_fixed_or_int(n.type) and n.type.signed else bits
    raise AssertionError(f"no hardware for operation {op!r}")
