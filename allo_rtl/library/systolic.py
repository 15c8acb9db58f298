"""Systolic arrays for matrix products, with the API of Allo's ``allo.library.systolic``.

``systolic_tile[TyA, TyB, TyC, K, Mt, Nt](A, B, C)`` computes ``C = A @ B`` for an ``Mt x K``
by ``K x Nt`` tile on an output-stationary grid of ``Mt x Nt`` processing elements: a dataflow
region whose loaders push row ``i`` of ``A`` into PE ``(i, 0)`` and column ``j`` of ``B`` into
PE ``(0, j)``; each PE multiplies and accumulates what it receives in ``TyC`` and forwards it
right and down (the last column and row do not forward, so no drain kernels are needed).
``systolic[TyA, TyB, TyC, M, K, N, Mt, Nt](A, B, C)`` tiles an ``M x K`` by ``K x N`` product
over it (``M % Mt == N % Nt == 0``), reading ``A`` and writing ``C`` once each, in row-major
order, so that two arrays cascade through a stream (``s.to`` on the matrix between them).
``packed_systolic[TyA, TyB, TyC, M, K, N, Mt, Nt, P]`` is the same product on packed words, as
Allo's: ``P`` elements per word (element ``p`` in bits ``p * bits`` up), ``A`` packed along ``M``
(``Int(TyA.bits * P)[M // P, K]``), ``B`` along ``N`` and ``C`` along ``M``, unpacked into the
tile's buffers and packed again around ``systolic_tile``. ``schedule_systolic`` pipelines the
loads and stores of each tile and every PE's reduction loop; ``s.compose(systolic,
instantiate=[...])`` (or ``packed_systolic``) applies it.
"""
from __future__ import annotations

import allo_rtl as allo
import allo_rtl.dataflow as df
from allo_rtl.types import Int, Stream, int32  # noqa: F401 - names of the kernels' annotations

from . import register_schedule

__all__ = ["systolic_tile", "systolic", "packed_systolic", "schedule_systolic"]


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


def packed_systolic[TyA, TyB, TyC, M: int32, K: int32, N: int32, Mt: int32, Nt: int32,
                    P: int32](
        A: "Int(TyA.bits * P)[M // P, K]", B: "Int(TyB.bits * P)[K, N // P]",
        C: "Int(TyC.bits * P)[M // P, N]"):
    local_A: TyA[Mt, K]
    local_B: TyB[K, Nt]
    local_C: TyC[Mt, Nt]
    for mi, ni in allo.grid(M // Mt, N // Nt, name="outer_tile"):
        for ak, ai in allo.grid(K, Mt // P, name="load_A"):
            a: "Int(TyA.bits * P)" = A[mi * Mt // P + ai, ak]
            for pa in range(P):
                local_A[ai * P + pa, ak] = a[pa * TyA.bits:(pa + 1) * TyA.bits]
        for bk, bj in allo.grid(K, Nt // P, name="load_B"):
            b: "Int(TyB.bits * P)" = B[bk, ni * Nt // P + bj]
            for pb in range(P):
                local_B[bk, bj * P + pb] = b[pb * TyB.bits:(pb + 1) * TyB.bits]
        systolic_tile[TyA, TyB, TyC, K, Mt, Nt](local_A, local_B, local_C)
        for sj, si in allo.grid(Nt, Mt // P, name="store_C"):
            c: "Int(TyC.bits * P)" = 0
            for pc in range(P):
                c[pc * TyC.bits:(pc + 1) * TyC.bits] = local_C[si * P + pc, sj]
            C[mi * Mt // P + si, ni * Nt + sj] = c


# the loops each tiled product pipelines (a packed one flattens its packing loop into them)
_TILE_LOOPS = {"systolic": ("ak", "bj", "cj", "sj"), "packed_systolic": ("ai", "bj", "si")}


@register_schedule(systolic, packed_systolic)
def schedule_systolic(s):
    """Pipeline the loads and stores of each tile, the loaders and the reduction loop of every
    PE, and give each loader a bank of its own (``local_A`` by rows, ``local_B`` by columns),
    so that every PE takes a value from each of its two streams per cycle; ``local_C`` in
    registers, so that each PE writes its own word (through one memory port the writes of all
    PEs would chain through its arbiter, the longest path of the array)."""
    top = s.top.name
    kind = next((k for k in sorted(_TILE_LOOPS, key=len, reverse=True) if top.startswith(k)),
                None)
    if kind is None:
        from ..errors import ScheduleError, caller_loc
        raise ScheduleError(f"schedule_systolic applies to a schedule of systolic or "
                            f"packed_systolic, not of {top!r}", caller_loc(),
                            "customize(systolic, instantiate=[...]) first")
    for loop in _TILE_LOOPS[kind]:
        s.pipeline(f"{top}:{loop}")
    s.partition(s.local_A, dim=1)
    s.partition(s.local_B, dim=2)
    s.partition(s.local_C, dim=0)
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
