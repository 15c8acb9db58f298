"""The performance model: delays of combinational operations and latencies of multi-cycle units.

Cheap operations chain within a cycle while their summed delay fits the clock period (minus a
margin for routing the model does not see). Figures are rough nanoseconds for one FPGA family;
they only have to order the choices the scheduler makes, and the measured Fmax of the generated
designs (``bench/``) is what checks them.
"""
from __future__ import annotations

from dataclasses import dataclass

from ...errors import UnsupportedError, caller_loc

FAMILIES = ("ecp5", "ice40", "generic")


@dataclass(frozen=True)
class TimingModel:
    family: str = "ecp5"
    clock_mhz: float = 100.0
    margin: float = 0.8           # share of the period the model may fill
    lut: float = 1.0              # one LUT level plus local routing
    carry_base: float = 1.4       # an adder's entry into its carry chain
    carry_per_bit: float = 0.045
    reg_out: float = 0.8          # clock to output of a flip-flop, plus routing
    reg_setup: float = 0.4
    mem_out: float = 5.8          # block RAM clock to data out (DP16KD, no output register)
    mem_setup: float = 1.0        # block RAM address and data setup
    mul_in_setup: float = 0.6     # into a DSP input register
    dsp_width: int = 18           # a multiplier this wide or narrower fits one DSP block

    @property
    def budget(self) -> float:
        return 1000.0 / self.clock_mhz * self.margin

    # -- combinational delays ----------------------------------------------------------------
    def adder(self, width: int) -> float:
        return self.carry_base + self.carry_per_bit * width

    def logic(self, levels: int = 1) -> float:
        return self.lut * levels

    def shifter(self, width: int) -> float:
        levels = max(1, (max(width, 2) - 1).bit_length() + 1) // 2   # mux4 per LUT level
        return self.lut * levels

    def equality(self, width: int) -> float:
        levels = 1
        while width > 4:
            width = (width + 3) // 4
            levels += 1
        return self.lut * levels

    # -- multi-cycle units -------------------------------------------------------------------
    def multiplier_latency(self, width_a: int, width_b: int) -> int:
        """Registered inputs and output; products wider than one DSP get one more stage for the
        adders that sum the partial products."""
        return 2 if max(width_a, width_b) <= self.dsp_width else 3

    @staticmethod
    def divider_latency(dividend_width: int) -> int:
        """A radix-2 sequential divider: one cycle to load, one per quotient bit."""
        return dividend_width + 1


def timing_model(family: str = "ecp5", clock_mhz: float = 100.0) -> TimingModel:
    if family not in FAMILIES:
        raise UnsupportedError(f"unknown target family {family!r}", caller_loc(),
                               f"families: {', '.join(FAMILIES)}")
    if not isinstance(clock_mhz, (int, float)) or not 1 <= clock_mhz <= 1000:
        raise UnsupportedError(f"clock_mhz must be a number of MHz in [1, 1000], got {clock_mhz!r}",
                               caller_loc(), "the default is 100")
    if family == "ice40":
        return TimingModel(family, clock_mhz, lut=1.6, carry_base=2.0, carry_per_bit=0.1,
                           mem_out=4.0, dsp_width=16)
    return TimingModel(family, float(clock_mhz))
