"""The fuzzer's own program representation: symbols, expressions, statements, functions, a
schedule and the inputs of one case, with the type of every expression (``type_of``).

The generator builds these, the model evaluates them, ``render`` writes them as a Python module,
and the shrinker edits them. Nothing here depends on allo_rtl.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import types as T
from .types import Ty

# ---------------------------------------------------------------------------------------------
# Symbols


@dataclass(eq=False)
class Sym:
    """A scalar (``shape`` None) or an array; kind: param, local, loop."""

    name: str
    ty: Ty
    shape: tuple | None = None
    kind: str = "local"
    tname: str | None = None      # in a template: the type parameter its type is written as
    # a stream parameter of a region: its values, given or taken, are the 1-D array ``shape``
    stream: "Stream | None" = None

    @property
    def is_array(self) -> bool:
        return self.shape is not None

    @property
    def size(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n


# ---------------------------------------------------------------------------------------------
# Expressions


@dataclass(eq=False)
class Expr:
    def kids(self) -> list:
        return []


@dataclass(eq=False)
class Lit(Expr):
    """An integer literal, or a float literal (only as a fixed-point initial value)."""

    value: int | float = 0
    tname: str | None = None      # in a template: the parameter it is written as (a size)


@dataclass(eq=False)
class Ref(Expr):
    sym: Sym = None


@dataclass(eq=False)
class Load(Expr):
    sym: Sym = None
    idx: list = field(default_factory=list)

    def kids(self):
        return self.idx


@dataclass(eq=False)
class Bin(Expr):
    op: str = "add"
    lhs: Expr = None
    rhs: Expr = None

    def kids(self):
        return [self.lhs, self.rhs]


@dataclass(eq=False)
class Un(Expr):
    """neg, invert, not, bool (truthiness, ``bool(x)``), abs, reverse."""

    op: str = "neg"
    x: Expr = None

    def kids(self):
        return [self.x]


@dataclass(eq=False)
class Cmp(Expr):
    op: str = "lt"
    lhs: Expr = None
    rhs: Expr = None

    def kids(self):
        return [self.lhs, self.rhs]


@dataclass(eq=False)
class BoolOp(Expr):
    op: str = "and"
    vals: list = field(default_factory=list)

    def kids(self):
        return self.vals


@dataclass(eq=False)
class Sel(Expr):
    cond: Expr = None
    a: Expr = None
    b: Expr = None

    def kids(self):
        return [self.cond, self.a, self.b]


@dataclass(eq=False)
class MinMax(Expr):
    op: str = "min"
    vals: list = field(default_factory=list)

    def kids(self):
        return self.vals


@dataclass(eq=False)
class Cast(Expr):
    ty: Ty = None
    x: Expr = None
    spelling: str = "name"         # name (int8(x)), ctor (Int(8)(x)), int (int(x))

    def kids(self):
        return [self.x]


@dataclass(eq=False)
class Bits(Expr):
    """``x[lo]`` (width 1, ``slice`` False) or ``x[lo:lo + width]``."""

    x: Expr = None
    lo: Expr = None
    width: int = 1
    slice: bool = False

    def kids(self):
        return [self.x, self.lo]


@dataclass(eq=False)
class Call(Expr):
    """A call of a kernel returning one scalar; array arguments are ``Ref``s of arrays."""

    fn: "Func" = None
    args: list = field(default_factory=list)

    def kids(self):
        return self.args


@dataclass(eq=False)
class Stream:
    """A stream declared in a region: ``name: Stream[ty, depth]``, or an array of streams
    ``name: Stream[ty, depth][count]`` (channel k is named ``name_k``), ``count`` a tuple for
    more dimensions (channel (i, j) is ``name_i_j``)."""

    name: str
    ty: Ty
    depth: int = 2
    count: int | tuple | None = None
    arg: str | None = None      # a region's stream parameter: "in" (the caller gives) or "out"
    block: tuple | None = None  # a stream of blocks: ``Stream[ty[block], depth]``

    @property
    def shape(self) -> tuple | None:
        return None if self.count is None else \
            tuple(self.count) if isinstance(self.count, tuple) else (self.count,)


@dataclass(eq=False)
class Chan:
    """One stream as a kernel names it: ``s`` or ``pipe[idx]`` (idx a compile-time expression
    of literals, pids, meta_for values and ConstExpr names; a list of them for an array of
    streams of more dimensions). Not an ``Expr``: never shrunk."""

    stream: Stream = None
    idx: Expr | list | None = None

    @property
    def indices(self) -> list:
        return [] if self.idx is None else list(self.idx) if isinstance(self.idx, list) \
            else [self.idx]


@dataclass(eq=False)
class Get(Expr):
    """``chan.get()``: the oldest value of the stream, of its element type."""

    chan: Chan = None


# ---------------------------------------------------------------------------------------------
# Statements (``line`` is set by ``render``)


@dataclass(eq=False)
class Stmt:
    line: int = 0

    def bodies(self) -> list:
        return []

    def exprs(self) -> list:
        return []


@dataclass(eq=False)
class Decl(Stmt):
    """``x: T = init`` (a scalar), or a local array ``A: T[shape] = init`` with init None, an int,
    a float or a ``Table`` (a module-level numpy constant)."""

    sym: Sym = None
    init: object = None

    def exprs(self):
        return [self.init] if isinstance(self.init, Expr) else []


@dataclass(eq=False)
class Table:
    name: str
    values: list                    # flat Python numbers, row-major
    shape: tuple = ()


@dataclass(eq=False)
class Assign(Stmt):
    """``target = value`` (scalar Ref or element Load); ``op`` set: ``target op= value``."""

    target: Expr = None
    value: Expr = None
    op: str | None = None

    def exprs(self):
        return [self.target, self.value]


@dataclass(eq=False)
class BitStore(Stmt):
    target: Expr = None             # Ref or Load
    lo: Expr = None
    width: int = 1
    slice: bool = False
    value: Expr = None

    def exprs(self):
        return [self.target, self.lo, self.value]


@dataclass(eq=False)
class If(Stmt):
    cond: Expr = None
    then: list = field(default_factory=list)
    orelse: list = field(default_factory=list)

    def bodies(self):
        return [self.then, self.orelse]

    def exprs(self):
        return [self.cond]


@dataclass(eq=False)
class For(Stmt):
    """kind range: one var, ``bounds`` (lo, hi, step) Exprs/int; grid/reduction: ``bounds`` are
    the extents (ints), one var each; ``name`` the band name given with name=."""

    vars: list = field(default_factory=list)
    kind: str = "range"
    bounds: list = field(default_factory=list)
    body: list = field(default_factory=list)
    name: str | None = None
    pattern: tuple = ()             # what the generator made it for: ("stencil", array), ...

    def bodies(self):
        return [self.body]

    def exprs(self):
        return [b for b in self.bounds if isinstance(b, Expr)]


@dataclass(eq=False)
class While(Stmt):
    """``c: int32 = 0`` / ``while c < limit [and cond]:`` body ``c += 1``."""

    counter: Sym = None
    limit: int = 1
    cond: Expr | None = None
    body: list = field(default_factory=list)

    def bodies(self):
        return [self.body]

    def exprs(self):
        return [self.cond] if self.cond is not None else []


@dataclass(eq=False)
class CallStmt(Stmt):
    """``f(args)``, ``a, b = f(args)`` (scalar targets are existing scalars) or ``B = f(args)``
    (a new local array per array result)."""

    fn: "Func" = None
    args: list = field(default_factory=list)
    targets: list = field(default_factory=list)

    def exprs(self):
        return list(self.args)


@dataclass(eq=False)
class Return(Stmt):
    values: list = field(default_factory=list)      # Exprs; Ref of an array for array results

    def exprs(self):
        return list(self.values)


# -- dataflow: statements of a region's body and of its kernels ------------------------------


@dataclass(eq=False)
class StreamDecl(Stmt):
    stream: Stream = None


@dataclass(eq=False)
class KernelDef(Stmt):
    """``@df.kernel(mapping=[...], args=[...])`` and its def (``fn``, params named apart from the
    region's); ``args`` are the region's array parameters, by position. ``group``: what the
    generator made it for (chain, meta, grid), ``role`` its part (source, stage, sink, part)."""

    fn: "Func" = None
    mapping: tuple = (1,)
    args: list = field(default_factory=list)
    group: str = ""
    role: str = ""

    def bodies(self):
        return [self.fn.body]


@dataclass(eq=False)
class Put(Stmt):
    """``chan.put(value)``: the value converted to the element type as on assignment."""

    chan: Chan = None
    value: Expr = None

    def exprs(self):
        return [self.value]


@dataclass(eq=False)
class GetStmt(Stmt):
    """``chan.get()`` as a statement: a value taken and dropped."""

    chan: Chan = None


@dataclass(eq=False)
class PidDecl(Stmt):
    """``p = df.get_pid()`` (1-D mapping) or ``p, q = df.get_pid()``."""

    syms: list = field(default_factory=list)


@dataclass(eq=False)
class ConstDecl(Stmt):
    """``x: ConstExpr[int32] = value`` (value a compile-time expression)."""

    sym: Sym = None
    value: Expr = None


@dataclass(eq=False)
class MetaIf(Stmt):
    """``with allo.meta_if(c0):`` ... ``with allo.meta_elif(c1):`` ... ``with allo.meta_else():``
    (``orelse`` None: no meta_else); conditions are compile-time expressions."""

    branches: list = field(default_factory=list)    # (cond Expr, body list)
    orelse: list | None = None

    def bodies(self):
        return [b for _, b in self.branches] + ([self.orelse] if self.orelse is not None else [])


@dataclass(eq=False)
class MetaFor(Stmt):
    """``with allo.meta_for(count) as var:`` body, unrolled at compile time."""

    var: Sym = None
    count: int = 1
    body: list = field(default_factory=list)

    def bodies(self):
        return [self.body]


# ---------------------------------------------------------------------------------------------
# Functions, schedule, program


@dataclass(eq=False)
class Func:
    name: str
    params: list                    # Syms
    results: list                   # Syms standing for result types (arrays carry a shape)
    body: list
    template: str | None = None     # template instances: the template's name
    targs: tuple = ()               # their template arguments (a Ty, then a size)
    region: bool = False            # a @df.region(): its body holds StreamDecl and KernelDef


@dataclass(eq=False)
class SchedOp:
    """One schedule call: ``[result =] on.prim(args...)``; args are Python source texts."""

    on: str                          # "s", or a sub-schedule "s_<func>"
    prim: str
    args: list
    result: str | None = None
    tags: tuple = ()


@dataclass(eq=False)
class Program:
    funcs: list                      # callees first, the kernel last
    sched: list = field(default_factory=list)
    inputs: list = field(default_factory=list)   # per kernel param: list of raw ints or a raw int
    tables: list = field(default_factory=list)
    seed: str = ""
    fault_prone: bool = False
    df_fault: str = ""               # a region made unbalanced: "deadlock:<how>" or "leftover:<how>"

    @property
    def is_region(self) -> bool:
        return self.funcs[-1].region

    @property
    def kernel(self) -> Func:
        return self.funcs[-1]


# ---------------------------------------------------------------------------------------------
# Traversal


def walk_stmts(body):
    for s in body:
        yield s
        for inner in s.bodies():
            yield from walk_stmts(inner)


def walk_expr(e):
    stack = [e]
    while stack:
        n = stack.pop()
        if n is None:
            continue
        yield n
        stack.extend(n.kids())


def all_exprs(body):
    for s in walk_stmts(body):
        for e in s.exprs():
            yield from walk_expr(e)


# ---------------------------------------------------------------------------------------------
# Types: what the frontend makes of an expression (Allo's rules, folding of integer literals)

_FOLD = {"add", "sub", "mul", "div", "floordiv", "mod"}


def tdiv(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def folded(e: Expr):
    """The literal value the frontend folds ``e`` to, or None: integer literals, unary minus
    of one, and add sub mul div floordiv mod of two (not by zero)."""
    if isinstance(e, Lit):
        return e.value if isinstance(e.value, int) else None
    if isinstance(e, Un) and e.op == "neg":
        v = folded(e.x)
        return None if v is None else -v
    if isinstance(e, Bin) and e.op in _FOLD:
        a, b = folded(e.lhs), folded(e.rhs)
        if a is None or b is None or (b == 0 and e.op in ("div", "floordiv", "mod")):
            return None
        return {"add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b,
                "div": lambda: tdiv(a, b), "floordiv": lambda: a // b,
                "mod": lambda: a - b * tdiv(a, b)}[e.op]()
    return None


def type_of(e: Expr) -> Ty:
    v = folded(e)
    if v is not None:
        return T.literal(v)
    if isinstance(e, Lit):
        raise T.NoRule("float literals are only initial values")
    if isinstance(e, Ref):
        if e.sym.is_array:
            raise T.NoRule(f"array {e.sym.name} used as a value")
        return e.sym.ty
    if isinstance(e, Load):
        return e.sym.ty
    if isinstance(e, Bin):
        return T.BINARY[e.op](type_of(e.lhs), type_of(e.rhs))
    if isinstance(e, Un):
        if e.op in ("not", "bool"):
            return T.BOOL
        t = type_of(e.x)
        return {"neg": T.neg, "invert": T.invert, "abs": T.absolute,
                "reverse": lambda t: t}[e.op](t)
    if isinstance(e, (Cmp, BoolOp)):
        return T.BOOL
    if isinstance(e, Sel):
        return T.join(type_of(e.a), type_of(e.b))
    if isinstance(e, MinMax):
        t = type_of(e.vals[0])
        for v in e.vals[1:]:
            t = T.join(t, type_of(v))
        return t
    if isinstance(e, Cast):
        return e.ty
    if isinstance(e, Bits):
        return T.UInt(e.width)
    if isinstance(e, Call):
        return e.fn.results[0].ty
    if isinstance(e, Get):
        return e.chan.stream.ty
    raise TypeError(e)
