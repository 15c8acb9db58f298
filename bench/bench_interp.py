#!/usr/bin/env python3
"""Time the reference interpreter: gemm (int32) at PolyBench medium size, and every acceptance
kernel at a given size. The interpreter is the golden model of every hardware run, so it must
stay fast enough for real benchmark sizes (target: gemm medium under 30 s on 2 cores).

    .venv/bin/python bench/bench_interp.py [--size small] [--kernels ../shared/kernels] [--json F]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

import allo_rtl as allo
from allo_rtl.types import int32
from _common import KERNELS_DIR, copies, kernels

SKIPPED_FEATURES: set = set()   # the interpreter runs every kernel, streams included
GEMM_MEDIUM = (200, 240, 220)   # PolyBench medium: P x Q times Q x R
GEMM_LIMIT_S = 30.0


def gemm_kernel(P, Q, R):
    def gemm(A: int32[P, Q], B: int32[Q, R]) -> int32[P, R]:
        C: int32[P, R] = 0
        for i, j in allo.grid(P, R, name="mm"):
            for k in allo.reduction(Q):
                C[i, j] += A[i, k] * B[k, j]
        return C
    return gemm


def time_gemm_medium() -> dict:
    P, Q, R = GEMM_MEDIUM
    rng = np.random.default_rng(0)
    A = rng.integers(-50, 50, (P, Q), dtype=np.int32)
    B = rng.integers(-50, 50, (Q, R), dtype=np.int32)
    t0 = time.perf_counter()
    mod = allo.customize(gemm_kernel(P, Q, R)).build()
    t1 = time.perf_counter()
    C = mod(A, B)
    t2 = time.perf_counter()
    ok = np.array_equal(C, (A.astype(np.int64) @ B.astype(np.int64)).astype(np.int32))
    return {"kernel": "gemm_int32_medium", "size": f"{P}x{Q}x{R}", "build_s": t1 - t0,
            "run_s": t2 - t1, "correct": bool(ok), "macs_per_s": P * Q * R / (t2 - t1)}


def time_kernel(path: Path, k, size: str) -> dict:
    params = dict(k.SIZES[size])
    inputs = k.inputs(np.random.default_rng(0), **params)
    t0 = time.perf_counter()
    mod = allo.customize(k.kernel(**params)).build()
    t1 = time.perf_counter()
    mod(*copies(inputs))
    t2 = time.perf_counter()
    return {"kernel": path.stem, "size": size, "build_s": t1 - t0, "run_s": t2 - t1}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", default="small")
    p.add_argument("--kernels", default=str(KERNELS_DIR))
    p.add_argument("--json", default=None, help="also write the rows to this file")
    p.add_argument("--skip-gemm", action="store_true")
    args = p.parse_args()

    rows = []
    print(f"{'kernel':24s} {'size':>12s} {'build s':>9s} {'run s':>9s}", flush=True)
    for path, k in kernels(args.kernels, SKIPPED_FEATURES):
        row = time_kernel(path, k, args.size)
        rows.append(row)
        print(f"{row['kernel']:24s} {row['size']:>12s} {row['build_s']:9.3f} {row['run_s']:9.3f}",
              flush=True)
    status = 0
    if not args.skip_gemm:
        print("gemm int32 at PolyBench medium size ...", flush=True)
        row = time_gemm_medium()
        rows.append(row)
        verdict = "ok" if row["correct"] and row["run_s"] < GEMM_LIMIT_S else "TOO SLOW OR WRONG"
        print(f"{row['kernel']:24s} {row['size']:>12s} {row['build_s']:9.3f} {row['run_s']:9.3f}"
              f"  {row['macs_per_s'] / 1e6:.2f} M MAC/s, limit {GEMM_LIMIT_S:.0f} s: {verdict}")
        status = 0 if verdict == "ok" else 1
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return status


if __name__ == "__main__":
    sys.exit(main())
