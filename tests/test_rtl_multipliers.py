"""Multipliers: for the ECP5 each product is a MULT18X18D DSP cell with its own input and output
registers (simulated through sim/models), built only from the partial products whose bits the
kernel can observe; for other families a plain registered ``*``. Every form must compute what
the interpreter computes, bit for bit, in the predicted number of cycles."""
import re

import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.types import Fixed, Int, UInt, int8, int32, int64, uint8

Q8 = Fixed(16, 8)
U18 = UInt(18)
S18 = Int(18)
S40 = Int(40)


def products(a: int32, b: int32, c: int8, d: uint8, e: U18, f: U18, g: S18, h: S40, x: Q8,
             y: Q8) -> (int64, int32, int32, U18, S18, Q8, int64):
    wide: int64 = int64(a) * int64(b)      # every bit of the 64-bit product
    low: int32 = a * b                     # only the low 32 bits
    mixed: int32 = c * d                   # signed times unsigned, one DSP
    unsigned_full: U18 = e * f             # 18-bit unsigned operands fit one DSP unsigned
    signed_full: S18 = g * g
    fixed: Q8 = x * y                      # fraction bits dropped after the product
    forty: int64 = h * int64(a)            # three chunks times two
    return wide, low, mixed, unsigned_full, signed_full, fixed, forty


EDGES = [
    (2**31 - 1, -2**31, -128, 255, 2**18 - 1, 2**18 - 1, -2**17, -2**39, -128.0, -128.0),
    (-2**31, -2**31, 127, 0, 0, 12345, 2**17 - 1, 2**39 - 1, 127.99609375, -0.00390625),
    (-1, -1, -1, 1, 1, 2**17, -1, -1, -1.5, 2.25),
    (123456789, -987654321, -77, 200, 131071, 131073, -12345, 487654321012, 3.14453125, -2.5),
]


def _check(mod, s):
    interp = s.build()
    for args in EDGES:
        got, want = mod(*args), interp(*args)
        for g, w in zip(got, want):
            assert np.array_equal(np.asarray(g), np.asarray(w)), (args, got, want)
        assert mod.cycles == s.report().predicted_cycles


@pytest.mark.parametrize("simulator", ["icarus", "verilator"])
def test_ecp5_dsp_cells_compute_every_width_and_signedness(simulator):
    s = allo.customize(products)
    _check(s.build(target="rtl", simulator=simulator), s)


def test_generic_family_and_amaranth_simulator_use_plain_multipliers():
    s = allo.customize(products)
    assert "MULT18X18D" not in s.build(target="verilog", family="generic")
    _check(s.build(target="rtl", simulator="amaranth"), s)
    _check(s.build(target="rtl", simulator="icarus", family="generic"), s)


def _dsp_cells(fn) -> int:
    return len(re.findall(r"^\s*MULT18X18D\b", allo.customize(fn).build(target="verilog"), re.M))


def test_only_partial_products_that_reach_observed_bits_get_a_dsp():
    def low(a: int32, b: int32) -> int32:
        return a * b

    def wide(a: int32, b: int32) -> int64:
        return int64(a) * int64(b)

    def small(a: int8, b: int8) -> int32:
        return a * b

    def masked(a: int32, b: int32) -> int32:
        return (a * b) & 65535         # and keeps every bit: the mask is not tracked

    assert _dsp_cells(small) == 1
    assert _dsp_cells(low) == 3        # the high chunks' product starts at bit 34
    assert _dsp_cells(wide) == 4
    assert _dsp_cells(masked) == 3


def _run_in_amaranth_sim(component, a: int, b: int) -> int:
    """A user's own testbench: start the Component, wait for done, read the result."""
    from amaranth.sim import Simulator

    out = {}

    async def bench(ctx):
        ctx.set(component.in_a, a)
        ctx.set(component.in_b, b)
        ctx.set(component.start, 1)
        await ctx.tick()
        ctx.set(component.start, 0)
        for _ in range(100):
            await ctx.tick()
            if ctx.get(component.done):
                out["value"] = ctx.get(component.out_0)
                return

    sim = Simulator(component)
    sim.add_clock(1e-8)
    sim.add_testbench(bench)
    sim.run()
    return out["value"]


def product(a: int32, b: int32) -> int32:
    return a * b


def test_amaranth_target_simulates_in_a_users_amaranth_design_whatever_the_family():
    # The default family is the ECP5, whose DSP cells Amaranth's simulator cannot run: the
    # Component returned by target="amaranth" once gave 0 for every output there.
    for family in ("ecp5", "generic"):
        component = allo.customize(product).build(target="amaranth", family=family)
        assert _run_in_amaranth_sim(component, -1234, 5678) == -1234 * 5678


def test_amaranth_target_uses_dsp_cells_when_elaborated_for_an_ecp5_platform():
    from amaranth.back import rtlil
    from amaranth_boards.ulx3s import ULX3S_85F_Platform

    component = allo.customize(product).build(target="amaranth")
    assert "MULT18X18D" not in rtlil.convert(component)
    assert "MULT18X18D" in rtlil.convert(component, platform=ULX3S_85F_Platform())
