"""Straight-line code as a dataflow graph (``graph.py``): the unit of operation scheduling.

A block is a run of assignments and stores (``if``/``else`` of such statements included, as
predicated stores and selects). Values are SSA nodes; a variable read before the block assigns
it is a ``var`` node (its register), and every variable the block assigns is written once, at
the end, by a ``write`` node. Memory accesses of one array keep their program order through
``deps`` unless their addresses provably differ.
"""
from __future__ import annotations

import numpy as np

from ...errors import UnsupportedError
from ...ir import nodes as ir
from ...ir.layout import Layout, shift_and_mask_factors
from ...types import Float, Index, Int, is_fixed_or_int
from .balance import balance_sums
from .checks import CheckingBuilder
from .graph import (BOOL, INDEX, Dfg, Node, affine_parts, bank_of, constant_bank,
                    distinct_words, dynamic_bank, float_constant_raw, fold_integer, same_word,
                    signed_digits)

_INDEX_STORAGE = Int(32)   # what an index variable or element holds
_SHIFT_ADD_TERMS = 3   # a product by a constant with more nonzero signed digits uses a multiplier


class BlockBuilder(CheckingBuilder):
    """Builds the Dfg of one block from IR statements, with the run-time checks of
    ``checks`` (a ``checks.CheckContext``; None: no checks)."""

    def __init__(self, loc=None, checks=None):
        self.nodes: list = []
        self.values: dict = {}          # Var -> Node: the value each assigned variable has now
        self.var_nodes: dict = {}       # Var -> its ``var`` node
        self.cse: dict = {}
        self.accesses: dict = {}        # Buffer -> [load/store nodes in program order]
        self.stream_ops: dict = {}      # Channel -> [get/put nodes in program order]
        self.stream_order: list = []    # every get/put node in program order
        self.preds: list = []           # conditions of the enclosing if/else branches
        self.loc = loc
        # arrays in registers: a store may share a cycle with an earlier load of its word
        self.registers = lambda buffer: False
        self.counter_ranges: dict = {}  # Var of a loop with constant bounds -> (lowest, highest)
        self.init_checks(checks)

    # -- nodes ------------------------------------------------------------------------------
    def node(self, kind, type_, operands, loc, op="", cse=True, **attrs) -> Node:
        folded = fold_integer(kind, type_, operands, op)
        if folded is not None:
            return folded if isinstance(folded, Node) else self.const(folded, type_, loc)
        key = None
        if cse and kind in ("const", "op", "mul", "div"):
            key = (kind, op, type_, tuple(id(o) for o in operands),
                   tuple(sorted((k, repr(v)) for k, v in attrs.items())))
            hit = self.cse.get(key)
            if hit is not None:
                return hit
        n = Node(kind, type_, list(operands), loc, op, attrs, id=len(self.nodes))
        self.nodes.append(n)
        if key is not None:
            self.cse[key] = n
        return n

    def const(self, value: int, type_, loc) -> Node:
        return self.node("const", type_, [], loc, value=value)

    def read(self, var: ir.Var, loc) -> Node:
        if var in self.values:
            return self.values[var]
        return self.register(var, loc)

    def register(self, var: ir.Var, loc) -> Node:
        """The value ``var`` had when the block began: its register."""
        if var not in self.var_nodes:
            self.var_nodes[var] = self.node("var", var.type, [], loc, cse=False, var=var)
        return self.var_nodes[var]

    # -- expressions ------------------------------------------------------------------------
    def expr(self, e: ir.Expr) -> Node:
        method = getattr(self, "e_" + type(e).__name__, None)
        if method is None:
            raise UnsupportedError(f"{type(e).__name__} expressions are not supported on RTL "
                                   "targets", e.loc, "build with target='interp'")
        return method(e)

    def e_Const(self, e):
        return self.const(int(e.value), e.type, e.loc)

    def e_VarRef(self, e):
        return self.read(e.var, e.loc)

    def e_Load(self, e):
        return self.load(e.buffer, e.indices, e.buffer.elem, e.loc)

    def load(self, buffer, indices, type_, loc) -> Node:
        address = self.address(buffer, indices, loc)
        return self.load_at(buffer, address, type_, loc)

    def load_at(self, buffer, address, type_, loc) -> Node:
        if address is None:   # out of bounds whenever it runs: its check fails instead
            return self.const(0, type_, loc)
        addr, bank, _ = address
        forwarded = self.stored_value(buffer, addr, bank)
        if forwarded is not None:
            return forwarded
        load = self.node("load", type_, [addr] + dynamic_bank(bank), loc, cse=False,
                         buffer=buffer, bank=constant_bank(bank), banks=self.reachable(buffer, bank))
        self.order_access(load)
        return load

    def e_StreamGet(self, e):
        return self.stream_op("get", e.channel, [], e.type, e.loc)

    def stream_op(self, kind: str, channel, operands: list, type_, loc) -> Node:
        """A ``get`` (its value is the stream's oldest) or ``put`` of ``channel``, under the
        block's branch conditions: never in an earlier cycle than the stream operation before
        it (the order decides deadlocks: ``dataflow/streams.py``), and one per stream per
        cycle."""
        pred = self.guard(loc)
        node = self.node(kind, type_, operands + ([pred] if pred is not None else []), loc,
                         cse=False, channel=channel, predicated=pred is not None)
        if self.stream_order:
            node.deps.append((self.stream_order[-1], 0))
        previous = self.stream_ops.setdefault(channel, [])
        if previous:
            node.deps.append((previous[-1], 1))
        previous.append(node)
        self.stream_order.append(node)
        return node

    def e_BinOp(self, e):
        a, b = self.expr(e.lhs), self.expr(e.rhs)
        if e.op in ("div", "floordiv", "mod"):
            self.nonzero_divisor(b, "modulo" if e.op == "mod" else "division", e.loc)
        elif e.op in ("shl", "shr"):
            self.valid_shift(a, b, e.op == "shl" and isinstance(e.type, Index), e.loc)
        if e.op == "mul":
            if a.kind == "const":
                a, b = b, a
            if b.kind != "const" or len(signed_digits(b.attrs["value"])) > _SHIFT_ADD_TERMS:
                return self.node("mul", e.type, [a, b], e.loc, op="mul")
            return self.node("op", e.type, [a, b], e.loc, op="mul")   # shifts and adds
        if e.op in ("floordiv", "mod") and b.kind == "const" and \
                _power_of_two(b.attrs["value"]) and \
                all(_is_integer(t) for t in (e.type, e.lhs.type, e.rhs.type)) and \
                (e.op == "floordiv" or not e.lhs.type.signed or
                 -b.attrs["value"] >= e.type.raw_min):
            return self.power_of_two_division(e, a, b.attrs["value"])
        if e.op in ("div", "floordiv", "mod"):
            return self.node("div", e.type, [a, b], e.loc, op=e.op)
        return self.node("op", e.type, [a, b], e.loc, op=e.op)

    def power_of_two_division(self, e, a, d: int):
        """``a // d`` (floor: an arithmetic shift) or ``a % d`` (the remainder has the sign of
        ``a``: the low bits, less ``d`` when ``a`` is negative and they are not all 0), with
        ``d`` a power of two: no divider."""
        loc = e.loc
        if e.op == "floordiv":
            return self.node("op", e.type, [a, self.const(d.bit_length() - 1, e.rhs.type, loc)],
                             loc, op="shr")
        low = self.node("op", e.type, [a, self.const(d - 1, e.rhs.type, loc)], loc, op="and")
        if not e.lhs.type.signed:
            return low
        negative = self.node("op", BOOL, [a, self.const(0, e.lhs.type, loc)], loc, op="lt")
        inexact = self.node("op", BOOL, [low, self.const(0, e.type, loc)], loc, op="ne")
        borrow = self.node("op", BOOL, [negative, inexact], loc, op="bool_and")
        less = self.node("op", e.type, [low, self.const(-d, e.type, loc)], loc, op="add")
        return self.select(borrow, less, low, e.type, loc)

    def e_UnaryOp(self, e):
        return self.node("op", e.type, [self.expr(e.operand)], e.loc, op=e.op)

    def e_Compare(self, e):
        return self.node("op", e.type, [self.expr(e.lhs), self.expr(e.rhs)], e.loc, op=e.op)

    def e_BoolOp(self, e):
        out = self.expr(e.values[0])
        for v in e.values[1:]:   # evaluated only while the outcome is open (lazily)
            self.lazy.append(out if e.op == "and" else self.node("op", BOOL, [out], e.loc, op="not"))
            value = self.expr(v)
            self.lazy.pop()
            out = self.node("op", BOOL, [out, value], e.loc, op="bool_" + e.op)
        return out

    def e_Not(self, e):
        return self.node("op", BOOL, [self.expr(e.operand)], e.loc, op="not")

    def e_Select(self, e):
        c = self.expr(e.cond)
        if c.kind == "const":
            return self.expr(e.true_value if c.attrs["value"] else e.false_value)
        self.lazy.append(c)       # each value is evaluated only when chosen
        x = self.expr(e.true_value)
        self.lazy[-1] = self.node("op", BOOL, [c], e.loc, op="not")
        y = self.expr(e.false_value)
        self.lazy.pop()
        return self.select(c, x, y, e.type, e.loc)

    def select(self, c, x, y, type_, loc):
        if x is y:
            return x
        if c.kind == "const":
            return x if c.attrs["value"] else y
        return self.node("op", type_, [c, x, y], loc, op="select")

    def e_MinMax(self, e):
        values = [self.expr(v) for v in e.values]
        out = values[0]
        for v in values[1:]:
            out = self.node("op", e.type, [out, v], e.loc, op=e.op)
        return out

    def e_Abs(self, e):
        return self.node("op", e.type, [self.expr(e.operand)], e.loc, op="abs")

    def e_Cast(self, e):
        if isinstance(e.operand, ir.Const) and isinstance(e.operand.type, Float):
            return self.const(float_constant_raw(e.operand.value, e.type), e.type, e.loc)
        a = self.expr(e.operand)
        if e.type == e.operand.type:
            return a
        return self.node("op", e.type, [a], e.loc, op="cast")

    def e_BitRead(self, e):
        a, lo = self.expr(e.operand), self.expr(e.lo)
        self.valid_bit_index(lo, e.width, e.operand.type.bits, e.loc)
        return self.node("op", e.type, [a, lo], e.loc, op="bitread", width=e.width)

    def e_Reverse(self, e):
        return self.node("op", e.type, [self.expr(e.operand)], e.loc, op="reverse")

    # -- addresses and memory order ----------------------------------------------------------
    def address(self, buffer: ir.Buffer, indices: list, loc):
        """``(word, bank, in bounds)`` of ``buffer[indices]``: the row-major word address inside
        its bank, the bank (an int when it is known at compile time, else a node:
        ``ir/layout.py``) and the condition that the indices are in bounds (None: proven).
        None when they never are (the access's check then fails whenever it runs)."""
        layout = Layout.of(buffer)
        nodes = [self.expr(index) for index in indices]
        ok = self.in_bounds(buffer, nodes, loc)
        if ok is not None and ok.kind == "const":
            return None
        words, banks = [], []
        for d, index in enumerate(nodes):
            word, bank = self.split_index(layout, d, index, loc, buffer)
            words.append(word)
            banks.append(bank)
        return (self.row_major(words, layout.bank_shape, loc),
                self.row_major(banks, layout.bank_grid, loc, constant_ok=True), ok)

    def row_major(self, parts: list, extents: tuple, loc, constant_ok=False):
        if constant_ok and all(isinstance(p, int) for p in parts):
            return int(np.ravel_multi_index(tuple(parts), extents)) if parts else 0
        total, stride = None, 1
        for part, extent in reversed(list(zip(parts, extents))):
            term = self.const(part, INDEX, loc) if isinstance(part, int) else part
            if stride != 1:
                term = self.node("op", INDEX, [term, self.const(stride, INDEX, loc)], loc, op="mul")
            total = term if total is None else self.node("op", INDEX, [term, total], loc, op="add")
            stride *= extent
        return total if total is not None else self.const(0, INDEX, loc)

    def split_index(self, layout: Layout, d: int, index: Node, loc, buffer: ir.Buffer):
        """(local index node, bank coordinate: int or node) of ``index`` along dimension ``d``."""
        part = layout.parts[d]
        if part is None:
            return index, 0
        if index.kind == "const":
            bank, word = layout.split_index(d, index.attrs["value"])
            return self.const(word, INDEX, loc), bank
        if part.kind == "complete":
            return self.const(0, INDEX, loc), index
        terms, constant = affine_parts(index)
        if part.kind == "cyclic":
            f = part.factor
            if all(c % f == 0 for c in terms.values()):
                word = self.affine_node({k: c // f for k, c in terms.items()}, constant // f, loc)
                return word, constant % f
            if f & (f - 1):
                raise _run_time_bank_error(buffer, layout, d, f, loc)
            bank, word = self.divide(index, f, loc)
            return word, bank
        if layout.local_extent(d) & (layout.local_extent(d) - 1):
            raise _run_time_bank_error(buffer, layout, d, layout.local_extent(d), loc)
        return self.divide(index, layout.local_extent(d), loc)

    def divide(self, index: Node, divisor: int, loc):
        """(index % divisor, index // divisor) as nodes: a mask and a shift (``divisor`` is a
        power of two)."""
        shift = divisor.bit_length() - 1
        low = self.node("op", INDEX, [index, self.const(divisor - 1, INDEX, loc)], loc, op="and")
        high = self.node("op", INDEX, [index, self.const(shift, INDEX, loc)], loc, op="shr")
        return low, high

    def affine_node(self, terms: dict, constant: int, loc) -> Node:
        total = self.const(constant, INDEX, loc)
        for leaf_id, coeff in terms.items():
            term = self.node("op", INDEX, [self.nodes[leaf_id], self.const(coeff, INDEX, loc)],
                             loc, op="mul")
            total = self.node("op", INDEX, [total, term], loc, op="add")
        return total

    def reachable(self, buffer, bank) -> tuple:
        """The banks an access can reach: its bank when known, else the values its affine bank
        index takes over the ranges of the loop counters in it (every bank when unknown)."""
        if isinstance(bank, int):
            return (bank,)
        n_banks = Layout.of(buffer).n_banks
        terms, constant = affine_parts(bank)
        values = {constant}
        for leaf_id, coeff in terms.items():
            leaf = self.nodes[leaf_id]
            span = self.counter_ranges.get(leaf.attrs["var"]) if leaf.kind == "var" else None
            if span is None or (span[1] - span[0] + 1) * len(values) > 4 * n_banks:
                return tuple(range(n_banks))
            values = {v + coeff * x for v in values for x in range(span[0], span[1] + 1)}
        return tuple(sorted(v for v in values if 0 <= v < n_banks))

    def stored_value(self, buffer, addr: Node, bank):
        """What ``buffer[addr]`` holds when this block already knows it: the value it last
        stored there, or an earlier load of it, with no store since that may have changed it
        (the load then needs no memory access of its own)."""
        for other in reversed(self.accesses.get(buffer, [])):
            if same_word(other, addr, bank):
                if other.kind == "load":
                    return other
                return None if other.attrs["predicated"] else other.operands[1]
            if other.kind == "store" and not distinct_words(other, addr, bank):
                return None
        return None

    def drop_overwritten_store(self, buffer, addr: Node, bank) -> None:
        """Forget the previous store to ``buffer[addr]`` when nothing can have read it since:
        the store about to be made replaces its word (a chain of ``x[i] += ...`` in unrolled
        code then stores once)."""
        previous = self.accesses.get(buffer, [])
        if previous and previous[-1].kind == "store" and same_word(previous[-1], addr, bank):
            self.nodes.remove(previous.pop())

    def order_access(self, access: Node) -> None:
        previous = self.accesses.setdefault(access.attrs["buffer"], [])
        for other in previous:
            if access.kind == "load" and other.kind == "load":
                continue
            if distinct_words(other, access.operands[0], bank_of(access)):
                continue
            # Every order takes a cycle: a read after a write sees the word in the next cycle,
            # and a write never shares a cycle with a read of the same word of a memory
            # (memories.py); a register's write may share the cycle of a read of its old value.
            war = access.kind == "store" and other.kind == "load"
            access.deps.append((other, 0 if war and self.registers(access.attrs["buffer"]) else 1))
        previous.append(access)

    # -- statements --------------------------------------------------------------------------
    def statements(self, stmts: list) -> None:
        for stmt in stmts:
            self.statement(stmt)

    def statement(self, stmt: ir.Stmt) -> None:
        if isinstance(stmt, ir.Assign):
            self.values[stmt.var] = self.stored(self.expr(stmt.value), stmt.var.type, stmt.loc)
        elif isinstance(stmt, ir.Store):
            # before the indices, as the interpreter does
            value = self.stored(self.expr(stmt.value), stmt.buffer.elem, stmt.loc)
            self.store(stmt.buffer, self.address(stmt.buffer, stmt.indices, stmt.loc), value,
                       stmt.loc)
        elif isinstance(stmt, ir.BitStore):
            self.bit_store(stmt)
        elif isinstance(stmt, ir.StreamPut):
            self.stream_op("put", stmt.channel, [self.expr(stmt.value)], None, stmt.loc)
        elif isinstance(stmt, ir.If):
            self.if_else(stmt)
        else:
            raise AssertionError(f"not a block statement: {stmt!r}")

    def stored(self, value: Node, t, loc) -> Node:
        """``value`` as a variable or element of type ``t`` holds it: index arithmetic is exact,
        but an index in storage keeps 32 bits."""
        if not isinstance(t, Index) or self.intervals.of(value).within(INDEX.raw_min, INDEX.raw_max):
            return value
        low = self.node("op", _INDEX_STORAGE, [value], loc, op="cast")
        return self.node("op", INDEX, [low], loc, op="cast")

    def store(self, buffer, address, value: Node, loc) -> None:
        if address is None:   # out of bounds whenever it runs: its check fails instead
            return
        addr, bank, in_bounds = address
        pred = self.guard(loc)
        if in_bounds is not None and self.checks.enabled:   # a failing store writes nothing
            pred = in_bounds if pred is None else self.all_of([pred, in_bounds], loc)
        operands = [addr, value] + dynamic_bank(bank) + ([pred] if pred is not None else [])
        if pred is None:
            self.drop_overwritten_store(buffer, addr, bank)
        node = self.node("store", None, operands, loc, cse=False, buffer=buffer,
                         bank=constant_bank(bank), banks=self.reachable(buffer, bank),
                         predicated=pred is not None)
        self.order_access(node)

    def bit_store(self, stmt: ir.BitStore) -> None:
        # the interpreter's order: the value, the low bit, then the element's indices
        value, lo = self.expr(stmt.value), self.expr(stmt.lo)
        target = stmt.target
        self.valid_bit_index(lo, stmt.width, target.type.bits, stmt.loc)
        if isinstance(target, ir.VarRef):
            old = self.read(target.var, stmt.loc)
            self.values[target.var] = self.node("op", target.type, [old, lo, value], stmt.loc,
                                                op="bitinsert", width=stmt.width)
            return
        address = self.address(target.buffer, target.indices, target.loc)
        old = self.load_at(target.buffer, address, target.type, stmt.loc)
        new = self.node("op", target.type, [old, lo, value], stmt.loc, op="bitinsert",
                        width=stmt.width)
        self.store(target.buffer, address, new, stmt.loc)

    def if_else(self, stmt: ir.If) -> None:
        cond = self.expr(stmt.cond)
        if cond.kind == "const":   # an unrolled copy's guard: only one branch exists
            self.statements(stmt.then_body if cond.attrs["value"] else stmt.else_body)
            return
        before = dict(self.values)
        self.preds.append(cond)
        with self.intervals.assuming(cond, True):
            self.statements(stmt.then_body)
        after_then = self.values
        self.preds[-1] = self.node("op", BOOL, [cond], stmt.loc, op="not")
        self.values = dict(before)
        with self.intervals.assuming(cond, False):
            self.statements(stmt.else_body)
        after_else = self.values
        self.preds.pop()
        merged = dict(before)
        for var in set(after_then) | set(after_else):
            # a variable one branch leaves alone keeps the value it had before the if
            t = after_then.get(var) or self.register(var, stmt.loc)
            f = after_else.get(var) or self.register(var, stmt.loc)
            merged[var] = self.select(cond, t, f, var.type, stmt.loc)
        self.values = merged

    # -- the end of the block ----------------------------------------------------------------
    def branch(self, cond: ir.Expr) -> None:
        self.terminal = self.node("branch", None, [self.expr(cond)], cond.loc, cse=False)

    def call(self, stmt: ir.CallStmt, site) -> None:
        args = [self.expr(a) for a in stmt.args if not isinstance(a, ir.BufferRef)]
        self.terminal = self.node("call", None, args, stmt.loc, cse=False, site=site)

    def finish(self) -> Dfg:
        for var, value in self.values.items():
            if value is not self.var_nodes.get(var):
                self.node("write", None, [value], value.loc, cse=False, var=var)
        balance_sums(self.nodes)
        terminal = getattr(self, "terminal", None)
        if terminal is not None:   # the terminal comes last, after every write
            self.nodes.remove(terminal)
            self.nodes.append(terminal)
        for k, n in enumerate(self.nodes):
            n.id = k
        return Dfg(self.nodes, terminal, self.loc)


def _run_time_bank_error(buffer: ir.Buffer, layout: Layout, d: int, divisor: int, loc):
    """A bank chosen at run time is ``index % divisor`` / ``index // divisor``: a mask and a
    shift, so powers of two only. (Unrolled indices pick banks at compile time, and factors
    need not divide the extent: the last banks are padded.)"""
    part, extent = layout.parts[d], layout.shape[d]
    allowed = (f"a power of two below {extent}, or {extent} and more (complete)"
               if part.kind == "cyclic" else
               f"one whose block size ceil({extent} / factor) is a power of two")
    good = ", ".join(map(str, shift_and_mask_factors(part.kind, extent)[:4]))
    where = f", at {part.loc.file.rsplit('/', 1)[-1]}:{part.loc.line}" if part.loc else ""
    return UnsupportedError(
        f"array '{buffer.name}' is partitioned {part.describe()} along dimension {d + 1} (extent "
        f"{extent}){where}, and this access picks its bank at run time, which needs a division "
        f"by {divisor}: the hardware divides only by powers of two",
        loc, f"use a {part.kind} factor that is {allowed} (e.g. {good}), or unroll the loops "
        "that index it")


def _power_of_two(value) -> bool:
    return isinstance(value, int) and value > 0 and value & (value - 1) == 0


def _is_integer(t) -> bool:
    return is_fixed_or_int(t) and t.fracs == 0
