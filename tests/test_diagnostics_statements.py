"""Diagnostics, statements and expressions: one small failing kernel per user-facing error.

Every test checks that the error is the most specific ``AlloError`` subclass, that it points at
the offending construct of *this* file (line found through a ``# <- here`` marker comment, column
inside the construct), that its message names the problem, that ``str(err)`` shows the source line
with a caret under the column, and that it carries a hint (see ``check()`` in
``helpers_diagnostics.py``).

The marker of a test is searched in the source of the test function itself (or of the object
passed as ``where=``), so each test function (or kernel) carries exactly one ``# <- here``.

This module: unsupported statements, names, signatures and annotations, indexing, assignments,
operators. Calls, returns and templates are in ``test_diagnostics_calls.py``, schedules in
``test_diagnostics_schedule.py``.
"""
import re

import pytest

import allo_rtl as allo
from allo_rtl.errors import AlloIndexError, AlloNameError, AlloSyntaxError, AlloTypeError
from allo_rtl.types import float32, int8, int32

from .helpers_diagnostics import check, gemm, tmpl


# -- module-level kernels ------------------------------------------------------------------------
def module_level_bad(A: int32[4]) -> int32:
    s: int32 = 0
    for i in range(4):
        s += A[i] * undefined_weight  # <- here
    return s


def make_scaler(N):
    """A factory: the kernel captures the size N (and M, used only in a local annotation)."""
    M = N * 2

    def scale(A: int32[N]) -> int32[N]:
        B: int32[N] = 0
        T: int32[M] = 0
        for i in range(N):
            B[i] = A[i] * 2
            T[i] = B[i]
        B[N] = T[0]  # <- here
        return B
    return scale


def make_ok_scaler(N):
    M = N * 2

    def scale(A: int32[N]) -> int32[N]:
        B: int32[N] = 0
        T: int32[M] = 0
        for i in range(N):
            T[i + N] = A[i]
            B[i] = T[i + N] * 2
        return B
    return scale


# -- controls: the kernels these tests build on are otherwise valid -------------------------------
def test_control_valid_kernels():
    allo.customize(gemm)
    allo.customize(tmpl, instantiate=[int32, 4])
    allo.customize(tmpl, instantiate=[float32, 8])
    allo.customize(make_ok_scaler(4))
    s = allo.customize(gemm)
    assert "i" in s.get_loops()["mm"]
    assert s.C.name == "C"
    assert s.buffer("gemm:C").name == "C"


# -- unsupported statements ----------------------------------------------------------------------
def test_try():
    def k(A: int32[4]) -> int32:
        x: int32 = 0
        try:  # <- here
            x = A[0]
        except Exception:
            x = 1
        return x
    with pytest.raises(AlloSyntaxError) as info:
        allo.customize(k)
    check(info, AlloSyntaxError, "unsupported statement 'try'", "try")


def test_break():
    def k(A: int32[4]) -> int32:
        x: int32 = 0
        for i in range(4):
            if A[i] > 0:
                break  # <- here
            x += A[i]
        return x
    with pytest.raises(AlloSyntaxError) as info:
        allo.customize(k)
    check(info, AlloSyntaxError, "unsupported statement 'break'", "break")


def test_continue():
    def k(A: int32[4]) -> int32:
        x: int32 = 0
        for i in range(4):
            if A[i] > 0:
                continue  # <- here
            x += A[i]
        return x
    with pytest.raises(AlloSyntaxError) as info:
        allo.customize(k)
    check(info, AlloSyntaxError, "unsupported statement 'continue'", "continue")


def test_with():
    def k(A: int32[4]) -> int32:
        x: int32 = 0
        with open("data.txt") as f:  # <- here
            x = A[0]
        return x
    with pytest.raises(AlloSyntaxError) as info:
        allo.customize(k)
    check(info, AlloSyntaxError, "a with statement in a kernel must be one of allo.meta_if, "
          "meta_elif, meta_else or meta_for", "with")


def test_raise():
    def k(A: int32[4]) -> int32:
        if A[0] < 0:
            raise ValueError("negative")  # <- here
        return A[0]
    with pytest.raises(AlloSyntaxError) as info:
        allo.customize(k)
    check(info, AlloSyntaxError, "unsupported statement 'raise'", "raise")


def test_assert():
    def k(A: int32[4]) -> int32:
        assert A[0] >= 0  # <- here
        return A[0]
    with pytest.raises(AlloSyntaxError) as info:
        allo.customize(k)
    check(info, AlloSyntaxError, "unsupported statement 'assert'", "assert")


def test_for_else():
    def k(A: int32[4]) -> int32:
        x: int32 = 0
        for i in range(4):  # <- here
            x += A[i]
        else:
            x = 0
        return x
    with pytest.raises(AlloSyntaxError) as info:
        allo.customize(k)
    check(info, AlloSyntaxError, "for ... else is not supported", "for")


def test_while_else():
    def k(n: int32) -> int32:
        x: int32 = n
        while x > 0:  # <- here
            x -= 1
        else:
            x = 7
        return x
    with pytest.raises(AlloSyntaxError) as info:
        allo.customize(k)
    check(info, AlloSyntaxError, "while ... else is not supported", "while")


def test_grid_wrong_number_of_loop_variables():
    def k(A: int32[4]) -> int32:
        s: int32 = 0
        for i in allo.grid(2, 2):  # <- here
            s += A[i]
        return s
    with pytest.raises(AlloSyntaxError) as info:
        allo.customize(k)
    check(info, AlloSyntaxError, "needs 2 loop variables, got 1", "i in")


# -- names ---------------------------------------------------------------------------------------
def test_unknown_name():
    def k(A: int32[4]) -> int32[4]:
        C: int32[4] = 0
        for i in range(4):
            C[i] = A[i] + undefined_thing  # <- here
        return C
    with pytest.raises(AlloNameError) as info:
        allo.customize(k)
    check(info, AlloNameError, "unknown name 'undefined_thing'", "undefined_thing")


def test_unknown_name_did_you_mean():
    def k(weights: int32[4]) -> int32:
        acc: int32 = 0
        for i in range(4):
            acc += weigths[i]  # <- here
        return acc
    with pytest.raises(AlloNameError) as info:
        allo.customize(k)
    err = check(info, AlloNameError, "unknown name 'weigths'", "weigths")
    assert "did you mean 'weights'" in err.hint


def test_unknown_name_in_module_level_kernel():
    with pytest.raises(AlloNameError) as info:
        allo.customize(module_level_bad)
    check(info, AlloNameError, "unknown name 'undefined_weight'", "undefined_weight",
          where=module_level_bad)


def test_unknown_name_in_local_annotation():
    def k(A: int32[4]) -> int32:
        B: int32[SIZE_NOWHERE] = 0  # <- here
        return A[0]
    with pytest.raises(AlloNameError) as info:
        allo.customize(k)
    check(info, AlloNameError, "unknown name 'SIZE_NOWHERE'", "SIZE_NOWHERE")


def test_unknown_function_called():
    def k(a: int32) -> int32:
        b: int32 = no_such_kernel(a)  # <- here
        return b
    with pytest.raises(AlloNameError) as info:
        allo.customize(k)
    check(info, AlloNameError, "unknown name 'no_such_kernel'", "no_such_kernel")


# -- signatures ----------------------------------------------------------------------------------
def test_missing_parameter_annotation():
    def k(A: int32[4],
          b) -> int32:  # <- here
        return A[0]
    with pytest.raises(AlloTypeError) as info:
        allo.customize(k)
    check(info, AlloTypeError, "parameter 'b' of kernel 'k' has no type annotation", "b)")


def test_parameter_default_value():
    def k(A: int32[4], b: int32 = 3) -> int32:  # <- here
        return A[0] + b
    with pytest.raises(AlloSyntaxError) as info:
        allo.customize(k)
    # the default value is the offending construct
    check(info, AlloSyntaxError, "plain positional parameters", "3)")


def test_non_constant_array_shape():
    def k(A: int32[4], n: int32) -> int32:
        B: int32[n] = 0  # <- here
        return A[0]
    with pytest.raises(AlloTypeError) as info:
        allo.customize(k)
    check(info, AlloTypeError, re.compile(r"'n'.*only known when the kernel runs"), "[n]")


# -- indexing ------------------------------------------------------------------------------------
def test_too_many_indices_load():
    def k(A: int32[4]) -> int32:
        x: int32 = 0
        for i in range(4):
            x += A[i, 0]  # <- here
        return x
    with pytest.raises(AlloIndexError) as info:
        allo.customize(k)
    check(info, AlloIndexError, "'A' has 1 dimension, indexed with 2", "A[i, 0]")


def test_too_many_indices_store():
    def k(A: int32[4]) -> int32[4]:
        for i in range(4):
            A[i, 1] = 0  # <- here
        return A
    with pytest.raises(AlloIndexError) as info:
        allo.customize(k)
    check(info, AlloIndexError, "indexed with 2", "A[i, 1]")


def test_too_few_indices_as_value():
    def k(A: int32[4, 4]) -> int32:
        x: int32 = 0
        for i in range(4):
            x += A[i]  # <- here
        return x
    with pytest.raises(AlloIndexError) as info:
        allo.customize(k)
    check(info, AlloIndexError, "'A' has 2 dimensions, indexed with 1", "A[i]")


def test_too_few_indices_store():
    def k(A: int32[4, 4]) -> int32[4, 4]:
        for i in range(4):
            A[i] = 0  # <- here
        return A
    with pytest.raises(AlloIndexError) as info:
        allo.customize(k)
    check(info, AlloIndexError, "'A' has 2 dimensions, indexed with 1", "A[i]")


def test_constant_index_out_of_bounds():
    def k(A: int32[4]) -> int32:
        return A[4]  # <- here
    with pytest.raises(AlloIndexError) as info:
        allo.customize(k)
    check(info, AlloIndexError, "index 4 is out of bounds for dimension 0 of 'A' (size 4)", "A[4]")


def test_constant_index_out_of_bounds_second_dim():
    def k(A: int32[4, 8]) -> int32[4, 8]:
        A[3, 8] = 1  # <- here
        return A
    with pytest.raises(AlloIndexError) as info:
        allo.customize(k)
    check(info, AlloIndexError, "index 8 is out of bounds for dimension 1 of 'A' (size 8)", "A[3, 8]")


def test_factory_closure_constant_out_of_bounds():
    """The kernel comes from a factory and takes its sizes from the factory's locals."""
    with pytest.raises(AlloIndexError) as info:
        allo.customize(make_scaler(8))
    check(info, AlloIndexError, "index 8 is out of bounds for dimension 0 of 'B' (size 8)", "B[N]",
          where=make_scaler)


def test_float_index():
    def k(A: int32[4], f: float32) -> int32:
        return A[f]  # <- here
    with pytest.raises(AlloTypeError) as info:
        allo.customize(k)
    check(info, AlloTypeError, "an index must be an integer", "f]")


# -- assignments ---------------------------------------------------------------------------------
def test_assign_array_to_declared_scalar():
    def k(A: int32[4]) -> int32:
        x: int32 = A  # <- here
        return x
    with pytest.raises(AlloTypeError) as info:
        allo.customize(k)
    check(info, AlloTypeError, "cannot assign array 'A'", "A  #")


def test_assign_array_to_existing_scalar():
    def k(A: int32[4]) -> int32:
        x: int32 = 0
        x = A  # <- here
        return x
    with pytest.raises(AlloTypeError) as info:
        allo.customize(k)
    check(info, AlloTypeError, "cannot assign array 'A' to scalar 'x'", "A  #")


def test_assign_to_loop_variable():
    def k(A: int32[4]) -> int32:
        x: int32 = 0
        for i in range(4):
            x += A[i]
            i = i + 1  # <- here
        return x
    with pytest.raises(AlloTypeError) as info:
        allo.customize(k)
    check(info, AlloTypeError, "cannot assign to loop variable 'i'", "i =")


def test_augassign_to_loop_variable():
    def k(A: int32[4]) -> int32:
        x: int32 = 0
        for i, j in allo.grid(2, 2):
            x += A[i + j]
            j += 1  # <- here
        return x
    with pytest.raises(AlloTypeError) as info:
        allo.customize(k)
    check(info, AlloTypeError, "cannot assign to loop variable 'j'", "j +=")


def test_assign_string():
    def k(a: int32) -> int32:
        x: int32 = "hello"  # <- here
        return x + a
    with pytest.raises(AlloTypeError) as info:
        allo.customize(k)
    check(info, AlloTypeError, "strings are not values", '"hello"')


def test_redeclare_with_other_type():
    def k(a: int32) -> int32:
        x: int32 = a
        x: float32 = 1.0  # <- here
        return a
    with pytest.raises(AlloTypeError) as info:
        allo.customize(k)
    check(info, AlloTypeError, "'x' is already declared as int32", "x: float32")


# -- operators -----------------------------------------------------------------------------------
def test_bitwise_on_float():
    def k(a: float32, b: float32) -> float32:
        c: float32 = a & b  # <- here
        return c
    with pytest.raises(AlloTypeError) as info:
        allo.customize(k)
    check(info, AlloTypeError, "bitwise operations need integer operands", "a & b")


def test_invert_float():
    def k(a: float32) -> float32:
        c: float32 = ~a  # <- here
        return c
    with pytest.raises(AlloTypeError) as info:
        allo.customize(k)
    check(info, AlloTypeError, "'~' needs an integer operand", "~a")


def test_bit_slice_non_constant_width():
    def k(x: int32, n: int32) -> int32:
        y: int32 = x[0:n]  # <- here
        return y
    with pytest.raises(AlloTypeError) as info:
        allo.customize(k)
    check(info, AlloTypeError, "width of a bit slice must be a constant", "x[0:n]")


def test_bit_access_on_float():
    def k(x: float32) -> int32:
        y: int32 = x[3]  # <- here
        return y
    with pytest.raises(AlloTypeError) as info:
        allo.customize(k)
    check(info, AlloTypeError, "bit access needs an integer value", "x[3]")


def test_bit_slice_out_of_range():
    def k(x: int8) -> int32:
        y: int32 = x[4:12]  # <- here
        return y
    with pytest.raises(AlloIndexError) as info:
        allo.customize(k)
    check(info, AlloIndexError, "out of range for int8", "x[4:12]")


def test_empty_bit_slice():
    def k(x: int32) -> int32:
        y: int32 = x[8:4]  # <- here
        return y
    with pytest.raises(AlloIndexError) as info:
        allo.customize(k)
    check(info, AlloIndexError, "empty bit slice", "x[8:4]")


def test_power_operator():
    def k(x: int32) -> int32:
        y: int32 = x ** 2  # <- here
        return y
    with pytest.raises(AlloSyntaxError) as info:
        allo.customize(k)
    check(info, AlloSyntaxError, "unsupported operator Pow", "x ** 2")


def test_lambda_expression():
    def k(x: int32) -> int32:
        y: int32 = (lambda v: v + 1)(x)  # <- here
        return y
    with pytest.raises(AlloSyntaxError) as info:
        allo.customize(k)
    check(info, AlloSyntaxError, "lambda", "(lambda v: v + 1)(x)")
