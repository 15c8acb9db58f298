"""Run-time checks: what the interpreter raises while a kernel runs, made by the hardware too.

The interpreter raises a located error for an index out of bounds, a division by zero, a
negative shift amount (or one of ``MAX_INDEX_SHIFT`` or more on a nonzero index value) and a bit
field outside its value, and writes nothing (DESIGN.md, semantics). Where intervals over the
loop counters' ranges and the types prove an operation safe, nothing is added. Otherwise the
block's dataflow graph gets a ``check`` node: its first operand is the condition under which
the operation fails (the conditions of the enclosing branches and of lazily evaluated operands
included), the others are the values the error message names. ``error_status.py`` turns check
nodes into hardware; the harness turns a design's error status back into the interpreter's
error (``CheckSite.error``).

Each check has a rank: its place in the interpreter's order of evaluation (operands before the
operation, a store's value before its indices), so that when several fail in one run the
hardware reports the one the interpreter would.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

from ...errors import (MAX_INDEX_SHIFT, AlloIndexError, bit_index_out_of_range, dataflow_deadlock,
                      division_by_zero, index_out_of_bounds, index_shift_too_large,
                      negative_shift)
from ...ir import intervals as I
from ...ir import nodes as ir
from ...types import Index, is_fixed_or_int
from .graph import BOOL, INDEX, Node

_UNBOUNDED_INDEX_BITS = 64   # an index value no interval bounds is reported in this many bits


@dataclass(eq=False)
class CheckSite:
    """One operation that may fail at run time, and how to report its failure.

    ``kind``: ``bounds`` (``name`` and ``shape`` of the array; the values are the indices),
    ``zero`` (``name`` is "division" or "modulo"), ``negative_shift`` and ``index_shift`` (the
    value is the amount), ``bit_index`` (a ``width``-bit field of a ``bits``-bit value; the value
    is its low bit), ``deadlock`` (a dataflow region whose running kernels all wait on streams:
    ``waits`` holds per kernel its name and its stream operations as (operation, stream, depth,
    loc); its value is 1 + the index of the operation it waits on, 0 when it has finished).
    ``fields``: (signed, bits) of each value in the error data. ``code``: the error code naming
    this check in its design (``error_status.number_checks``)."""

    kind: str
    loc: object
    name: str = ""
    shape: tuple = ()
    width: int = 0
    bits: int = 0
    fields: tuple = ()
    function: str = ""
    code: int = 0
    waits: tuple = ()

    def error(self, values: list):
        """The error the interpreter raises for this check with ``values``."""
        if self.kind == "deadlock":
            return dataflow_deadlock([(kernel, *ops[value - 1]) for (kernel, ops), value
                                      in zip(self.waits, values) if 0 < value <= len(ops)])
        if self.kind == "bounds":
            return index_out_of_bounds(self.name, self.shape, tuple(values), self.loc)
        if self.kind == "zero":
            return division_by_zero(self.name, self.loc)
        if self.kind == "negative_shift":
            return negative_shift(values[0], self.loc)
        if self.kind == "index_shift":
            return index_shift_too_large(values[0], self.loc)
        return bit_index_out_of_range(values[0], self.width, self.bits, self.loc)

    def describe(self) -> str:
        where = f"{self.loc.file.rsplit('/', 1)[-1]}:{self.loc.line}" if self.loc else "?"
        what = {
            "bounds": f"index of {self.name}{list(self.shape)}",
            "zero": f"{self.name} by zero",
            "negative_shift": "negative shift amount",
            "index_shift": f"index shift by {MAX_INDEX_SHIFT} or more",
            "bit_index": f"bit index of a {self.width}-bit field",
            "deadlock": "deadlock of the dataflow region",
        }[self.kind]
        return f"{what} at {where} ({self.function})"

    @property
    def data_bits(self) -> int:
        return sum(bits for _, bits in self.fields)

    def decode(self, data: int) -> list:
        """The values packed in ``data`` (first value in the low bits)."""
        out, at = [], 0
        for signed, bits in self.fields:
            raw = (data >> at) & ((1 << bits) - 1)
            if signed and raw >> (bits - 1):
                raw -= 1 << bits
            out.append(raw)
            at += bits
        return out


# ---------------------------------------------------------------------------------------------
# Intervals of dataflow nodes


class NodeIntervals:
    """The raw values each integer node of a block can take (``ir/intervals.py``), from the
    loop counters' ranges (``ranges``: Var -> (lowest, highest)) and the types."""

    def __init__(self, ranges: dict):
        self.ranges = ranges
        self.cache: dict = {}
        self.assumed: dict = {}    # id(var node) -> its interval inside the current branch

    def of(self, n: Node) -> I.Interval:
        key = id(n)
        if key not in self.cache:
            self.cache[key] = self._compute(n)
        return self.cache[key]

    @contextmanager
    def assuming(self, cond: Node, holds: bool):
        """Inside: intervals that know whether ``cond`` holds (a branch of an if)."""
        saved = self.cache, self.assumed

        def counter_of(n):
            while n.kind == "op" and n.op == "cast" and not n.type.fracs:
                n = n.operands[0]
            return n if n.kind == "var" else None

        def constant_of(n):
            return n.attrs["value"] if n.kind == "const" else None

        found = None
        if cond.kind == "op" and cond.op in _NEGATED and len(cond.operands) == 2:
            found = counter_condition(cond.op, *cond.operands, counter_of, constant_of)
        if found is not None:
            var, op, bound = found
            span = narrowed(self.of(var), op, bound, holds)
            if span.lo is None or span.hi is None or span.lo <= span.hi:
                self.cache, self.assumed = {}, {**self.assumed, id(var): span}
        try:
            yield
        finally:
            self.cache, self.assumed = saved

    def _compute(self, n: Node) -> I.Interval:
        t = n.type
        if t is None or not is_fixed_or_int(t):
            return I.UNBOUNDED
        if n.kind == "const":
            return I.point(n.attrs["value"])
        if n.kind == "var":
            if id(n) in self.assumed:
                return self.assumed[id(n)]
            span = self.ranges.get(n.attrs["var"])
            return I.Interval(*span) if span else I.of_type(t)
        exact = self._exact(n)
        if exact is None:
            return I.of_type(t)
        if isinstance(t, Index) or exact.within(t.raw_min, t.raw_max):
            return exact
        return I.of_type(t)   # the result wraps

    def _exact(self, n: Node):
        """The interval of the exact (unwrapped) result, or None when not worked out."""
        if any(o.type is None or not is_fixed_or_int(o.type) or o.type.fracs for o in n.operands) \
                or n.type.fracs:
            return None
        values = [self.of(o) for o in n.operands]
        op = n.op
        if n.kind == "mul" or op == "mul":
            return I.mul(*values)
        if n.kind != "op":
            return None
        if op == "add":
            return I.add(*values)
        if op == "sub":
            return I.sub(*values)
        if op == "neg":
            return I.neg(values[0])
        if op == "cast":
            return values[0]
        if op in ("min", "max"):
            return (I.minimum if op == "min" else I.maximum)(*values)
        if op == "abs":
            return I.absolute(values[0])
        if op in ("and", "or", "xor"):
            return I.bitwise(op, *values)
        if op == "shr":
            return I.shift_right(*values)
        if op == "select":
            return I.union(values[1], values[2])
        if op in ("lt", "le", "gt", "ge", "eq", "ne", "not", "bool_and", "bool_or"):
            return I.BOOL
        if op == "bitread":
            return I.Interval(0, (1 << n.attrs["width"]) - 1)
        return None


def value_field(n: Node, intervals: NodeIntervals) -> tuple:
    """(signed, bits) that hold every value of ``n`` reported in an error."""
    t = n.type
    if not isinstance(t, Index):
        return (t.signed, t.bits)
    span = intervals.of(n)
    if not span.bounded:
        return (True, _UNBOUNDED_INDEX_BITS)
    return (True, max(abs(span.lo), abs(span.hi)).bit_length() + 1)


def ir_interval(e: ir.Expr, ranges: dict) -> I.Interval:
    """The raw values an integer IR expression takes with the loop counters in ``ranges``
    (Var -> (lowest, highest)); the type's range where that is all that is known."""
    t = e.type
    if not is_fixed_or_int(t):
        return I.UNBOUNDED
    if isinstance(e, ir.Const) and isinstance(e.value, int):
        return I.point(e.value)
    exact = None
    if isinstance(e, ir.VarRef) and e.var in ranges:
        exact = I.Interval(*ranges[e.var])
    elif isinstance(e, ir.Cast) and not t.fracs and is_fixed_or_int(e.operand.type) \
            and not e.operand.type.fracs:
        exact = ir_interval(e.operand, ranges)
    elif isinstance(e, ir.BinOp) and e.op in ("add", "sub", "mul") and not t.fracs and \
            all(is_fixed_or_int(x.type) and not x.type.fracs for x in (e.lhs, e.rhs)):
        exact = {"add": I.add, "sub": I.sub, "mul": I.mul}[e.op](
            ir_interval(e.lhs, ranges), ir_interval(e.rhs, ranges))
    if exact is None:
        return I.of_type(t)
    return exact if isinstance(t, Index) or exact.within(t.raw_min, t.raw_max) else I.of_type(t)


def index_ranges(body: list, counter_ranges: dict) -> dict:
    """Var -> (lowest, highest) of every loop counter whose range intervals bound: constant
    loops (``counter_ranges``), and loops whose bounds are expressions of outer counters
    (triangular loops, ``range(i + 1)``, ``range(i, N)``)."""
    out = dict(counter_ranges)
    for stmt in ir.walk_stmts(body):
        if isinstance(stmt, ir.For) and stmt.var not in out:
            lo, hi = ir_interval(stmt.lo, out), ir_interval(stmt.hi, out)
            if stmt.step > 0 and lo.lo is not None and hi.hi is not None:
                out[stmt.var] = (lo.lo, max(lo.lo, hi.hi - 1))
            elif stmt.step < 0 and lo.hi is not None and hi.lo is not None:
                out[stmt.var] = (min(lo.hi, hi.lo + 1), lo.hi)
    return out


# ---------------------------------------------------------------------------------------------
# What a branch's condition says about a loop counter (reuse_at's ``if y >= 2:``)

_FLIPPED = {"lt": "gt", "le": "ge", "gt": "lt", "ge": "le", "eq": "eq", "ne": "ne"}
_NEGATED = {"lt": "ge", "le": "gt", "gt": "le", "ge": "lt", "eq": "ne", "ne": "eq"}


def narrowed(span: I.Interval, op: str, bound: int, holds: bool) -> I.Interval:
    """``span`` of ``x`` knowing whether ``x op bound`` holds."""
    if not holds:
        op = _NEGATED[op]
    lo, hi = span.lo, span.hi
    if op == "lt":
        hi = bound - 1 if hi is None else min(hi, bound - 1)
    elif op == "le":
        hi = bound if hi is None else min(hi, bound)
    elif op == "gt":
        lo = bound + 1 if lo is None else max(lo, bound + 1)
    elif op == "ge":
        lo = bound if lo is None else max(lo, bound)
    elif op == "eq":
        lo, hi = bound, bound
    return I.Interval(lo, hi)


def counter_condition(op: str, left, right, counter_of, constant_of):
    """``(counter, op, bound)`` when a comparison is of a counter (``counter_of``) with a
    constant (``constant_of``), the counter on the left; else None."""
    for a, b, o in ((left, right, op), (right, left, _FLIPPED.get(op))):
        counter, bound = counter_of(a), constant_of(b)
        if counter is not None and bound is not None and o is not None:
            return counter, o, bound
    return None


def assume_ir(ranges: dict, cond: ir.Expr, holds: bool) -> dict:
    """``ranges`` narrowed by knowing whether IR condition ``cond`` holds."""
    def counter_of(e):
        while isinstance(e, ir.Cast) and not e.type.fracs:
            e = e.operand
        return e.var if isinstance(e, ir.VarRef) and e.var in ranges else None

    def constant_of(e):
        while isinstance(e, ir.Cast) and not e.type.fracs:
            e = e.operand
        return e.value if isinstance(e, ir.Const) and isinstance(e.value, int) else None

    if not isinstance(cond, ir.Compare):
        return ranges
    found = counter_condition(cond.op, cond.lhs, cond.rhs, counter_of, constant_of)
    if found is None:
        return ranges
    var, op, bound = found
    span = narrowed(I.Interval(*ranges[var]), op, bound, holds)
    if span.lo > span.hi:
        return ranges   # the branch never runs: nothing to narrow
    return {**ranges, var: (span.lo, span.hi)}


# ---------------------------------------------------------------------------------------------
# Making checks while a block is built


@dataclass
class CheckContext:
    """What a BlockBuilder needs to make checks: whether to make them, the ranges intervals
    start from, and whether the block runs whenever its function does (an access that fails on
    every run is then an error at build time)."""

    enabled: bool = True
    ranges: dict = field(default_factory=dict)
    unconditional: bool = False
    function: str = ""
    sites: list = field(default_factory=list)      # CheckSite made so far, in this function


class CheckingBuilder:
    """Mixin of ``dfg.BlockBuilder``: the checks of accesses and operations. Needs the builder's
    ``node``, ``const``, ``preds`` (enclosing branches' conditions) and ``lazy`` (conditions of
    lazily evaluated operands), and ``checks`` (a CheckContext)."""

    def init_checks(self, context: CheckContext | None = None) -> None:
        self.checks = context or CheckContext(enabled=False)
        self.intervals = NodeIntervals(self.checks.ranges)
        self.lazy: list = []
        self.rank = 0

    def guard(self, loc):
        """The condition under which the code being built runs in this block (None: always)."""
        conds = self.preds + self.lazy
        return self.all_of(conds, loc) if conds else None

    def all_of(self, conds: list, loc):
        """The conjunction of BOOL nodes ``conds`` (at least one)."""
        out = conds[0]
        for c in conds[1:]:
            out = self.node("op", BOOL, [out, c], loc, op="bool_and")
        return out

    def check(self, site: CheckSite, ok, values: list, loc) -> None:
        """A check that fails when ``ok`` (a BOOL node) is false where the code runs."""
        if not self.checks.enabled:
            return
        site.function = self.checks.function
        site.fields = tuple(value_field(v, self.intervals) for v in values)
        fails = self.node("op", BOOL, [ok], loc, op="not")
        guard = self.guard(loc)
        if guard is not None:
            fails = self.node("op", BOOL, [guard, fails], loc, op="bool_and")
        if fails.kind == "const" and not fails.attrs["value"]:
            return
        self.checks.sites.append(site)
        self.node("check", None, [fails] + list(values), loc, cse=False, site=site,
                  rank=self.rank)
        self.rank += 1

    # -- the checks -------------------------------------------------------------------------
    def in_bounds(self, buffer: ir.Buffer, indices: list, loc):
        """The condition that ``buffer[indices]`` (index nodes) is inside the array, checked:
        None when intervals prove it, the constant 0 when it can never be (an error at build
        time when the access runs on every run of the kernel)."""
        conds = []
        for k, (index, extent) in enumerate(zip(indices, buffer.shape)):
            span = self.intervals.of(index)
            if span.within(0, extent - 1):
                continue
            if (span.hi is not None and span.hi < 0) or (span.lo is not None and span.lo >= extent):
                if self.checks.unconditional and self.guard(loc) is None:
                    raise AlloIndexError(
                        f"index {k} of array '{buffer.name}' of shape {tuple(buffer.shape)} is "
                        f"out of bounds on every run (its values are in [{span.lo}, {span.hi}])",
                        loc, f"every index must be in [0, {extent}) of its dimension")
                conds = [self.const(0, BOOL, loc)]
                break
            if span.lo is None or span.lo < 0:
                conds.append(self.node("op", BOOL, [index, self.const(0, INDEX, loc)], loc, op="ge"))
            if span.hi is None or span.hi >= extent:
                conds.append(self.node("op", BOOL, [index, self.const(extent, INDEX, loc)], loc,
                                       op="lt"))
        if not conds:
            return None
        ok = self.all_of(conds, loc)
        self.check(CheckSite("bounds", loc, buffer.name, tuple(buffer.shape)), ok, indices, loc)
        return ok

    def nonzero_divisor(self, divisor: Node, what: str, loc) -> None:
        if self.intervals.of(divisor).excludes_zero():
            return
        ok = self.node("op", BOOL, [divisor, self.const(0, divisor.type, loc)], loc, op="ne")
        self.check(CheckSite("zero", loc, what), ok, [], loc)

    def valid_shift(self, value: Node, amount: Node, index_result: bool, loc) -> None:
        span = self.intervals.of(amount)
        if not span.nonneg():
            ok = self.node("op", BOOL, [amount, self.const(0, amount.type, loc)], loc, op="ge")
            self.check(CheckSite("negative_shift", loc), ok, [amount], loc)
        if index_result and (span.hi is None or span.hi >= MAX_INDEX_SHIFT) and \
                self.intervals.of(value) != I.point(0):
            small = self.node("op", BOOL, [amount, self.const(MAX_INDEX_SHIFT, INDEX, loc)], loc,
                              op="lt")
            zero = self.node("op", BOOL, [value, self.const(0, value.type, loc)], loc, op="eq")
            ok = self.node("op", BOOL, [small, zero], loc, op="bool_or")
            self.check(CheckSite("index_shift", loc), ok, [amount], loc)

    def valid_bit_index(self, lo: Node, width: int, bits: int, loc) -> None:
        span = self.intervals.of(lo)
        if span.within(0, bits - width):
            return
        conds = []
        if span.lo is None or span.lo < 0:
            conds.append(self.node("op", BOOL, [lo, self.const(0, INDEX, loc)], loc, op="ge"))
        if span.hi is None or span.hi > bits - width:
            conds.append(self.node("op", BOOL, [lo, self.const(bits - width, INDEX, loc)], loc,
                                   op="le"))
        self.check(CheckSite("bit_index", loc, width=width, bits=bits), self.all_of(conds, loc),
                   [lo], loc)
