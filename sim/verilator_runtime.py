"""Verilator's runtime objects, compiled once and linked into every design's simulation.

A Verilator build compiles Verilator's own runtime (verilated.cpp, verilated_vpi.cpp, ...:
~15 s of CPU, four fifths of a small design's build) with flags that do not depend on the design.
Builds keep these objects in ``<cache>/builds/verilator/runtime-<key>/``; later builds tell make
(through MAKEFLAGS, since cocotb's runner runs make itself) to compile only the runtime classes
not kept yet and to link the kept objects.

Traced and untraced builds share the objects: the flags differ only in ``-DVM_TRACE``, which in
the runtime sources only sets a compatibility macro (the objects are byte-identical). If the
class lists below go stale with a new Verilator, the link fails and the build is redone in full
(see cocotb_build.py), which keeps the missing objects for next time.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from .build_cache import build_key, cache_root

RUNTIME_VERSION = "1"
# Vtop_classes.mk's VM_GLOBAL_FAST/SLOW for a cocotb build (--vpi), and what --trace adds.
RUNTIME_CLASSES = ("verilated", "verilated_dpi", "verilated_vpi", "verilated_threads")
TRACE_CLASSES = ("verilated_vcd_c",)


def runtime_folder(tool_version: str, compiler: str) -> Path:
    key = build_key(RUNTIME_VERSION, tool_version, compiler)
    return cache_root() / "builds" / "verilator" / f"runtime-{key}"


def _escape(text: str) -> str:
    """A MAKEFLAGS variable value: spaces are escaped with backslashes."""
    return text.replace(" ", "\\ ")


def make_overrides(folder: Path, trace: bool) -> str:
    """MAKEFLAGS definitions that link the kept objects and compile only the missing classes;
    empty (a normal build) when nothing is kept yet or the path would need quoting."""
    needed = RUNTIME_CLASSES + (TRACE_CLASSES if trace else ())
    kept = [folder / f"{name}.o" for name in needed if (folder / f"{name}.o").is_file()]
    if not kept or any(c.isspace() for c in str(folder)):
        return ""
    missing = [name for name in needed if not (folder / f"{name}.o").is_file()]
    return " ".join([f"VM_GLOBAL_FAST={_escape(' '.join(missing))}", "VM_GLOBAL_SLOW=",
                     "LOADLIBES=" + _escape(" ".join(str(o) for o in kept))])


def _global_classes(build_dir: Path) -> list[str]:
    """The runtime classes listed in a build's generated Vtop_classes.mk."""
    text = (build_dir / "Vtop_classes.mk").read_text()
    names = []
    for block in re.findall(r"^VM_GLOBAL_(?:FAST|SLOW) \+= \\\n((?:[ \t]+\S+ \\\n)*)", text, re.M):
        names += block.replace("\\", " ").split()
    return names


def keep_runtime(build_dir: Path, folder: Path) -> None:
    """Keep the runtime objects compiled in ``build_dir`` that ``folder`` lacks. Best effort:
    a failure only means that a later build compiles them again."""
    try:
        compiled = [build_dir / f"{name}.o" for name in _global_classes(build_dir)]
        folder.mkdir(parents=True, exist_ok=True)
        for obj in compiled:
            target = folder / obj.name
            if obj.is_file() and not target.exists():
                # Copy under a private name, then rename: readers never see half a file.
                fd, scratch = tempfile.mkstemp(prefix=obj.name + ".", dir=folder)
                os.close(fd)
                shutil.copyfile(obj, scratch)
                os.replace(scratch, target)
    except OSError:
        pass
