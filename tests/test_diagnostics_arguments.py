"""Diagnostics of a built kernel's call: arguments are validated, never silently converted
(DESIGN.md, Semantics). A value the parameter's type cannot hold exactly is an
``AlloValueError``, a wrong kind, shape or count an ``AlloTypeError``; both are located at the
caller's line (the ``# <- here`` marker, see ``check()`` in ``helpers_diagnostics.py``), name the
argument, what was expected and what was given, and their hint names the parameter's
declaration. The accepted cases check their results against numpy.
"""
import math

import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.errors import AlloTypeError, AlloValueError
from allo_rtl.types import Fixed, UFixed, bool as abool, float32, int8, int32, uint8

from .helpers_diagnostics import check


def total8(A: int8[4], n: int8) -> int32:
    s: int32 = n
    for i in range(4):
        s += A[i]
    return s


def grid_sum(A: int32[2, 3]) -> int32:
    s: int32 = 0
    for i, j in allo.grid(2, 3):
        s += A[i, j]
    return s


def scale_u8(B: uint8[4], k: uint8) -> uint8[4]:
    C: uint8[4] = 0
    for i in range(4):
        C[i] = B[i] * k
    return C


def copy32(A: int32[4]) -> int32[4]:
    return A


def fill(A: int32[4], v: int32):
    for i in range(4):
        A[i] = v


Q = Fixed(16, 12)


def fixed_copy(X: Q[3]) -> Q[3]:
    return X


def fixed_scalar(x: Q) -> Q:
    return x


def f32_copy(X: float32[2]) -> float32[2]:
    return X


def count_true(F: abool[4]) -> int32:
    c: int32 = 0
    for i in range(4):
        if F[i]:
            c += 1
    return c


def _interp(fn):
    return allo.customize(fn).build()


def _declared(err, param):
    """The hint names the parameter and its declaration in this file."""
    assert f"parameter {param} is declared at {__file__}:" in err.hint, err.hint


# -- values out of range -------------------------------------------------------------------------
def test_int8_array_element_out_of_range():
    mod = _interp(total8)
    A = np.array([1, 2, 1000, 4])
    with pytest.raises(AlloValueError) as info:
        mod(A, 1)  # <- here
    err = check(info, AlloValueError, "argument 'A': expected int8[4] (shape (4,)), got an int64 "
                "array of shape (4,) whose element A[2] = 1000 is out of int8's range (-128 to 127)",
                "mod(A, 1)")
    assert "np.clip(A, -128, 127)" in err.hint and "A.astype(np.int8) wraps" in err.hint
    _declared(err, "A: int8[4]")


def test_int8_scalar_out_of_range():
    mod = _interp(total8)
    with pytest.raises(AlloValueError) as info:
        mod(np.zeros(4, np.int8), 1000)  # <- here
    err = check(info, AlloValueError, "argument 'n': expected a scalar int8, got 1000 (int), which "
                "is out of int8's range (-128 to 127)", "mod(")
    _declared(err, "n: int8")


def test_uint8_negative_scalar_and_element():
    mod = _interp(scale_u8)
    with pytest.raises(AlloValueError) as info:
        mod(np.zeros(4, np.uint8), -1)  # <- here
    check(info, AlloValueError, "argument 'k': expected a scalar uint8, got -1 (int), which is out "
          "of uint8's range (0 to 255)", "mod(")


def test_uint8_negative_element_of_signed_array():
    mod = _interp(scale_u8)
    B = np.array([3, 2, -1, 0], dtype=np.int16)
    with pytest.raises(AlloValueError) as info:
        mod(B, 2)  # <- here
    check(info, AlloValueError, "got an int16 array of shape (4,) whose element B[2] = -1 is out "
          "of uint8's range (0 to 255)", "mod(B, 2)")


def test_position_of_the_first_offending_element_in_two_dimensions():
    mod = _interp(grid_sum)
    A = np.zeros((2, 3), np.int64)
    A[1, 2], A[1, 1] = 2**40, -2**35
    with pytest.raises(AlloValueError) as info:
        mod(A)  # <- here
    check(info, AlloValueError, f"whose element A[1, 1] = {-2**35} is out of int32's range",
          "mod(A)")


# -- dtype kinds -----------------------------------------------------------------------------
def test_float_array_with_integral_values_is_accepted_for_an_integer_parameter():
    """np.ones and np.zeros default to float64: integral values are held exactly, so accepted."""
    mod = _interp(grid_sum)
    A = np.arange(6, dtype=np.float64).reshape(2, 3) - 2
    assert mod(A) == int(A.sum())
    assert _interp(total8)(np.ones(4), 2.0) == 6
    assert _interp(total8)(np.array([True, False, True, True]), np.int8(-1)) == 2


def test_float_array_with_a_fraction_for_an_integer_parameter():
    mod = _interp(grid_sum)
    A = np.array([[1.0, 2.5, 3.0], [0.0, 0.0, 0.7]])
    with pytest.raises(AlloValueError) as info:
        mod(A)  # <- here
    err = check(info, AlloValueError, "argument 'A': expected int32[2, 3] (shape (2, 3)), got a "
                "float64 array of shape (2, 3) whose element A[0, 1] = 2.5 is not an integer",
                "mod(A)")
    assert "np.round(A)" in err.hint


def test_float_scalar_with_a_fraction_for_an_integer_parameter():
    mod = _interp(total8)
    with pytest.raises(AlloValueError) as info:
        mod(np.zeros(4, np.int8), 2.5)  # <- here
    err = check(info, AlloValueError, "argument 'n': expected a scalar int8, got 2.5 (float), "
                "which is not an integer", "mod(")
    assert "round(n)" in err.hint


def test_nan_for_an_integer_parameter():
    mod = _interp(total8)
    with pytest.raises(AlloValueError) as info:
        mod(np.array([0.0, math.nan, 0.0, 0.0]), 0)  # <- here
    check(info, AlloValueError, "whose element A[1] = nan is not finite", "mod(")


def test_bool_array_for_a_bool_parameter():
    mod = _interp(count_true)
    assert mod(np.array([True, False, True, True])) == 3
    assert mod(np.array([1, 0, 0, 1], np.uint8)) == 2
    with pytest.raises(AlloValueError) as info:
        mod(np.array([1, 0, 2, 1]))  # <- here
    check(info, AlloValueError, "whose element F[2] = 2 is out of bool's range (0 to 1)", "mod(")


def test_object_array_holding_a_string():
    mod = _interp(copy32)
    A = np.array([1, 2, "three", 4], dtype=object)
    with pytest.raises(AlloTypeError) as info:
        mod(A)  # <- here
    check(info, AlloTypeError, "got an object array of shape (4,) whose element A[2] = 'three' is "
          "not a number (str)", "mod(A)")


def test_object_array_of_python_numbers_is_checked_like_any_other():
    mod = _interp(copy32)
    assert mod(np.array([1, 2.0, True, -4], dtype=object)).tolist() == [1, 2, 1, -4]
    with pytest.raises(AlloValueError) as info:
        mod(np.array([1, 2, 2**31, 4], dtype=object))  # <- here
    check(info, AlloValueError, f"whose element A[2] = {2**31} is out of int32's range", "mod(")


def test_string_array():
    mod = _interp(copy32)
    with pytest.raises(AlloTypeError) as info:
        mod(np.array(["1", "2", "3", "4"]))  # <- here
    err = check(info, AlloTypeError, "got a <U1 array of shape (4,), which holds no real numbers",
                "mod(")
    assert "astype" in err.hint


def test_complex_array():
    mod = _interp(copy32)
    with pytest.raises(AlloTypeError) as info:
        mod(np.ones(4, np.complex128))  # <- here
    check(info, AlloTypeError, "got a complex128 array of shape (4,), which holds no real numbers",
          "mod(")


# -- fixed point ---------------------------------------------------------------------------------
def test_fixed_point_values_on_the_grid_are_accepted():
    x = np.array([0.5, -8.0, 7.999755859375])
    assert _interp(fixed_copy)(x).tolist() == x.tolist()
    assert _interp(fixed_copy)(np.array([1, -2, 7])).tolist() == [1.0, -2.0, 7.0]
    assert _interp(fixed_scalar)(-0.000244140625) == -0.000244140625


def test_fixed_point_value_off_the_grid():
    mod = _interp(fixed_copy)
    X = np.array([0.5, 0.1, 0.25])
    with pytest.raises(AlloValueError) as info:
        mod(X)  # <- here
    err = check(info, AlloValueError, "whose element X[1] = 0.1 is not a multiple of 2**-12 (the "
                "step of Fixed(16, 12))", "mod(X)")
    assert "np.round(X * 2**12) / 2**12" in err.hint
    assert mod(np.round(X * 2**12) / 2**12)[1] == round(0.1 * 4096) / 4096   # the explicit cast


def test_fixed_point_value_out_of_range():
    mod = _interp(fixed_copy)
    with pytest.raises(AlloValueError) as info:
        mod(np.array([0.5, 8.0, 0.25]))  # <- here
    check(info, AlloValueError, "whose element X[1] = 8.0 is out of Fixed(16, 12)'s range (-8.0 to "
          "7.999755859375)", "mod(")


def test_fixed_point_scalar_off_the_grid():
    mod = _interp(fixed_scalar)
    with pytest.raises(AlloValueError) as info:
        mod(1 / 3)  # <- here
    check(info, AlloValueError, "argument 'x': expected a scalar Fixed(16, 12), got "
          f"{1 / 3!r} (float), which is not a multiple of 2**-12", "mod(1 / 3)")


def test_unsigned_fixed_point_negative():
    def k(X: UFixed(8, 4)[2]) -> UFixed(8, 4)[2]:
        return X
    mod = _interp(k)
    with pytest.raises(AlloValueError) as info:
        mod(np.array([1.5, -0.0625]))  # <- here
    check(info, AlloValueError, "X[1] = -0.0625 is out of UFixed(8, 4)'s range (0.0 to 15.9375)",
          "mod(")


# -- floats --------------------------------------------------------------------------------------
def test_float64_values_are_rounded_to_a_float32_parameter():
    """Rounding is a float parameter's normal conversion (as in Allo): accepted."""
    x = np.array([0.1, np.nan])
    out = _interp(f32_copy)(x)
    assert out.dtype == np.float32 and out[0] == np.float32(0.1) and np.isnan(out[1])
    assert _interp(f32_copy)(np.array([np.inf, -np.inf])).tolist() == [np.inf, -np.inf]
    assert _interp(f32_copy)(np.array([2**24 + 1, 3])).tolist() == [2.0**24, 3.0]


def test_float64_beyond_float32_range():
    mod = _interp(f32_copy)
    with pytest.raises(AlloValueError) as info:
        mod(np.array([1.0, -1e300]))  # <- here
    check(info, AlloValueError, "whose element X[1] = -1e+300 is beyond float32's range", "mod(")


# -- kinds, shapes and counts --------------------------------------------------------------------
def test_wrong_shape():
    mod = _interp(grid_sum)
    with pytest.raises(AlloTypeError) as info:
        mod(np.zeros((3, 2), np.int32))  # <- here
    err = check(info, AlloTypeError, "argument 'A': expected int32[2, 3] (shape (2, 3)), got an "
                "int32 array of shape (3, 2)", "mod(")
    _declared(err, "A: int32[2, 3]")


def test_scalar_for_array():
    mod = _interp(grid_sum)
    with pytest.raises(AlloTypeError) as info:
        mod(3)  # <- here
    check(info, AlloTypeError, "argument 'A': expected a numpy array int32[2, 3] (shape (2, 3)), "
          "got int", "mod(3)")


def test_array_for_scalar():
    mod = _interp(total8)
    with pytest.raises(AlloTypeError) as info:
        mod(np.zeros(4, np.int8), np.array([1]))  # <- here
    check(info, AlloTypeError, "argument 'n': expected a scalar int8, got an int64 array of shape "
          "(1,)", "mod(")


def test_too_many_arguments():
    mod = _interp(total8)
    with pytest.raises(AlloTypeError) as info:
        mod(np.zeros(4, np.int8), 1, 2)  # <- here
    err = check(info, AlloTypeError, "total8() takes 2 argument(s), got 3", "mod(")
    assert "the kernel is total8(A: int8[4], n: int8) (declared at" in err.hint


def test_missing_argument():
    mod = _interp(total8)
    with pytest.raises(AlloTypeError) as info:
        mod(np.zeros(4, np.int8))  # <- here
    check(info, AlloTypeError, "missing argument for parameter 'n' (expected int8, got nothing)",
          "mod(")


def test_unknown_keyword_argument():
    mod = _interp(total8)
    with pytest.raises(AlloTypeError) as info:
        mod(np.zeros(4, np.int8), m=1)  # <- here
    check(info, AlloTypeError, "total8() has no parameter named 'm'", "mod(")


# -- written-back arrays -------------------------------------------------------------------------
def test_written_value_the_callers_array_cannot_hold():
    """An int8 array holds the int32 parameter's inputs, but not the 1000 the kernel writes: an
    error, and no argument is updated (rather than a silent wrap to -24)."""
    mod = _interp(fill)
    A = np.zeros(4, np.int8)
    with pytest.raises(AlloValueError) as info:
        mod(A, 1000)  # <- here
    err = check(info, AlloValueError, "argument 'A': the kernel wrote 1000 to A[0], which the int8 "
                "array passed cannot hold", "mod(")
    assert "A.astype(np.int32)" in err.hint
    assert A.tolist() == [0, 0, 0, 0]
    mod(A, -7)
    assert A.tolist() == [-7] * 4
    B = np.zeros(4)                                  # float64 holds every int32
    mod(B, 2**31 - 1)
    assert B.tolist() == [2**31 - 1] * 4


# -- every target ----------------------------------------------------------------------------
def test_rtl_target_validates_arguments_the_same_way():
    s = allo.customize(total8)
    hw = s.build(target="rtl", simulator="amaranth")
    assert hw(np.array([1.0, 2.0, -3.0, 4.0]), 5) == s.build()(np.array([1, 2, -3, 4]), 5) == 9
    with pytest.raises(AlloValueError) as info:
        hw(np.array([1, 2, 1000, 4]), 1)  # <- here
    check(info, AlloValueError, "argument 'A': expected int8[4] (shape (4,)), got an int64 array "
          "of shape (4,) whose element A[2] = 1000 is out of int8's range", "hw(")


def read_only_floats(X: float32[2]) -> float32:
    return X[0] + X[1]


def test_an_array_the_kernel_only_reads_is_left_as_passed():
    # float64 values round to float32 for the kernel, but the caller's array is not written
    # back (it was, rounded, on the interpreter; RTL writes back only arrays it may write)
    x = np.array([0.1, 0.2])
    allo.customize(read_only_floats).build()(x)
    assert x.tolist() == [0.1, 0.2]
