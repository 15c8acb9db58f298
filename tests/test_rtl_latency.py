"""Static latency: for kernels whose loop bounds are constants, ``s.report()`` predicts the cycle
count, and the simulated hardware takes exactly that many cycles (and computes what the
interpreter computes). Also the report's per-loop figures and the end-to-end path through the
external simulators."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.gen.analysis.normalize import normalize
from allo_rtl.ir import nodes as ir
from allo_rtl.types import Fixed, int8, int16, int32, uint8

N = 12
Q8 = Fixed(16, 8)


def vadd(A: int32[N], B: int32[N]) -> int32[N]:
    C: int32[N] = 0
    for i in range(N):
        C[i] = A[i] + B[i]
    return C


def matmul(A: int16[6, 5], B: int16[5, 4]) -> int32[6, 4]:
    C: int32[6, 4] = 0
    for i, j in allo.grid(6, 4, name="mm"):
        acc: int32 = 0
        for k in allo.reduction(5):
            acc += A[i, k] * B[k, j]
        C[i, j] = acc
    return C


def triangle(A: int32[8, 8]) -> int32[8]:
    S: int32[8] = 0
    for i in range(8):
        for j in range(i + 1):          # bounds from the outer loop: still static
            S[i] += A[i, j]
        for t in range(7, i, -2):
            S[i] -= A[t, i]
    return S


def half(v: int32) -> int32:
    return v // 2


def twice(v: int32) -> int32:
    r: int32 = 0
    for k in range(2):
        r += v
    return r


def branches(A: int32[N]) -> int32[N]:
    R: int32[N] = 0
    for i in range(N):
        if A[i] > 0:                    # a call in each branch: padded to the same length
            R[i] = half(A[i])
        else:
            R[i] = twice(A[i])
    return R


def fixed_poly(X: Q8[N]) -> Q8[N]:
    Y: Q8[N] = 0.0
    for i in range(N):
        x: Q8 = X[i]
        h: Q8 = 0.5                     # a float constant folded into a fixed-point one
        Y[i] = x * x - x * h + h
    return Y


def body_with_scalar(n: int32, A: uint8[N]) -> int32:
    total: int32 = 0
    for i in range(N):
        total += (A[i] % 7) * n
    return total


CASES = [
    (vadd, lambda r: [r.integers(-1000, 1000, N, dtype=np.int32), r.integers(-1000, 1000, N, dtype=np.int32)]),
    (matmul, lambda r: [r.integers(-300, 300, (6, 5), dtype=np.int16), r.integers(-300, 300, (5, 4), dtype=np.int16)]),
    (triangle, lambda r: [r.integers(-100, 100, (8, 8), dtype=np.int32)]),
    (branches, lambda r: [r.integers(-50, 50, N, dtype=np.int32)]),
    (fixed_poly, lambda r: [r.integers(-400, 400, N) / 64.0]),
    (body_with_scalar, lambda r: [-3, r.integers(0, 255, N, dtype=np.uint8)]),
]


def _same(a, b):
    if isinstance(a, tuple):
        return all(_same(x, y) for x, y in zip(a, b))
    return np.array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("kernel, make_inputs", CASES, ids=[c[0].__name__ for c in CASES])
def test_predicted_latency_equals_simulated_cycles(kernel, make_inputs):
    s = allo.customize(kernel)
    report = s.report()
    assert report.predicted_cycles is not None and report.predicted_cycles > 0
    mod = s.build(target="rtl", simulator="amaranth")
    assert mod.predicted_cycles == report.predicted_cycles
    for seed in (1, 2):
        inputs = make_inputs(np.random.default_rng(seed))
        want = s.build()(*[a.copy() if isinstance(a, np.ndarray) else a for a in inputs])
        got = mod(*inputs)
        assert _same(got, want)
        assert mod.cycles == report.predicted_cycles


def test_report_per_loop_figures():
    report = allo.customize(matmul).report()
    i, j, k = report.loop("i"), report.loop("j"), report.loop("k")
    assert (i.trip, j.trip, k.trip) == (6, 4, 5)
    assert (i.depth, j.depth, k.depth) == (0, 1, 2)
    # a loop's cycles are its trip count times an iteration, the outer ones included
    assert k.total == 5 * k.iteration
    assert i.total == 6 * i.iteration
    assert j.iteration > k.total           # the accumulator's set-up and the store around k
    text = str(report)
    assert "matmul:k" in text and f"{report.predicted_cycles} cycles predicted" in text
    tri = allo.customize(triangle).report()
    assert tri.loop("j").trip is None and tri.loop("j").total is None   # varies with i
    assert tri.loop("i").total is not None


def test_data_dependent_latency_is_not_predicted():
    def k(a: int32) -> int32:
        x: int32 = a
        while x > 1:
            x = x // 2
        return x

    s = allo.customize(k)
    assert s.report().predicted_cycles is None
    mod = s.build(target="rtl", simulator="amaranth")
    assert mod(1000) == 1 and mod.predicted_cycles is None
    short = mod.cycles
    mod(3)
    assert mod.cycles < short


@pytest.mark.parametrize("simulator", ["verilator", "icarus"])
def test_external_simulators_run_generated_hardware(simulator, tmp_path):
    s = allo.customize(matmul)
    mod = s.build(target="rtl", simulator=simulator, waves=True)
    rng = np.random.default_rng(5)
    A = rng.integers(-300, 300, (6, 5), dtype=np.int16)
    B = rng.integers(-300, 300, (5, 4), dtype=np.int16)
    C = mod(A, B)
    assert np.array_equal(C, A.astype(np.int32) @ B.astype(np.int32))
    assert mod.cycles == s.report().predicted_cycles
    assert mod.waves is not None and __import__("os").path.getsize(mod.waves) > 0


def test_verilog_and_component_targets():
    s = allo.customize(vadd)
    text = s.build(target="verilog")
    assert "module vadd" in text and "mem_A__raddr" in text and "mem_result0__wdata" in text
    top = s.build(target="amaranth")
    top._MustUse__silence = True          # inspected here, not elaborated
    members = dict(top.signature.members)
    assert {"start", "busy", "done", "mem_A", "mem_B", "mem_result0"} <= set(members)


def test_local_arrays_are_memories_and_narrow_types_wrap():
    def k(A: int8[16]) -> int8[16]:
        T: int8[16] = 3
        R: int8[16] = 0
        for i in range(16):
            T[i] = A[i] * 5             # wraps into int8
        for i2 in range(16):
            R[15 - i2] = T[i2] + T[(i2 + 1) % 16]
        return R

    s = allo.customize(k)
    A = np.arange(-8, 8, dtype=np.int8) * 9
    want = s.build()(A)
    mod = s.build(target="rtl", simulator="amaranth")
    assert np.array_equal(mod(A), want)
    assert mod.cycles == s.report().predicted_cycles
    fn = s.report().functions[0]
    assert ("T", 1, 16, 8) in fn.memories


def overwritten(A: int32[4, 3]) -> int32[4]:
    T: int32[4, 3]              # written whole before any read: needs no fill
    for j in range(3):
        for i in range(4):
            T[i, j] = A[i, j] * 2
    U: int32[4] = 7             # read before written: filled
    R: int32[4] = 0
    for i in range(4):
        R[i] = U[i] + T[i, 0] + T[i, 2]
        U[i] = 1
    return R


def test_a_local_array_written_whole_before_any_read_is_not_filled():
    s = allo.customize(overwritten)
    A = np.arange(12, dtype=np.int32).reshape(4, 3)
    want = s.build()(A)
    mod = s.build(target="rtl")
    assert np.array_equal(mod(A), want)
    assert mod.cycles == mod.predicted_cycles
    hw = normalize(s.top)
    loops = {x.name for x in ir.walk_stmts(hw.body) if isinstance(x, ir.For)}
    assert "T_fill0" not in loops and {"U_fill0", "R_fill0"} <= loops, loops
