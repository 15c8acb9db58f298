"""Diagnostics, schedules and build: one small failing kernel per user-facing error.

Every test checks that the error is the most specific ``AlloError`` subclass, that it points at
the offending construct of *this* file (line found through a ``# <- here`` marker comment, column
inside the construct), that its message names the problem, that ``str(err)`` shows the source line
with a caret under the column, and that it carries a hint (see ``check()`` in
``helpers_diagnostics.py``).

The marker of a test is searched in the source of the test function itself (or of the object
passed as ``where=``), so each test function (or kernel) carries exactly one ``# <- here``.

This module: schedule handles (bands, loops, buffers, functions) and ``build``; the location of
these errors is the user's call site.
"""
import pytest

import allo_rtl as allo
from allo_rtl.errors import ScheduleError

from .helpers_diagnostics import check, gemm


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
