"""The ``allo-rtl`` command line.

    allo-rtl show    kernels.py:gemm                 print the kernel's loop nest with types
    allo-rtl verilog kernels.py:gemm -o gemm.v       write the generated Verilog
    allo-rtl sim     kernels.py:gemm [--inputs x.npz] [--simulator icarus] [--waves]
                                                     simulate on random (or given) inputs, check
                                                     against the interpreter, print cycles
    allo-rtl report  kernels.py:gemm [--resources]   predicted latency per loop (and ECP5
                                                     resources after Yosys synthesis)
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
        with np.load(args.inputs) as data:
            inputs = {p.name: data[p.name] for p in s.top.params if p.name in data}
        inputs = {k: v.item() if v.ndim == 0 else v for k, v in inputs.items()}
        missing = [p.name for p in s.top.params if p.name not in inputs]
        if missing:
            print(f"allo-rtl: {args.inputs} has no value for {', '.join(missing)}", file=sys.stderr)
            return 2
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
                Path(args.output).write_text(text)
                print(f"wrote {args.output} ({len(text.splitlines())} lines)", file=sys.stderr)
            else:
                sys.stdout.write(text)
        elif args.command == "sim":
            return simulate_and_check(s, args)
        elif args.command == "report":
            print(s.report(resources=args.resources, clock_mhz=args.clock_mhz,
                           progress=lambda msg: print(f"  {msg}", file=sys.stderr)))
    except AlloError as e:
        print(e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
