"""Dataflow regions and kernels, spelled as Allo's ``allo.dataflow``::

    import allo_rtl.dataflow as df

    @df.region()
    def top(A: int32[M, N], B: int32[M, N]):
        pipe: Stream[int32, 4]                      # the region's streams

        @df.kernel(mapping=[1], args=[A])           # instances over the mapping grid, run
        def producer(local_A: int32[M, N]):         # concurrently with each other
            for i, j in allo.grid(M, N):
                pipe.put(local_A[i, j])

        @df.kernel(mapping=[1], args=[B])
        def consumer(local_B: int32[M, N]):
            for i, j in allo.grid(M, N):
                local_B[i, j] = pipe.get()

The decorators only mark functions: the frontend reads the region's source (frontend/region.py).
``df.get_pid()`` gives a kernel instance its coordinates in the grid, compile-time constants.
"""
from __future__ import annotations

from .errors import AlloSyntaxError, caller_loc

__all__ = ["region", "kernel", "get_pid", "customize", "build"]


def region():
    """``@df.region()``: a function whose body declares streams and ``df.kernel`` instances that
    run concurrently; it returns when all of them have."""
    def mark(fn):
        fn.__allo_dataflow__ = "region"
        return fn
    return mark


def kernel(mapping=None, args=None):
    """``@df.kernel(mapping=[P0, P1], args=[A, B])``: a kernel replicated over the ``mapping``
    grid inside a region, each instance taking the region's arrays ``args`` (by position)."""
    def mark(fn):
        fn.__allo_dataflow__ = "kernel"
        return fn
    return mark


def get_pid():
    """``i, j = df.get_pid()`` inside a ``df.kernel``: this instance's grid coordinates."""
    raise AlloSyntaxError("df.get_pid() is only meaningful inside a df.kernel of a region that "
                          "allo_rtl compiles", caller_loc(),
                          "build the region with allo.customize(top) instead of calling it")


def customize(fn, instantiate=None):
    """Allo's ``df.customize(top)``: the Schedule of a region (same as ``allo.customize``)."""
    from .schedule import customize as _customize
    return _customize(fn, instantiate=instantiate)


def build(fn, target="interp", **options):
    """Allo's ``df.build(top, target=...)``: ``customize(top).build(target=..., ...)``."""
    from .schedule import customize as _customize
    return _customize(fn).build(target=target, **options)
