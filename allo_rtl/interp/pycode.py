"""Python source text with precedence: the pieces the interpreter's code generator builds.

A ``Code`` is an expression's text, its Python precedence (to parenthesize only where needed),
the interval of its raw integer value (None for floats and non-numeric values) and whether it is
*simple*: pure, cheap and unable to raise, so that it may be evaluated twice or hoisted.
"""
from __future__ import annotations

import builtins
import keyword
import math
import re
from dataclasses import dataclass

from ..ir.intervals import Interval

# Python precedences, low to high.
COND, OR, AND, NOT, CMP, BOR, BXOR, BAND, SHIFT, ARITH, TERM, UNARY, ATOM = range(1, 14)


@dataclass(frozen=True)
class Code:
    text: str
    prec: int = ATOM
    iv: Interval | None = None
    simple: bool = True

    def __str__(self):
        return self.text


def par(code: Code, min_prec: int) -> str:
    """The text of ``code``, parenthesized unless its precedence is at least ``min_prec``."""
    return code.text if code.prec >= min_prec else f"({code.text})"


def binary(lhs: Code, op: str, rhs: Code, prec: int, iv=None, simple=None) -> Code:
    """``lhs op rhs`` for a left-associative operator of precedence ``prec``."""
    if simple is None:
        simple = lhs.simple and rhs.simple
    return Code(f"{par(lhs, prec)} {op} {par(rhs, prec + 1)}", prec, iv, simple)


def call(fn: str, *args, iv=None, simple=False) -> Code:
    return Code(f"{fn}({', '.join(str(a) for a in args)})", ATOM, iv, simple)


def int_lit(v: int, iv=True) -> Code:
    v = int(v)
    return Code(str(v), UNARY if v < 0 else ATOM, Interval(v, v) if iv else None, True)


def float_lit(v: float) -> Code:
    if v != v:
        return Code("_NAN")
    if math.isinf(v):
        return Code("_INF") if v > 0 else Code("-_INF", UNARY)
    text = repr(float(v))
    return Code(text, UNARY if text.startswith("-") else ATOM)


def sum_code(terms: list, const: int = 0, iv=None) -> Code:
    """``t0 + t1 - t2 + const`` from ``terms`` = [(coefficient, Code)], coefficients nonzero."""
    simple = all(code.simple for _, code in terms)
    if not terms:
        return Code(str(const), UNARY if const < 0 else ATOM, iv if iv is not None else Interval(const, const))
    if len(terms) == 1 and terms[0][0] == 1 and not const:
        code = terms[0][1]
        return Code(code.text, code.prec, iv, code.simple)
    pieces = []
    for coef, code in terms:
        mag = abs(coef)
        text = par(code, TERM) if mag == 1 else f"{par(code, TERM)} * {mag}"
        if not pieces:
            pieces.append(text if coef > 0 else f"-{par(Code(text, TERM), UNARY)}")
        else:
            pieces.append(f"{'+' if coef > 0 else '-'} {text}")
    if const:
        pieces.append(f"{'+' if const > 0 else '-'} {abs(const)}")
    if len(pieces) > 1:
        return Code(" ".join(pieces), ARITH, iv, simple)
    return Code(pieces[0], TERM if terms[0][0] > 0 else UNARY, iv, simple)


_IDENT = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_RESERVED = set(keyword.kwlist) | set(keyword.softkwlist) | set(dir(builtins))


class Names:
    """Unique Python identifiers for IR names. Generated names (temporaries, helpers, kernels)
    all start with ``_``; user names never do."""

    def __init__(self):
        self.used = set()
        self.counters = {}

    def user(self, name: str) -> str:
        base = re.sub(r"\W", "_", name or "v")
        if not _IDENT.match(base):
            base = "v" + base if base.startswith("_") or base[:1].isdigit() else "v_" + base
        if base in _RESERVED:
            base += "_"
        return self._unique(base)

    def temp(self, prefix: str) -> str:
        """``_<prefix><n>``."""
        n = self.counters.get(prefix, 0) + 1
        self.counters[prefix] = n
        return self._unique(f"_{prefix}{n}")

    def fresh(self, base: str) -> str:
        """``base``, or ``base_<n>`` if taken."""
        return self._unique(base)

    def _unique(self, base: str) -> str:
        name, n = base, 0
        while name in self.used:
            n += 1
            name = f"{base}_{n}"
        self.used.add(name)
        return name
