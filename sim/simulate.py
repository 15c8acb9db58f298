"""``simulate``: one run of a generated top-level Component on a chosen simulator."""
from __future__ import annotations

import os
from pathlib import Path

from ..errors import SimulationError
from ..gen.design import DesignInfo
from .build_cache import cache_root
from .job import SimResult, make_job

SIMULATORS = ("verilator", "icarus", "amaranth")

# Default cycle limits: compiled simulators run millions of cycles a second, Amaranth's own
# simulator tens of thousands, so its limit keeps a hung run to about a minute.
DEFAULT_CYCLE_LIMIT = {"verilator": 50_000_000, "icarus": 50_000_000, "amaranth": 2_000_000}


def _waves_path(waves, info: DesignInfo, simulator: str) -> Path | None:
    if waves is False or waves is None:
        return None
    if waves is True:
        # One file per kernel and simulator: the next run of the same kernel replaces it.
        return cache_root() / "waves" / f"{info.name}.{simulator}.vcd"
    return Path(os.fspath(waves)).resolve()


def simulate(component, info: DesignInfo, scalar_args, arrays, *, simulator: str = "verilator",
             waves=False, cycle_limit: int | None = None, verilog: str | None = None, loc=None,
             progress=None, streams=None, backpressure: int | None = None) -> SimResult:
    """Run ``component`` (following ``gen/design.py``'s port contract) once.

    ``scalar_args``: raw values for ``info.scalar_args`` in order. ``arrays``: the flat row-major
    raw contents of each memory, keyed by ``ArrayPort.port`` (result arrays may be left out:
    they start as zeros). ``simulator``: "verilator", "icarus" (both through cocotb; ``verilog``
    is the component's Verilog if already made) or "amaranth". ``waves``: True for a VCD in the
    cache folder, or a file path; the result's ``waves`` says where it went. ``progress``: a
    callable receiving short status strings. ``streams``: the raw values each input stream
    argument gives, keyed by ``StreamPort.port``; ``backpressure``: a seed for random gaps in
    the testbench's side of every stream argument (``streams.py``), None for none. Raises SimulationError when a tool is missing, a
    build fails or ``done`` is not seen within ``cycle_limit`` cycles."""
    if simulator not in SIMULATORS:
        raise SimulationError(
            f"unknown simulator {simulator!r}", loc,
            f"choose one of {', '.join(repr(s) for s in SIMULATORS)}")
    limit = DEFAULT_CYCLE_LIMIT[simulator] if cycle_limit is None else int(cycle_limit)
    job = make_job(info, scalar_args, arrays, limit, _waves_path(waves, info, simulator), loc,
                   progress, streams, backpressure)
    if simulator == "amaranth":
        from .amaranth_sim import run_amaranth
        job.report("amaranth: simulating")
        return run_amaranth(component, job)
    from .cocotb_sim import run_cocotb
    if verilog is None:
        from amaranth.back import verilog as verilog_backend
        verilog = verilog_backend.convert(component, name=info.name)
    return run_cocotb(verilog, job, simulator)
