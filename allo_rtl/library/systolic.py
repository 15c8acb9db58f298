"""Systolic arrays for matrix products, with the API of Allo's ``allo.library.systolic``.

``systolic_tile[TyA, TyB, TyC, K, Mt, Nt](A, B, C)`` computes ``C = A @ B`` for an ``Mt x K``
by ``K x Nt`` tile on an output-stationary grid of ``Mt x Nt`` processing elements: a dataflow
region whose loaders push row ``i`` of ``A`` into PE ``(i, 0)`` and column ``j`` of ``B`` into
PE ``(0, j)``; each PE multiplies and accumulates what it receives in ``TyC`` and forwards it
right and down (the last column and row do not forward, so no drain kernels are needed).
``systolic[TyA, TyB, TyC, M, K, N, Mt, Nt](A, B, C)`` tiles an ``M x K`` by ``K x N`` product
over it (``M % Mt == N % Nt == 0``), reading ``A`` and writing ``C`` once each, in row-major
order, so that two arrays cascade through a stream (``s.to`` on the matrix between them). ``schedule_systolic`` pipelines the tile's loads and stores
and every PE's reduction loop; ``s.compose(systolic, instantiate=[...])`` applies it.
"""
from __future__ import annotations

import allo_rtl as allo
import allo_rtl.dataflow as df
from allo_rtl.types import Stream, int32  # noqa: F401 - names of the kernels' annotations

from . import register_schedule

__all__ = ["systolic_tile", "systolic", "schedule_systolic"]


@df.region()
def systolic_tile[TyA, TyB, TyC, K: int32, Mt: int32, Nt: int32](
        A: "TyA[Mt, K]", B: "TyB[K, Nt]", C: "TyC[Mt, Nt]"):
    fifo_A: Stream[TyA, 2][Mt + 1, Nt + 1]
    fifo_B: Stream[TyB, 2][Mt + 1, Nt + 1]

    @df.kernel(mapping=[Mt + 1, Nt + 1], args=[A, B, C])
    def pe(a: TyA[Mt, K], b: TyB[K, Nt], c: TyC[Mt, Nt]):
        i, j = df.get_pid()
        with allo.meta_if(i == 0 and j == 0):
            pass
        with allo.meta_elif(j == 0):
            for ka in range(K):
                fifo_A[i, 1].put(a[i - 1, ka])
        with allo.meta_elif(i == 0):
            for kb in range(K):
                fifo_B[1, j].put(b[kb, j - 1])
        with allo.meta_else():
            acc: TyC = 0
            for k in range(K):
                x: TyA = fifo_A[i, j].get()
                y: TyB = fifo_B[i, j].get()
                acc += x * y
                with allo.meta_if(j < Nt):
                    fifo_A[i, j + 1].put(x)
                with allo.meta_if(i < Mt):
                    fifo_B[i + 1, j].put(y)
            c[i - 1, j - 1] = acc


def systolic[TyA, TyB, TyC, M: int32, K: int32, N: int32, Mt: int32, Nt: int32](
        A: "TyA[M, K]", B: "TyB[K, N]", C: "TyC[M, N]"):
    local_A: TyA[Mt, K]
    local_B: TyB[K, Nt]
    local_C: TyC[Mt, Nt]
    rows_C: TyC[Mt, N]
    for mi in allo.grid(M // Mt, name="outer_tile"):
        for ai, ak in allo.grid(Mt, K, name="load_A"):
            local_A[ai, ak] = A[mi * Mt + ai, ak]
        for ni in range(N // Nt):
            for bk, bj in allo.grid(K, Nt, name="load_B"):
                local_B[bk, bj] = B[bk, ni * Nt + bj]
            systolic_tile[TyA, TyB, TyC, K, Mt, Nt](local_A, local_B, local_C)
            for ci, cj in allo.grid(Mt, Nt, name="gather_C"):
                rows_C[ci, ni * Nt + cj] = local_C[ci, cj]
        for si, sj in allo.grid(Mt, N, name="store_C"):
            C[mi * Mt + si, sj] = rows_C[si, sj]


@register_schedule(systolic)
def schedule_systolic(s):
    """Pipeline the loads and stores of each tile, the loaders and the reduction loop of every
    PE, and give each loader a bank of its own (``local_A`` by rows, ``local_B`` by columns),
    so that every PE takes a value from each of its two streams per cycle."""
    if not s.top.name.startswith("systolic"):
        from ..errors import ScheduleError, caller_loc
        raise ScheduleError(f"schedule_systolic applies to a schedule of systolic, not of "
                            f"{s.top.name!r}", caller_loc(),
                            "customize(systolic, instantiate=[...]) first")
    top = s.top.name
    for loop in ("ak", "bj", "cj", "sj"):
        s.pipeline(f"{top}:{loop}")
    s.partition(s.local_A, dim=1)
    s.partition(s.local_B, dim=2)
    for name, fn in s.functions.items():
        if fn.py_func is not None:
            continue
        for loop in {h.name for band in s.get_loops(name) for h in _loops(s, name, band)}:
            if loop in ("k", "ka", "kb"):
                s.pipeline(f"{name}:{loop}")
    return s


def _loops(s, func, band):
    loops = s.get_loops(func)[band]
    return [loops[name] for name in loops]
