"""Benchmark of scheduled designs: for every acceptance kernel with a schedule, simulated cycles
next to the ideal cycles of its schedule and their ratio; gemm with Allo's schedule at small and
PolyBench medium sizes next to Allo's published figure; the scheduled gemm at mini (ten
multiply-adds per cycle) on the ECP5: LUT4, FF, DSP, BRAM and Fmax.

    .venv/bin/python bench/bench_schedule.py [--size small] [--kernels DIR] [--no-synth]
                                             [--no-medium] [NAME ...]

The ideal cycles come from the schedule alone: per pipelined loop, iterations times the achieved
II plus the fill and drain (depth - II), per other block its cycles, summed over every execution
in the design. The ratio of simulated to ideal cycles is the controller's overhead; it must stay
at most 1.10. Every result is checked against the interpreter; a mismatch, or a ratio above
1.10, exits 1.
"""
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

import allo_rtl as allo
from _common import KERNELS_DIR, RTL_SKIPPED_FEATURES, copies, kernels, load, same

MAX_RATIO = 1.10


def run(k, size):
    dims = k.SIZES[size]
    s = k.schedule(allo.customize(k.kernel(**dims)), **dims)
    inputs = k.inputs(np.random.default_rng(0), **dims)
    golden = copies(inputs)
    want = allo.customize(k.kernel(**dims)).build()(*golden)
    t0 = time.perf_counter()
    report = s.report()
    mod = s.build(target="rtl", simulator="verilator")
    args = copies(inputs)
    got = mod(*args)
    seconds = time.perf_counter() - t0
    ok = same(got, want) and all(np.array_equal(a, b) for a, b in zip(golden, args)
                                 if isinstance(a, np.ndarray))
    pipelines = [r for r in report.loops if r.ii is not None]
    return {"cycles": mod.cycles, "ideal": report.ideal_cycles, "ok": ok, "seconds": seconds,
            "pipelines": [(f"{r.function}:{r.name}", r.ii, r.target_ii, r.cause)
                          for r in pipelines], "schedule": s}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*")
    parser.add_argument("--size", default="small")
    parser.add_argument("--kernels", default=str(KERNELS_DIR))
    parser.add_argument("--no-synth", action="store_true", help="skip Yosys and nextpnr")
    parser.add_argument("--no-medium", action="store_true", help="skip gemm at medium size")
    args = parser.parse_args()
    failed = False
    print(f"scheduled kernels at {args.size} (Verilator); ideal = trips x II + fill/drain")
    print(f"{'kernel':12s} {'cycles':>10s} {'ideal':>10s} {'ratio':>6s} {'s':>6s}  pipelines (II/target)")
    for path, k in kernels(args.kernels, RTL_SKIPPED_FEATURES, args.names):
        if not hasattr(k, "schedule"):
            continue
        r = run(k, args.size)
        ratio = r["cycles"] / r["ideal"] if r["ideal"] else float("nan")
        bad = not r["ok"] or not ratio <= MAX_RATIO
        failed |= bad
        iis = ", ".join(f"{name} {ii}/{target}" for name, ii, target, _ in r["pipelines"])
        print(f"{path.stem:12s} {r['cycles']:10d} {r['ideal']:10d} {ratio:6.3f} "
              f"{r['seconds']:6.1f}  {iis}{'  MISMATCH' if not r['ok'] else ''}", flush=True)
    anchors = json.loads((Path(args.kernels).parent / "anchors" /
                          "allo_pldi24_polybench.json").read_text())["kernels"]
    gemm = load(Path(args.kernels) / "gemm.py")
    print(f"\ngemm, int32, Allo's schedule (reorder k/j, buffer_at C at i, partition B dim 2, "
          f"pipeline k); Allo (float32, Vitis HLS, medium): {anchors['gemm']['allo']['cycles']} cycles")
    for size in ["small"] + ([] if args.no_medium else ["medium"]):
        r = run(gemm, size)
        failed |= not r["ok"]
        print(f"  gemm {size:7s} {gemm.SIZES[size]}: {r['cycles']} cycles (ideal {r['ideal']}), "
              f"{'ok' if r['ok'] else 'MISMATCH'}", flush=True)
    if not args.no_synth:
        from allo_rtl.boards.synth import place_and_route_ecp5, synthesize_ecp5
        dims = gemm.SIZES["mini"]
        s = gemm.schedule(allo.customize(gemm.kernel(**dims)), **dims)
        k_loop = s.report().loop("k")
        synth = synthesize_ecp5(s.build(target="verilog", clock_mhz=125), s.top.name)
        pnr = place_and_route_ecp5(synth, device="85k", freq_mhz=125)
        print(f"\nscheduled gemm mini on LFE5U-85F (yowasp synth_ecp5 + nextpnr, out of context): "
              f"{dims['R']} multiply-adds per cycle (k loop II {k_loop.ii})")
        print(f"  LUT4 {synth.lut4}, FF {synth.ff}, DSP (MULT18X18D) {synth.dsp}, "
              f"BRAM (DP16KD) {synth.bram}, Fmax {pnr.fmax_mhz:.1f} MHz")
        failed |= pnr.fmax_mhz is None or pnr.fmax_mhz < 125 or k_loop.ii != 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
