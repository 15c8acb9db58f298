"""Shrunk kernels that once gave different results on RTL than on the interpreter, or crashed
the generator. Each runs on the interpreter and on all three simulators, and the hardware must
equal the interpreter bit for bit (results, their dtypes, updated arrays) in the predicted
number of cycles."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.types import int32

from .helpers_rtl import assert_rtl_equals_interp

SIMULATORS = ["amaranth", "verilator", "icarus"]


# -- a loop counter's register is narrower than its type --------------------------------------

def counter_times_value(y: int32) -> int32[8]:
    R: int32[8] = 1
    for i in range(8):
        R[i] = i * y          # i >= 4 came out negative: the 3-bit counter was read as signed
    return R


def single_iteration_counter(y: int32) -> int32:
    t: int32 = y
    for i in range(1):
        t = i * t             # a 0-bit counter crashed the multiplier ("0-width signed value")
    return t


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_counter_times_signed_value(simulator):
    out = assert_rtl_equals_interp(counter_times_value, [10], simulator)
    assert out.tolist() == [10 * i for i in range(8)]
    assert assert_rtl_equals_interp(single_iteration_counter, [-7], simulator) == 0


# -- a scalar written in one branch only keeps its value when the other branch runs -----------

def else_only_write_in_loop(c: int32, v: int32) -> int32:
    t: int32 = v
    x: int32 = 0
    for i in range(2):
        if c > 0:
            x = 1
        else:
            t = 0
    return t + x


def else_only_write_to_parameter(c: int32, t: int32) -> int32:
    x: int32 = 0
    if c > 0:
        x = 1
    else:
        t = 0
    return t + x


def elif_taken(c: int32, t: int32) -> int32:
    x: int32 = 0
    if c > 5:
        x = 1
    elif c > 0:
        x = 2
    else:
        t = 0
    return t * 10 + x


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_write_in_the_branch_not_taken(simulator):
    assert assert_rtl_equals_interp(else_only_write_in_loop, [3, 5], simulator) == 6
    assert assert_rtl_equals_interp(else_only_write_in_loop, [-3, 5], simulator) == 0
    assert assert_rtl_equals_interp(else_only_write_to_parameter, [3, 5], simulator) == 6
    assert assert_rtl_equals_interp(elif_taken, [3, 5], simulator) == 52
    assert assert_rtl_equals_interp(elif_taken, [9, 5], simulator) == 51
    assert assert_rtl_equals_interp(elif_taken, [0, 5], simulator) == 0


# -- an overwritten store whose value read the array --------------------------------------------

def overwritten_store_of_a_quotient(x: int32) -> int32:
    L: int32[3] = 5
    L[0] = L[0] // x      # this store is dropped; its load then ordered nothing (listsched crash)
    L[0] = 1
    return L[0]


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_overwritten_store_after_a_dead_load(simulator):
    assert assert_rtl_equals_interp(overwritten_store_of_a_quotient, [2], simulator) == 1


# -- Allo's jacobi-2d schedule: reuse buffers inside a pipelined row loop ------------------------

N = 8


def stencil(A0: int32[N, N], B0: int32[N, N]):
    for i0, j0 in allo.grid(N - 2, N - 2, name="A"):
        B0[i0 + 1, j0 + 1] = (A0[i0, j0 + 1] + A0[i0 + 1, j0] + A0[i0 + 1, j0 + 1]
                              + A0[i0 + 1, j0 + 2] + A0[i0 + 2, j0 + 1])


def stencil_schedule():
    s = allo.customize(stencil)
    lb = s.reuse_at(s.A0, "i0")
    wb = s.reuse_at(lb, "j0")
    s.partition(lb, dim=0)
    s.partition(wb, dim=0)
    s.pipeline("i0")
    s.partition(s.B0, dim=2)
    return s


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_reuse_buffers_in_a_pipelined_row_loop(simulator):
    # the unrolled copies of j0 whose guard `j0 >= 2` is false addressed bank -1 of B0
    # (a crash in dfg.row_major): a constant guard now keeps one branch only
    A = np.random.default_rng(7).integers(-1000, 1000, (N, N)).astype(np.int32)
    B = np.zeros((N, N), np.int32)
    s = stencil_schedule()
    assert_rtl_equals_interp(s, [A, B], simulator)
    (row_loop,) = [line for line in str(s.report()).splitlines() if "stencil:i0" in line]
    assert " 8 " in row_loop and "II" in row_loop   # one pipeline initiation per row


def test_stencil_result_is_the_stencil():
    A = np.arange(N * N, dtype=np.int32).reshape(N, N)
    B = np.zeros((N, N), np.int32)
    stencil_schedule().build(target="rtl", simulator="amaranth")(A, B)
    want = A[:-2, 1:-1] + A[1:-1, :-2] + A[1:-1, 1:-1] + A[1:-1, 2:] + A[2:, 1:-1]
    assert np.array_equal(B[1:-1, 1:-1], want) and not B[0].any() and not B[:, 0].any()
