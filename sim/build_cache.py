"""Compiled simulations, kept between runs and processes, keyed by what went into them.

A build lives in ``<cache>/builds/<simulator>/<design>-<key>/``, where ``<cache>`` is
``$ALLO_RTL_CACHE`` or ``~/.cache/allo-rtl`` and ``<key>`` hashes the Verilog, the testbench, the
simulator, its version and the build options. A folder appears under its final name only when
its build succeeded: builds go to a temporary folder that is renamed at the end. A lock file
makes concurrent callers with the same key wait for one build instead of repeating it.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Callable


def cache_root() -> Path:
    configured = os.environ.get("ALLO_RTL_CACHE")
    root = Path(configured) if configured else Path.home() / ".cache" / "allo-rtl"
    return root.expanduser().resolve()


def build_key(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode()
        digest.update(len(data).to_bytes(8, "little"))   # no two part lists hash alike
        digest.update(data)
    return digest.hexdigest()[:20]


def build_folder(simulator: str, design: str, key: str) -> Path:
    return cache_root() / "builds" / simulator / f"{design}-{key}"


@contextmanager
def _locked(lock_path: Path):
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class BuildFailed(Exception):
    """Raised by a build step; ``log`` is the name of its log file inside the build folder."""

    def __init__(self, log: str):
        super().__init__(log)
        self.log = log


def ensure_built(folder: Path, build: Callable[[Path], None]) -> bool:
    """Make ``folder`` hold a finished build, calling ``build(temporary_folder)`` if it does
    not. True when this call built it. A failed build is kept in ``<folder>.failed`` for
    inspection and BuildFailed is re-raised with the log's path there."""
    if folder.is_dir():
        return False
    folder.parent.mkdir(parents=True, exist_ok=True)
    with _locked(folder.with_name(folder.name + ".lock")):
        if folder.is_dir():          # another process built it while we waited
            return False
        scratch = Path(tempfile.mkdtemp(prefix=folder.name + ".tmp-", dir=folder.parent))
        try:
            build(scratch)
        except BuildFailed as failure:
            failed = folder.with_name(folder.name + ".failed")
            shutil.rmtree(failed, ignore_errors=True)
            os.rename(scratch, failed)
            raise BuildFailed(str(failed / failure.log)) from None
        except BaseException:
            shutil.rmtree(scratch, ignore_errors=True)
            raise
        os.rename(scratch, folder)
        return True
