"""User-facing errors: every one carries the kernel's file, line and column, and a hint.

An error is printed as

    kernel.py:12:9: error: unknown name 'Z'
        C[i] = Z + 1
               ^
    hint: define Z in the enclosing scope or pass it as an argument

so that the user sees the offending line of their own source, not ours.
"""
from __future__ import annotations

import inspect
import linecache
from dataclasses import dataclass

from ._frames import user_frame

__all__ = [
    "SourceLoc", "AlloError", "AlloSyntaxError", "AlloNameError", "AlloTypeError",
    "AlloIndexError", "AlloValueError", "AlloTemplateError", "ScheduleError", "AlloRuntimeError",
    "UnsupportedError", "SimulationError", "caller_loc", "index_out_of_bounds", "division_by_zero",
    "negative_shift", "index_shift_too_large", "bit_index_out_of_range", "AlloDeadlockError",
    "dataflow_deadlock",
]


@dataclass(frozen=True)
class SourceLoc:
    """A position in a user's source file (line and column are 1-based)."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    def source_line(self) -> str:
        return linecache.getline(self.file, self.line).rstrip("\n")


class AlloError(Exception):
    """Base of every error allo_rtl reports to its users."""

    kind = "error"

    def __init__(self, message: str, loc: SourceLoc | None = None, hint: str | None = None):
        self.message = message
        self.loc = loc
        self.hint = hint
        super().__init__(self._format())

    @property
    def file(self) -> str | None:
        return self.loc.file if self.loc else None

    @property
    def line(self) -> int | None:
        return self.loc.line if self.loc else None

    @property
    def col(self) -> int | None:
        return self.loc.col if self.loc else None

    def _format(self) -> str:
        head = f"{self.kind}: {self.message}"
        parts = [f"{self.loc}: {head}" if self.loc else head]
        if self.loc:
            text = self.loc.source_line()
            if text.strip():
                stripped = text.lstrip()
                indent = len(text) - len(stripped)
                caret_at = max(self.loc.col - 1 - indent, 0)
                parts.append("    " + stripped)
                parts.append("    " + " " * caret_at + "^")
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "\n".join(parts)


class AlloSyntaxError(AlloError):
    """A Python construct the kernel language does not accept."""


class AlloNameError(AlloError, NameError):
    """A name that does not resolve to a variable, constant, kernel, loop or buffer."""


class AlloTypeError(AlloError, TypeError):
    """A type annotation or an operation whose types do not fit."""


class AlloIndexError(AlloError, IndexError):
    """An index that is out of bounds or has the wrong number of dimensions."""


class AlloValueError(AlloError, ValueError):
    """An argument whose value its parameter's type cannot hold exactly: out of range, not an
    integer, not on a fixed-point type's grid (a value of the right kind but not representable)."""


class AlloTemplateError(AlloError):
    """A PEP 695 template instantiated with the wrong number or kind of arguments."""


class ScheduleError(AlloError):
    """A schedule primitive called with an invalid argument."""


class AlloRuntimeError(AlloError):
    """A failure while a kernel runs: an out-of-bounds access, a division by zero."""


class AlloDeadlockError(AlloRuntimeError):
    """Every running kernel of a dataflow design waits on a stream that nothing will serve."""


class UnsupportedError(AlloError):
    """A valid kernel that a target cannot build (yet)."""


class SimulationError(AlloError):
    """An RTL simulation that cannot run (a missing tool, a failed build) or does not finish."""


def caller_loc() -> SourceLoc | None:
    """The location of the innermost frame outside this package: the user's call site."""
    frame = user_frame()
    try:
        if frame is None:
            return None
        positions = inspect.getframeinfo(frame).positions
        col = positions.col_offset + 1 if positions and positions.col_offset is not None else 1
        return SourceLoc(frame.f_code.co_filename, frame.f_lineno, col)
    finally:
        del frame


# ---------------------------------------------------------------------------------------------
# The errors a running kernel raises, built in one place so that every target (the interpreter,
# and the simulation harness decoding a design's error status) says exactly the same thing.

MAX_INDEX_SHIFT = 1024   # an index (exact) value shifted left by this much or more is an error


def index_out_of_bounds(name: str, shape: tuple, index: tuple, loc) -> AlloIndexError:
    index = tuple(int(i) for i in index)
    return AlloIndexError(
        f"index {index if len(index) > 1 else index[0]} is out of bounds for array '{name}' of "
        f"shape {shape if len(shape) > 1 else shape[0]}", loc,
        hint="every index must be in [0, size) of its dimension")


def division_by_zero(what: str, loc) -> AlloRuntimeError:
    """``what``: "division" or "modulo"."""
    return AlloRuntimeError(f"{what} by zero", loc, hint="guard the division with an if on the divisor")


def negative_shift(amount: int, loc) -> AlloRuntimeError:
    return AlloRuntimeError(f"negative shift amount {int(amount)}", loc,
                            hint="shift amounts must be >= 0")


def index_shift_too_large(amount: int, loc) -> AlloRuntimeError:
    return AlloRuntimeError(f"shift amount {int(amount)} too large for an index value", loc,
                            hint="index arithmetic is exact and never wraps")


def bit_index_out_of_range(lo: int, width: int, bits: int, loc) -> AlloRuntimeError:
    return AlloRuntimeError(
        f"bit index {int(lo)} out of range for a {width}-bit field of a {bits}-bit value", loc,
        hint=f"the low bit must be in [0, {bits - width}]")


def dataflow_deadlock(waits: list) -> AlloDeadlockError:
    """``waits``: (kernel, "put" or "get", stream, depth, loc) of every waiting kernel."""
    def where(loc):
        return f"{loc.file.rsplit('/', 1)[-1]}:{loc.line}" if loc is not None else "?"
    parts = [f"{kernel} waits to {op} {'into' if op == 'put' else 'from'} '{stream}' "
             f"({'full, depth ' + str(depth) if op == 'put' else 'empty'}) at {where(loc)}"
             for kernel, op, stream, depth, loc in waits]
    return AlloDeadlockError("deadlock: every running kernel waits: " + "; ".join(parts),
                             waits[0][4] if waits else None,
                             hint="each stream must get as many values as are put into it, "
                             "and its depth must allow the order of puts and gets")
