"""Demanded bits: how many low bits of each value of a block its users can observe.

Integer arithmetic wraps, so the low ``k`` bits of a sum, difference, product, bitwise operation
or narrowing cast depend only on the low bits of their operands. When an ``int32`` accumulator
adds an ``int64`` product, only 32 bits of the product matter; a multiplier made of DSP blocks
then needs only the partial products that reach those bits. Synthesis finds this by itself for
plain ``*``, but not through the vendor DSP cells the generator instantiates (``units.py``).
"""
from __future__ import annotations

from ...types import Float

# Operations whose result bit k depends only on operand bits at or below k (after aligning the
# binary points): carries and borrows run upwards, bitwise operations stay in place.
_LOW_BITS_OPS = frozenset({"add", "sub", "and", "or", "xor", "neg", "invert", "cast", "mul"})


def demanded_bits(nodes: list) -> dict:
    """Node -> the number of its low bits that any user can observe (its full width when a user
    looks at the whole value: a comparison, a shift amount, a store, a register write)."""
    demand: dict = {}
    for node in reversed(nodes):           # users come after their operands
        own = demand.get(node, 0)
        for position, operand in enumerate(node.operands):
            if operand.type is None:
                continue
            need = _operand_demand(node, position, operand, own)
            demand[operand] = max(demand.get(operand, 0), min(need, operand.type.bits))
    return demand


def _operand_demand(user, position: int, operand, user_demand: int) -> int:
    """Low bits of ``operand`` that the ``user_demand`` low bits of ``user`` depend on."""
    t = user.type
    if t is None or isinstance(t, Float) or isinstance(operand.type, Float):
        return operand.type.bits
    low_bits = (user.kind == "mul" or (user.kind == "op" and user.op in _LOW_BITS_OPS)
                or (user.kind == "op" and user.op == "select" and position > 0))
    if not low_bits:
        return operand.type.bits
    if user.kind == "mul" or user.op == "mul":
        # product bit j comes from operand bits at or below j; the product has the sum of the
        # operands' fraction bits and the result keeps t.fracs of them
        scale = sum(o.type.fracs for o in user.operands) - t.fracs
    else:
        scale = operand.type.fracs - t.fracs
    return max(1, user_demand + scale)
