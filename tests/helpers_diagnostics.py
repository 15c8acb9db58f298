"""Shared by the ``test_diagnostics_*.py`` modules: the ``check()`` helper with its ``# <- here``
line-marker mechanism, and the valid kernels several of those modules build on.

``check()`` verifies that an error points at the offending construct of the *calling test's*
file (line found through a ``# <- here`` marker comment, column inside the construct). The marker
of a test is searched in the source of the test function itself (or of the object passed as
``where=``), so kernels carrying a marker live in the test module that uses them; the kernels
here carry none.
"""
import inspect
import os
import re
import sys

import allo_rtl as allo
from allo_rtl.errors import AlloError
from allo_rtl.types import float32, int32

MARKER = "# <- here"


# -- helpers -------------------------------------------------------------------------------------
def line_of(fn, text: str) -> int:
    """The line number of the first line of ``fn``'s source that contains ``text``."""
    lines, first = inspect.getsourcelines(fn)
    return next(first + n for n, line in enumerate(lines) if text in line)


def marked_line(obj) -> tuple[int, str]:
    """(1-based line number in its file, text) of the single ``# <- here`` line of ``obj``."""
    lines, first = inspect.getsourcelines(obj)
    hits = [(first + i, text.rstrip("\n")) for i, text in enumerate(lines)
            if text.rstrip().endswith(MARKER)]
    assert len(hits) == 1, f"{obj!r} must carry exactly one {MARKER!r} marker, found {len(hits)}"
    return hits[0]


def _public_class(cls):
    """The most specific public class of an error (private helpers like _UnknownName skipped)."""
    return next(c for c in cls.__mro__ if not c.__name__.startswith("_"))


def check(info, cls, message, construct, where=None):
    """Check the error caught in ``info`` against the marked line of ``where`` (default: the
    calling test function); the error must lie in the calling test's module.

    ``message``: a substring (or a compiled regex) the message must contain.
    ``construct``: a substring of the marked line, unique in it; the column must fall inside it.
    """
    if where is None:
        where = sys._getframe(1).f_code
    err = info.value
    assert isinstance(err, AlloError)
    assert _public_class(type(err)) is cls, \
        f"expected {cls.__name__}, got {type(err).__name__}: {err}"

    line_no, text = marked_line(where)
    test_file = sys._getframe(1).f_code.co_filename  # the calling test's module
    assert err.file is not None and os.path.samefile(err.file, test_file), \
        f"error located in {err.file!r}, not in the test file\n{err}"
    assert err.line == line_no, f"error at line {err.line}, expected {line_no}\n{err}"

    assert text.count(construct) == 1, f"{construct!r} must occur once in {text!r}"
    start = text.index(construct)
    assert err.col is not None and start <= err.col - 1 < start + len(construct), \
        f"column {err.col} is not inside {construct!r} (columns {start + 1}..{start + len(construct)})\n{err}"

    if isinstance(message, re.Pattern):
        assert message.search(err.message), f"message {err.message!r} does not match {message.pattern!r}"
    else:
        assert message in err.message, f"message {err.message!r} does not contain {message!r}"

    shown = str(err)
    out = shown.splitlines()
    assert out[0].startswith(f"{err.file}:{err.line}:{err.col}: error: "), shown
    stripped = text.lstrip()
    assert "    " + stripped in out, f"source line not shown:\n{shown}"
    at = out.index("    " + stripped)
    assert at + 1 < len(out) and re.fullmatch(r" *\^", out[at + 1]), f"no caret line:\n{shown}"
    indent = len(text) - len(stripped)
    assert out[at + 1].index("^") - 4 == err.col - 1 - indent, f"caret not under column {err.col}:\n{shown}"

    assert err.hint, f"no hint:\n{shown}"
    assert f"hint: {err.hint}" in shown
    return err


# -- module-level kernels shared by several modules (no marker) -----------------------------
def gemm(A: int32[4, 4], B: int32[4, 4]) -> int32[4, 4]:
    C: int32[4, 4] = 0
    for i, j in allo.grid(4, 4, name="mm"):
        for k in allo.reduction(4):
            C[i, j] += A[i, k] * B[k, j]
    return C


def tmpl[T: (int32, float32), M: int32](A: "T[M]") -> "T[M]":
    B: "T[M]" = 0
    for i in range(M):
        B[i] = A[i] + A[i]
    return B
