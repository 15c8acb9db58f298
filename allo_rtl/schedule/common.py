"""What every schedule primitive shares: argument checks with uniform errors, and the record
of applied primitives that ``compose`` replays onto another schedule."""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import ScheduleError, caller_loc


@dataclass(frozen=True)
class Applied:
    """One applied primitive: its name and its arguments, handles written as ``"func:name"``
    strings so that the record replays onto another schedule of the same functions."""

    primitive: str
    args: tuple
    kwargs: tuple = ()

    def __str__(self):
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs]
        return f"{self.primitive}({', '.join(parts)})"


def bad_argument(primitive: str, argument: str, expected: str, got, hint: str = "") -> ScheduleError:
    """The error for an argument of ``primitive`` that is not what it must be."""
    return ScheduleError(f"{primitive}: argument {argument!r} must be {expected}, got {got!r}",
                         caller_loc(), hint or f"see help(Schedule.{primitive})")


def illegal(primitive: str, message: str, hint: str, loc=None) -> ScheduleError:
    """The error for a primitive whose arguments are well formed but cannot apply here."""
    return ScheduleError(f"{primitive}: {message}", loc or caller_loc(), hint)


def unique_name(base: str, taken: set) -> str:
    """``base``, or ``base_2``, ``base_3``, ... if taken; added to ``taken``."""
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    taken.add(name)
    return name


def expect_int(primitive: str, argument: str, value, minimum: int = 0) -> int:
    """``value`` as an int >= ``minimum`` (bools are not ints here)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise bad_argument(primitive, argument, f"an int >= {minimum}", value)
    return value


def expect_bool(primitive: str, argument: str, value) -> bool:
    if not isinstance(value, bool):
        raise bad_argument(primitive, argument, "True or False", value)
    return value
