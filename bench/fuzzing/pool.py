"""Worker processes that run cases with a timeout each.

Workers are forked from the parent (which has imported allo_rtl, so a new worker costs little),
run one task at a time, and are replaced after ``max_tasks`` tasks (memory of imported case
modules, simulator state) or when a task outlives its timeout (the worker is killed).
"""
from __future__ import annotations

import multiprocessing as mp
import time
from multiprocessing.connection import wait


def _worker(conn, fn):
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            return
        if msg is None:
            return
        key, payload = msg
        try:
            out = fn(*payload)
        except BaseException as e:     # noqa: BLE001 - reported as the runner's own failure
            out = {"outcome": "internal_error", "key": f"runner:{type(e).__name__}",
                   "detail": f"the fuzzer's runner failed: {type(e).__name__}: {e}",
                   "reason": f"runner {type(e).__name__}"}
        conn.send((key, out))


class _Slot:
    def __init__(self, ctx, fn):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker, args=(child, fn), daemon=True)
        self.proc.start()
        child.close()
        self.task = None
        self.limit = 0.0
        self.started = 0.0
        self.done = 0

    def stop(self, kill=False):
        if kill:
            self.proc.kill()
        else:
            try:
                self.conn.send(None)
            except (BrokenPipeError, OSError):
                self.proc.kill()
        self.proc.join(5)
        self.conn.close()


class Pool:
    """``Pool(fn, jobs, timeout).run(tasks)`` yields ``(key, result)`` as tasks finish, where
    ``tasks`` is an iterable of ``(key, args)`` or ``(key, args, timeout)`` and
    ``result = fn(*args)``, or a ``timeout`` result when ``fn`` runs longer than its timeout."""

    def __init__(self, fn, jobs: int = 1, timeout: float = 120.0, max_tasks: int = 40):
        self.ctx = mp.get_context("fork")
        self.fn, self.jobs, self.timeout, self.max_tasks = fn, max(1, jobs), timeout, max_tasks
        self.slots = [_Slot(self.ctx, fn) for _ in range(self.jobs)]

    def close(self):
        for slot in self.slots:
            slot.stop()
        self.slots = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _replace(self, slot, kill=False):
        slot.stop(kill)
        fresh = _Slot(self.ctx, self.fn)
        self.slots[self.slots.index(slot)] = fresh
        return fresh

    def run(self, tasks):
        tasks = iter(tasks)
        exhausted = False
        while True:
            for slot in list(self.slots):
                if slot.task is None and not exhausted:
                    try:
                        key, args, *limit = next(tasks)
                    except StopIteration:
                        exhausted = True
                        break
                    if slot.done >= self.max_tasks or not slot.proc.is_alive():
                        slot = self._replace(slot)
                    slot.task, slot.started = (key, args), time.time()
                    slot.limit = limit[0] if limit else self.timeout
                    slot.conn.send((key, args))
            busy = [s for s in self.slots if s.task is not None]
            if not busy:
                return
            now = time.time()
            wait_for = max(0.05, min(s.started + s.limit - now for s in busy))
            ready = wait([s.conn for s in busy], timeout=wait_for)
            for slot in busy:
                if slot.conn in ready:
                    try:
                        key, out = slot.conn.recv()
                    except (EOFError, OSError):
                        key = slot.task[0]
                        out = {"outcome": "internal_error", "key": "runner:worker-died",
                               "detail": "the worker process died (a crash in native code?)",
                               "reason": "worker died"}
                        slot.task = None
                        self._replace(slot, kill=True)
                        yield key, out
                        continue
                    slot.task, slot.done = None, slot.done + 1
                    yield key, out
                elif time.time() - slot.started > slot.limit:
                    key, limit = slot.task[0], slot.limit
                    slot.task = None
                    self._replace(slot, kill=True)
                    yield key, {"outcome": "timeout", "key": "timeout",
                                "detail": f"no result after {limit:.0f} s",
                                "reason": "timeout", "seconds": limit}

    def run_one(self, args):
        for _, out in self.run([(0, args)]):
            return out
