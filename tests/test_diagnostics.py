"""Diagnostics: one small failing kernel per user-facing error.

Every test checks that the error is the most specific ``AlloError`` subclass, that it points at
the offending construct of *this* file (line found through a ``# <- here`` marker comment, column
inside the construct), that its message names the problem, that ``str(err)`` shows the source line
with a caret under the column, and that it carries a hint.

The marker of a test is searched in the source of the test function itself (or of the object
passed as ``where=``), so each test function (or kernel) carries exactly one ``# <- here``.
"""
import inspect
import math
import os
import re
import statistics
import sys

import pytest

import allo_rtl as allo
from allo_rtl.errors import (AlloError, AlloIndexError, AlloNameError, AlloSyntaxError,
                             AlloTemplateError, AlloTypeError, ScheduleError)
from allo_rtl.types import float32, int8, int32

MARKER = "# <- here"


# -- helpers -------------------------------------------------------------------------------------
def marked_line(obj) -> tuple[int, str]:
    """(1-based line number in this file, text) of the single ``# <- here`` line of ``obj``."""
    lines, first = inspect.getsourcelines(obj)
    hits = [(first + i, text.rstrip("\n")) for i, text in enumerate(lines)
            if text.rstrip().endswith(MARKER)]
    assert len(hits) == 1, f"{obj!r} must carry exactly one {MARKER!r} marker, found {len(hits)}"
    return hits[0]


def _public_class(cls):
    """The most specific public class of an error (private helpers like _UnknownName skipped)."""
    return next(c for c in cls.__mro__ if not c.__name__.startswith("_"))


def check(info, cls, message, construct, where=None):
    """Check the error caught in ``info`` against the marked line of ``where`` (default: the
    calling test function).

    ``message``: a substring (or a compiled regex) the message must contain.
    ``construct``: a substring of the marked line, unique in it; the column must fall inside it.
    """
    if where is None:
        where = sys._getframe(1).f_code
    err = info.value
    assert isinstance(err, AlloError)
    assert _public_class(type(err)) is cls, \
        f"expected {cls.__name__}, got {type(err).__name__}: {err}"

    line_no, text = marked_line(where)
    assert err.file is not None and os.path.samefile(err.file, __file__), \
        f"error located in {err.file!r}, not in the test file\n{err}"
    assert err.line == line_no, f"error at line {err.line}, expected {line_no}\n{err}"

    assert text.count(construct) == 1, f"{construct!r} must occur once in {text!r}"
    start = text.index(construct)
    assert err.col is not None and start <= err.col - 1 < start + len(construct), \
        f"column {err.col} is not inside {construct!r} (columns {start + 1}..{start + len(construct)})\n{err}"

    if isinstance(message, re.Pattern):
        assert message.search(err.message), f"message {err.message!r} does not match {message.pattern!r}"
    else:
        assert message in err.message, f"message {err.message!r} does not contain {message!r}"

    shown = str(err)
    out = shown.splitlines()
    assert out[0].startswith(f"{err.file}:{err.line}:{err.col}: error: "), shown
    stripped = text.lstrip()
    assert "    " + stripped in out, f"source line not shown:\n{shown}"
    at = out.index("    " + stripped)
    assert at + 1 < len(out) and re.fullmatch(r" *\^", out[at + 1]), f"no caret line:\n{shown}"
    indent = len(text) - len(stripped)
    assert out[at + 1].index("^") - 4 == err.col - 1 - indent, f"caret not under column {err.col}:\n{shown}"

    assert err.hint, f"no hint:\n{shown}"
    assert f"hint: {err.hint}" in shown
    return err


# -- module-level kernels ------------------------------------------------------------------------
def gemm(A: int32[4, 4], B: int32[4, 4]) -> int32[4, 4]:
    C: int32[4, 4] = 0
    for i, j in allo.grid(4, 4, name="mm"):
        for k in allo.reduction(4):
            C[i, j] += A[i, k] * B[k, j]
    return C


def tmpl[T: (int32, float32), M: int32](A: "T[M]") -> "T[M]":
    B: "T[M]" = 0
    for i in range(M):
        B[i] = A[i] + A[i]
    return B


def module_level_bad(A: int32[4]) -> int32:
    s: int32 = 0
    for i in range(4):
        s += A[i] * undefined_weight  # <- here
    return s


def callee_with_error(x: int32) -> int32:
    y: int32 = x
    try:  # <- here
        y = x + 1
    except Exception:
        y = 0
    return y


def calls_callee_with_error(A: int32[4]) -> int32:
    return callee_with_error(A[0])


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
    check(info, AlloSyntaxError, "unsupported statement 'with'", "with")


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


# -- schedules: the location is the user's call site ---------------------------------------------
def test_schedule_unknown_band():
    s = allo.customize(gemm)
    with pytest.raises(ScheduleError) as info:
        s.get_loops()["nope"]  # <- here
    check(info, ScheduleError, "unknown band 'nope'", 's.get_loops()["nope"]')


def test_schedule_unknown_loop_in_band():
    s = allo.customize(gemm)
    with pytest.raises(ScheduleError) as info:
        s.get_loops().mm.nope  # <- here
    err = check(info, ScheduleError, "unknown loop 'nope'", "s.get_loops().mm.nope")
    assert "i" in err.hint and "j" in err.hint


def test_schedule_unknown_buffer_qualified():
    s = allo.customize(gemm)
    with pytest.raises(ScheduleError) as info:
        s.buffer("gemm:Z")  # <- here
    err = check(info, ScheduleError, "unknown buffer 'Z'", 's.buffer("gemm:Z")')
    assert "C" in err.hint


def test_schedule_unknown_buffer_attribute():
    s = allo.customize(gemm)
    with pytest.raises(ScheduleError) as info:
        s.Z  # <- here
    check(info, ScheduleError, "unknown buffer 'Z'", "s.Z")
    assert not hasattr(s, "Z")  # also an AttributeError


def test_schedule_unknown_loop_name():
    s = allo.customize(gemm)
    with pytest.raises(ScheduleError) as info:
        s.loop("zz")  # <- here
    check(info, ScheduleError, "unknown loop 'zz'", 's.loop("zz")')


def test_schedule_unknown_function():
    s = allo.customize(gemm)
    with pytest.raises(ScheduleError) as info:
        s.buffer("nofunc:C")  # <- here
    check(info, ScheduleError, "unknown function 'nofunc'", 's.buffer("nofunc:C")')


def test_schedule_unknown_function_in_loop():
    s = allo.customize(gemm)
    with pytest.raises(ScheduleError) as info:
        s.loop("nofunc:k")  # <- here
    check(info, ScheduleError, "unknown function 'nofunc'", 's.loop("nofunc:k")')


def test_schedule_misspelled_method():
    """``s.get_loop()`` is a typo of a Schedule method, not a buffer name."""
    s = allo.customize(gemm)
    with pytest.raises(ScheduleError) as info:
        s.get_loop()  # <- here
    err = check(info, ScheduleError, "'get_loop'", "s.get_loop()")
    assert "get_loops" in err.hint


def test_build_unknown_target():
    s = allo.customize(gemm)
    with pytest.raises(ScheduleError) as info:
        s.build(target="nonsense")  # <- here
    err = check(info, ScheduleError, "unknown target 'nonsense'", 's.build(target="nonsense")')
    assert "interp" in err.hint
