"""Run-time checks on RTL: an index out of bounds, a division by zero, a bad shift amount or bit
index stops the hardware with the interpreter's own error (same class, message, location),
and no array argument is written; where intervals prove an operation safe no check is made;
``checks=False`` leaves them out and the report says so."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.errors import AlloIndexError, AlloRuntimeError, ScheduleError
from allo_rtl.types import int8, int32, uint4

from .helpers_rtl import assert_rtl_equals_interp, copy_args

SIMULATORS = ["amaranth", "verilator", "icarus"]


def faults(op: int32, x: int32, A: int32[4], B: int32[2, 3]) -> int32:
    r: int32 = 0
    v: int32 = A[0]
    B[0, 0] = 1                 # written before any check fails: must not reach the caller
    if op == 0:
        r = A[x]
    elif op == 1:
        B[1, x] = 9
    elif op == 2:
        r = 100 // x
    elif op == 3:
        r = 100 % x
    elif op == 4:
        r = 1 << x
    elif op == 5:
        r = -64 >> x
    elif op == 6:
        r = v[x]
    elif op == 7:
        v[x] = 1
        r = v
    return r


CASES = [
    # op, x, error class, message
    (0, 4, AlloIndexError, "index 4 is out of bounds for array 'A' of shape 4"),
    (0, -1, AlloIndexError, "index -1 is out of bounds for array 'A' of shape 4"),
    (1, 3, AlloIndexError, "index (1, 3) is out of bounds for array 'B' of shape (2, 3)"),
    (2, 0, AlloRuntimeError, "division by zero"),
    (3, 0, AlloRuntimeError, "modulo by zero"),
    (4, -2, AlloRuntimeError, "negative shift amount -2"),
    (5, -7, AlloRuntimeError, "negative shift amount -7"),
    (6, 32, AlloRuntimeError, "bit index 32 out of range for a 1-bit field of a 32-bit value"),
    (7, -1, AlloRuntimeError, "bit index -1 out of range for a 1-bit field of a 32-bit value"),
]


def _arrays():
    return [np.array([5, 6, 7, 8], np.int32), np.zeros((2, 3), np.int32)]


def _error(mod, args):
    with pytest.raises(allo.AlloError) as info:
        mod(*args)
    return info.value


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_each_check_raises_the_interpreters_error_and_writes_nothing(simulator):
    s = allo.customize(faults)
    interp, rtl = s.build(), s.build(target="rtl", simulator=simulator)
    for op, x, cls, message in CASES:
        golden, hw = [op, x, *_arrays()], [op, x, *_arrays()]
        want, got = _error(interp, golden), _error(rtl, hw)
        assert type(want) is cls and want.message == message, (op, x, want)
        assert type(got) is type(want) and str(got) == str(want), (op, x, str(got))
        assert (got.file, got.line, got.col) == (want.file, want.line, want.col)
        for before, after in zip(_arrays(), hw[2:]):
            assert np.array_equal(before, after), (op, x, after)   # nothing written
    for op, x in [(0, 3), (1, 2), (2, -3), (3, 7), (4, 5), (5, 3), (6, 31), (7, 0), (9, 9)]:
        assert_rtl_equals_interp(s, [op, x, *_arrays()], simulator)


# -- which error, when several fail ---------------------------------------------------------------

def two_faults(i: int32, d: int32, A: int32[4]) -> int32:
    # the index check can run before the divisor's load (a cycle later) is checked: the
    # interpreter raises the division by zero first, and so must the hardware
    q: int32 = A[0] // A[d]
    A[i] = q
    return q


def lazy(x: int32, y: int32) -> int32:
    a: int32 = x // y if y != 0 else -1          # only the chosen value is evaluated
    b: int32 = 1 if y == 0 or x // y > 2 else 0
    return a + b


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_the_first_error_in_program_order_and_lazy_operands(simulator):
    s = allo.customize(two_faults)
    interp, rtl = s.build(), s.build(target="rtl", simulator=simulator)
    A = np.array([10, 0, 3, 4], np.int32)
    for i, d in [(9, 1), (9, 2), (2, 1)]:
        want, got = _error(interp, [i, d, A.copy()]), _error(rtl, [i, d, A.copy()])
        assert str(got) == str(want)
    assert_rtl_equals_interp(s, [2, 2, A.copy()], simulator)
    for args in ([7, 0], [7, 2], [-9, 3]):
        assert_rtl_equals_interp(lazy, args, simulator)


def pipelined(A: int32[8], D: int32[8]) -> int32[8]:
    R: int32[8] = 0
    for i in range(8):
        R[i] = A[i] // D[i]
    return R


def pipelined_schedule():
    s = allo.customize(pipelined)
    s.pipeline("i")
    return s


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_a_pipeline_reports_its_first_failing_iteration(simulator):
    s = pipelined_schedule()
    A = np.arange(10, 18, dtype=np.int32)
    ok = np.array([1, 2, 3, 4, 5, 6, 7, 8], np.int32)
    assert_rtl_equals_interp(s, [A, ok], simulator)
    rtl = s.build(target="rtl", simulator=simulator)
    for zeros in ([5], [2, 6], [0, 7], [7]):
        D = ok.copy()
        D[zeros] = 0
        want, got = _error(s.build(), [A, D]), _error(rtl, [A, D])
        assert str(got) == str(want) and "division by zero" in str(got)


def scale(v: int32[4], k: int32) -> int32:
    return v[k] * 2


def caller(v: int32[4], k: int32) -> int32:
    total: int32 = 0
    for j in range(2):
        total += scale(v, k + j)
    return total


@pytest.mark.parametrize("simulator", SIMULATORS)
def test_a_callees_error_stops_its_caller(simulator):
    v = np.array([1, 2, 3, 4], np.int32)
    assert_rtl_equals_interp(caller, [v, 1], simulator)
    s = allo.customize(caller)
    want, got = _error(s.build(), [v, 3]), _error(s.build(target="rtl", simulator=simulator), [v, 3])
    assert str(got) == str(want) and "index 4 is out of bounds for array 'v'" in str(got)


# -- what is checked -----------------------------------------------------------------------------

def safe(A: int32[8], s: uint4) -> int32:
    total: int32 = 0
    for i in range(8):
        total += A[i] + A[7 - i] + (A[i] >> s) + (100 // (i + 1))
    for i in range(8):
        for j in range(i):
            total += A[j]                      # a triangular loop: j < i <= 7
        for j in range(i + 1):
            total += A[j]                      # an int33 bound: j <= i <= 7
        if i >= 2:
            total += A[i - 2]                  # a guard, as reuse_at makes
        else:
            total += A[i + 6]
    return total


def test_operations_proven_safe_have_no_check():
    report = allo.customize(safe).report()
    assert report.checks == [] and "run-time checks: 0 kept" in str(report)
    assert allo.customize(safe).build(target="rtl").design.info.status_outputs() == []


def test_the_report_lists_the_checks_kept():
    report = allo.customize(faults).report()
    kinds = [c.kind for c in report.checks]
    assert kinds.count("bounds") == 2 and kinds.count("zero") == 2
    assert kinds.count("negative_shift") == 2 and kinds.count("bit_index") == 2
    text = str(report)
    assert "run-time checks: 8 kept" in text
    assert "error 1: index of A[4] at test_rtl_checks.py:22 (faults)" in text
    assert "modulo by zero at test_rtl_checks.py:28" in text


def test_checks_false_leaves_them_out_and_says_so():
    s = allo.customize(faults)
    text = str(s.report(checks=False))
    assert "run-time checks: off (checks=False)" in text and "error 1" not in text
    assert s.build(target="rtl", checks=False).design.info.status_outputs() == []
    assert [port for port, _ in s.build(target="rtl").design.info.status_outputs()] == \
        ["error", "error_data"]
    rtl = s.build(target="rtl", simulator="amaranth", checks=False)
    rtl(2, 0, *_arrays())          # no error: the hardware divides by zero without noticing
    assert_rtl_equals_interp(s, [2, 5, *_arrays()], "amaranth", checks=False)
    with pytest.raises(ScheduleError, match="option 'checks' must be True or False"):
        s.build(target="verilog", checks="no")


def always_out(A: int32[4]) -> int32:
    total: int32 = 0
    for i in range(3):
        total += A[i + 4]
    return total


def sometimes_out(A: int32[4], c: int8) -> int32:
    total: int32 = 0
    for i in range(3):
        if c > 0:
            total += A[i + 4]
    return total


def test_an_access_out_of_bounds_on_every_run_is_an_error_at_build_time():
    with pytest.raises(AlloIndexError) as info:
        allo.customize(always_out).build(target="verilog")
    e = info.value
    assert e.message == ("index 0 of array 'A' of shape (4,) is out of bounds on every run "
                         "(its values are in [4, 6])")
    assert e.line == always_out.__code__.co_firstlineno + 3
    # under a condition the access may never run: a run-time check instead
    A = np.arange(4, dtype=np.int32)
    assert assert_rtl_equals_interp(sometimes_out, [A, 0]) == 0
    mod = allo.customize(sometimes_out).build(target="rtl", simulator="amaranth")
    assert str(_error(mod, [A, 1])) == str(_error(allo.customize(sometimes_out).build(), [A, 1]))
