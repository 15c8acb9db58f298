"""Verilog simulation models of the vendor cells generated designs may instantiate."""
from pathlib import Path

_HERE = Path(__file__).resolve().parent


def ecp5_models() -> str:
    """The models of the ECP5 cells allo-rtl instantiates (``MULT18X18D``)."""
    return (_HERE / "ecp5_mult18x18d.v").read_text()
