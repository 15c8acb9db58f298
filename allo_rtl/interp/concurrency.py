"""Streams and concurrent kernels in the interpreter.

A kernel that touches a stream, runs a dataflow region or calls such a kernel is compiled as a
Python generator. It runs until a ``put`` finds its stream full or a ``get`` finds it empty; it
then yields the list of what it waits on (stream sites) and is resumed later. A region
(``ir.Parallel``) resumes its kernels in turn until all have returned. When a whole round passes
without any stream operation and no kernel returned, every kernel of the region waits: the region
yields the union of their waits to its caller, and at the top that is a deadlock, reported with
every waiting kernel, the stream and operation it waits on and its source line. Streams are
point to point, so results do not depend on the order kernels are resumed in (Kahn's
networks); ``Scheduler(seed)`` shuffles that order to show it.
"""
from __future__ import annotations

import random
from collections import deque

from ..errors import dataflow_deadlock


class Fifo:
    """A stream while its region runs: at most ``depth`` raw values."""

    __slots__ = ("name", "depth", "items")

    def __init__(self, name: str, depth, items=()):
        self.name, self.depth, self.items = name, depth, deque(items)


class StreamSites:
    """Where kernels wait: site k is (kernel name, "put" or "get", stream name, depth, loc)."""

    def __init__(self):
        self.items = []

    def add(self, *item) -> int:
        self.items.append(item)
        return len(self.items) - 1


class Scheduler:
    """The order a region resumes its kernels in: as declared, or shuffled by ``seed``; and a
    count of stream operations, which tells a round that made progress from one that did not."""

    def __init__(self, seed=None):
        self.rng = random.Random(seed) if seed is not None else None
        self.ops = 0

    def order(self, tasks: list) -> list:
        if self.rng is None:
            return tasks
        tasks = list(tasks)
        self.rng.shuffle(tasks)
        return tasks


def make_stream_helpers(sites: StreamSites, scheduler: Scheduler) -> dict:
    """The helpers generated code calls, bound to one compiled module."""

    def _get(fifo, site):
        while not fifo.items:
            yield [site]
        scheduler.ops += 1
        return fifo.items.popleft()

    def _put(fifo, value, site):
        while len(fifo.items) >= fifo.depth:
            yield [site]
        scheduler.ops += 1
        fifo.items.append(value)

    def _parallel(tasks):
        live = list(tasks)
        while live:
            before, waiting, still = scheduler.ops, [], []
            for task in scheduler.order(live):
                try:
                    waiting += task.send(None)
                    still.append(task)
                except StopIteration:
                    pass
            finished = len(still) < len(live)
            kept = {id(t) for t in still}
            live = [t for t in live if id(t) in kept]
            if live and not finished and scheduler.ops == before:
                yield waiting     # every kernel here waits: up to the caller

    def _drive(gen):
        """Run a top-level generator kernel to its end; anything it yields is a deadlock."""
        try:
            waiting = gen.send(None)
        except StopIteration as stop:
            return stop.value
        gen.close()
        raise dataflow_deadlock([sites.items[k] for k in waiting])

    return {"_get": _get, "_put": _put, "_parallel": _parallel, "_drive": _drive,
            "_Fifo": Fifo}
