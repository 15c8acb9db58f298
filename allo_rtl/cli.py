"""The ``allo-rtl`` command line.

    allo-rtl show    kernels.py:gemm                 print the kernel's loop nest with types
    allo-rtl verilog kernels.py:gemm -o gemm.v       write the generated Verilog
    allo-rtl sim     kernels.py:gemm [--inputs x.npz] [--simulator icarus] [--waves]
                                                     simulate on random (or given) inputs, check
                                                     against the interpreter, print cycles
    allo-rtl report  kernels.py:gemm [--resources]   predicted latency per loop (and ECP5
                                                     resources after Yosys synthesis)

Exit status: 0 on success; 1 when the kernel is in error (an ``AlloError``: a type error, an
illegal schedule, a build failure) or the simulation differs from the interpreter; 2 when the
command cannot run as asked: bad arguments, a ``FILE:NAME`` that does not load (no such file, a
Python syntax error, an exception while importing it, no function NAME), or an ``--inputs``
file that is missing, not an ``.npz`` archive, unreadable, has a key that is not a parameter,
lacks one, or holds a value the parameter's type cannot hold (the Python API's validation).
Errors are printed to standard error as located messages, never as tracebacks.
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
import traceback
import zipfile
import zlib
from pathlib import Path

from .errors import AlloError, AlloTypeError, AlloValueError


class CommandLineError(Exception):
    """The command cannot run as asked (exit status 2); the text is the whole message."""


def _syntax_error_text(e: SyntaxError) -> str:
    where = f"{e.filename}:{e.lineno}" + (f":{e.offset}" if e.offset else "")
    lines = [f"{where}: error: Python syntax error: {e.msg}"]
    if e.text and e.text.strip():
        text = e.text.rstrip("\n")
        stripped = text.lstrip()
        lines.append("    " + stripped)
        if e.offset:
            lines.append("    " + " " * max(e.offset - 1 - (len(text) - len(stripped)), 0) + "^")
    return "\n".join(lines)


def _import_error_text(file: Path, e: Exception) -> str:
    """``file:line: error: importing it raised ...`` at the innermost frame of ``file``."""
    frames = [f for f in traceback.extract_tb(e.__traceback__)
              if Path(f.filename).resolve() == file.resolve()]
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else str(file)
    return f"{where}: error: importing {file.name} raised {type(e).__name__}: {e}"


def load_kernel(spec: str):
    """``FILE:NAME`` -> the Python function NAME defined at module level in FILE; a
    ``CommandLineError`` when that fails (an ``AlloError`` raised while importing FILE passes)."""
    path, sep, name = spec.rpartition(":")
    if not sep or not path or not name:
        raise CommandLineError(f"allo-rtl: expected FILE:NAME (e.g. kernels.py:gemm), got {spec!r}")
    file = Path(path)
    if not file.is_file():
        raise CommandLineError(f"allo-rtl: no such file: {file}")
    module_spec = importlib.util.spec_from_file_location(file.stem, file)
    if module_spec is None:
        raise CommandLineError(f"allo-rtl: {file} is not a Python file")
    module = importlib.util.module_from_spec(module_spec)
    sys.path.insert(0, str(file.parent.resolve()))
    try:
        module_spec.loader.exec_module(module)
    except SyntaxError as e:
        raise CommandLineError(_syntax_error_text(e)) from None
    except AlloError:
        raise
    except Exception as e:  # anything the user's module raises while importing
        raise CommandLineError(_import_error_text(file, e)) from None
    if not callable(getattr(module, name, None)):
        defined = sorted(k for k, v in vars(module).items()
                         if callable(v) and getattr(v, "__module__", None) == module.__name__
                         and not k.startswith("_"))
        listing = f"; it defines {', '.join(defined)}" if defined else ""
        raise CommandLineError(f"allo-rtl: {file} defines no function {name!r}{listing}")
    return getattr(module, name)


def read_inputs(path: str, top) -> dict:
    """The arguments of kernel ``top`` from the ``.npz`` archive ``path``: one entry per
    parameter, each validated as the Python API validates a call; ``CommandLineError`` if not."""
    import numpy as np
    from . import kernel_call
    file = Path(path)
    if not file.is_file():
        raise CommandLineError(f"allo-rtl: no such inputs file: {file}")
    if not zipfile.is_zipfile(file):
        with open(file, "rb") as f:
            npy = f.read(6) == b"\x93NUMPY"
        what = "a .npy file (one array)" if npy else "not an .npz archive (or a damaged one)"
        raise CommandLineError(f"allo-rtl: {file} is {what}; --inputs needs an .npz archive with "
                               "one entry per parameter, written by np.savez")
    try:
        with np.load(file) as data:
            inputs = {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as e:
        raise CommandLineError(f"allo-rtl: cannot read {file}: {e}") from None
    names = [p.name for p in top.params]
    unknown = [k for k in inputs if k not in names]
    if unknown:
        raise CommandLineError(f"allo-rtl: {file}: {', '.join(map(repr, unknown))} "
                               f"{'is not a parameter' if len(unknown) == 1 else 'are not parameters'}"
                               f" of {top.name}; its parameters are {', '.join(names)}")
    missing = [n for n in names if n not in inputs]
    if missing:
        raise CommandLineError(f"allo-rtl: {file} has no value for {', '.join(missing)}")
    inputs = {k: v.item() if v.ndim == 0 else v for k, v in inputs.items()}
    try:
        kernel_call.to_raw(top, kernel_call.bind(top, (), inputs))
    except (AlloTypeError, AlloValueError) as e:
        raise CommandLineError(f"allo-rtl: {file}: {e.message}\nhint: {e.hint}") from None
    return inputs


def random_inputs(fn_ir, rng) -> dict:
    """Small random values for every parameter (so that products rarely wrap and divisors are
    rarely zero; wrapping is exact anyway, both sides compute it)."""
    import numpy as np
    from .ir import nodes as ir
    out = {}
    for p in fn_ir.params:
        t = p.elem if isinstance(p, ir.Buffer) else p.type
        lo, hi = (max(t.raw_min, -100), min(t.raw_max, 100)) if t.signed else (0, min(t.raw_max, 200))
        shape = tuple(p.shape) if isinstance(p, ir.Buffer) else ()
        raw = rng.integers(lo, hi + 1, shape)
        value = raw / (1 << t.fracs) if t.fracs or type(t).__name__ in ("Fixed", "UFixed") else raw
        if isinstance(p, ir.Buffer):
            out[p.name] = value if t.fracs else value.astype(np.int64)
        else:
            out[p.name] = float(value) if t.fracs else int(value)
    return out


def _same(a, b) -> bool:
    import numpy as np
    if isinstance(a, tuple):
        return isinstance(b, tuple) and all(map(_same, a, b))
    return np.array_equal(np.asarray(a), np.asarray(b))


def simulate_and_check(s, args) -> int:
    import numpy as np
    if args.inputs:
        inputs = read_inputs(args.inputs, s.top)
    else:
        inputs = random_inputs(s.top, np.random.default_rng(args.seed))
    copy = lambda d: {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in d.items()}  # noqa: E731
    golden_args, rtl_args = copy(inputs), copy(inputs)
    want = s.build()(**golden_args)
    mod = s.build(target="rtl", simulator=args.simulator, waves=args.waves,
                  cycle_limit=args.cycle_limit,
                  progress=lambda msg: print(f"  {msg}", file=sys.stderr))
    got = mod(**rtl_args)
    bad = [] if _same(got, want) else ["results"]
    bad += [k for k in inputs if isinstance(inputs[k], np.ndarray)
            and not np.array_equal(golden_args[k], rtl_args[k])]
    predicted = "unknown" if mod.predicted_cycles is None else mod.predicted_cycles
    print(f"{s.top.name} on {args.simulator}: {mod.cycles} cycles (predicted {predicted})")
    if mod.waves:
        print(f"waves: {mod.waves}")
    if bad:
        print(f"MISMATCH with the interpreter: {', '.join(bad)}")
        return 1
    print("results equal the interpreter's bit for bit")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="allo-rtl", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    show = commands.add_parser("show", help="print a kernel's loop nest with types")
    show.add_argument("kernel", metavar="FILE:FUNC")
    verilog = commands.add_parser("verilog", help="write the generated Verilog")
    verilog.add_argument("kernel", metavar="FILE:FUNC")
    verilog.add_argument("-o", "--output", help="output file (default: standard output)")
    sim = commands.add_parser("sim", help="simulate and check against the interpreter")
    sim.add_argument("kernel", metavar="FILE:FUNC")
    sim.add_argument("--simulator", default="verilator", choices=("verilator", "icarus", "amaranth"))
    sim.add_argument("--inputs", help=".npz file with one array or scalar per parameter name")
    sim.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
    sim.add_argument("--waves", action="store_true", help="write a waveform file")
    sim.add_argument("--cycle-limit", type=int, default=None)
    report = commands.add_parser("report", help="predicted latency per loop, resources on request")
    report.add_argument("kernel", metavar="FILE:FUNC")
    report.add_argument("--resources", action="store_true", help="synthesize with Yosys for ECP5")
    for sub in (verilog, sim, report):
        sub.add_argument("--clock-mhz", type=float, default=100.0)
    args = parser.parse_args(argv)
    from . import customize
    try:
        s = customize(load_kernel(args.kernel))
        if args.command == "show":
            s.show()
        elif args.command == "verilog":
            text = s.build(target="verilog", clock_mhz=args.clock_mhz)
            if args.output:
                try:
                    Path(args.output).write_text(text)
                except OSError as e:
                    raise CommandLineError(f"allo-rtl: cannot write {args.output}: {e.strerror}") from None
                print(f"wrote {args.output} ({len(text.splitlines())} lines)", file=sys.stderr)
            else:
                sys.stdout.write(text)
        elif args.command == "sim":
            return simulate_and_check(s, args)
        elif args.command == "report":
            print(s.report(resources=args.resources, clock_mhz=args.clock_mhz,
                           progress=lambda msg: print(f"  {msg}", file=sys.stderr)))
    except CommandLineError as e:
        print(e, file=sys.stderr)
        return 2
    except AlloError as e:
        print(e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
