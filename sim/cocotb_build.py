"""Building a design and its testbench for cocotb on Verilator or Icarus, once per design.

The build runs cocotb's runner in a child process (runner_process.py) whose output goes to
``build.log`` in the build folder; see build_cache.py for where builds are kept.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ..errors import SimulationError
from .build_cache import BuildFailed, build_folder, build_key, ensure_built
from .job import SimJob
from .testbench import testbench_name, testbench_verilog
from .tools import tool_version
from .verilator_runtime import keep_runtime, make_overrides, runtime_folder

# Bump when the build recipe changes in a way the key's other parts do not show.
RECIPE_VERSION = "3"
TIMESCALE = ("1ns", "1ps")
# Lint warnings are not errors: Amaranth's Verilog is correct but not lint-clean.
# Verilator's conditional-merging pass grows faster than quadratically with the number of
# processes: it took 125 of 137 s for mvt at N=48 and over 13 min at N=120 (14,400 registers),
# and 1 s of 3 already at N=16; without it the whole of Verilator takes 72 s at N=120.
VERILATOR_ARGS = ["-Wno-fatal", "-Wno-lint", "-Wno-style", "-fno-merge-cond"]
# Yosys's Verilog evaluates every combinational block once at time 0 by giving it a register
# initialised in its declaration to wait on. cocotb compiles with -g2012, where such an
# initialiser is no event, so a block whose inputs keep their initial values stays X; Verilog-2005
# semantics (the later flag wins) make the initialiser an event again.
ICARUS_ARGS = ["-g2005"]
LOG_TAIL_LINES = 30

_HERE = Path(__file__).resolve().parent


def log_tail(log: Path) -> str:
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return "(no log)"
    return "\n".join(lines[-LOG_TAIL_LINES:])


def _build_args(simulator: str) -> list:
    return VERILATOR_ARGS if simulator == "verilator" else ICARUS_ARGS


def run_runner(request: dict, folder: Path, log_name: str, env: dict) -> bool:
    """Run one cocotb runner request in a child process; False if it failed."""
    request_path = folder / f"{request['action']}_request.json"
    request_path.write_text(json.dumps(request, indent=1))
    with open(folder / log_name, "w") as log:
        done = subprocess.run(
            [sys.executable, str(_HERE / "runner_process.py"), str(request_path)],
            cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return done.returncode == 0


def _builder(simulator: str, tb_name: str, verilog: str, tb: str, trace: bool, env: dict):
    runtime, overrides = None, ""
    if simulator == "verilator":
        runtime = runtime_folder(tool_version(simulator), env["MAKEFLAGS"])
        overrides = make_overrides(runtime, trace)

    def attempt(folder: Path, extra_makeflags: str) -> bool:
        design_file, tb_file = folder / "design.v", folder / f"{tb_name}.v"
        design_file.write_text(verilog)
        tb_file.write_text(tb)
        request = {
            "action": "build", "simulator": simulator, "toplevel": tb_name,
            "build_dir": str(folder), "sources": [str(design_file), str(tb_file)],
            "build_args": _build_args(simulator),
            "waves": trace, "timescale": TIMESCALE,
        }
        build_env = env
        if extra_makeflags:
            build_env = dict(env, MAKEFLAGS=f"{env['MAKEFLAGS']} {extra_makeflags}")
        return run_runner(request, folder, "build.log", build_env)

    def build(folder: Path) -> None:
        ok = attempt(folder, overrides)
        if not ok and overrides and (folder / "Vtop.mk").exists():
            # Verilator accepted the design but make failed: perhaps the kept runtime does not
            # fit this build. Redo it in full, keeping the first log next to the second.
            (folder / "build.log").rename(folder / "build-with-kept-runtime.log")
            ok = attempt(folder, "")
        if not ok:
            raise BuildFailed("build.log")
        if runtime is not None:
            keep_runtime(folder, runtime)
    return build


def ensure_build(verilog: str, job: SimJob, simulator: str, env: dict) -> tuple[Path, bool]:
    """The build folder of this design on ``simulator``, and whether this call built it."""
    info = job.info
    tb_name, tb = testbench_name(info), testbench_verilog(info)
    # Icarus dumps waves through the testbench at run time; Verilator must compile tracing in.
    trace = simulator == "verilator" and job.waves is not None
    key = build_key(RECIPE_VERSION, simulator, tool_version(simulator), str(trace),
                    " ".join(_build_args(simulator)), tb, verilog)
    folder = build_folder(simulator, info.name, key)
    if not folder.is_dir():
        job.report(f"{simulator}: building {tb_name} for {info.name} (first time for this design)")
    try:
        built = ensure_built(folder, _builder(simulator, tb_name, verilog, tb, trace, env))
    except BuildFailed as failure:
        log = Path(failure.log)
        raise SimulationError(
            f"{simulator} could not build {info.name}; the end of its log {log}:\n"
            f"{log_tail(log)}", job.loc,
            "the generated Verilog does not compile: report it with the design's Verilog "
            f"({log.parent / 'design.v'})") from None
    return folder, built
