"""Raw integer values <-> the bits on a port or in a memory word, and memory image files.

A port of ``width`` bits carries a value's two's-complement bits. Callers give raw values (signed
ones may be negative) and get raw values back, sign-extended for signed types.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import SimulationError


def to_bits(value, width: int, what: str, loc=None) -> int:
    """The ``width``-bit pattern of ``value``; a value that fits neither as signed nor as
    unsigned is a caller's mistake, not something to wrap silently."""
    value = int(value)
    if not -(1 << (width - 1)) <= value < (1 << width):
        raise SimulationError(
            f"{what}: value {value} does not fit in {width} bits", loc,
            "pass the raw value of the element type (already wrapped to its width)")
    return value & ((1 << width) - 1)


def from_bits(bits: int, width: int, signed: bool) -> int:
    """The raw value of a ``width``-bit pattern (sign-extended when ``signed``)."""
    bits &= (1 << width) - 1
    if signed and bits >> (width - 1):
        bits -= 1 << width
    return bits


def flat_ints(values) -> list:
    """A flat list from a list or a numpy array of any shape (row-major)."""
    if hasattr(values, "ravel"):
        return values.ravel().tolist()
    return list(values)


def write_hex(path: Path, words: list[int], width: int) -> None:
    """A ``$readmemh`` image: one word per line, in hex, already reduced to bits."""
    digits = max(1, (width + 3) // 4)
    path.write_text("".join(f"{w:0{digits}x}\n" for w in words))


def read_hex(path: Path, depth: int) -> list[int]:
    """Words 0..depth-1 of a ``$writememh`` image (Icarus and Verilator format the file
    differently: comments, ``@address`` lines, x/z digits for never-written words)."""
    words = [0] * depth
    address = 0
    for line in path.read_text().splitlines():
        line = line.split("//", 1)[0]
        for token in line.split():
            if token.startswith("@"):
                address = int(token[1:], 16)
                continue
            if address < depth:
                clean = "".join("0" if c in "xXzZ" else c for c in token.replace("_", ""))
                words[address] = int(clean, 16)
            address += 1
    return words
