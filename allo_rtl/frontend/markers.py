"""Loop constructors of the kernel language. In a kernel they name loop bands; called from plain
Python they iterate like ``range`` so that a kernel also runs as ordinary Python."""
from __future__ import annotations

import itertools

__all__ = ["grid", "reduction", "meta_if", "meta_elif", "meta_else", "meta_for"]


def grid(*extents: int, name: str | None = None):
    """``for i, j in allo.grid(P, R, name="mm")``: a perfectly nested band of loops."""
    ranges = [range(e) for e in extents]
    return iter(ranges[0]) if len(ranges) == 1 else itertools.product(*ranges)


def reduction(*extents: int, name: str | None = None):
    """``for k in allo.reduction(Q)``: a band of reduction loops (carried dependences allowed)."""
    return grid(*extents, name=name)


class _Meta:
    """A compile-time choice in a kernel (``with allo.meta_if(cond):``): the frontend keeps the
    body of the branch whose condition holds, or repeats a ``meta_for`` body per value; run as
    plain Python it does nothing."""

    def __init__(self, *args):
        self.args = args

    def __enter__(self):
        return self.args[0] if self.args else None

    def __exit__(self, *exc):
        return False


class meta_if(_Meta):  # noqa: N801 - Allo's spelling
    """``with allo.meta_if(cond):`` keeps its body when ``cond`` (known at compile time) holds."""


class meta_elif(_Meta):  # noqa: N801
    """``with allo.meta_elif(cond):`` right after a meta_if (or meta_elif) whose body was dropped."""


class meta_else(_Meta):  # noqa: N801
    """``with allo.meta_else():`` keeps its body when no branch of its meta_if chain was kept."""


class meta_for(_Meta):  # noqa: N801
    """``with allo.meta_for(lo, hi, step) as u:`` repeats its body with ``u`` a compile-time
    constant taking each value of ``range(lo, hi, step)`` (1 to 3 arguments, like range)."""
