"""The ``allo-rtl`` command line.

    allo-rtl show path/to/kernels.py:gemm     print the kernel's loop nest with types
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from .errors import AlloError


def load_kernel(spec: str):
    """``FILE:FUNC`` -> the Python function FUNC defined at module level in FILE."""
    path, sep, name = spec.rpartition(":")
    if not sep or not path or not name:
        raise SystemExit(f"allo-rtl: expected FILE:FUNC, got {spec!r}")
    file = Path(path)
    if not file.is_file():
        raise SystemExit(f"allo-rtl: no such file: {file}")
    module_spec = importlib.util.spec_from_file_location(file.stem, file)
    module = importlib.util.module_from_spec(module_spec)
    sys.path.insert(0, str(file.parent.resolve()))
    module_spec.loader.exec_module(module)
    if not callable(getattr(module, name, None)):
        raise SystemExit(f"allo-rtl: {file} defines no function {name!r}")
    return getattr(module, name)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="allo-rtl", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    show = commands.add_parser("show", help="print a kernel's loop nest with types")
    show.add_argument("kernel", metavar="FILE:FUNC")
    args = parser.parse_args(argv)
    from . import customize
    try:
        if args.command == "show":
            customize(load_kernel(args.kernel)).show()
    except AlloError as e:
        print(e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
