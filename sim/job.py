"""What one simulation run needs, checked and converted to bits, and what it gives back."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import SimulationError
from ..gen.design import DesignInfo
from .streams import STREAM_CAPACITY, gap_seed
from .values import flat_ints, from_bits, to_bits

# Every simulator drives the same clock, so waveforms of different simulators line up.
CLOCK_PERIOD_NS = 10
RESET_CYCLES = 2


@dataclass
class SimResult:
    """The outcome of a run that saw ``done``. Values are raw (sign-extended for signed types)."""

    scalar_results: list[int]
    arrays: dict[str, list[int]]      # final contents of every memory, keyed by ArrayPort.port
    cycles: int                       # cycles ``busy`` was high
    waves: str | None = None          # path of the waveform file (waves=True)
    built: bool = False               # whether this call compiled the design (cocotb simulators)
    simulator: str = ""
    error_code: int = 0               # the error status at done (DesignInfo.status_outputs)
    error_data: int = 0
    # the highest occupancy of each FIFO (DesignInfo.fifo_probes; None: register not found)
    fifo_occupancy: list = field(default_factory=list)
    # stream arguments (DesignInfo.streams, by port): the values an output gave, in order,
    # and how many values of an input the design took
    stream_values: dict = field(default_factory=dict)
    stream_taken: dict = field(default_factory=dict)
    # a run that stopped waiting for the testbench (streams.py): each WaitProbe's value
    deadlock: list | None = None


@dataclass
class SimJob:
    """A run's inputs as port bits, shared by every simulator backend."""

    info: DesignInfo
    scalar_bits: list[int]                  # per info.scalar_args
    array_bits: dict[str, list[int]]        # per ArrayPort.port, length = depth
    cycle_limit: int
    waves: Path | None
    loc: object = None
    progress: Callable[[str], None] | None = field(default=None, repr=False)
    stream_bits: dict = field(default_factory=dict)   # per input StreamPort.port, in order
    backpressure: int | None = None                   # the gap seed (sim/streams.py)

    def report(self, status: str) -> None:
        if self.progress is not None:
            self.progress(status)

    def result(self, out_bits: list[int], memories: dict[str, list[int]], cycles: int,
               **extra) -> SimResult:
        """Raw values from the bits a backend read back: ``out_bits`` holds the scalar results,
        then the error status outputs."""
        info = self.info
        extra.update(zip(("error_code", "error_data"), out_bits[len(info.scalar_results):]))
        scalars = [from_bits(b, p.width, p.signed) for p, b in zip(info.scalar_results, out_bits)]
        arrays = {a.port: [from_bits(b, a.width, a.signed) for b in memories[a.port]]
                  for a in info.arrays}
        if "stream_values" in extra:
            extra["stream_values"] = {
                s.port: [from_bits(b, s.width, s.signed) for b in extra["stream_values"][s.port]]
                for s in info.streams if s.direction == "out"}
        return SimResult(scalars, arrays, cycles,
                         str(self.waves) if self.waves is not None else None, **extra)

    def gap_seeds(self) -> list:
        """The first gap generator state of each stream argument (``streams.py``)."""
        return [gap_seed(self.backpressure, k) for k in range(len(self.info.streams))]


def _check_keys(info: DesignInfo, given, known: set, what: str, keyed_by: str, loc) -> None:
    unknown = sorted(set(given) - known)
    if unknown:
        raise SimulationError(
            f"{info.name} has no {what} {', '.join(unknown)}", loc,
            f"{what}s are keyed by {keyed_by}: {', '.join(sorted(known)) or '(none)'}")


def _stream_bits(info: DesignInfo, streams: dict, loc) -> dict:
    _check_keys(info, streams, {s.port for s in info.streams if s.direction == "in"},
                "input stream", "StreamPort.port", loc)
    out = {}
    for s in info.streams:
        if s.direction != "in":
            continue
        values = flat_ints(streams.get(s.port, []))
        if len(values) > STREAM_CAPACITY:
            raise SimulationError(
                f"{info.name}: {len(values)} values for stream {s.port}; the testbench holds "
                f"at most {STREAM_CAPACITY}", loc, "give fewer values per run")
        out[s.port] = [to_bits(v, s.width, f"{info.name}: {s.port}", loc) for v in values]
    return out


def make_job(info: DesignInfo, scalar_args, arrays, cycle_limit: int, waves, loc,
             progress, streams=None, backpressure=None) -> SimJob:
    """Check the caller's values against ``info`` and convert them to bits."""
    scalar_args = list(scalar_args)
    if len(scalar_args) != len(info.scalar_args):
        raise SimulationError(
            f"{info.name} takes {len(info.scalar_args)} scalar argument(s), got {len(scalar_args)}",
            loc, "pass one raw integer per entry of DesignInfo.scalar_args, in order")
    scalar_bits = [to_bits(v, p.width, f"{info.name}: scalar argument {p.port}", loc)
                   for p, v in zip(info.scalar_args, scalar_args)]

    _check_keys(info, arrays, {a.port for a in info.arrays}, "memory interface",
                "ArrayPort.port", loc)
    array_bits = {}
    for a in info.arrays:
        # A result array the caller left out starts as zeros, like a fresh buffer.
        values = flat_ints(arrays[a.port]) if a.port in arrays else [0] * a.depth
        if len(values) != a.depth:
            raise SimulationError(
                f"{info.name}: {a.port} holds {a.depth} words, got {len(values)}", loc,
                "pass the flat row-major contents of the whole array")
        array_bits[a.port] = [to_bits(v, a.width, f"{info.name}: {a.port}", loc) for v in values]

    if cycle_limit < 1:
        raise SimulationError(f"cycle_limit must be at least 1, got {cycle_limit}", loc, None)
    if backpressure is not None and (isinstance(backpressure, bool)
                                     or not isinstance(backpressure, int)):
        raise SimulationError(f"backpressure must be an integer seed or None, got "
                              f"{backpressure!r}", loc, "pass backpressure=1 for random gaps")
    return SimJob(info, scalar_bits, array_bits, cycle_limit, waves, loc, progress,
                  _stream_bits(info, streams or {}, loc), backpressure)
