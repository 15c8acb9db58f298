"""Loop constructors of the kernel language. In a kernel they name loop bands; called from plain
Python they iterate like ``range`` so that a kernel also runs as ordinary Python."""
from __future__ import annotations

import itertools

__all__ = ["grid", "reduction"]


def grid(*extents: int, name: str | None = None):
    """``for i, j in allo.grid(P, R, name="mm")``: a perfectly nested band of loops."""
    ranges = [range(e) for e in extents]
    return iter(ranges[0]) if len(ranges) == 1 else itertools.product(*ranges)


def reduction(*extents: int, name: str | None = None):
    """``for k in allo.reduction(Q)``: a band of reduction loops (carried dependences allowed)."""
    return grid(*extents, name=name)
