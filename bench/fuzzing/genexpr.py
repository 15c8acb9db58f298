"""Random expressions (and types) for the generator: ``ExprGen`` is the expression half of
``generator.Gen``.

Most generated code is safe by construction: indices come from loop variables kept within bounds
or are clamped, divisors are made nonzero (``d | 1``), shift amounts and bit positions are masked
or in range. A fault-prone case (``Gen.fault_prone``) leaves some of them raw so that run-time
errors happen.
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field, replace

from . import prog as P
from . import types as T
from .prog import Bin, Cast, Cmp, Lit, Load, Ref, Sym, Un, type_of
from .types import Ty

FEATURE_GROUPS = ("fixed", "index", "wide", "div", "shift", "bits", "while", "if", "calls",
                  "templates", "arrays", "tables", "schedule", "faults", "dataflow")
# the groups a campaign uses unless told: "dataflow" (every case a df.region; RTL targets do not
# build streams yet) is opt-in
DEFAULT_FEATURES = tuple(f for f in FEATURE_GROUPS if f != "dataflow")
ARITH = ("add", "sub", "mul")
BITWISE = ("and", "or", "xor")
CMPS = ("lt", "le", "gt", "ge", "eq", "ne")
MAX_TRIPS = 192          # iterations of the innermost body, all enclosing loops together
MAX_BITS = 96            # wider intermediate types are cast back down


def is_const_sym(e) -> bool:
    """A reference to a compile-time name of a dataflow kernel (pid, meta_for value, ConstExpr):
    a literal of each instance."""
    return isinstance(e, Ref) and e.sym.kind in ("pid", "meta", "const")


def writes_arrays(h: P.Func) -> bool:
    """Whether a helper may write an array it is given (a store into one of its array
    parameters, or a call that passes arrays on)."""
    params = {id(p) for p in h.params if p.is_array}
    for s in P.walk_stmts(h.body):
        if isinstance(s, (P.Assign, P.BitStore)) and isinstance(s.target, Load) and \
                id(s.target.sym) in params:
            return True
        if isinstance(s, P.CallStmt) and any(isinstance(a, Ref) and a.sym.is_array
                                             for a in s.args):
            return True
        for e in s.exprs():
            for x in P.walk_expr(e):
                if isinstance(x, P.Call) and any(isinstance(a, Ref) and a.sym.is_array
                                                 for a in x.args):
                    return True
    return False


def case_seed(campaign_seed: int, k: int) -> int:
    """The seed of case ``k`` of a campaign: re-run one case alone with ``--case-seed``."""
    digest = hashlib.sha256(f"allo-fuzz:{campaign_seed}:{k}".encode()).digest()
    return int.from_bytes(digest[:6], "big")


@dataclass
class Ctx:
    fn: P.Func
    scalars: list                 # assignable scalars in scope
    readonly: list                # (Sym, lo, hi): loop variables and while counters
    arrays: list
    depth: int = 0                # loop nesting
    trips: int = 1                # iterations of this block per call
    top: bool = True              # the function's own block (not inside a loop or branch)
    helpers: list = field(default_factory=list)
    frozen: frozenset = frozenset()   # ids of arrays read but never written (dataflow inputs)

    def writable(self) -> list:
        return [a for a in self.arrays if id(a) not in self.frozen]

    def child(self, **kw):
        kw.setdefault("top", False)
        return replace(self, scalars=list(self.scalars), readonly=list(self.readonly),
                       arrays=list(self.arrays), **kw)


class ExprGen:
    def __init__(self, seed: int, features=DEFAULT_FEATURES, fault_rate: float = 0.05):
        self.r = random.Random(seed)
        self.seed = seed
        self.f = set(features)
        self.fault_prone = "faults" in self.f and self.r.random() < fault_rate
        self.n = 0
        self.funcs: list = []
        self.tables: list = []
        self.stmt_budget = 0
        self.index_depth = 0

    def on(self, feature) -> bool:
        return feature in self.f

    def name(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    # -- types ---------------------------------------------------------------------------------
    def int_type(self, signed=None) -> Ty:
        r = self.r
        x = r.random()
        if x < 0.5:
            w = r.randint(1, 12)
        elif x < 0.8:
            w = r.choice([16, 32, 64] if self.on("wide") else [16, 32])
        else:
            w = r.randint(1, 64 if self.on("wide") else 32)
        signed = r.random() < 0.55 if signed is None else signed
        return Ty("int" if signed else "uint", w)

    def scalar_type(self, allow_index=True) -> Ty:
        r = self.r
        if self.on("fixed") and r.random() < 0.15:
            bits = r.randint(2, 40)
            return Ty(r.choice(["fixed", "ufixed"]), bits, r.randint(0, bits))
        if allow_index and self.on("index") and r.random() < 0.04:
            return T.INDEX
        return self.int_type()

    def shape(self) -> tuple:
        r = self.r
        if r.random() < 0.6:
            return (r.randint(2, 16),)
        a = r.randint(2, 6)
        return (a, r.randint(2, min(8, 64 // a)))

    # -- expressions ---------------------------------------------------------------------------
    def literal(self) -> Lit:
        r = self.r
        x = r.random()
        if x < 0.6:
            return Lit(r.randint(0, 9))
        if x < 0.9 or not self.on("wide"):
            return Lit(r.choice([-1, -2, -7, 127, -128, 255, 256, 1000, 32767, -32768, 65535,
                                 2**31 - 1, -2**31]))
        return Lit(r.choice([2**32, 2**40 + 3, -(2**35), 2**63 - 1]))

    def leaf(self, c: Ctx, int_only=False):
        r = self.r
        options = [("lit", 2)]
        if c.scalars:
            options.append(("scalar", 4))
        if c.readonly:
            options.append(("loop", 3))
        if c.arrays:
            options.append(("load", 4))
        kind = r.choices([o for o, _ in options], [w for _, w in options])[0]
        if kind == "scalar":
            e = Ref(r.choice(c.scalars))
        elif kind == "loop":
            e = Ref(r.choice(c.readonly)[0])
        elif kind == "load":
            a = r.choice(c.arrays)
            e = Load(a, [self.index(c, n) for n in a.shape])
        else:
            e = self.literal()
        return self.as_int(e) if int_only else e

    def as_int(self, e):
        return Cast(self.int_type(), e) if type_of(e).is_fixed else e

    def expr(self, c: Ctx, depth: int = 0, int_only=False) -> P.Expr:
        r = self.r
        if depth >= 3 or r.random() < 0.25 + 0.2 * depth:
            return self.leaf(c, int_only)
        e = self.compound(c, depth + 1)
        t = type_of(e)
        if t.bits > MAX_BITS:
            e = Cast(self.scalar_type(False), e, r.choice(["name", "ctor"]))
        return self.as_int(e) if int_only else e

    def compound(self, c: Ctx, d: int) -> P.Expr:
        r = self.r
        kinds = [("arith", 30), ("cast", 7), ("minmax", 5), ("select", 5), ("unary", 6),
                 ("cmp", 3), ("bool", 2), ("bitwise", 8)]
        if self.on("div"):
            kinds.append(("div", 8))
        if self.on("shift"):
            kinds.append(("shift", 6))
        if self.on("bits"):
            kinds += [("bits", 6), ("reverse", 2)]
        callable_ = [h for h in c.helpers if self.can_call(c, h, scalar_result=True)]
        if callable_:
            kinds.append(("call", 5))
        kind = r.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
        if kind == "arith":
            return Bin(r.choice(ARITH), self.expr(c, d), self.expr(c, d))
        if kind == "bitwise":
            return Bin(r.choice(BITWISE), self.expr(c, d, True), self.expr(c, d, True))
        if kind == "div":
            return Bin(r.choice(["div", "floordiv", "mod"]), self.expr(c, d), self.divisor(c, d))
        if kind == "shift":
            return Bin(r.choice(["shl", "shr"]), self.expr(c, d), self.shift_amount(c, d))
        if kind == "cast":
            return self.cast(self.expr(c, d))
        if kind == "minmax":
            n = 2 if r.random() < 0.8 else 3
            return P.MinMax(r.choice(["min", "max"]), [self.expr(c, d) for _ in range(n)])
        if kind == "select":
            return P.Sel(self.cond(c, d), self.expr(c, d), self.expr(c, d))
        if kind == "unary":
            op = r.choice(["neg", "neg", "abs", "invert"])
            return Un(op, self.expr(c, d, op == "invert"))
        if kind == "cmp":
            return Cmp(r.choice(CMPS), self.expr(c, d), self.expr(c, d))
        if kind == "bool":
            return self.cond(c, d)
        if kind == "bits":
            return self.bits(c, d)
        if kind == "reverse":
            e = self.not_literal(c, d)
            return Un("reverse", e) if P.folded(e) is None else e
        return self.call_expr(c, r.choice(callable_), d)

    def cast(self, e):
        r = self.r
        if r.random() < 0.01:
            return Cast(T.BOOL, e, r.choice(["ctor", "name"]))       # UInt(1)(x): a 1-bit wrap
        if r.random() < 0.1:
            return Cast(T.INT32, e, "int")
        t = self.scalar_type()
        return Cast(t, e, r.choice(["name", "ctor"]) if t.kind in ("int", "uint") else "name")

    def divisor(self, c, d):
        e = self.expr(c, d)
        if self.fault_prone and self.chance(0.4):
            return e
        if type_of(e).is_fixed:
            return Bin("add", Un("abs", e), Lit(1))
        return Bin("or", e, Lit(1))

    def shift_amount(self, c, d):
        r = self.r
        if self.fault_prone and self.chance(0.4) and c.scalars:
            return self.as_int(Ref(r.choice(c.scalars)))
        x = r.random()
        if x < 0.4:
            return Lit(r.randint(0, 12))
        if x < 0.6 and c.readonly:
            return Ref(r.choice(c.readonly)[0])
        return Bin("and", self.expr(c, d, True), Lit(r.choice([1, 3, 7, 15, 31])))

    def not_literal(self, c, d):
        """An operand for ``x[i]`` and ``x.reverse()``, which literals do not have."""
        for _ in range(4):
            e = self.expr(c, d)
            leaves = list(P.walk_expr(e))
            if any(isinstance(x, (Ref, Load, P.Call)) and not is_const_sym(x) for x in leaves) \
                    and not any(is_const_sym(x) for x in leaves):
                # a constant expression would be evaluated by Python itself; one holding a pid
                # folds per instance, to a type the generator does not know here
                return e
        return Cast(self.int_type(), Ref(c.scalars[0])) if c.scalars else Lit(0)

    def bits(self, c, d):
        r = self.r
        x = self.not_literal(c, d)
        if P.folded(x) is not None:
            return x
        bits = type_of(x).bits
        width = 1 if r.random() < 0.5 else r.randint(1, min(bits, 16))
        return P.Bits(x, self.bit_low(c, bits, width), width, width > 1 or self.chance(0.2))

    def bit_low(self, c, bits, width):
        """A low bit index in [0, bits - width] (or anywhere, in a fault-prone case)."""
        r = self.r
        top = bits - width
        integers = [s for s in c.scalars if type_of(Ref(s)).is_int]
        if self.fault_prone and self.chance(0.3) and integers:
            return Ref(r.choice(integers))
        loops = [(v, lo, hi) for v, lo, hi in c.readonly if lo >= 0 and hi - lo <= top]
        if loops and r.random() < 0.5:
            v, lo, hi = r.choice(loops)
            off = r.randint(-lo, top - hi)
            return Ref(v) if off == 0 else Bin("add" if off > 0 else "sub", Ref(v), Lit(abs(off)))
        return Lit(r.randint(0, top))

    def index(self, c: Ctx, n: int):
        """An index into a dimension of size ``n``: in bounds unless the case is fault-prone.
        Indices computed from values hold at most one level of loads in turn."""
        self.index_depth += 1
        try:
            return self._index(c, n)
        finally:
            self.index_depth -= 1

    def _index(self, c: Ctx, n: int):
        r = self.r
        if self.fault_prone and self.chance(0.12):
            ints = [s for s in c.scalars if s.ty.is_int]
            if ints:
                return Ref(r.choice(ints))
            if c.readonly:
                return Bin("add", Ref(r.choice(c.readonly)[0]), Lit(r.randint(1, 3)))
        loops = [(v, lo, hi) for v, lo, hi in c.readonly if lo <= hi and hi - lo < n]
        x = r.random()
        if loops and x < 0.7:
            v, lo, hi = r.choice(loops)
            if lo >= 0 and hi < n and r.random() < 0.15:
                return Bin("sub", Lit(n - 1), Ref(v))
            off = r.randint(-lo, n - 1 - hi)
            return Ref(v) if off == 0 else Bin("add" if off > 0 else "sub", Ref(v), Lit(abs(off)))
        if x < 0.85 and (c.scalars or c.arrays) and self.index_depth <= 1:
            e = self.expr(c, 2, True)
            if n & (n - 1) == 0:
                return Bin("and", e, Lit(n - 1))
            return P.MinMax("min", [P.MinMax("max", [e, Lit(0)]), Lit(n - 1)])
        return Lit(r.randint(0, n - 1))

    def cond(self, c: Ctx, d: int = 1):
        r = self.r
        x = r.random()
        if x < 0.6 or d >= 3:
            return Cmp(r.choice(CMPS), self.expr(c, d + 1), self.expr(c, d + 1))
        if x < 0.75:
            return P.BoolOp(r.choice(["and", "or"]), [self.cond(c, d + 1), self.cond(c, d + 1)])
        if x < 0.85:
            return Un("not", self.cond(c, d + 1))
        if x < 0.9:
            return Un("bool", self.expr(c, d + 1))
        return self.expr(c, d + 1)

    # -- calls ---------------------------------------------------------------------------------
    def can_call(self, c, h: P.Func, scalar_result=False) -> bool:
        if scalar_result and not (len(h.results) == 1 and not h.results[0].is_array):
            return False
        return self.array_args(c, h) is not None

    def array_args(self, c, h):
        """Distinct arrays of ``c`` for the array parameters of ``h``, or None (arrays ``c``
        only reads for a helper that may write its arrays: none)."""
        used, out = set(), {}
        pool = c.writable() if c.frozen and writes_arrays(h) else c.arrays
        for p in h.params:
            if p.is_array:
                fits = [a for a in pool if a.ty == p.ty and a.shape == p.shape
                        and id(a) not in used]
                if not fits:
                    return None
                a = self.r.choice(fits)
                used.add(id(a))
                out[id(p)] = a
        return out

    def call_args(self, c, h, d):
        arrays = self.array_args(c, h)
        return [Ref(arrays[id(p)]) if p.is_array else self.expr(c, d + 1) for p in h.params]

    def call_expr(self, c, h, d):
        return P.Call(h, self.call_args(c, h, d))
