"""The caller's side of a design's stream arguments, the same on every simulator.

The testbench gives each input stream's values in order and takes every value an output
stream offers (it never stops taking: the count is checked afterwards, as the interpreter
does). With a ``backpressure`` seed it holds ``valid`` (inputs) or ``ready`` (outputs) low in
random cycles: each stream has its own xorshift32 generator, seeded from the seed and the
stream's place, stepped at every clock edge; the testbench offers in a cycle when the
generator's low bit is 1. The simulators share the generator, so a run has the same cycles on
all three.

A design raises ``stream_wait`` when every running kernel waits on a stream, one of them on the
testbench, and nothing moves. In the cycle after, the testbench offers whatever it still can
(no gap), so a design that keeps waiting ``STUCK_EDGES`` edges in a row waits for a value the
testbench does not have: a deadlock, reported with what each kernel waits on (WaitProbe).
"""
from __future__ import annotations

# a design waiting this many edges in a row with the testbench offering everything is stuck
STUCK_EDGES = 16
# values a testbench memory holds per stream (a testbench is compiled once per design)
STREAM_CAPACITY = 1 << 16

_MASK = 0xFFFFFFFF


def gap_seed(backpressure: int | None, index: int) -> int:
    """The generator's first state for stream ``index`` (0: no gaps)."""
    if backpressure is None:
        return 0
    state = (int(backpressure) * 0x9E3779B1 + (index + 1) * 0x85EBCA6B) & _MASK
    return state or 1


def gap_step(state: int) -> int:
    """The generator's next state (xorshift32; 0 stays 0)."""
    state ^= (state << 13) & _MASK
    state ^= state >> 17
    state ^= (state << 5) & _MASK
    return state


def offers(state: int, waited: bool) -> bool:
    """Whether the testbench offers in a cycle: always without gaps or after a cycle of
    ``stream_wait``, else by the generator's low bit."""
    return state == 0 or bool(state & 1) or waited


def xorshift_verilog(name: str) -> str:
    """The same step in Verilog, for a 32-bit register ``name``."""
    a = f"({name} ^ ({name} << 13))"
    b = f"({a} ^ ({a} >> 17))"
    return f"({b} ^ ({b} << 5))"
