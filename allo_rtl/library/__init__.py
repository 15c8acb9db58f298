"""Kernels written in the kernel language, ready to call from users' kernels, with the schedules
that ``Schedule.compose(kernel, instantiate=[...])`` applies to them (as Allo's
``allo.library``): ``systolic`` arrays for now."""
from __future__ import annotations

_SCHEDULES: dict = {}


def register_schedule(*kernels):
    """Decorator: ``schedule(s)`` is what ``compose`` applies to a customized ``kernel``."""
    def mark(schedule):
        for kernel in kernels:
            _SCHEDULES[kernel] = schedule
        return schedule
    return mark


def schedule_for(kernel):
    """The registered schedule of a library ``kernel``, or None."""
    if not _SCHEDULES:
        from . import systolic  # noqa: F401 - registers its schedules
    return _SCHEDULES.get(kernel)
