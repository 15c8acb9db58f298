"""The dataflow graph of a block: its nodes, and the algebra of the nodes that make addresses
(affine forms, which words two accesses touch, folding of integer constants).

Node kinds: ``const``, ``var``, ``op`` (combinational; ``op`` names the IR operation),
``mul`` (a registered multiplier), ``div`` (a sequential divider: ``div``, ``floordiv``, ``mod``),
``load``, ``store``, ``write``, ``check`` (a run-time check: ``checks.py``), ``get`` and ``put``
(a stream's oldest value, taken; a value put into a stream), and a block's
terminal: ``branch`` (a condition the controller tests in the block's last cycle) or ``call``
(the start of a kernel call).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

from ...types import Index, Int, UInt

BOOL = UInt(1)
INDEX = Index()
SINK_KINDS = ("store", "write", "branch", "call", "check", "put")
STREAM_KINDS = ("get", "put")

@dataclass(eq=False)
class Node:
    kind: str
    type: object                                  # AlloType of the value (None for sinks)
    operands: list
    loc: object
    op: str = ""                                  # the operation of an ``op`` node
    attrs: dict = field(default_factory=dict)
    deps: list = field(default_factory=list)      # (node, distance): cycle >= node.cycle + distance
    id: int = 0
    # set by the scheduler
    cycle: int | None = None                      # when the node reads its operands
    ready: int | None = None                      # when its value is live
    arrival: float = 0.0                          # ns into the ``ready`` cycle

    def __repr__(self):
        what = self.op or self.kind
        return f"%{self.id}={what}({', '.join('%' + str(o.id) for o in self.operands)})"


@dataclass
class Dfg:
    nodes: list
    terminal: Node | None = None
    loc: object = None


def signed_digits(constant: int) -> list:
    """``[(shift, +1 or -1)]`` with ``constant == sum(sign << shift)``, fewest terms (the
    canonical signed-digit form): 7 is 8 - 1."""
    digits, shift = [], 0
    while constant:
        if constant & 1:
            digit = 2 - (constant & 3)      # +1 when ...01, -1 when ...11
            digits.append((shift, digit))
            constant -= digit
        constant >>= 1
        shift += 1
    return digits


def float_constant_raw(value: float, t) -> int:
    """A float constant cast to an integer (truncated) or fixed-point type (floored), wrapped."""
    if math.isnan(value):
        return 0
    if math.isinf(value):
        return t.raw_max if value > 0 else t.raw_min
    scaled = Fraction(value) * (1 << t.fracs)
    raw = math.floor(scaled) if t.fracs or type(t).__name__ in ("Fixed", "UFixed") else math.trunc(scaled)
    return raw if isinstance(t, Index) else t.wrap(raw)


def dynamic_bank(bank) -> list:
    return [] if isinstance(bank, int) else [bank]


def constant_bank(bank):
    return bank if isinstance(bank, int) else None


def bank_of(access: Node):
    """The bank of a load or store: an int, or the node that chooses it at run time."""
    if access.attrs["bank"] is not None:
        return access.attrs["bank"]
    return access.operands[1 if access.kind == "load" else 2]


def same_word(access: Node, addr: Node, bank) -> bool:
    """Whether ``access`` touches ``addr`` of ``bank`` (the same nodes, so the same word)."""
    if access.operands[0] is not addr:
        return False
    theirs = bank_of(access)
    return theirs == bank if isinstance(bank, int) else theirs is bank


def distinct_words(access: Node, addr: Node, bank) -> bool:
    """Whether ``access`` provably touches another word than ``addr`` of ``bank``."""
    other = access.attrs["bank"]
    if isinstance(bank, int) and other is not None and other != bank:
        return True
    return addresses_differ(addr, access.operands[0])


def is_integer_type(t) -> bool:
    return isinstance(t, (Int, UInt, Index))


# conditions on constants (an unrolled copy's guard such as ``j0 >= 2`` with j0 a constant)
_FOLDED_LOGIC = {
    "lt": lambda a, b: a < b, "le": lambda a, b: a <= b, "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b, "eq": lambda a, b: a == b, "ne": lambda a, b: a != b,
    "not": lambda a: not a, "bool_and": lambda a, b: bool(a) and bool(b),
    "bool_or": lambda a, b: bool(a) or bool(b),
}


def fold_integer(kind, type_, operands, op):
    """The value of integer arithmetic and casts on constants (or an operand, for index
    ``+ 0`` and ``* 1``): a window index such as ``int34(3) - 3`` must be a constant for its
    bank to be wired and its word told apart from other accesses'."""
    if kind != "op" or not is_integer_type(type_) or not all(is_integer_type(o.type) for o in operands):
        return None
    if all(o.kind == "const" for o in operands) and op in _FOLDED_LOGIC:
        return int(_FOLDED_LOGIC[op](*(o.attrs["value"] for o in operands)))
    if op == "cast" and operands[0].kind == "const":
        value = operands[0].attrs["value"]
        return value if isinstance(type_, Index) else type_.wrap(value)
    if op not in ("add", "sub", "mul") or len(operands) != 2:
        return None
    a, b = operands
    if a.kind == "const" and b.kind == "const":
        x, y = a.attrs["value"], b.attrs["value"]
        exact = x + y if op == "add" else x - y if op == "sub" else x * y
        return exact if isinstance(type_, Index) else type_.wrap(exact)
    if not isinstance(type_, Index):
        return None
    if b.kind == "const" and b.attrs["value"] == (1 if op == "mul" else 0):
        return a
    if a.kind == "const" and a.attrs["value"] == (1 if op == "mul" else 0) and op != "sub":
        return b
    return None


def affine_parts(node: Node):
    """``(terms, constant)`` of an index address node over its non-affine leaves."""
    if node.kind == "const":
        return {}, node.attrs["value"]
    if node.kind == "op" and node.op in ("add", "sub") and len(node.operands) == 2:
        (ta, ca), (tb, cb) = affine_parts(node.operands[0]), affine_parts(node.operands[1])
        sign = 1 if node.op == "add" else -1
        terms = dict(ta)
        for k, v in tb.items():
            terms[k] = terms.get(k, 0) + sign * v
        return {k: v for k, v in terms.items() if v}, ca + sign * cb
    if node.kind == "op" and node.op == "mul" and node.operands[1].kind == "const":
        terms, c = affine_parts(node.operands[0])
        k = node.operands[1].attrs["value"]
        return {n: v * k for n, v in terms.items() if v * k}, c * k
    return {node.id: 1}, 0


def addresses_differ(a: Node, b: Node) -> bool:
    (ta, ca), (tb, cb) = affine_parts(a), affine_parts(b)
    return ta == tb and ca != cb
