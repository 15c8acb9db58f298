"""Diagnostics of the RTL targets: what hardware generation rejects, bad build options, and a
simulation that does not finish. Each test checks class, location (``# <- here``), message and
hint through ``check()`` (``helpers_diagnostics.py``)."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.errors import ScheduleError, SimulationError, UnsupportedError
from allo_rtl.types import float32, int32

from .helpers_diagnostics import check, gemm


def test_float_operation_rejected_on_rtl_targets():
    def k(A: int32[4]) -> int32:
        x: float32 = 0.0  # <- here
        s: int32 = 0
        for i in range(4):
            x = x + float(A[i])
        s = int(x)
        return s

    s = allo.customize(k)
    assert s.build()(np.arange(4, dtype=np.int32)) == 6   # the interpreter still runs it
    with pytest.raises(UnsupportedError) as info:
        s.build(target="verilog")
    err = check(info, UnsupportedError, "a float32 value on an RTL target: floating-point "
                "hardware is not available", "0.0")
    assert "interp" in err.hint


def test_float_parameter_rejected_on_rtl_targets():
    def k(A: float32[4], n: int32) -> int32:  # <- here
        return n

    with pytest.raises(UnsupportedError) as info:
        allo.customize(k).build(target="amaranth")
    check(info, UnsupportedError, "parameter 'A' of 'k' has type float32[4]", "A: float32[4]")


def add_one(v: int32) -> int32:
    return v + 1


def test_call_in_while_condition_rejected():
    def k(a: int32) -> int32:
        x: int32 = a
        while add_one(x) < 10:  # <- here
            x += 1
        return x

    with pytest.raises(UnsupportedError) as info:
        allo.customize(k).build(target="verilog")
    check(info, UnsupportedError, "a kernel call in a while condition", "add_one(x) < 10")


def scale2(X: int32[4], Y: int32[4]):
    for i in range(4):
        Y[i] = X[i] * 2


def test_same_array_passed_twice_rejected():
    def k(A: int32[4]):
        scale2(A, A)  # <- here

    with pytest.raises(UnsupportedError) as info:
        allo.customize(k).build(target="verilog")
    err = check(info, UnsupportedError, "array 'A' is passed twice to kernel 'scale2'", "scale2(A, A)")
    assert "copy" in err.hint


def test_returning_an_argument_array_rejected():
    def k(A: int32[4]) -> int32[4]:
        A[0] = 1
        return A  # <- here

    with pytest.raises(UnsupportedError) as info:
        allo.customize(k).build(target="verilog")
    check(info, UnsupportedError, "returns array 'A', which is one of its arguments", "A")


def test_build_rtl_unknown_option():
    s = allo.customize(gemm)
    with pytest.raises(ScheduleError) as info:
        s.build(target="verilog", simulator="icarus")  # <- here
    err = check(info, ScheduleError, "build(target='verilog') has no option 'simulator'",
                's.build(target="verilog", simulator="icarus")')
    assert "clock_mhz" in err.hint


def test_build_rtl_unknown_simulator():
    s = allo.customize(gemm)
    with pytest.raises(SimulationError) as info:
        s.build(target="rtl", simulator="modelsim")  # <- here
    err = check(info, SimulationError, "unknown simulator 'modelsim'",
                's.build(target="rtl", simulator="modelsim")')
    assert "verilator" in err.hint and "icarus" in err.hint and "amaranth" in err.hint


def test_build_rtl_bad_cycle_limit():
    s = allo.customize(gemm)
    with pytest.raises(SimulationError) as info:
        s.build(target="rtl", cycle_limit=0)  # <- here
    check(info, SimulationError, "cycle_limit must be a positive integer, got 0",
          's.build(target="rtl", cycle_limit=0)')


def test_build_rtl_unknown_family():
    s = allo.customize(gemm)
    with pytest.raises(UnsupportedError) as info:
        s.build(target="verilog", family="virtex")  # <- here
    err = check(info, UnsupportedError, "unknown target family 'virtex'",
                's.build(target="verilog", family="virtex")')
    assert "ecp5" in err.hint


def test_simulation_that_does_not_finish_names_the_stuck_state():
    def k(a: int32) -> int32:
        x: int32 = a
        while x != 0:  # <- here
            x = x + 2
        return x

    mod = allo.customize(k).build(target="rtl", simulator="amaranth", cycle_limit=500)
    assert mod(-6) == 0 and mod.cycles > 0
    with pytest.raises(SimulationError) as info:
        mod(1)   # odd: never reaches zero
    err = info.value
    assert "did not finish within 500 cycles" in str(err)
    assert "while condition" in str(err) or "statements at" in str(err)
    assert err.line is not None and err.hint


def add_reversed(A: int32[10], B: int32[10]) -> int32[10]:
    C: int32[10] = 0
    for i in range(10):
        C[i] = A[i] + B[9 - i]  # <- here
    return C


def test_run_time_bank_choice_by_a_cyclic_factor_that_is_not_a_power_of_two():
    """The factor not dividing 10 is fine (padded banks); dividing the index by 3 at run time
    is what the hardware cannot do. The error names the array, its partition and where it was
    asked for, and the factors that work."""
    s = allo.customize(add_reversed)
    s.partition(s.A, partition_type=allo.Partition.Cyclic, dim=1, factor=3)
    with pytest.raises(UnsupportedError) as info:
        s.build(target="verilog")
    err = check(info, UnsupportedError, "array 'A' is partitioned cyclic factor 3 along dimension 1 "
                "(extent 10), at test_diagnostics_rtl.py:", "A[i]", where=add_reversed)
    assert "needs a division by 3: the hardware divides only by powers of two" in err.message
    assert err.hint == ("use a cyclic factor that is a power of two below 10, or 10 and more "
                        "(complete) (e.g. 2, 4, 8, 10), or unroll the loops that index it")
    assert np.array_equal(s.build()(np.arange(10, dtype=np.int32), np.ones(10, np.int32)),
                          np.arange(10) + 1)                     # the interpreter runs it


def test_run_time_bank_choice_by_a_block_size_that_is_not_a_power_of_two():
    s = allo.customize(add_reversed)
    s.partition(s.B, partition_type=allo.Partition.Block, dim=1, factor=4)   # blocks of 3
    with pytest.raises(UnsupportedError) as info:
        s.build(target="verilog")
    err = check(info, UnsupportedError, "array 'B' is partitioned block factor 4 along dimension 1 "
                "(extent 10)", "B[9 - i]", where=add_reversed)
    assert "needs a division by 3" in err.message
    assert "ceil(10 / factor) is a power of two (e.g. 3, 5, 6, 7)" in err.hint
