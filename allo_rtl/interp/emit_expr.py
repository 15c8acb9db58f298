"""Expressions of the kernel IR to Python expression text (see ``ir/nodes.py`` for semantics).

Integer and fixed-point values are raw Python ints. Every integer node gets an interval
(``intervals.py``); a wrap to the node's type is emitted only where the interval does not prove the
value in range, and Index-typed values never wrap (their arithmetic is exact). Float values are
Python floats rounded to their format after every operation.
"""
from __future__ import annotations

from .. import ir
from ..types import Fixed, Float, Index, Int, UFixed, is_fixed_or_int, is_float
from ..ir import intervals as I
from .pycode import (AND, ARITH, ATOM, BAND, BOR, BXOR, CMP, COND, NOT, OR, SHIFT, TERM, UNARY,
                     Code, binary, call, float_lit, int_lit, par)
from ..floats import FORMATS, round_f64, rounder
from .runtime import NAMESPACE, ROUNDER_NAMES

_CMP = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}
_BITWISE = {"and": ("&", BAND), "or": ("|", BOR), "xor": ("^", BXOR)}
_FOLDABLE = (ir.BinOp, ir.UnaryOp, ir.Cast, ir.Compare, ir.BoolOp, ir.Not, ir.Select, ir.MinMax, ir.Abs,
             ir.BitRead, ir.Reverse)
FOLD_NAMESPACE = {**NAMESPACE, "_r64": round_f64}
# Subexpressions nested deeper than this (in IR nodes) are computed into temporaries first.
SPILL_DEPTH = 40
# Shift amounts up to this are emitted inline (``a << b``) when known non-negative.
_INLINE_SHIFT = 256


def _fracs(t) -> int:
    return getattr(t, "fracs", 0)


def rnd_name(t: Float) -> str:
    return ROUNDER_NAMES[t.name] or "_r64"


class ExprMixin:
    """Expression emission; the host class provides ``var_name``, ``buffer_name``,
    ``func_name``, ``var_interval``, ``site``, ``emit_load``, ``unsupported``, ``names``, and
    the dicts ``nesting``, ``spilled`` and ``pre`` (the current statement's spill lines, or None
    where spilling is not allowed)."""

    # ------------------------------------------------------------------------------ helpers

    def wrap(self, code: Code, t) -> Code:
        """``code`` reduced into ``t``'s raw range, unless its interval proves it already is."""
        if isinstance(t, Index) or not is_fixed_or_int(t):
            return code
        if code.iv is not None and code.iv.within(t.raw_min, t.raw_max):
            return code
        mask = (1 << t.bits) - 1
        if not t.signed:
            return Code(f"{par(code, BAND + 1)} & {mask}", BAND, I.of_type(t), code.simple)
        half = 1 << (t.bits - 1)
        return Code(f"(({par(code, ARITH)} + {half}) & {mask}) - {half}", ARITH, I.of_type(t), code.simple)

    def rescale(self, code: Code, src: int, dst: int) -> Code:
        """Move the binary point from ``src`` to ``dst`` fraction bits (floor when dropping)."""
        if src == dst:
            return code
        if code.text == "0":
            return code
        op, k = ("<<", dst - src) if dst > src else (">>", src - dst)
        iv = None if code.iv is None else I.rescale(code.iv, dst - src)
        return binary(code, op, int_lit(k), SHIFT, iv, code.simple)

    def aligned(self, operands, fracs: int | None = None):
        """Emit integer/fixed operands at one scale: ``fracs``, or the largest among them."""
        codes = [self.emit(e) for e in operands]
        fs = [_fracs(e.type) for e in operands]
        target = max(fs) if fracs is None else fracs
        return [self.rescale(c, f, target) for c, f in zip(codes, fs)], target

    def _check_numeric(self, node, *operands):
        kinds = {is_float(e.type) for e in operands}
        if len(kinds) > 1 or kinds != {is_float(node.type)} and not isinstance(node, (ir.Compare, ir.Cast)):
            self.unsupported(node, f"operands of {type(node).__name__} mix float and integer types "
                             f"({', '.join(repr(e.type) for e in operands)} -> {node.type!r})")

    # ------------------------------------------------------------------------------ dispatch

    def emit(self, e: ir.Expr) -> Code:
        method = getattr(self, "e_" + type(e).__name__, None)
        if method is None:
            self.unsupported(e, f"the interpreter does not support {type(e).__name__} expressions")
        if self.pre is not None and id(e) in self.spilled:
            return self.spilled[id(e)]
        code = method(e)
        if code.simple and not isinstance(e, ir.Const) and self.is_constant(e):
            code = self.fold(code, e.type)
        # Python's parser limits nesting (200 parentheses); spill deep subexpressions into
        # temporaries computed just before the statement, where evaluation is not lazy.
        depth = 1 + max((self.nesting.get(id(c), 0) for c in e.children() if c is not None), default=0)
        if depth > SPILL_DEPTH and self.pre is not None:
            name = self.names.temp("s")
            self.pre.append(f"{name} = {code.text}")
            code = self.spilled[id(e)] = Code(name, ATOM, code.iv, False)
            depth = 0
        self.nesting[id(e)] = depth
        return code

    def lazily(self, make):
        """Emit operands that may not be evaluated (no spilling out of them)."""
        saved, self.pre = self.pre, None
        try:
            return make()
        finally:
            self.pre = saved

    def is_constant(self, e: ir.Expr) -> bool:
        """``e`` is built from constants by pure operations only (memoized per node)."""
        memo = self._const_memo
        stack = [e]
        while stack:                        # post-order without recursion
            node = stack[-1]
            if id(node) in memo:
                stack.pop()
                continue
            if isinstance(node, ir.Const):
                memo[id(node)] = True
            elif not isinstance(node, _FOLDABLE) or any(c is None for c in node.children()):
                memo[id(node)] = False
            else:
                todo = [c for c in node.children() if id(c) not in memo]
                if todo:
                    stack += todo
                    continue
                memo[id(node)] = all(memo[id(c)] for c in node.children())
            stack.pop()
        return memo[id(e)]

    def fold(self, code: Code, t) -> Code:
        """The value of a constant expression's (simple, so raise-free) code, as a literal."""
        value = eval(code.text, dict(FOLD_NAMESPACE))  # noqa: S307 - our own generated text
        if is_float(t):
            return float_lit(value)
        return int_lit(value)

    def e_Const(self, e):
        if is_float(e.type):
            return float_lit(rounder(e.type.name)(float(e.value)))
        return int_lit(int(e.value))

    def e_VarRef(self, e):
        iv = self.var_interval(e.var) if is_fixed_or_int(e.var.type) else None
        return Code(self.var_name(e.var), ATOM, iv, True)

    def e_BufferRef(self, e):
        return Code(self.buffer_name(e.buffer), ATOM, None, True)

    def e_Load(self, e):
        return self.emit_load(e)

    def e_CallExpr(self, e):
        args = [self.argument(a, p) for a, p in zip(e.args, e.func.params)]
        iv = I.of_type(e.type) if is_fixed_or_int(e.type) else None
        if id(e.func) in self.module.concurrent:
            return Code(self.call_text(e.func, ", ".join(a.text for a in args)), ATOM, iv, False)
        return call(self.func_name(e.func), *args, iv=iv)

    def e_ChannelRef(self, e):
        return Code(self.var_name(e.channel), ATOM, None, True)

    def e_StreamGet(self, e):
        iv = I.of_type(e.type) if is_fixed_or_int(e.type) else None
        site = self.stream_site(e.channel, "get", e)
        return Code(f"(yield from _get({self.var_name(e.channel)}, {site}))", ATOM, iv, False)

    # ------------------------------------------------------------------------------ arithmetic

    def e_BinOp(self, e):
        self._check_numeric(e, e.lhs, e.rhs)
        if is_float(e.type):
            return self._float_binop(e)
        t, op = e.type, e.op
        if op in ("add", "sub"):
            (a, b), f = self.aligned([e.lhs, e.rhs])
            iv = (I.add if op == "add" else I.sub)(a.iv, b.iv)
            sym = "+" if op == "add" else "-"
            if b.iv is not None and b.iv.lo == b.iv.hi and b.text.lstrip("-").isdigit():
                if b.iv.lo == 0:            # x + 0
                    return self.wrap(self.rescale(Code(a.text, a.prec, iv, a.simple), f, t.fracs), t)
                if b.iv.lo < 0:             # x + -3 -> x - 3
                    sym, b = "-+"[sym == "-"], int_lit(-b.iv.lo)
            code = binary(a, sym, b, ARITH, iv)
            return self.wrap(self.rescale(code, f, t.fracs), t)
        if op in _BITWISE:
            (a, b), f = self.aligned([e.lhs, e.rhs])
            sym, prec = _BITWISE[op]
            code = binary(a, sym, b, prec, I.bitwise(op, a.iv, b.iv))
            return self.wrap(self.rescale(code, f, t.fracs), t)
        if op == "mul":
            a, b = self.emit(e.lhs), self.emit(e.rhs)
            iv = I.mul(a.iv, b.iv)
            one = [c for c, other in ((a, b), (b, a)) if other.text == "1"]
            code = Code(one[0].text, one[0].prec, iv, one[0].simple) if one else binary(a, "*", b, TERM, iv)
            return self.wrap(self.rescale(code, _fracs(e.lhs.type) + _fracs(e.rhs.type), t.fracs), t)
        if op == "mod":
            (a, b), f = self.aligned([e.lhs, e.rhs])
            iv = I.remainder(a.iv, b.iv)
            if a.iv.nonneg() and b.iv.positive():
                code = binary(a, "%", b, TERM, iv)
            else:
                code = call("_mod", a, b, self.site(e, "modulo"), iv=iv)
            return self.wrap(self.rescale(code, f, t.fracs), t)
        if op in ("div", "floordiv"):
            return self._int_div(e)
        if op in ("shl", "shr"):
            return self._shift(e)
        self.unsupported(e, f"unknown binary operator {op!r}")

    def _int_div(self, e):
        t = e.type
        a, b = self.emit(e.lhs), self.emit(e.rhs)
        exp = t.fracs - _fracs(e.lhs.type) + _fracs(e.rhs.type)
        iv = I.quotient(a.iv, b.iv, exp)
        n = self.rescale(a, 0, exp) if exp > 0 else a
        d = self.rescale(b, 0, -exp) if exp < 0 else b
        if e.op == "div":
            if n.iv.nonneg() and d.iv.positive():
                code = binary(n, "//", d, TERM, iv)
            else:
                code = call("_div", n, d, self.site(e, "division"), iv=iv)
        elif d.iv.excludes_zero():
            code = binary(n, "//", d, TERM, iv)
        else:
            code = call("_fdv", n, d, self.site(e, "division"), iv=iv)
        return self.wrap(code, t)

    def _shift(self, e):
        t = e.type
        a, b = self.emit(e.lhs), self.emit(e.rhs)
        fl = _fracs(e.lhs.type)
        inline = b.iv.nonneg() and (e.op == "shr" or (b.iv.hi is not None and b.iv.hi <= _INLINE_SHIFT))
        if e.op == "shl":
            iv = I.shift_left(a.iv, b.iv)
            if inline:
                code = binary(a, "<<", b, SHIFT, iv)
            else:
                # (a << b) is 0 modulo 2**bits once b >= bits (plus bits dropped by the rescale).
                cap = None if isinstance(t, Index) else t.bits + max(0, fl - t.fracs)
                code = call("_shl", a, b, cap, self.site(e, "shift"), iv=iv)
        else:
            iv = I.shift_right(a.iv, b.iv)
            code = binary(a, ">>", b, SHIFT, iv) if inline else call("_shr", a, b, self.site(e, "shift"), iv=iv)
        return self.wrap(self.rescale(code, fl, t.fracs), t)

    def _float_binop(self, e):
        a, b = self.emit(e.lhs), self.emit(e.rhs)
        r = rnd_name(e.type)
        op = e.op
        if op in ("add", "sub", "mul"):
            sym, prec = {"add": ("+", ARITH), "sub": ("-", ARITH), "mul": ("*", TERM)}[op]
            code = binary(a, sym, b, prec)
            return code if r == "_r64" else call(r, code, simple=code.simple)
        if op == "div":
            code = call("_fdiv", a, b, simple=a.simple and b.simple)
            return code if r == "_r64" else call(r, code, simple=code.simple)
        if op == "floordiv":
            return call("_ffdv", a, b, r, simple=a.simple and b.simple)
        if op == "mod":
            return call("_fmod", a, b, simple=a.simple and b.simple)
        self.unsupported(e, f"operator {op!r} is not defined on {e.type!r}")

    def e_UnaryOp(self, e):
        self._check_numeric(e, e.operand)
        a = self.emit(e.operand)
        if e.op == "neg":
            if is_float(e.type):
                return Code(f"-{par(a, UNARY)}", UNARY, None, a.simple)
            code = Code(f"-{par(a, UNARY)}", UNARY, I.neg(a.iv), a.simple)
            return self.wrap(self.rescale(code, _fracs(e.operand.type), e.type.fracs), e.type)
        if e.op == "invert" and not is_float(e.type):
            # -1 - x == ~x, without Python's deprecation of ~ on bools.
            code = Code(f"-1 - {par(a, TERM)}", ARITH, I.invert(a.iv), a.simple)
            return self.wrap(self.rescale(code, _fracs(e.operand.type), e.type.fracs), e.type)
        self.unsupported(e, f"unary operator {e.op!r} is not defined on {e.type!r}")

    def e_Abs(self, e):
        self._check_numeric(e, e.operand)
        a = self.emit(e.operand)
        if is_float(e.type):
            return call("abs", a, simple=a.simple)
        code = call("abs", a, iv=I.absolute(a.iv), simple=a.simple)
        return self.wrap(self.rescale(code, _fracs(e.operand.type), e.type.fracs), e.type)

    def e_MinMax(self, e):
        self._check_numeric(e, *e.values)
        if is_float(e.type):
            codes = [self.emit(v) for v in e.values]
            return call("_fmin" if e.op == "min" else "_fmax", *codes, simple=all(c.simple for c in codes))
        codes, _ = self.aligned(e.values, e.type.fracs)
        iv = (I.minimum if e.op == "min" else I.maximum)(*[c.iv for c in codes])
        code = call(e.op, *codes, iv=iv, simple=all(c.simple for c in codes))
        return self.wrap(code, e.type)

    # ------------------------------------------------------------------------------ logic

    def e_Compare(self, e):
        self._check_numeric(e, e.lhs, e.rhs)
        if is_float(e.lhs.type):
            a, b = self.emit(e.lhs), self.emit(e.rhs)
        else:
            (a, b), _ = self.aligned([e.lhs, e.rhs])
        return Code(f"{par(a, CMP + 1)} {_CMP[e.op]} {par(b, CMP + 1)}", CMP, I.BOOL, a.simple and b.simple)

    def e_BoolOp(self, e):
        prec = AND if e.op == "and" else OR
        codes = [self.emit(e.values[0])] + self.lazily(lambda: [self.emit(v) for v in e.values[1:]])
        text = f" {e.op} ".join(par(c, prec + 1) for c in codes)
        return Code(text, prec, I.BOOL, all(c.simple for c in codes))

    def e_Not(self, e):
        a = self.emit(e.operand)
        return Code(f"not {par(a, NOT)}", NOT, I.BOOL, a.simple)

    def e_Select(self, e):
        c = self.emit(e.cond)
        if is_float(e.type):
            x, y = self.lazily(lambda: (self.emit(e.true_value), self.emit(e.false_value)))
            iv = None
        else:
            (x, y), _ = self.lazily(lambda: self.aligned([e.true_value, e.false_value], e.type.fracs))
            iv = I.union(x.iv, y.iv)
        text = f"{par(x, COND + 1)} if {par(c, COND + 1)} else {par(y, COND)}"
        return self.wrap(Code(text, COND, iv, x.simple and y.simple and c.simple), e.type)

    # ------------------------------------------------------------------------------ conversions

    def e_Cast(self, e):
        return self.convert(self.emit(e.operand), e.operand.type, e.type)

    def convert(self, a: Code, src, dst) -> Code:
        """The value ``a`` of type ``src`` cast to ``dst`` (see ``Cast``)."""
        if src == dst:
            return a
        if is_float(src) and is_float(dst):
            _, p0, emin0, max0 = FORMATS[src.name]
            _, p1, emin1, max1 = FORMATS[dst.name]
            if p1 >= p0 and emin1 <= emin0 and max1 >= max0:
                return a                                    # exact widening
            return call(rnd_name(dst), a, simple=a.simple)
        if is_float(src):                                   # float -> integer or fixed
            floor = isinstance(dst, (Fixed, UFixed))
            code = call("_f2i", a, dst.fracs, floor, dst.raw_min, dst.raw_max, iv=I.UNBOUNDED, simple=a.simple)
            return self.wrap(code, dst)
        if is_float(dst):                                   # integer or fixed -> float
            f = _fracs(src)
            exact = a.iv is not None and a.iv.within(-(1 << 53), 1 << 53) and f < 900
            if not exact:
                return call("_i2f", a, f, repr(dst.name), simple=a.simple)
            code = call("float", a, simple=a.simple) if f == 0 else binary(a, "/", int_lit(1 << f), TERM)
            return code if dst.name == "float64" else call(rnd_name(dst), code, simple=a.simple)
        return self.wrap(self.rescale(a, _fracs(src), dst.fracs), dst)

    # ------------------------------------------------------------------------------ bits

    def _raw_bits(self, e: ir.Expr):
        """The raw bit pattern of an integer/fixed/float operand and its width."""
        a = self.emit(e)
        if is_float(e.type):
            return call("_fbits", a, repr(e.type.name), iv=I.Interval(0, (1 << e.type.bits) - 1)), e.type.bits
        return a, e.type.bits

    def bit_low(self, lo: ir.Expr, width: int, bits: int, node) -> Code:
        """The low bit index of a field, checked to be in ``[0, bits - width]`` unless proven."""
        code = self.emit(lo)
        if code.iv is not None and code.iv.within(0, bits - width):
            return code
        return call("_bitpos", code, width, bits, self.site(node, "bit index"), iv=I.Interval(0, bits - width))

    def e_BitRead(self, e):
        a, bits = self._raw_bits(e.operand)
        lo = self.bit_low(e.lo, e.width, bits, e)
        mask = (1 << e.width) - 1
        shifted = a if lo.text == "0" else binary(a, ">>", lo, SHIFT, I.shift_right(a.iv, lo.iv), a.simple and lo.simple)
        if shifted.iv is not None and shifted.iv.within(0, mask):
            code = shifted
        else:
            code = Code(f"{par(shifted, BAND + 1)} & {mask}", BAND, I.Interval(0, mask), shifted.simple)
        return self.wrap(code, e.type)

    def e_Reverse(self, e):
        a, bits = self._raw_bits(e.operand)
        code = call("_rev", a, bits, iv=I.Interval(0, (1 << bits) - 1), simple=a.simple)
        if is_float(e.type):
            return call("_bitsf", code, repr(e.type.name), simple=a.simple)
        # an index holds 32 signed bits, so a reversed index with bit 31 set is negative
        return self.wrap(code, Int(32) if isinstance(e.type, Index) else e.type)

