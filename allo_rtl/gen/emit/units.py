"""Arithmetic units: a registered, DSP-friendly multiplier and a sequential divider."""
from __future__ import annotations

from amaranth.hdl import Cat, ClockSignal, Const, Instance, Module, Mux, Signal, signed, unsigned
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out


_DSP_WIDTH = 18   # the operand width of one DSP multiplier (signed)
_CHUNK = 17       # unsigned low chunks of 17 bits and a signed top chunk fit an 18x18 DSP block


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


def resize(value, shape):
    """``value`` as exactly ``shape``: its low bits, or all of them extended by its own sign
    (a loop counter's register is only as wide as its range, narrower than its type)."""
    width, have = shape.width, len(value)
    if have == 0:
        return Const(0, shape)
    if have < width:
        top = value[-1] if value.shape().signed else Const(0, 1)
        value = Cat(value, top.replicate(width - have))
    low = value[:width]
    return low.as_signed() if shape.signed else low.as_unsigned()


def registered_multiply(m: Module, a, b, latency: int, name: str, product_bits: int | None = None,
                        dsp_cells: bool = False):
    """The low ``product_bits`` bits of ``a * b`` (all by default), ``latency`` cycles after the
    operands, as a signal of that width.

    Latency 2: registered operands, then the registered product. Latency 3: the operands cut into
    DSP-sized chunks, a registered product per pair of chunks that reaches the wanted bits, then
    their registered sum; this keeps the adders that combine partial products out of the
    multipliers' path. ``dsp_cells``: build each product from an ECP5 ``MULT18X18D`` cell with
    its own input and output registers. Yosys does not move fabric registers into the DSP block,
    and without them an operand shared by several multipliers (a broadcast ``A[i, k]``) reaches
    every DSP through one far register, the slowest path of an unrolled multiply-add."""
    width = len(a) + len(b)
    product_bits = width if product_bits is None else min(product_bits, width)
    is_signed = a.shape().signed or b.shape().signed
    out = Signal(signed(product_bits) if is_signed else unsigned(product_bits), name=f"{name}_p")
    multiply = _ecp5_multiply if dsp_cells else _fabric_multiply
    if latency <= 2:
        m.d.comb += out.eq(multiply(m, a, b, f"{name}_m"))
        return out
    partials = []
    for pa, sa in _chunks(a, len(a), a.shape().signed):
        for pb, sb in _chunks(b, len(b), b.shape().signed):
            if sa + sb < product_bits:
                partials.append((multiply(m, pa, pb, f"{name}_pp{len(partials)}"), sa + sb))
    total = 0
    for p, shift in partials:
        total = total + (p << shift)
    m.d.sync += out.eq(total)
    return out


def _fabric_multiply(m: Module, a, b, name: str):
    """``a * b`` two cycles after the operands: registered operands and product."""
    a_reg = Signal(a.shape(), name=f"{name}_a")
    b_reg = Signal(b.shape(), name=f"{name}_b")
    product = Signal((a * b).shape(), name=name)
    m.d.sync += [a_reg.eq(a), b_reg.eq(b), product.eq(a_reg * b_reg)]
    return product


def _ecp5_multiply(m: Module, a, b, name: str):
    """``a * b`` (operands of at most 18 bits) two cycles after the operands: an ECP5
    ``MULT18X18D`` with its input and output registers (``sim/models`` simulates it)."""
    ports = {"p_REG_INPUTA_CLK": "CLK0", "p_REG_INPUTB_CLK": "CLK0", "p_REG_OUTPUT_CLK": "CLK0",
             "i_CLK0": ClockSignal(), "i_CE0": 1, "i_RST0": 0, "i_SOURCEA": 0, "i_SOURCEB": 0,
             "i_SIGNEDA": int(a.shape().signed), "i_SIGNEDB": int(b.shape().signed)}
    for letter, operand in (("A", a), ("B", b)):
        wide = Signal(signed(_DSP_WIDTH) if operand.shape().signed else unsigned(_DSP_WIDTH),
                      name=f"{name}_{letter.lower()}")
        m.d.comb += wide.eq(operand)
        ports.update({f"i_{letter}{i}": wide[i] for i in range(_DSP_WIDTH)})
    raw = Signal(2 * _DSP_WIDTH, name=f"{name}_raw")
    ports.update({f"o_P{i}": raw[i] for i in range(2 * _DSP_WIDTH)})
    m.submodules[name] = Instance("MULT18X18D", **ports)
    product = Signal((a * b).shape(), name=name)
    m.d.comb += product.eq(raw[:len(product)])
    return product


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
