"""Loop primitives: split, reorder, fuse, unroll, pipeline, compute_at (IR rewrites and loop
annotations, each with its legality checks)."""
from __future__ import annotations


class LoopPrimitives:
    """Mixed into ``Schedule``; uses its ``_loop_arg``, ``function`` and ``_record``."""

    def split(self, axis, factor):
        raise NotImplementedError

    def reorder(self, *axes):
        raise NotImplementedError

    def fuse(self, *axes):
        raise NotImplementedError

    def unroll(self, axis, factor=0):
        raise NotImplementedError

    def pipeline(self, axis, initiation_interval=1, rewind=False):
        raise NotImplementedError

    def compute_at(self, producer, consumer_axis):
        raise NotImplementedError
