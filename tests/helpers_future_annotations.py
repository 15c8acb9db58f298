"""Kernels of a module with ``from __future__ import annotations`` (every annotation a string,
evaluated by nobody but the frontend), for ``test_language_annotations.py``."""
from __future__ import annotations

from allo_rtl.types import Int, float32, int32

TY_LATE = Int(5)


def k_late_type(A: TY_LATE) -> TY_LATE:
    B: TY_LATE = 0
    B = A
    return B


TY_LATE = float32  # rebound after the def: customize() sees float32 everywhere, as Allo does


def make_offsets(N, Ty):
    """A factory whose constants the kernel's code uses (range(N), Ty(...)), so Python captures
    them; under this future import Python never evaluates the annotations themselves."""
    def offsets(A: Ty[N]) -> Ty[N]:
        B: Ty[N] = 0
        for i in range(N):
            B[i] = A[i] + Ty(i)
        return B
    return offsets


def make_annotation_only(N):
    """N appears in annotations only: no closure cell and no evaluated annotation holds it."""
    def first(A: int32[N]) -> int32:
        B: int32[N] = 0
        B[0] = A[0]
        return B[0]
    return first
