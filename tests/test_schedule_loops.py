"""Loop primitives of ``Schedule``: split, reorder, fuse, unroll, pipeline, compute_at.

Each test checks the loop nest ``str(s)`` prints after the primitive (the whole text, or the
lines that show the change) and that the reference interpreter gives the same results as the
unscheduled kernel, or numpy, on random inputs. Errors are in test_diagnostics_loop_primitives.py.
"""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.errors import ScheduleError
from allo_rtl.types import int32

RNG = np.random.default_rng(20240611)


def ints(*shape, lo=-9, hi=9):
    return RNG.integers(lo, hi, shape).astype(np.int32)


def run(s, *args):
    """Results of ``s.build()``: the returned value and every argument array after the call."""
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    out = s.build()(*copies)
    return out, [c for c in copies if isinstance(c, np.ndarray)]


def assert_same_as_unscheduled(kernel, s, *args):
    want, want_args = run(allo.customize(kernel), *args)
    got, got_args = run(s, *args)
    np.testing.assert_array_equal(got, want)
    for g, w in zip(got_args, want_args):
        np.testing.assert_array_equal(g, w)


def loop_lines(s) -> list:
    """The loop headers and guards of ``s``'s printed nest, indented as printed."""
    return [line for line in str(s).splitlines() if line.lstrip().startswith(("for ", "if "))]


def replay(kernel, s):
    """A fresh schedule of ``kernel`` with ``s``'s recorded primitives applied again."""
    again = allo.customize(kernel)
    for applied in s.primitives:
        getattr(again, applied.primitive)(*applied.args, **dict(applied.kwargs))
    return again


# -- kernels -----------------------------------------------------------------------------------
def gemm(A: int32[4, 6], B: int32[6, 5]) -> int32[4, 5]:
    C: int32[4, 5] = 0
    for i, j in allo.grid(4, 5, name="mm"):
        for k in allo.reduction(6):
            C[i, j] += A[i, k] * B[k, j]
    return C


def vadd(A: int32[10], B: int32[10]) -> int32[10]:
    C: int32[10] = 0
    for j in range(10):
        C[j] = A[j] + B[j]
    return C


def backwards(A: int32[10]) -> int32[10]:
    B: int32[10] = 0
    for q in range(9, -1, -2):
        B[q] = A[q] + q
    return B


def lower_sums(A: int32[9, 9]) -> int32[9]:
    B: int32[9] = 0
    for i in range(9):
        for j in range(i + 1):
            B[i] += A[i, j] * (j + 1)
    return B


def between(A: int32[12], n: int32, m: int32) -> int32[12]:
    B: int32[12] = 0
    for q in range(n, m, 3):
        B[q] = A[q] + 1
    for r in range(m - 1, n - 1, -2):
        B[r] += 7
    return B


def four_deep(A: int32[2, 3, 4, 5]) -> int32[2, 3, 4, 5]:
    C: int32[2, 3, 4, 5] = 0
    for i, j, k, l in allo.grid(2, 3, 4, 5):
        C[i, j, k, l] = A[i, j, k, l] * 3 + i - l
    return C


def update(A: int32[6, 6], B: int32[6, 8]):
    for i1, j1 in allo.grid(6, 8, name="update"):
        for k1 in allo.reduction(6):
            if k1 > i1:
                B[i1, j1] += A[k1, i1] * B[k1, j1]


def transpose_scaled(A: int32[4, 5]) -> int32[5, 4]:
    B: int32[5, 4] = 0
    for i in range(4):
        for j in range(5):
            t: int32 = A[i, j] * 2
            B[j, i] = t + 1
    return B


def strided_grid(A: int32[12, 12]) -> int32[12, 12]:
    B: int32[12, 12] = 0
    for i in range(1, 7, 2):
        for j in range(2, 11, 3):
            for k in range(11, 5, -1):
                B[i, k] += A[j, k] + i
    return B


def rows_downwards(A: int32[6, 5]):
    for i in range(4, -1, -1):
        for j in range(5):
            A[i, j] = A[i + 1, j] * 2 + j


def two_stages(A: int32[4, 5, 6]) -> int32[4, 5, 6]:
    B: int32[4, 5, 6] = 0
    for i, j, m in allo.grid(4, 5, 6):
        B[i, j, m] = A[i, j, m] * 2
    C: int32[4, 5, 6] = 0
    for ii, jj, mm in allo.grid(4, 5, 6):
        C[ii, jj, mm] = B[ii, jj, mm] + 1
    return C


def row_then_shift(A: int32[4, 6]) -> int32[4, 5]:
    B: int32[4, 6] = 0
    for i in range(4):
        for j in range(6):
            B[i, j] = A[i, j] * 2
    C: int32[4, 5] = 0
    for ii in range(4):
        for jj in range(5):
            C[ii, jj] = B[ii, jj + 1] - B[ii, jj]
    return C


def stages_per_step(A: int32[3, 4, 5]) -> int32[3, 4, 5]:
    C: int32[3, 4, 5] = 0
    for t in range(3):
        B: int32[4, 5] = 0
        for i, j in allo.grid(4, 5):
            B[i, j] = A[t, i, j] + t
        for ii, jj in allo.grid(4, 5):
            C[t, ii, jj] = B[ii, jj] * 3
    return C


def mm(A: int32[4, 6], B: int32[6, 5], C: int32[4, 5]):
    for i0, j0 in allo.grid(4, 5):
        for k0 in allo.reduction(6):
            C[i0, j0] += A[i0, k0] * B[k0, j0]


def calls_mm(A: int32[4, 6], B: int32[6, 5]) -> int32[4, 5]:
    C: int32[4, 5] = 0
    mm(A, B, C)
    return C


# -- split ---------------------------------------------------------------------------------------
def test_split_divisible_factor_has_no_guard():
    s = allo.customize(gemm)
    s.split("i", 2)
    assert str(s) == """\
def gemm(A: int32[4, 6], B: int32[6, 5]) -> int32[4, 5]:
    C: int32[4, 5] = 0
    for i.outer in range(0, 2):  # band mm
        for i.inner in range(0, 2):  # band mm
            for j in range(0, 5):  # band mm
                for k in range(0, 6):  # band mm, reduction
                    C[((i.outer * 2) + i.inner), j] = int32((int65(C[((i.outer * 2) + i.inner), j]) \
+ int65((A[((i.outer * 2) + i.inner), k] * B[k, j]))))
    return C"""
    A, B = ints(4, 6), ints(6, 5)
    np.testing.assert_array_equal(run(s, A, B)[0], A @ B)


def test_split_tail_guards_the_innermost_body():
    """5 iterations by 2: the outer loop runs 3 times and the last inner iteration is masked;
    the guard sits below k so that the nest stays perfectly nested."""
    s = allo.customize(gemm)
    s.split("j", 2)
    assert loop_lines(s) == [
        "    for i in range(0, 4):  # band mm",
        "        for j.outer in range(0, 3):  # band mm",
        "            for j.inner in range(0, 2):  # band mm",
        "                for k in range(0, 6):  # band mm, reduction",
        "                    if (((j.outer * 2) + j.inner) < 5):",
    ]
    A, B = ints(4, 6), ints(6, 5)
    np.testing.assert_array_equal(run(s, A, B)[0], A @ B)


@pytest.mark.parametrize("factor", [1, 3, 4, 10, 16])
def test_split_any_factor_keeps_results(factor):
    s = allo.customize(vadd)
    s.split("j", factor)
    outer = -(-10 // factor)
    assert loop_lines(s)[:2] == [f"    for j.outer in range(0, {outer}):  # band S_j_0",
                                 f"        for j.inner in range(0, {factor}):  # band S_j_0"]
    assert any(line.lstrip().startswith("if ") for line in loop_lines(s)) == (10 % factor != 0)
    A, B = ints(10), ints(10)
    np.testing.assert_array_equal(run(s, A, B)[0], A + B)


def test_split_negative_step():
    s = allo.customize(backwards)
    s.split("q", 2)
    assert str(s).splitlines()[2:6] == [
        "    for q.outer in range(0, 3):  # band S_q_0",
        "        for q.inner in range(0, 2):  # band S_q_0",
        "            if ((9 + (((q.outer * 2) + q.inner) * -2)) > -1):",
        "                B[(9 + (((q.outer * 2) + q.inner) * -2))] = int32((int34(A[(9 + (((q.outer "
        "* 2) + q.inner) * -2))]) + int34((9 + (((q.outer * 2) + q.inner) * -2)))))",
    ]
    A = ints(10)
    for factor in (1, 2, 3, 5, 6):
        s = allo.customize(backwards)
        s.split("q", factor)
        assert_same_as_unscheduled(backwards, s, A)


@pytest.mark.parametrize("factor", [1, 2, 4, 9, 12])
def test_split_triangular_inner_loop(factor):
    s = allo.customize(lower_sums)
    s.split("j", factor)
    header = loop_lines(s)[1]
    if factor == 1:
        assert header == ("        for j.outer in range(0, index((int34(i) + 1))):  # band S_i_0")
    else:
        assert header == (f"        for j.outer in range(0, ((index((int34(i) + 1)) + {factor - 1})"
                          f" // {factor})):  # band S_i_0")
    assert_same_as_unscheduled(lower_sums, s, ints(9, 9))


def test_split_outer_loop_of_a_triangular_nest():
    """The inner loop's bound uses i, which the split replaces inside it."""
    s = allo.customize(lower_sums)
    s.split("i", 4)
    assert loop_lines(s)[2] == ("            for j in range(0, (int34(((i.outer * 4) + i.inner)) + 1)):"
                                "  # band S_i_0")
    assert_same_as_unscheduled(lower_sums, s, ints(9, 9))


@pytest.mark.parametrize("n, m", [(0, 12), (1, 11), (2, 10), (5, 4), (3, 3), (11, 0)])
def test_split_variable_bounds_in_both_directions(n, m):
    s = allo.customize(between)
    s.split("q", 2)
    s.split("r", 3)
    lines = loop_lines(s)
    assert lines[0] == "    for q.outer in range(0, (((index(m) - index(n)) + 5) // 6)):  # band S_q_0"
    assert lines[2] == "            if ((index(n) + (((q.outer * 2) + q.inner) * 3)) < index(m)):"
    assert lines[5] == ("            if ((index((int33(m) - 1)) + (((r.outer * 3) + r.inner) * -2)) > "
                        "index((int33(n) - 1))):")
    assert_same_as_unscheduled(between, s, ints(12), n, m)


def test_split_of_a_split_loop():
    s = allo.customize(lower_sums)
    s.split("j", 4)
    s.split("j.outer", 3)
    s.split("i", 2)
    assert [line.split(" in ")[0].strip() for line in loop_lines(s)] == [
        "for i.outer", "for i.inner", "for j.outer.outer", "for j.outer.inner", "for j.inner",
        "if (((i.outer * 2) + i.inner) < 9):",
        "if (((j.outer.outer * 3) + j.outer.inner) < ((index((int34(((i.outer * 2) + i.inner)) "
        "+ 1)) + 3) // 4)):",
        "if (((((j.outer.outer * 3) + j.outer.inner) * 4) + j.inner) < index((int34(((i.outer * 2) "
        "+ i.inner)) + 1))):"]
    assert_same_as_unscheduled(lower_sums, s, ints(9, 9))


def test_split_keeps_band_and_kind_and_returns_handles():
    s = allo.customize(gemm)
    outer, inner = s.split("k", 4)
    assert (outer.name, inner.name, outer.band, inner.band) == ("k.outer", "k.inner", "mm", "mm")
    assert outer.loop.kind == inner.loop.kind == "reduction"
    assert s.get_loops().mm["k.inner"].loop is inner.loop
    s.pipeline(outer)
    assert "for k.outer in range(0, 2):  # band mm, reduction, pipeline=1" in str(s)
    A, B = ints(4, 6), ints(6, 5)
    np.testing.assert_array_equal(run(s, A, B)[0], A @ B)


# -- reorder ---------------------------------------------------------------------------------------
def test_reorder_gemm_reduction_inside_the_row():
    s = allo.customize(gemm)
    s.reorder("k", "j")
    assert loop_lines(s) == [
        "    for i in range(0, 4):  # band mm",
        "        for k in range(0, 6):  # band mm, reduction",
        "            for j in range(0, 5):  # band mm",
    ]
    A, B = ints(4, 6), ints(6, 5)
    np.testing.assert_array_equal(run(s, A, B)[0], A @ B)


def test_reorder_fills_the_places_of_the_named_loops():
    """As in Allo: the named loops take their own places in the order given; j, k stay."""
    s = allo.customize(four_deep)
    s.reorder("l", "i")
    assert [line.split(" in ")[0].strip() for line in loop_lines(s)] == \
        ["for l", "for j", "for k", "for i"]
    assert_same_as_unscheduled(four_deep, s, ints(2, 3, 4, 5))
    s.reorder("k", "l", "j")
    assert [line.split(" in ")[0].strip() for line in loop_lines(s)] == \
        ["for k", "for l", "for j", "for i"]
    assert_same_as_unscheduled(four_deep, s, ints(2, 3, 4, 5))


def test_reorder_guarded_triangular_update_is_legal():
    """trmm's update: B[i1, j1] reads rows k1 > i1, which later iterations of i1 write."""
    s = allo.customize(update)
    s.reorder("k1", "j1")
    assert loop_lines(s) == [
        "    for i1 in range(0, 6):  # band update",
        "        for k1 in range(0, 6):  # band update, reduction",
        "            for j1 in range(0, 8):  # band update",
        "                if (k1 > i1):",
    ]
    assert_same_as_unscheduled(update, s, ints(6, 6, lo=-4, hi=4), ints(6, 8, lo=-4, hi=4))


def test_reorder_with_a_scalar_local_to_each_iteration():
    s = allo.customize(transpose_scaled)
    s.reorder("j", "i")
    assert [line.split(" in ")[0].strip() for line in loop_lines(s)] == ["for j", "for i"]
    A = ints(4, 5)
    np.testing.assert_array_equal(run(s, A)[0], (A * 2 + 1).T)


def test_reorder_strided_loops_with_negative_step():
    s = allo.customize(strided_grid)
    s.reorder("k", "i")
    assert loop_lines(s) == [
        "    for k in range(11, 5, -1):  # band S_i_0",
        "        for j in range(2, 11, 3):  # band S_i_0",
        "            for i in range(1, 7, 2):  # band S_i_0",
    ]
    assert_same_as_unscheduled(strided_grid, s, ints(12, 12))


def test_reorder_downward_loop_carrying_a_dependence_outermost_to_innermost():
    """Each row i reads row i + 1, written one iteration of i earlier (i runs downwards): the
    dependence is (<, =) over (i, j), so moving i inside j is legal."""
    s = allo.customize(rows_downwards)
    s.reorder("j", "i")
    assert loop_lines(s) == ["    for j in range(0, 5):  # band S_i_0",
                             "        for i in range(4, -1, -1):  # band S_i_0"]
    assert_same_as_unscheduled(rows_downwards, s, ints(6, 5, lo=-3, hi=3))


def test_split_reorder_pipeline_sequence():
    s = allo.customize(gemm)
    s.split("j", 2)
    s.reorder("k", "j.inner")
    s.pipeline("k")
    s.unroll("j.inner")
    assert loop_lines(s) == [
        "    for i in range(0, 4):  # band mm",
        "        for j.outer in range(0, 3):  # band mm",
        "            for k in range(0, 6):  # band mm, reduction, pipeline=1",
        "                for j.inner in range(0, 2):  # band mm, unroll=0",
        "                    if (((j.outer * 2) + j.inner) < 5):",
    ]
    A, B = ints(4, 6), ints(6, 5)
    np.testing.assert_array_equal(run(s, A, B)[0], A @ B)


def test_reorder_keeps_annotations_and_handles_with_their_loops():
    s = allo.customize(gemm)
    loops = s.get_loops()
    s.pipeline(loops.mm.k, initiation_interval=2)
    s.reorder(loops.mm.k, loops.mm.i)
    assert loop_lines(s)[0] == "    for k in range(0, 6):  # band mm, reduction, pipeline=2"
    s.unroll(loops.mm.i, factor=2)   # the handle still names loop i, now innermost
    assert loop_lines(s)[2] == "            for i in range(0, 4):  # band mm, unroll=2"
    A, B = ints(4, 6), ints(6, 5)
    np.testing.assert_array_equal(run(s, A, B)[0], A @ B)


# -- fuse ------------------------------------------------------------------------------------------
def test_fuse_two_loops():
    s = allo.customize(gemm)
    fused = s.fuse("i", "j")
    assert fused.name == "i_j_fused"
    assert str(s).splitlines()[2:5] == [
        "    for i_j_fused in range(0, 20):  # band mm",
        "        for k in range(0, 6):  # band mm, reduction",
        "            C[(i_j_fused // 5), (i_j_fused % 5)] = int32((int65(C[(i_j_fused // 5), "
        "(i_j_fused % 5)]) + int65((A[(i_j_fused // 5), k] * B[k, (i_j_fused % 5)]))))",
    ]
    A, B = ints(4, 6), ints(6, 5)
    np.testing.assert_array_equal(run(s, A, B)[0], A @ B)


def test_fuse_three_loops_with_offsets_and_steps():
    s = allo.customize(strided_grid)
    s.fuse("i", "j", "k")
    lines = str(s).splitlines()
    assert lines[2] == "    for i_j_k_fused in range(0, 54):  # band S_i_0"
    assert "B[(1 + ((i_j_k_fused // 18) * 2)), (11 + ((i_j_k_fused % 6) * -1))]" in lines[3]
    assert "A[(2 + (((i_j_k_fused // 6) % 3) * 3)), (11 + ((i_j_k_fused % 6) * -1))]" in lines[3]
    assert_same_as_unscheduled(strided_grid, s, ints(12, 12))


def test_fuse_then_pipeline_the_fused_loop():
    s = allo.customize(four_deep)
    s.fuse("k", "l")
    s.pipeline("k_l_fused")
    s.fuse("i", "j")
    assert loop_lines(s) == [
        "    for i_j_fused in range(0, 6):  # band S_i_j_k_l_0",
        "        for k_l_fused in range(0, 20):  # band S_i_j_k_l_0, pipeline=1",
    ]
    assert_same_as_unscheduled(four_deep, s, ints(2, 3, 4, 5))


# -- annotations -----------------------------------------------------------------------------------
def test_unroll_and_pipeline_annotations():
    s = allo.customize(gemm)
    s.unroll("k", factor=3)
    s.unroll("j")
    s.pipeline("j", initiation_interval=2, rewind=True)
    assert loop_lines(s) == [
        "    for i in range(0, 4):  # band mm",
        "        for j in range(0, 5):  # band mm, unroll=0, pipeline=2, rewind=True",
        "            for k in range(0, 6):  # band mm, reduction, unroll=3",
    ]
    s.pipeline("j", initiation_interval=2, rewind=True)   # the same call again: no change
    with pytest.raises(ScheduleError):
        s.pipeline("j")   # other arguments: refused, not a silent replacement (diagnostics tests)
    assert s.get_loops().mm.j.loop.attrs == {"unroll": 0, "pipeline": 2, "rewind": True}
    A, B = ints(4, 6), ints(6, 5)
    np.testing.assert_array_equal(run(s, A, B)[0], A @ B)


def test_unroll_of_variable_bounds_keeps_any_factor():
    s = allo.customize(lower_sums)
    s.unroll("j", 64)   # the trip count is not known here: the RTL generator decides
    assert loop_lines(s)[1] == "        for j in range(0, (int34(i) + 1)):  # band S_i_0, unroll=64"


# -- compute_at ------------------------------------------------------------------------------------
def test_compute_at_middle_axis():
    s = allo.customize(two_stages)
    s.compute_at("j", "jj")
    assert str(s) == """\
def two_stages(A: int32[4, 5, 6]) -> int32[4, 5, 6]:
    B: int32[4, 5, 6] = 0
    C: int32[4, 5, 6] = 0
    for ii in range(0, 4):  # band S_ii_jj_mm_1
        for jj in range(0, 5):  # band S_ii_jj_mm_1
            for m in range(0, 6):  # band S_i_j_m_0
                B[ii, jj, m] = int32((A[ii, jj, m] * 2))
            for mm in range(0, 6):  # band S_ii_jj_mm_1
                C[ii, jj, mm] = int32((int33(B[ii, jj, mm]) + 1))
    return C"""
    A = ints(4, 5, 6)
    np.testing.assert_array_equal(run(s, A)[0], A * 2 + 1)


@pytest.mark.parametrize("producer, axis, nest", [
    ("i", "ii", ["ii", "j", "m", "jj", "mm"]),
    ("j", "jj", ["ii", "jj", "m", "mm"]),
    ("m", "mm", ["ii", "jj", "mm"]),
    ("i", "mm", ["ii", "jj", "mm"]),
])
def test_compute_at_each_axis(producer, axis, nest):
    """Allo's cases; as in Allo, the producer loop only names the producer's nest."""
    s = allo.customize(two_stages)
    s.compute_at(producer, axis)
    assert [line.split(" in ")[0].strip() for line in loop_lines(s)] == [f"for {n}" for n in nest]
    A = ints(4, 5, 6)
    np.testing.assert_array_equal(run(s, A)[0], A * 2 + 1)


def test_compute_at_outer_axis_when_the_consumer_reads_ahead():
    """C[ii, jj] reads B[ii, jj + 1]: legal at ii (the whole row is produced first)."""
    s = allo.customize(row_then_shift)
    s.compute_at("i", "ii")
    assert loop_lines(s) == [
        "    for ii in range(0, 4):  # band S_ii_1",
        "        for j in range(0, 6):  # band S_i_0",
        "        for jj in range(0, 5):  # band S_ii_1",
    ]
    A = ints(4, 6)
    np.testing.assert_array_equal(run(s, A)[0], (A * 2)[:, 1:] - (A * 2)[:, :-1])


def test_compute_at_sibling_nests_inside_a_loop():
    s = allo.customize(stages_per_step)
    s.compute_at("j", "jj")
    assert loop_lines(s) == [
        "    for t in range(0, 3):  # band S_t_0",
        "        for ii in range(0, 4):  # band S_t_0",
        "            for jj in range(0, 5):  # band S_t_0",
    ]
    assert "                B[ii, jj] = " in str(s)
    A = ints(3, 4, 5)
    np.testing.assert_array_equal(run(s, A)[0], (A + np.arange(3).reshape(3, 1, 1)) * 3)


def test_compute_at_then_split_and_reorder_the_merged_nest():
    s = allo.customize(two_stages)
    s.compute_at("m", "mm")
    s.split("jj", 2)
    s.reorder("jj.outer", "ii")
    assert [line.split(" in ")[0].strip() for line in loop_lines(s)] == \
        ["for jj.outer", "for ii", "for jj.inner", "for mm", "if (((jj.outer * 2) + jj.inner) < 5):"]
    A = ints(4, 5, 6)
    np.testing.assert_array_equal(run(s, A)[0], A * 2 + 1)


# -- record, replay and compose --------------------------------------------------------------------
def test_record_holds_qualified_loop_names_and_plain_values():
    s = allo.customize(gemm)
    s.split("j", 2)
    s.reorder("k", "j.inner")
    s.unroll(s.get_loops().mm["j.inner"], 2)
    s.pipeline("k", 3)
    assert [str(a) for a in s.primitives] == [
        "split('gemm:j', 2)", "reorder('gemm:k', 'gemm:j.inner')",
        "unroll('gemm:j.inner', factor=2)",
        "pipeline('gemm:k', initiation_interval=3, rewind=False)"]


@pytest.mark.parametrize("kernel, steps", [
    (gemm, [("split", "j", 2), ("reorder", "k", "j.inner"), ("pipeline", "k"), ("unroll", "j.inner")]),
    (lower_sums, [("split", "j", 4), ("split", "j.outer", 3), ("split", "i", 2), ("unroll", "j.inner")]),
    (four_deep, [("reorder", "l", "i"), ("fuse", "j", "k"), ("pipeline", "j_k_fused")]),
    (two_stages, [("compute_at", "j", "jj"), ("split", "m", 4), ("pipeline", "m.inner")]),
])
def test_replaying_the_record_gives_the_same_nest(kernel, steps):
    s = allo.customize(kernel)
    for name, *args in steps:
        getattr(s, name)(*args)
    again = replay(kernel, s)
    assert str(again) == str(s)
    assert [str(a) for a in again.primitives] == [str(a) for a in s.primitives]


def test_compose_replays_loop_primitives_on_the_callee():
    s_mm = allo.customize(mm)
    s_mm.split("j0", 2)
    s_mm.reorder("k0", "j0.inner")
    s_mm.pipeline("k0")
    s = allo.customize(calls_mm)
    s.compose(s_mm)
    assert str(s).split("\n\n")[0] == str(s_mm)
    A, B = ints(4, 6), ints(6, 5)
    np.testing.assert_array_equal(run(s, A, B)[0], A @ B)
