"""Memory primitives and compose: the loop nest before and after (``str(s)``, what ``s.show()``
prints), results equal to the unscheduled kernel on the interpreter, and layouts propagated
through calls."""
import numpy as np

import allo_rtl as allo
from allo_rtl.types import int32

from .helpers_diagnostics import gemm


def row_sum(A: int32[4, 6]) -> int32[4]:
    out: int32[4] = 0
    for i in range(4):
        for j in range(6):
            out[i] += A[i, j]
    return out


def mm_kj(A: int32[4, 5], B: int32[5, 3]) -> int32[4, 3]:
    C: int32[4, 3] = 0
    for i in range(4):
        for k in range(5):
            for j in range(3):
                C[i, j] += A[i, k] * B[k, j]
    return C


def blur(img: int32[6, 7]) -> int32[4, 5]:
    out: int32[4, 5] = 0
    for y in range(4):
        for x in range(5):
            acc: int32 = 0
            for r in range(3):
                for c in range(3):
                    acc += img[y + r, x + c]
            out[y, x] = acc
    return out


def top(A: int32[4, 5], B: int32[5, 3]) -> int32[4, 3]:
    return mm_kj(A, B)


def body(s) -> list:
    return [line.rstrip() for line in str(s).splitlines()]


def test_partition_shows_the_layout_and_keeps_the_nest():
    s = allo.customize(row_sum)
    before = body(s)
    s.partition(s.A, partition_type=allo.Partition.Cyclic, dim=2, factor=3)
    s.partition(s.out, dim=0)
    after = body(s)
    assert after[0] == before[0]
    assert after[1:3] == ["    # partition A: dim 2 cyclic factor 3",
                          "    # partition out: dim 1 complete"]
    assert after[3:] == before[1:]
    a = np.arange(24, dtype=np.int32).reshape(4, 6)
    np.testing.assert_array_equal(s.build()(a), a.sum(axis=1))


def test_partition_int_codes_are_allo_s():
    s = allo.customize(row_sum)
    s.partition(s.A, partition_type=1, dim=1, factor=2)
    assert "# partition A: dim 1 block factor 2" in str(s)


def test_buffer_at_loop_nest_before_and_after():
    s = allo.customize(mm_kj)
    assert "C_buf" not in str(s)
    s.buffer_at(s.C, axis="i")
    assert body(s)[1:] == [
        "    C_buf: int32[3]",
        "    C: int32[4, 3] = 0",
        "    for i in range(0, 4):  # band S_i_0",
        "        for C_buf_init0 in range(0, 3):  # band C_buf_init, pipeline=1",
        "            C_buf[C_buf_init0] = C[i, C_buf_init0]",
        "        for k in range(0, 5):  # band S_i_0",
        "            for j in range(0, 3):  # band S_i_0",
        "                C_buf[j] = int32((int65(C_buf[j]) + int65((A[i, k] * B[k, j]))))",
        "        for C_buf_back0 in range(0, 3):  # band C_buf_back, pipeline=1",
        "            C[i, C_buf_back0] = C_buf[C_buf_back0]",
        "    return C",
    ]
    a = np.arange(20, dtype=np.int32).reshape(4, 5) - 7
    b = np.arange(15, dtype=np.int32).reshape(5, 3) * 3
    np.testing.assert_array_equal(s.build()(a, b), a @ b)


def test_reuse_at_chains_a_line_and_a_window_buffer():
    s = allo.customize(blur)
    line = s.reuse_at(s.img, "y")
    window = s.reuse_at(line, "x")
    assert (line.name, window.name) == ("img_y_reuse", "img_y_reuse_x_reuse")
    text = body(s)
    assert "    for y in range(0, 6):  # band S_y_0" in text        # over every input row
    assert "        if (y >= 2):" in text
    assert "            for x in range(0, 7):  # band S_y_0" in text   # over every input column
    assert "                    img_y_reuse_x_reuse[img_y_reuse_x_reuse_col0, 2] = " \
           "img_y_reuse[img_y_reuse_x_reuse_col0, x]" in text
    assert any("acc: int32 = int32((int33(acc) + int33(img_y_reuse_x_reuse[" in t for t in text)
    assert not any("img[(y + r)" in t for t in text)
    img = np.random.default_rng(1).integers(-50, 50, (6, 7)).astype(np.int32)
    want = allo.customize(blur).build()(img)
    np.testing.assert_array_equal(s.build()(img), want)


def test_compose_replays_and_propagates_partitions_to_the_caller():
    sub = allo.customize(mm_kj)
    sub.buffer_at(sub.C, axis="i")
    sub.partition(sub.B, dim=2)
    s = allo.customize(top)
    s.compose(sub)
    text = str(s)
    assert "def top(A: int32[4, 5], B: int32[5, 3])" in text
    assert text.count("# partition B: dim 2 complete") == 2     # mm_kj's B and top's B
    assert [str(a) for a in s.primitives] == [
        "buffer_at('mm_kj:C', axis='mm_kj:i')",
        "partition('mm_kj:B', partition_type=0, dim=2, factor=0)"]
    a = np.arange(20, dtype=np.int32).reshape(4, 5)
    b = np.arange(15, dtype=np.int32).reshape(5, 3)
    np.testing.assert_array_equal(s.build()(a, b), a @ b)


def test_partition_of_gemm_and_report_of_banks():
    s = allo.customize(gemm)
    s.partition(s.B, dim=2)
    fn = s.report().functions[0]
    assert ("B", 4, 4, 32) in fn.interfaces   # 4 banks of 4 words
