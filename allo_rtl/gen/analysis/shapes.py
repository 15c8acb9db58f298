"""The hardware shapes of values: of a type, and of the operands a multiplier or a divider
really needs (what scheduling counts and emission builds)."""
from __future__ import annotations

from amaranth.hdl import signed, unsigned

from ...types import Float, Index


def shape_of(t):
    return signed(t.bits) if t.signed else unsigned(t.bits)


def divider_shapes(node) -> tuple:
    """Dividend and divisor shapes of a ``div`` node, and the shift that aligns a fixed-point
    quotient (``div``/``floordiv`` give the quotient at the result's scale; ``mod`` has operands
    of one scale already). Index operands are 32-bit signed."""
    ta, tb, t = node.operands[0].type, node.operands[1].type, node.type
    exp = 0 if node.op == "mod" else t.fracs - ta.fracs + tb.fracs
    num = (signed if ta.signed else unsigned)(ta.bits + max(exp, 0))
    den = (signed if tb.signed else unsigned)(tb.bits + max(-exp, 0))
    return num, den, exp


def multiplier_shapes(node) -> list:
    """The shape each operand of a ``mul`` node really has: a widening integer cast (``int64(a)``
    of an ``int32``) only repeats the sign bit, which the multiplier need not see."""
    return [_significant_shape(o) for o in node.operands]


def _significant_shape(node):
    t = node.type
    shape = (signed if t.signed else unsigned)(t.bits)
    if node.kind == "op" and node.op == "cast":
        source = node.operands[0].type
        if widens(source, t):
            return _significant_shape(node.operands[0])
    return shape


def widens(source, target) -> bool:
    """Whether a cast from integer or fixed-point type ``source`` to ``target`` keeps every
    value as it is (only repeats the sign bit or adds zeros): the same scale, and the same
    signedness and no fewer bits, or unsigned into a wider signed type (uint1 into int1 makes
    1 into -1)."""
    if isinstance(source, (Float, Index)) or isinstance(target, (Float, Index)) or \
            source.fracs != target.fracs:
        return False
    if source.signed == target.signed:
        return source.bits <= target.bits
    return target.signed and source.bits < target.bits
