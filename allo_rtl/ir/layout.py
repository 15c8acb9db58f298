"""Banked array layouts: how ``partition`` splits an array into memory banks.

Per partitioned dimension of extent ``n``: *complete* makes ``n`` banks of one element,
*cyclic* ``f`` puts index ``i`` in bank ``i % f`` at ``i // f``, *block* ``f`` cuts blocks of
``ceil(n / f)``, index ``i`` in bank ``i // b`` at ``i % b``. Banks are numbered row-major over
the partitioned dimensions; inside a bank, words are row-major over the local extents.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

KINDS = ("complete", "block", "cyclic")


@dataclass(frozen=True)
class DimPartition:
    kind: str          # one of KINDS
    factor: int        # banks along the dimension
    loc: object = None # where the partition was asked for (for conflict errors)

    def same_layout(self, other) -> bool:
        return (self.kind, self.factor) == (other.kind, other.factor)

    def describe(self) -> str:
        return "complete" if self.kind == "complete" else f"{self.kind} factor {self.factor}"


def dim_partition(kind: str, factor: int, extent: int, loc=None) -> DimPartition:
    """The partition of a dimension of ``extent``; complete is ``extent`` banks."""
    if kind == "complete" or factor >= extent and kind == "cyclic":
        return DimPartition("complete", extent, loc)
    return DimPartition(kind, factor, loc)


def shift_and_mask_factors(kind: str, extent: int) -> list:
    """The factors > 1 of a ``kind`` partition of ``extent`` whose bank and local index a mask
    and a shift compute (cyclic: a power-of-two factor, or complete; block: a power-of-two
    block size)."""
    if kind == "cyclic":
        return [f for f in range(2, extent) if not f & (f - 1)] + [extent]
    sizes = {f: -(-extent // f) for f in range(2, extent + 1)}
    return [f for f, size in sizes.items() if not size & (size - 1)]


@dataclass(frozen=True)
class Layout:
    """The banks of an array of ``shape`` under ``parts`` (dim index 0-based -> DimPartition)."""

    shape: tuple
    parts: tuple       # DimPartition or None per dimension

    @classmethod
    def of(cls, buffer) -> "Layout":
        return cls(tuple(buffer.shape),
                   tuple(buffer.partition.get(d + 1) for d in range(len(buffer.shape))))

    @property
    def banked(self) -> bool:
        return any(p is not None for p in self.parts)

    def banks_along(self, d: int) -> int:
        p = self.parts[d]
        return 1 if p is None else p.factor

    def local_extent(self, d: int) -> int:
        n, p = self.shape[d], self.parts[d]
        if p is None:
            return n
        if p.kind == "complete":
            return 1
        return math.ceil(n / p.factor)

    @property
    def bank_grid(self) -> tuple:
        return tuple(self.banks_along(d) for d in range(len(self.shape)))

    @property
    def n_banks(self) -> int:
        return math.prod(self.bank_grid)

    @property
    def bank_shape(self) -> tuple:
        return tuple(self.local_extent(d) for d in range(len(self.shape)))

    @property
    def bank_depth(self) -> int:
        return math.prod(self.bank_shape)

    def split_index(self, d: int, i: int) -> tuple:
        """(bank coordinate, local index) of index ``i`` along dimension ``d``."""
        p = self.parts[d]
        if p is None:
            return 0, i
        if p.kind == "complete":
            return i, 0
        if p.kind == "cyclic":
            return i % p.factor, i // p.factor
        block = self.local_extent(d)
        return i // block, i % block

    def bank_number(self, coords) -> int:
        return int(np.ravel_multi_index(tuple(coords), self.bank_grid)) if coords else 0

    def elements(self) -> np.ndarray:
        """``[bank, word]``: the row-major flat index into the whole array of each bank word,
        -1 for words past the array's end (uneven block or cyclic partitions)."""
        out = np.full((self.n_banks, self.bank_depth), -1, dtype=np.int64)
        for index in itertools.product(*map(range, self.shape)):
            split = [self.split_index(d, i) for d, i in enumerate(index)]
            bank = self.bank_number([b for b, _ in split])
            word = int(np.ravel_multi_index(tuple(w for _, w in split), self.bank_shape))
            out[bank, word] = int(np.ravel_multi_index(index, self.shape))
        return out
