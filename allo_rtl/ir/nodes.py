"""The typed kernel IR: functions, variables, buffers, statements and expressions.

Every node carries ``loc``, the user's source position it came from. The frontend builds it, the
schedule rewrites it, the interpreter runs it and ``gen`` turns it into hardware.

Semantics (shared by every consumer; the interpreter is their reference):

* Integer and fixed-point values are exact *raw* integers: a value ``v`` of ``Fixed(w, f)`` is
  held as ``v * 2**f``. Float values are IEEE values of their format.
* The frontend makes operand types explicit with ``Cast`` nodes, following Allo's typing rules:
  the operands of ``add sub and or xor mod`` have the node's type, and the operands of
  ``Compare``, ``Select`` and ``MinMax`` have one common type, so these act on raw integers of
  one scale; the
  operands of ``mul`` keep their types (the raw product has scale ``f1 + f2``, which is the
  result's); the operands of ``div floordiv`` keep their types (see ``BinOp``); a float operation
  has both operands cast to its float result type. Stored values are cast to the storage type.
* A result that does not fit its type wraps modulo ``2**bits`` (``AlloType.wrap``): Allo's widening
  rules make ``add sub mul`` exact, so wrapping happens in casts, shifts left, negation of the
  most negative value, ``x / -1`` and mixed-sign bitwise operations.
* ``Cast`` between integer and fixed types aligns the binary point, truncating toward minus
  infinity, then wraps. Float to integer or fixed truncates toward zero (fixed: toward minus
  infinity of the scaled value), NaN gives 0 and infinities saturate. Integer or fixed to float
  rounds to nearest even. Float to float rounds to nearest even.
* Integer ``div`` truncates toward zero, ``floordiv`` floors, ``mod`` takes the dividend's sign.
  Fixed-point ``div`` and ``floordiv`` give ``trunc``/``floor`` of the exact quotient at the
  result's scale.
* ``and``/``or`` (``BoolOp``) and ``Select`` evaluate lazily, left to right, as Python does.
* Float division by zero, ``mod`` and ``floordiv`` follow IEEE 754 (C's ``fmod``, floor of the
  rounded quotient); ``min``/``max`` give NaN when any operand is NaN; ``index`` arithmetic and
  casts to ``index`` are exact (an index that leaves an array's bounds is an error instead),
  while an ``index`` variable, array element or result holds 32 bits (it wraps on storing).
* A ``CallStmt`` target has exactly its result's type: the frontend assigns scalar results
  through temporaries and casts from there.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from ..errors import SourceLoc
from ..types import AlloType, ArrayType, StreamType

__all__ = [
    "Var", "Buffer", "Expr", "Const", "VarRef", "BufferRef", "Load", "BinOp", "UnaryOp",
    "Compare", "BoolOp", "Not", "Select", "MinMax", "Abs", "Cast", "BitRead", "Reverse",
    "CallExpr", "Stmt", "Assign", "Store", "BitStore", "Decl", "For", "While", "If", "CallStmt",
    "Return", "Function", "Channel", "ChannelRef", "StreamGet", "StreamPut", "StreamGetInto",
    "Parallel",
    "BINARY_OPS", "COMPARE_OPS", "walk_stmts", "walk_expr", "all_functions",
    "buffers_written", "params_written", "params_read", "stream_ops", "stream_argument_roles",
]

# ---------------------------------------------------------------------------------------------
# Storage


@dataclass(eq=False)
class Var:
    """A scalar: a scalar argument (``kind="arg"``), a local (``"local"``) or a loop variable."""

    name: str
    type: AlloType
    loc: SourceLoc
    kind: str = "local"

    def __repr__(self):
        return f"Var({self.name}: {self.type!r})"


@dataclass(eq=False)
class Buffer:
    """An array: an argument (``kind="arg"``) or a local (``"local"``).

    ``partition`` maps a dimension (1-based) to its ``layout.DimPartition`` (schedule.partition)."""

    name: str
    type: ArrayType
    loc: SourceLoc
    kind: str = "local"
    partition: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple:
        return self.type.shape

    @property
    def elem(self) -> AlloType:
        return self.type.elem

    def __repr__(self):
        return f"Buffer({self.name}: {self.type!r})"


@dataclass(eq=False)
class Channel:
    """A stream (``Stream[T, depth]``): a FIFO of ``depth`` values of ``elem``. A dataflow
    region's (``kind="local"``, created empty each time the region runs) or a kernel's stream
    parameter (``"arg"``), bound by reference to the caller's channel like an array."""

    name: str
    type: StreamType
    loc: SourceLoc
    kind: str = "local"

    @property
    def elem(self) -> AlloType:
        return self.type.elem

    @property
    def depth(self) -> int:
        return self.type.depth

    def __repr__(self):
        return f"Channel({self.name}: {self.type!r})"


# ---------------------------------------------------------------------------------------------
# Expressions: every one has ``type`` and ``loc``.


@dataclass(eq=False)
class Expr:
    type: AlloType
    loc: SourceLoc

    def children(self) -> tuple:
        return ()


@dataclass(eq=False)
class Const(Expr):
    """A constant. ``value`` is the raw integer for integer and fixed types, a float for floats."""

    value: int | float = 0


@dataclass(eq=False)
class VarRef(Expr):
    var: Var = None


@dataclass(eq=False)
class BufferRef(Expr):
    """A whole array, as an argument of a call or a returned value. ``type`` is its ArrayType."""

    buffer: Buffer = None


@dataclass(eq=False)
class Load(Expr):
    buffer: Buffer = None
    indices: list = field(default_factory=list)

    def children(self):
        return tuple(self.indices)


BINARY_OPS = ("add", "sub", "mul", "div", "floordiv", "mod", "shl", "shr", "and", "or", "xor")


@dataclass(eq=False)
class BinOp(Expr):
    """``lhs op rhs`` for op in ``BINARY_OPS``; see the module docstring for operand types."""

    op: str = "add"
    lhs: Expr = None
    rhs: Expr = None

    def children(self):
        return (self.lhs, self.rhs)


@dataclass(eq=False)
class UnaryOp(Expr):
    """``neg`` (``-x``) or ``invert`` (``~x``, integers only)."""

    op: str = "neg"
    operand: Expr = None

    def children(self):
        return (self.operand,)


COMPARE_OPS = ("lt", "le", "gt", "ge", "eq", "ne")


@dataclass(eq=False)
class Compare(Expr):
    """``lhs op rhs`` giving a bool; both operands already have one common type."""

    op: str = "lt"
    lhs: Expr = None
    rhs: Expr = None

    def children(self):
        return (self.lhs, self.rhs)


@dataclass(eq=False)
class BoolOp(Expr):
    """``and``/``or`` of bool operands, evaluated lazily left to right."""

    op: str = "and"
    values: list = field(default_factory=list)

    def children(self):
        return tuple(self.values)


@dataclass(eq=False)
class Not(Expr):
    operand: Expr = None

    def children(self):
        return (self.operand,)


@dataclass(eq=False)
class Select(Expr):
    """``true_value if cond else false_value``; both values already have the select's type."""

    cond: Expr = None
    true_value: Expr = None
    false_value: Expr = None

    def children(self):
        return (self.cond, self.true_value, self.false_value)


@dataclass(eq=False)
class MinMax(Expr):
    """``min``/``max`` of two or more values, all already of the node's type."""

    op: str = "min"
    values: list = field(default_factory=list)

    def children(self):
        return tuple(self.values)


@dataclass(eq=False)
class Abs(Expr):
    """``abs(x)``; for an integer ``Int(w)`` the result is ``Int(w + 1)`` so it never wraps."""

    operand: Expr = None

    def children(self):
        return (self.operand,)


@dataclass(eq=False)
class Cast(Expr):
    """Conversion of ``operand`` to ``type`` (see the module docstring)."""

    operand: Expr = None

    def children(self):
        return (self.operand,)


@dataclass(eq=False)
class BitRead(Expr):
    """Bits ``[lo, lo + width)`` of the raw value of ``operand``, as ``UInt(width)``.

    ``a[i]`` has width 1; ``a[lo:hi]`` has width ``hi - lo``, a compile-time constant."""

    operand: Expr = None
    lo: Expr = None
    width: int = 1

    def children(self):
        return (self.operand, self.lo)


@dataclass(eq=False)
class Reverse(Expr):
    """``x.reverse()``: the raw bits of ``x`` in reverse order, same type."""

    operand: Expr = None

    def children(self):
        return (self.operand,)


@dataclass(eq=False)
class CallExpr(Expr):
    """A call of a kernel that returns one scalar; ``args`` are Exprs (arrays as BufferRef)."""

    func: "Function" = None
    args: list = field(default_factory=list)

    def children(self):
        return tuple(self.args)


@dataclass(eq=False)
class ChannelRef(Expr):
    """A whole stream, as an argument of a call. ``type`` is its StreamType."""

    channel: Channel = None


@dataclass(eq=False)
class StreamGet(Expr):
    """``channel.get()``: the oldest value of a stream of scalars, removed; waits while it is
    empty."""

    channel: Channel = None


# ---------------------------------------------------------------------------------------------
# Statements: every one has ``loc``.


@dataclass(eq=False)
class Stmt:
    loc: SourceLoc

    def bodies(self) -> tuple:
        """The nested statement lists."""
        return ()

    def exprs(self) -> tuple:
        """The expressions directly held by this statement."""
        return ()


@dataclass(eq=False)
class Assign(Stmt):
    """``var = value``; ``value.type == var.type``."""

    var: Var = None
    value: Expr = None

    def exprs(self):
        return (self.value,)


@dataclass(eq=False)
class Store(Stmt):
    """``buffer[indices] = value``; ``value.type == buffer.elem``."""

    buffer: Buffer = None
    indices: list = field(default_factory=list)
    value: Expr = None

    def exprs(self):
        return (*self.indices, self.value)


@dataclass(eq=False)
class BitStore(Stmt):
    """Replace bits ``[lo, lo + width)`` of a scalar (``target`` is a VarRef) or of an array element
    (``target`` is a Load) with ``value`` (of type ``UInt(width)``)."""

    target: Expr = None
    lo: Expr = None
    width: int = 1
    value: Expr = None

    def exprs(self):
        return (self.target, self.lo, self.value)


@dataclass(eq=False)
class Decl(Stmt):
    """A local array comes into scope: filled with ``init`` (a raw scalar as in ``Const.value``,
    a numpy array of raw values, or None for zeros) each time this statement runs.

    ``observable=False`` where a schedule rewrite has proven that no element is read before it
    is written (hardware may then leave the fill out)."""

    buffer: Buffer = None
    init: object = None
    observable: bool = True


@dataclass(eq=False)
class For(Stmt):
    """``for var in range(lo, hi, step)``: ``step`` is a nonzero int, the bounds are Exprs.

    ``name`` is the loop's name (its variable's), ``band`` the band it belongs to (``name=`` of
    ``allo.grid``/``allo.reduction``, or generated), ``kind`` one of range, grid, reduction."""

    var: Var = None
    lo: Expr = None
    hi: Expr = None
    step: int = 1
    body: list = field(default_factory=list)
    name: str = ""
    band: str = ""
    kind: str = "range"
    attrs: dict = field(default_factory=dict)

    def bodies(self):
        return (self.body,)

    def exprs(self):
        return (self.lo, self.hi)


@dataclass(eq=False)
class While(Stmt):
    cond: Expr = None
    body: list = field(default_factory=list)

    def bodies(self):
        return (self.body,)

    def exprs(self):
        return (self.cond,)


@dataclass(eq=False)
class If(Stmt):
    cond: Expr = None
    then_body: list = field(default_factory=list)
    else_body: list = field(default_factory=list)

    def bodies(self):
        return (self.then_body, self.else_body)

    def exprs(self):
        return (self.cond,)


@dataclass(eq=False)
class CallStmt(Stmt):
    """``func(args)``, its results (if any) assigned to ``targets``: a Var, a Buffer (the callee's
    array result copied into it) or a Load (an array element)."""

    func: "Function" = None
    args: list = field(default_factory=list)
    targets: list = field(default_factory=list)

    def exprs(self):
        return (*self.args, *(t for t in self.targets if isinstance(t, Expr)))


@dataclass(eq=False)
class Return(Stmt):
    """The function's results: scalar Exprs (already of the result type) and BufferRefs."""

    values: list = field(default_factory=list)

    def exprs(self):
        return tuple(self.values)


@dataclass(eq=False)
class StreamPut(Stmt):
    """``channel.put(value)``; ``value.type == channel.elem``; waits while the stream is full."""

    channel: Channel = None
    value: Expr = None

    def exprs(self):
        return (self.value,)


@dataclass(eq=False)
class StreamGetInto(Stmt):
    """``buffer = channel.get()`` for a stream of blocks: the oldest block, removed, copied into
    ``buffer`` (of the stream's element type); waits while the stream is empty. (A block is put
    with ``StreamPut`` of a BufferRef, which copies the array.)"""

    channel: Channel = None
    buffer: Buffer = None


@dataclass(eq=False)
class Parallel(Stmt):
    """A dataflow region's body: ``calls`` (CallStmts without results, one per kernel instance)
    run concurrently and the statement ends when all have returned. ``channels`` are the
    region's streams, empty each time it starts; the calls pass them to the kernels."""

    calls: list = field(default_factory=list)
    channels: list = field(default_factory=list)

    def bodies(self):
        return (self.calls,)


# ---------------------------------------------------------------------------------------------
# Functions


@dataclass(eq=False)
class Function:
    """A kernel: parameters (Var, Buffer or Channel), result types, body, and what it declares
    and calls.

    A kernel returns at the end of its body; ``Return`` appears only as its last statement."""

    name: str
    params: list
    result_types: list
    body: list
    loc: SourceLoc
    locals: dict = field(default_factory=dict)   # name -> Var | Buffer declared in the body
    callees: list = field(default_factory=list)  # Functions called, each once, in call order
    py_func: object = None                       # the Python function it came from, if any

    @property
    def buffers(self) -> dict:
        """Every array of this function by name: array parameters and local arrays."""
        out = {p.name: p for p in self.params if isinstance(p, Buffer)}
        out.update({n: b for n, b in self.locals.items() if isinstance(b, Buffer)})
        return out

    def __repr__(self):
        return f"Function({self.name})"



# ---------------------------------------------------------------------------------------------
# Traversal


def walk_stmts(body: list) -> Iterator[Stmt]:
    """Every statement of ``body``, nested ones included, in program order."""
    for stmt in body:
        yield stmt
        for inner in stmt.bodies():
            yield from walk_stmts(inner)


def walk_expr(expr: Expr) -> Iterator[Expr]:
    """``expr`` and its sub-expressions, parents first (iterative: expressions can be deep)."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(child for child in reversed(node.children()) if child is not None)


def buffers_written(body: list, call_writes) -> list:
    """The buffers that a store or a bit store in ``body`` writes, and those that
    ``call_writes(call)`` says a call (a CallStmt, or a CallExpr inside any statement) may
    write (a buffer may come more than once)."""
    out = []
    for stmt in walk_stmts(body):
        if isinstance(stmt, Store):
            out.append(stmt.buffer)
        elif isinstance(stmt, BitStore) and isinstance(stmt.target, Load):
            out.append(stmt.target.buffer)
        elif isinstance(stmt, StreamGetInto):
            out.append(stmt.buffer)
        elif isinstance(stmt, CallStmt):
            out.extend(call_writes(stmt))
        for e in stmt.exprs():
            for call in walk_expr(e) if e is not None else ():
                if isinstance(call, CallExpr):
                    out.extend(call_writes(call))
    return out


def params_written(fn: Function) -> set:
    """Ids of the array parameters of ``fn`` that it, or a kernel it passes them to, may write."""
    def call_writes(call):
        inner = params_written(call.func)
        return [a.buffer for p, a in zip(call.func.params, call.args)
                if isinstance(a, BufferRef) and id(p) in inner]
    written = {id(b) for b in buffers_written(fn.body, call_writes)}
    return {id(p) for p in fn.params if isinstance(p, Buffer) and id(p) in written}


def params_read(fn: Function) -> set:
    """Ids of the array parameters of ``fn`` that it, or a kernel it passes them to, may read
    (a load, a bit store into an element, a block put or returned)."""
    read = set()

    def scan(e):
        stack = [e]
        while stack:
            node = stack.pop()
            if isinstance(node, (CallExpr, CallStmt)):
                inner = params_read(node.func)
                for p, a in zip(node.func.params, node.args):
                    if isinstance(a, BufferRef):
                        if id(p) in inner:
                            read.add(id(a.buffer))
                    elif a is not None:
                        stack.append(a)
                continue
            if isinstance(node, (Load, BufferRef)):
                read.add(id(node.buffer))
            stack.extend(c for c in node.children() if c is not None)

    for stmt in walk_stmts(fn.body):
        if isinstance(stmt, CallStmt):
            scan(stmt)
            for t in stmt.targets:
                if isinstance(t, Load):
                    for i in t.indices:
                        scan(i)
            continue
        for e in stmt.exprs():   # a bit store's target Load among them: it keeps other bits
            if e is not None:
                scan(e)
    return {id(p) for p in fn.params if isinstance(p, Buffer) and id(p) in read}


def all_functions(top: Function) -> list:
    """``top`` and every function it calls, directly or not, each once, callers first."""
    seen, order = set(), []

    def visit(fn):
        if id(fn) in seen:
            return
        seen.add(id(fn))
        order.append(fn)
        for callee in fn.callees:
            visit(callee)

    visit(top)
    return order


def stream_ops(fn: Function, channel: Channel) -> set:
    """Whether ``fn`` puts into (``"put"``) and/or gets from (``"get"``) its stream parameter
    ``channel``."""
    ops = set()
    for s in walk_stmts(fn.body):
        if isinstance(s, StreamPut) and s.channel is channel:
            ops.add("put")
        if isinstance(s, StreamGetInto) and s.channel is channel:
            ops.add("get")
        for e in s.exprs():
            for sub in walk_expr(e) if e is not None else ():
                if isinstance(sub, StreamGet) and sub.channel is channel:
                    ops.add("get")
    return ops


def stream_argument_roles(fn: Function) -> dict:
    """Stream parameter of region ``fn`` -> ``"get"`` (the caller gives its values: an input)
    or ``"put"`` (the caller takes them: an output), from the kernel instance it is passed to
    (the frontend makes it exactly one end of exactly one instance)."""
    roles = {}
    for stmt in walk_stmts(fn.body):
        if not isinstance(stmt, Parallel):
            continue
        for call in stmt.calls:
            for p, a in zip(call.func.params, call.args):
                if isinstance(a, ChannelRef) and a.channel.kind == "arg" and \
                        any(a.channel is q for q in fn.params):
                    for op in stream_ops(call.func, p):
                        roles[a.channel] = op
    return {p: roles[p] for p in fn.params if p in roles}
