"""Running one kernel on the interpreter and on a simulator, and comparing them bit for bit."""
from __future__ import annotations

import numpy as np

import allo_rtl as allo


def copy_args(args: list) -> list:
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args]


def same_values(a, b) -> bool:
    """Equal values of equal types (numpy arrays: same dtype and elements)."""
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(map(same_values, a, b))
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b)
    return type(a) is type(b) and a == b


def assert_rtl_equals_interp(kernel_or_schedule, args: list, simulator: str = "amaranth",
                             **build_options):
    """The interpreter's result for ``args``, after checking that the hardware simulated on
    ``simulator`` gives the same results and updated arrays in the predicted cycles."""
    s = kernel_or_schedule if isinstance(kernel_or_schedule, allo.Schedule) \
        else allo.customize(kernel_or_schedule)
    golden_args, rtl_args = copy_args(args), copy_args(args)
    want = s.build()(*golden_args)
    mod = s.build(target="rtl", simulator=simulator, **build_options)
    got = mod(*rtl_args)
    assert same_values(got, want), f"{simulator}: {got!r} != interpreter {want!r}"
    for k, (g, r) in enumerate(zip(golden_args, rtl_args)):
        if isinstance(g, np.ndarray):
            assert same_values(r, g), f"{simulator}: argument {k} is {r!r}, interpreter {g!r}"
    if mod.predicted_cycles is not None:
        assert mod.cycles == mod.predicted_cycles, (simulator, mod.cycles, mod.predicted_cycles)
    return want
