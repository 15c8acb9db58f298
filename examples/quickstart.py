"""Quick start: write a kernel, customize it, run it on the reference interpreter, check it.

    .venv/bin/python examples/quickstart.py
"""
import time

import numpy as np

import allo_rtl as allo
from allo_rtl.types import int32

P, Q, R = 32, 48, 40


def gemm(A: int32[P, Q], B: int32[Q, R]) -> int32[P, R]:
    C: int32[P, R] = 0
    for i, j in allo.grid(P, R, name="mm"):
        for k in allo.reduction(Q):
            C[i, j] += A[i, k] * B[k, j]
    return C


def main():
    s = allo.customize(gemm)
    print("The kernel as the compiler sees it (s.show()):\n")
    s.show()
    rng = np.random.default_rng(0)
    A = rng.integers(-100, 100, (P, Q), dtype=np.int32)
    B = rng.integers(-100, 100, (Q, R), dtype=np.int32)
    mod = s.build()  # the bit-exact reference interpreter
    t0 = time.perf_counter()
    C = mod(A, B)
    elapsed = time.perf_counter() - t0
    expected = (A.astype(np.int64) @ B.astype(np.int64)).astype(np.int32)
    print(f"\ngemm {P}x{Q}x{R} on the interpreter: {elapsed * 1e3:.1f} ms, C[0, :4] = {C[0, :4]}")
    if not np.array_equal(C, expected):
        raise SystemExit("MISMATCH against numpy")
    print("matches numpy bit for bit")


if __name__ == "__main__":
    main()
