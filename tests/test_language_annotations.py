"""Type names in annotations: every annotation of a kernel, parameters, result and body alike,
is resolved from the kernel's source in one environment, when customize() runs, as Allo does.

Python evaluates parameter and return annotations when the ``def`` runs, body annotations never;
these tests rebind a type name between the two times and check that the signature and the body
agree, in the IR and in the values computed. Names Python uses only in a nested kernel's
signature (never captured in its closure) take their value from the defining function while it
runs, else the value the ``def`` gave them (see ``allo_rtl/frontend/enclosing.py``).

Expected values come from numpy or from ``wrap`` in ``helpers_language.py``.
"""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.errors import AlloNameError
from allo_rtl.ir import nodes as ir
from allo_rtl.types import Fixed, Int, float32, int8, int16, int32

from . import helpers_future_annotations as future
from .helpers_language import wrap

TY_LATE = Int(5)


def k_late_type(A: TY_LATE) -> TY_LATE:
    B: TY_LATE = 0
    B = A
    return B


TY_LATE = float32  # rebound after the def


def make_with_global_signature():
    """A nested kernel using the module's G_TY in its signature only (Python does not capture
    globals), so the name is the module's, read at customize()."""
    def twice(a: G_TY) -> G_TY:
        return a + a
    return twice


G_TY = int8


def types_of(schedule, name=None):
    """(parameter types, result types, local types) of the top function or the one named."""
    fn = schedule.top if name is None else next(
        f for f in ir.all_functions(schedule.top) if f.name == name)
    return ([p.type for p in fn.params], list(fn.result_types),
            {n: v.type for n, v in fn.locals.items()})


# == Rebinding a type name between the def and customize() ==

def test_module_type_rebound_after_def_is_read_at_customize_everywhere():
    s = allo.customize(k_late_type)
    params, results, local_types = types_of(s)
    assert params == results == [local_types["B"]] == [float32]
    assert s.build()(-1.3) == float(np.float32(-1.3))  # int5 in the signature gave -1


def test_closure_type_rebound_after_def_is_read_at_customize_everywhere():
    def make():
        Ty = Int(5)

        def k(a: Ty) -> Ty:
            b: Ty = a * 2  # the body's annotation makes Python capture Ty
            return b
        Ty = int16
        return k

    s = allo.customize(make())
    params, results, local_types = types_of(s)
    assert params == results == [local_types["b"]] == [int16]
    assert s.build()(100) == 200  # int5 would reject 100 as an argument


def test_signature_only_name_of_a_running_function_is_read_at_customize():
    Ty = Int(5)

    def k(a: Ty) -> Ty:
        return a + a
    Ty = int16
    for s in (allo.customize(k), _customize_from_a_helper(k)):
        params, results, _ = types_of(s)
        assert params == results == [int16]
        assert s.build()(1000) == 2000


def _customize_from_a_helper(fn):
    # the function defining the kernel is still running, further up the stack
    return allo.customize(fn)


def test_signature_only_global_of_a_nested_kernel_is_read_at_customize(monkeypatch):
    kernel = make_with_global_signature()
    monkeypatch.setitem(globals(), "G_TY", int16)
    s = allo.customize(kernel)
    assert types_of(s)[:2] == ([int16], [int16])
    assert s.build()(20000) == wrap(40000, 16)


def test_signature_only_size_of_a_returned_factory_keeps_its_def_value():
    """Once the factory has returned, the value the def gave N is the only one: a same-named
    variable of the caller (or of the module) is another variable."""
    N = 3  # noqa: F841 - the caller's N, not the factory's

    def make(N):
        def pick(A: int32[N], i: int32) -> int32:
            return A[i]

        def top(A: int32[N]) -> int32:
            return pick(A, 4)
        return top

    s = allo.customize(make(5))
    assert types_of(s)[0] == [int32[5]]
    assert types_of(s, "pick")[0] == [int32[5], int32]
    assert s.build()(np.arange(5, dtype=np.int32) * 7) == 28


def test_signature_only_widths_of_a_returned_factory_keep_their_def_values():
    W, F = 3, 1  # noqa: F841 - the caller's, not the factory's

    def make(W, F):
        def k(a: Int(W), f: Fixed(W, F)) -> (Int(W), Fixed(W, F)):
            return a, f
        return k

    s = allo.customize(make(12, 4))
    assert types_of(s)[:2] == ([Int(12), Fixed(12, 4)], [Int(12), Fixed(12, 4)])
    assert s.build()(-2000, -7.25) == (-2000, -7.25)


def test_signature_size_from_an_expression_keeps_the_def_value():
    def make(N):
        def k(A: int32[N * 2]) -> int32[N * 2]:  # N cannot be read back from int32[8]
            return A
        return k

    assert types_of(allo.customize(make(4)))[:2] == ([int32[8]], [int32[8]])


# == Templates ==

def test_template_parameter_in_unquoted_annotations_and_body():
    def scale[T: (int8, int16), F: int32](a: T) -> T:
        b: T = a * F
        return b

    for T, factor, a in ((int8, 3, 50), (int16, 3, 50)):
        s = allo.customize(scale, instantiate=[T, factor])
        params, results, local_types = types_of(s)
        assert params == results == [local_types["b"]] == [T]
        assert s.build()(a) == wrap(a * factor, T.bits)


# == from __future__ import annotations ==

def test_future_annotations_module_type_rebound_after_def():
    s = allo.customize(future.k_late_type)
    params, results, local_types = types_of(s)
    assert params == results == [local_types["B"]] == [float32]
    assert s.build()(-1.3) == float(np.float32(-1.3))


def test_future_annotations_factory_constants_from_the_closure():
    s = allo.customize(future.make_offsets(4, int8))
    params, results, local_types = types_of(s)
    assert params == results == [local_types["B"]] == [int8[4]]
    A = np.array([1, 126, -128, 5], dtype=np.int8)
    assert np.array_equal(s.build()(A), (A.astype(np.int64) + np.arange(4)).astype(np.int8))


def test_future_annotations_name_only_in_annotations_of_a_returned_factory():
    with pytest.raises(AlloNameError) as info:
        allo.customize(future.make_annotation_only(4))
    assert "unknown name 'N'" in info.value.message
    assert "from __future__ import annotations" in info.value.hint
