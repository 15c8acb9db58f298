"""Diagnostics, calls and kernels: one small failing kernel per user-facing error.

Every test checks that the error is the most specific ``AlloError`` subclass, that it points at
the offending construct of *this* file (line found through a ``# <- here`` marker comment, column
inside the construct), that its message names the problem, that ``str(err)`` shows the source line
with a caret under the column, and that it carries a hint (see ``check()`` in
``helpers_diagnostics.py``).

The marker of a test is searched in the source of the test function itself (or of the object
passed as ``where=``), so each test function (or kernel) carries exactly one ``# <- here``.

This module: calls, recursion, returns, templates, ``allo.customize`` on odd objects. Statements
and expressions are in ``test_diagnostics_statements.py``, schedules in
``test_diagnostics_schedule.py``.
"""
import math
import statistics

import pytest

import allo_rtl as allo
from allo_rtl.errors import (AlloIndexError, AlloNameError, AlloSyntaxError, AlloTemplateError,
                             AlloTypeError)
from allo_rtl.types import float32, int8, int32

from .helpers_diagnostics import check, gemm, tmpl


# -- module-level kernels ------------------------------------------------------------------------
def callee_with_error(x: int32) -> int32:
    y: int32 = x
    try:  # <- here
        y = x + 1
    except Exception:
        y = 0
    return y


def calls_callee_with_error(A: int32[4]) -> int32:
    return callee_with_error(A[0])


def ping(x: int32) -> int32:
    r: int32 = x
    if x > 0:
        r = pong(x - 1)
    return r


def pong(x: int32) -> int32:
    return ping(x)  # <- here


def make_pair(N):
    """A factory of two kernels; the outer one calls the inner one through the closure."""
    def inner(A: int32[N]) -> int32:
        return A[N]  # <- here

    def outer(A: int32[N]) -> int32:
        return inner(A)
    return outer


def make_string_annotated(N):
    """N appears only in a string annotation: Python neither evaluates nor captures it."""
    def k(A: "int32[N]") -> int32:  # <- here
        return A[0]
    return k


# -- calls ---------------------------------------------------------------------------------------
def test_call_print():
    def k(x: int32) -> int32:
        print(x)  # <- here
        return x
    with pytest.raises(AlloTypeError) as info:
        allo.customize(k)
    check(info, AlloTypeError, "'print' is not a kernel", "print(x)")


def test_call_math_sqrt():
    def k(x: float32) -> float32:
        y: float32 = math.sqrt(x)  # <- here
        return y
    with pytest.raises(AlloTypeError) as info:
        allo.customize(k)
    check(info, AlloTypeError, "'sqrt' is not a kernel", "math.sqrt(x)")


def test_call_kernel_wrong_array_shape():
    def inner(A: int32[8]) -> int32:
        return A[0]

    def outer(A: int32[4]) -> int32:
        r: int32 = inner(A)  # <- here
        return r
    with pytest.raises(AlloTypeError) as info:
        allo.customize(outer)
    check(info, AlloTypeError, "argument 'A' of inner() expects an array int32[8], got int32[4]",
          "A)")


def test_call_kernel_wrong_argument_count():
    def inner(a: int32, b: int32) -> int32:
        return a + b

    def outer(x: int32) -> int32:
        r: int32 = inner(x)  # <- here
        return r
    with pytest.raises(AlloTypeError) as info:
        allo.customize(outer)
    check(info, AlloTypeError, "missing argument 'b'", "inner(x)")


def test_call_library_python_function():
    """A pure-Python library function is not a kernel: the error belongs at the user's call,
    not inside the library's source."""
    def k(A: int32[4]) -> int32:
        m: int32 = statistics.mean(A)  # <- here
        return m
    with pytest.raises(AlloTypeError) as info:
        allo.customize(k)
    check(info, AlloTypeError, "'mean' is not a kernel", "statistics.mean(A)")


def test_call_unknown_keyword_argument():
    def inner(a: int32) -> int32:
        return a

    def outer(x: int32) -> int32:
        r: int32 = inner(b=x)  # <- here
        return r
    with pytest.raises(AlloTypeError) as info:
        allo.customize(outer)
    check(info, AlloTypeError, "unexpected or repeated argument 'b'", "inner(b=x)")


def test_array_result_assigned_to_scalar():
    def inner(A: int32[4]) -> int32[4]:
        return A

    def outer(A: int32[4]) -> int32:
        y: int32 = 0
        y = inner(A)  # <- here
        return y
    with pytest.raises(AlloTypeError) as info:
        allo.customize(outer)
    check(info, AlloTypeError, "returns int32[4], which cannot be assigned to 'y'", "y =")


def test_template_call_in_kernel_bad_type():
    def k(A: int32[4]) -> int32[4]:
        B: int32[4] = tmpl[int8, 4](A)  # <- here
        return B
    with pytest.raises(AlloTemplateError) as info:
        allo.customize(k)
    check(info, AlloTemplateError, "accepts int32, float32; got int8", "tmpl[int8, 4](A)")


def test_factory_pair_error_in_callee():
    with pytest.raises(AlloIndexError) as info:
        allo.customize(make_pair(4))
    check(info, AlloIndexError, "index 4 is out of bounds", "A[N]", where=make_pair)


def test_name_only_in_a_string_annotation_of_a_returned_factory():
    with pytest.raises(AlloNameError) as info:
        allo.customize(make_string_annotated(4))
    check(info, AlloNameError, "unknown name 'N'", '"int32[N]"', where=make_string_annotated)
    assert "string annotations" in info.value.hint


def test_error_inside_callee_points_into_callee():
    with pytest.raises(AlloSyntaxError) as info:
        allo.customize(calls_callee_with_error)
    check(info, AlloSyntaxError, "unsupported statement 'try'", "try", where=callee_with_error)


def test_error_inside_nested_kernel():
    def outer(A: int32[4]) -> int32:
        def helper(x: int32) -> int32:
            return x << 1.5  # <- here
        return helper(A[0])
    with pytest.raises(AlloTypeError) as info:
        allo.customize(outer)
    check(info, AlloTypeError, "shifts need", "x << 1.5")


def test_recursion():
    def fact(n: int32) -> int32:
        r: int32 = 1
        if n > 1:
            r = n * fact(n - 1)  # <- here
        return r
    with pytest.raises(AlloSyntaxError) as info:
        allo.customize(fact)
    check(info, AlloSyntaxError, "kernel 'fact' calls itself", "fact(n - 1)")


def test_mutual_recursion():
    """The error points at the call that closes the cycle and names the whole cycle."""
    with pytest.raises(AlloSyntaxError) as info:
        allo.customize(ping)
    err = check(info, AlloSyntaxError, "calls itself", "ping(x)", where=pong)
    assert "pong" in err.message, "the message should name the cycle, e.g. ping -> pong -> ping"


def test_kernel_used_as_value():
    def outer(x: int32) -> int32:
        def helper(v: int32) -> int32:
            return v
        y: int32 = helper + 1  # <- here
        return y
    with pytest.raises(AlloTypeError) as info:
        allo.customize(outer)
    check(info, AlloTypeError, "kernel 'helper' used as a value", "helper +")


# -- returns -------------------------------------------------------------------------------------
def test_return_array_for_scalar():
    def k(A: int32[4]) -> int32:
        return A  # <- here
    with pytest.raises(AlloTypeError) as info:
        allo.customize(k)
    check(info, AlloTypeError, "return type mismatch: expected int32, got int32[4]", "A  #")


def test_return_scalar_for_array():
    def k(A: int32[4]) -> int32[4]:
        return A[0]  # <- here
    with pytest.raises(AlloTypeError) as info:
        allo.customize(k)
    check(info, AlloTypeError, "return type mismatch: expected int32[4], got int32", "A[0]")


def test_return_too_few_results():
    def k(a: int32) -> (int32, int32):
        return a  # <- here
    with pytest.raises(AlloTypeError) as info:
        allo.customize(k)
    check(info, AlloTypeError, "declares 2 result(s)", "return")


def test_return_too_many_results():
    def k(a: int32) -> int32:
        return a, a  # <- here
    with pytest.raises(AlloTypeError) as info:
        allo.customize(k)
    check(info, AlloTypeError, "return type mismatch", "return")


def test_return_wrong_shape():
    def k(A: int32[4]) -> int32[8]:
        return A  # <- here
    with pytest.raises(AlloTypeError) as info:
        allo.customize(k)
    check(info, AlloTypeError, "return type mismatch: expected int32[8], got int32[4]", "A  #")


def test_missing_return():
    def k(a: int32) -> int32:
        b: int32 = a + 1  # <- here
    with pytest.raises(AlloTypeError) as info:
        allo.customize(k)
    check(info, AlloTypeError, "does not return", "b: int32 = a + 1")


def test_early_return_in_branch():
    def k(a: int32) -> int32:
        if a > 0:
            return a  # <- here
        return 0
    with pytest.raises(AlloSyntaxError) as info:
        allo.customize(k)
    check(info, AlloSyntaxError, "return is only allowed as the last statement", "return")


def test_early_return_mid_body():
    def k(a: int32) -> int32:
        b: int32 = a
        return b  # <- here
        b = b + 1
    with pytest.raises(AlloSyntaxError) as info:
        allo.customize(k)
    check(info, AlloSyntaxError, "return is only allowed as the last statement", "return")


# -- templates (PEP 695) -------------------------------------------------------------------------
def test_template_wrong_count():
    with pytest.raises(AlloTemplateError) as info:
        allo.customize(tmpl, instantiate=[int32])  # <- here
    check(info, AlloTemplateError, "instantiated with 1 argument", "allo.customize(")


def test_template_type_not_in_constraint():
    with pytest.raises(AlloTemplateError) as info:
        allo.customize(tmpl, instantiate=[int8, 4])  # <- here
    check(info, AlloTemplateError, "accepts int32, float32; got int8", "allo.customize(")


def test_template_type_for_value_parameter():
    with pytest.raises(AlloTemplateError) as info:
        allo.customize(tmpl, instantiate=[int32, int32])  # <- here
    check(info, AlloTemplateError, "'M'", "allo.customize(")


def test_template_local_kernel():
    def k[T: (int32, float32), M: int32](A: "T[M]") -> "T[M]":
        return A
    with pytest.raises(AlloTemplateError) as info:
        allo.customize(k, instantiate=[float32, 2, 3])  # <- here
    check(info, AlloTemplateError, "instantiated with 3 argument", "allo.customize(")


def test_instantiate_non_template():
    with pytest.raises(AlloTemplateError) as info:
        allo.customize(gemm, instantiate=[int32])  # <- here
    check(info, AlloTemplateError, "not a template", "allo.customize(")


def test_kernel_with_column0_comment():
    """A comment (or docstring line) at column 0 inside an indented kernel must not break
    reading the kernel's source."""
    def k(A: int32[4]) -> int32:
        x: int32 = 0
# a commented-out line at column 0
        x = A[0] + not_defined_here  # <- here
        return x
    with pytest.raises(AlloNameError) as info:
        allo.customize(k)
    check(info, AlloNameError, "unknown name 'not_defined_here'", "not_defined_here")


def test_customize_lambda_spanning_lines():
    with pytest.raises(AlloSyntaxError) as info:
        allo.customize(
            lambda x: x)  # <- here
    check(info, AlloSyntaxError, "is not defined with 'def'", "lambda")


def test_customize_non_function():
    with pytest.raises(AlloTypeError) as info:
        allo.customize(42)  # <- here
    check(info, AlloTypeError, "needs a kernel function", "allo.customize(42)")
