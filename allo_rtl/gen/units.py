"""Arithmetic units: a registered, DSP-friendly multiplier and a sequential divider."""
from __future__ import annotations

from amaranth.hdl import Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

_CHUNK = 17   # unsigned low chunks of 17 bits and a signed top chunk fit an 18x18 DSP block


def _chunks(value, width: int, is_signed: bool) -> list:
    """``value`` as chunks (low first): unsigned 17-bit ones, the top one signed if ``value`` is."""
    out, lo = [], 0
    while lo < width:
        hi = min(width, lo + _CHUNK)
        part = value[lo:hi]
        top = hi == width
        out.append((part.as_signed() if (top and is_signed) else part, lo))
        lo = hi
    return out


def divider_shapes(node) -> tuple:
    """Dividend and divisor shapes of a ``div`` node, and the shift that aligns a fixed-point
    quotient (``div``/``floordiv`` give the quotient at the result's scale; ``mod`` has operands
    of one scale already). Index operands are 32-bit signed."""
    ta, tb, t = node.operands[0].type, node.operands[1].type, node.type
    exp = 0 if node.op == "mod" else t.fracs - ta.fracs + tb.fracs
    num = (signed if ta.signed else unsigned)(ta.bits + max(exp, 0))
    den = (signed if tb.signed else unsigned)(tb.bits + max(-exp, 0))
    return num, den, exp


def operand_widths(node) -> tuple:
    return tuple(o.type.bits for o in node.operands)


def registered_multiply(m: Module, a, b, latency: int, name: str):
    """``a * b`` with registered inputs and output, ``latency`` cycles after the operands.

    Latency 2: input registers, then the product. Latency 3: input registers, one registered
    product per pair of DSP-sized chunks, then their sum; this keeps the adders that combine
    partial products out of the multipliers' path."""
    a_reg = Signal(a.shape(), name=f"{name}_a")
    b_reg = Signal(b.shape(), name=f"{name}_b")
    m.d.sync += [a_reg.eq(a), b_reg.eq(b)]
    width = len(a_reg) + len(b_reg)
    out = Signal(signed(width) if (a.shape().signed or b.shape().signed) else unsigned(width),
                 name=f"{name}_p")
    if latency <= 2:
        m.d.sync += out.eq(a_reg * b_reg)
        return out
    partials = []
    for pa, sa in _chunks(a_reg, len(a_reg), a.shape().signed):
        for pb, sb in _chunks(b_reg, len(b_reg), b.shape().signed):
            p = Signal((pa * pb).shape(), name=f"{name}_pp{len(partials)}")
            m.d.sync += p.eq(pa * pb)
            partials.append((p, sa + sb))
    total = 0
    for p, shift in partials:
        total = total + (p << shift)
    m.d.sync += out.eq(total)
    return out


class SequentialDivider(wiring.Component):
    """Radix-2 restoring division of magnitudes, then Allo's signs: ``quotient`` truncates toward
    zero, ``floor_quotient`` floors, ``remainder`` takes the dividend's sign.

    ``start`` samples the operands; results are valid ``latency`` cycles later and stay valid
    until the next ``start``."""

    def __init__(self, dividend_shape, divisor_shape):
        self.n_shape, self.d_shape = dividend_shape, divisor_shape
        self.n_width, self.d_width = dividend_shape.width, divisor_shape.width
        self.latency = self.n_width + 1
        q_shape = signed(self.n_width + 1)
        super().__init__({
            "start": In(1),
            "dividend": In(dividend_shape),
            "divisor": In(divisor_shape),
            "quotient": Out(q_shape),
            "floor_quotient": Out(q_shape),
            "remainder": Out(signed(max(self.n_width, self.d_width) + 1)),
        })

    def elaborate(self, platform):
        m = Module()
        nw, dw = self.n_width, self.d_width
        n_neg = Signal(name="n_neg")
        d_neg = Signal(name="d_neg")
        divisor = Signal(dw + 1, name="divisor_mag")
        shifter = Signal(nw, name="dividend_bits")
        quotient = Signal(nw, name="quotient_mag")
        remainder = Signal(dw + 1, name="remainder_mag")
        count = Signal(range(nw + 1), name="count")

        n_sign = self.dividend < 0 if self.n_shape.signed else 0
        d_sign = self.divisor < 0 if self.d_shape.signed else 0
        with m.If(self.start):
            m.d.sync += [
                n_neg.eq(n_sign), d_neg.eq(d_sign),
                shifter.eq(Mux(n_sign, -self.dividend, self.dividend)),
                divisor.eq(Mux(d_sign, -self.divisor, self.divisor)),
                quotient.eq(0), remainder.eq(0), count.eq(nw),
            ]
        with m.Elif(count != 0):
            trial = Cat(shifter[-1], remainder)          # remainder * 2 + next dividend bit
            fits = trial >= divisor
            m.d.sync += [
                remainder.eq(Mux(fits, trial - divisor, trial)),
                quotient.eq(Cat(fits, quotient)),
                shifter.eq(shifter << 1),
                count.eq(count - 1),
            ]
        q = Mux(n_neg ^ d_neg, -quotient, quotient)
        r = Mux(n_neg, -remainder, remainder)
        m.d.comb += [
            self.quotient.eq(q),
            self.remainder.eq(r),
            self.floor_quotient.eq(Mux((n_neg ^ d_neg) & (remainder != 0), q - 1, q)),
        ]
        return m
