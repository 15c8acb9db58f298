"""The hardware shapes of values: of a type, and of the operands a multiplier or a divider
really needs (what scheduling counts and emission builds)."""
from __future__ import annotations

from amaranth.hdl import signed, unsigned

from ...types import Float


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
        extends = (not isinstance(source, Float) and source.fracs == t.fracs
                   and source.bits <= t.bits and (t.signed or not source.signed))
        if extends:
            return _significant_shape(node.operands[0])
    return shape
