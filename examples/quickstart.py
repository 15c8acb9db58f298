"""Quick start: write a kernel, compile it to Verilog, simulate the hardware, check it against
the reference interpreter, and print cycles and resources.

    .venv/bin/python examples/quickstart.py [--simulator verilator|icarus|amaranth]
"""
import argparse
import time
from pathlib import Path

import numpy as np

import allo_rtl as allo
from allo_rtl.types import int32

P, Q, R = 16, 24, 20


def gemm(A: int32[P, Q], B: int32[Q, R]) -> int32[P, R]:
    C: int32[P, R] = 0
    for i, j in allo.grid(P, R, name="mm"):
        for k in allo.reduction(Q):
            C[i, j] += A[i, k] * B[k, j]
    return C


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simulator", default="verilator", choices=("verilator", "icarus", "amaranth"))
    args = parser.parse_args()

    s = allo.customize(gemm)
    print("The kernel as the compiler sees it (s.show()):\n")
    s.show()

    verilog = s.build(target="verilog")
    out = Path("build") / "gemm.v"
    out.parent.mkdir(exist_ok=True)
    out.write_text(verilog)
    print(f"\nVerilog: {out} ({len(verilog.splitlines())} lines)")

    report = s.report()
    print(f"\n{report}\n")

    rng = np.random.default_rng(0)
    A = rng.integers(-100, 100, (P, Q), dtype=np.int32)
    B = rng.integers(-100, 100, (Q, R), dtype=np.int32)
    golden = s.build()(A, B)                       # the bit-exact reference interpreter
    mod = s.build(target="rtl", simulator=args.simulator,
                  progress=lambda msg: print(f"  {msg}"))
    t0 = time.perf_counter()
    C = mod(A, B)
    elapsed = time.perf_counter() - t0
    print(f"gemm {P}x{Q}x{R} simulated on {args.simulator} in {elapsed:.1f} s: "
          f"{mod.cycles} cycles (the report predicted {report.predicted_cycles}), C[0, :4] = {C[0, :4]}")
    if not np.array_equal(C, golden):
        raise SystemExit("MISMATCH: the hardware and the interpreter differ")
    if mod.cycles != report.predicted_cycles:
        raise SystemExit("MISMATCH: simulated cycles differ from the prediction")
    print("the hardware's results equal the interpreter's bit for bit")

    try:
        from allo_rtl.boards.synth import resource_summary
        resources = s.report(resources=True).resources
        print(f"ECP5 resources after yosys synth_ecp5: {resource_summary(resources)}")
    except allo.AlloError as e:
        print(f"(no resource figures: {e})")


if __name__ == "__main__":
    main()
