"""Dataflow regions and kernels (``df.region``, ``df.kernel``): not supported yet.

The decorators exist so that modules written for Allo import; customizing a region raises
an ``UnsupportedError`` that says so."""
from __future__ import annotations

from .errors import UnsupportedError, caller_loc

__all__ = ["region", "kernel", "get_pid"]


def _unsupported(what: str):
    return UnsupportedError(f"{what} is not supported yet: dataflow regions come in a later "
                            "release", caller_loc(), "run kernels without streams for now")


def region(*_args, **_kwargs):
    def mark(fn):
        fn.__allo_dataflow__ = "region"
        return fn
    return mark


def kernel(*_args, **_kwargs):
    def mark(fn):
        fn.__allo_dataflow__ = "kernel"
        return fn
    return mark


def get_pid():
    raise _unsupported("df.get_pid()")
