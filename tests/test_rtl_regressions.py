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
