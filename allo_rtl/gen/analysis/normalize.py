"""Kernel IR to the form hardware generation works on, without touching the Schedule's IR.

* kernels calls inside expressions become ``CallStmt`` into temporaries before the statement;
* a local array's declaration becomes the loop nest that fills it (none where a call's result
  overwrites the whole array right away);
* ``Return`` becomes assignments to result variables (scalars) or names the result buffers;
* at the top, a completely partitioned array argument is copied into registers at the start
  (and out at the end when written), behind one memory interface (``stage_arguments``);
* floats, and calls where hardware cannot keep Python's order of evaluation, are rejected.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ...errors import UnsupportedError
from ...ir import nodes as ir
from ...ir.layout import Layout
from ...ir.rewrite import loop_nest
from ...types import ArrayType, Float, Index, StreamType
from .storage import register_port
from .unroll import expand

INDEX = Index()


@dataclass
class HwFunction:
    """A function ready for hardware generation."""

    fn: ir.Function
    body: list
    params: list = field(default_factory=list)          # as the hardware sees them
    result_vars: dict = field(default_factory=dict)     # result position -> Var
    result_buffers: dict = field(default_factory=dict)  # result position -> local Buffer
    initial: dict = field(default_factory=dict)         # id(Buffer) -> raw words it starts with

    @property
    def name(self) -> str:
        return self.fn.name


def _float_error(what: str, loc) -> UnsupportedError:
    return UnsupportedError(f"{what} on an RTL target: floating-point hardware is not "
                            "available yet", loc, "build this kernel with target='interp' "
                            "(the reference interpreter) until float units arrive")


def check_supported(fn: ir.Function) -> None:
    """Reject what RTL targets cannot build yet: floats (at their first use) and streams
    passed to kernels outside a region."""
    for p in fn.params:
        t = p.elem if isinstance(p, ir.Buffer) else p.type
        if isinstance(t, Float):
            raise _float_error(f"parameter {p.name!r} of {fn.name!r} has type {p.type!r}", p.loc)
    for t in fn.result_types:
        elem = getattr(t, "elem", t)
        if isinstance(elem, Float):
            raise _float_error(f"kernel {fn.name!r} returns {t!r}", fn.loc)
    concurrent = {id(call) for stmt in ir.walk_stmts(fn.body) if isinstance(stmt, ir.Parallel)
                  for call in stmt.calls}
    for stmt in ir.walk_stmts(fn.body):
        if isinstance(stmt, ir.CallStmt) and id(stmt) not in concurrent and \
                any(isinstance(a, ir.ChannelRef) for a in stmt.args):
            raise UnsupportedError(f"kernel {stmt.func.name!r} is passed a stream outside a "
                                   "dataflow region; on RTL targets only the kernels of a region "
                                   "(or of s.dataflow) take streams", stmt.loc,
                                   "make the call part of a region, or run it with "
                                   "target='interp'")
        if isinstance(stmt, ir.Decl) and isinstance(stmt.buffer.elem, (Float, StreamType)):
            raise _float_error(f"array {stmt.buffer.name!r} has type {stmt.buffer.type!r}",
                               stmt.loc)
        stack = list(stmt.exprs())
        while stack:
            sub = stack.pop()
            if sub is None or _float_constant_cast(sub):
                continue    # a float constant cast to an integer type is folded in dfg.py
            if isinstance(sub.type, Float):
                raise _float_error(f"a {sub.type!r} value", sub.loc)
            stack.extend(sub.children())


def _float_constant_cast(e: ir.Expr) -> bool:
    return isinstance(e, ir.Cast) and isinstance(e.operand, ir.Const) and \
        isinstance(e.operand.type, Float) and not isinstance(e.type, Float)


class Normalizer:
    def __init__(self, fn: ir.Function, top: bool):
        self.top = top
        self.fn = fn
        self.names = set(fn.locals) | {p.name for p in fn.params}
        self.out = HwFunction(fn, [], list(fn.params))
        self.written = _written_locals(fn)

    def fresh(self, base: str, t, loc) -> ir.Var:
        name, n = base, 0
        while name in self.names:
            n += 1
            name = f"{base}_{n}"
        self.names.add(name)
        return ir.Var(name, t, loc, "local")

    # -- calls inside expressions -------------------------------------------------------------
    def hoist(self, expr: ir.Expr, pre: list) -> ir.Expr:
        """``expr`` with every kernel call replaced by a temporary assigned in ``pre``, in
        Python's order of evaluation: what an operand reads from memory before a later
        operand's call is read into a temporary first (the call may write that array), and
        a call in a lazily evaluated operand runs only when that operand would."""
        if expr is None or not _has_call(expr):
            return expr
        if isinstance(expr, ir.CallExpr):
            args = self.hoist_all(expr.args, pre)
            temp = self.fresh(f"{expr.func.name}_value", expr.type, expr.loc)
            pre.append(ir.CallStmt(expr.loc, expr.func, args, [temp]))
            return ir.VarRef(expr.type, expr.loc, temp)
        if isinstance(expr, ir.Select):
            return self.lazy_select(expr, pre)
        if isinstance(expr, ir.BoolOp):
            return self.lazy_bool(expr, pre)
        clone = _shallow_copy(expr)
        fields = [(name, value) for name, value in vars(expr).items()
                  if isinstance(value, ir.Expr) or
                  (isinstance(value, list) and all(isinstance(v, ir.Expr) for v in value))]
        flat = [v for _, value in fields for v in (value if isinstance(value, list) else [value])]
        hoisted = iter(self.hoist_all(flat, pre))
        for name, value in fields:
            if isinstance(value, list):
                setattr(clone, name, [next(hoisted) for _ in value])
            else:
                setattr(clone, name, next(hoisted))
        return clone

    def hoist_all(self, exprs: list, pre: list) -> list:
        """``exprs`` hoisted left to right; one that reads memory before a later one's call
        is read into a temporary first."""
        out = []
        for k, e in enumerate(exprs):
            value = self.hoist(e, pre)
            if value is not None and _reads_memory(value) and any(map(_has_call, exprs[k + 1:])):
                value = self.spill(value, pre)
            out.append(value)
        return out

    def spill(self, value: ir.Expr, pre: list) -> ir.Expr:
        temp = self.fresh("operand", value.type, value.loc)
        pre.append(ir.Assign(value.loc, temp, value))
        return ir.VarRef(value.type, value.loc, temp)

    def lazy_select(self, expr: ir.Select, pre: list) -> ir.Expr:
        """``t if c else f`` with calls inside: ``if c: v = t else: v = f``."""
        cond = self.hoist(expr.cond, pre)
        temp = self.fresh("choice", expr.type, expr.loc)
        branches = []
        for value in (expr.true_value, expr.false_value):
            body: list = []
            body.append(ir.Assign(expr.loc, temp, self.hoist(value, body)))
            branches.append(body)
        pre.append(ir.If(expr.loc, cond, *branches))
        return ir.VarRef(expr.type, expr.loc, temp)

    def lazy_bool(self, expr: ir.BoolOp, pre: list) -> ir.Expr:
        """``a and b`` with calls inside: ``v = a; if v: v = b`` (``or``: ``if not v``)."""
        temp = self.fresh("outcome", expr.type, expr.loc)
        pre.append(ir.Assign(expr.loc, temp, self.hoist(expr.values[0], pre)))
        for value in expr.values[1:]:
            body: list = []
            body.append(ir.Assign(expr.loc, temp, self.hoist(value, body)))
            current = ir.VarRef(expr.type, expr.loc, temp)
            cond = current if expr.op == "and" else ir.Not(expr.type, expr.loc, current)
            pre.append(ir.If(expr.loc, cond, body, []))
        return ir.VarRef(expr.type, expr.loc, temp)

    # -- statements ---------------------------------------------------------------------------
    def body(self, stmts: list) -> list:
        out = []
        for k, stmt in enumerate(stmts):
            out.extend(self.stmt(stmt, stmts[k + 1:]))
        return out

    def stmt(self, stmt: ir.Stmt, rest: list) -> list:
        pre: list = []
        h = lambda e: self.hoist(e, pre)  # noqa: E731
        if isinstance(stmt, ir.Assign):
            new = ir.Assign(stmt.loc, stmt.var, h(stmt.value))
        elif isinstance(stmt, ir.Store):   # Python evaluates the value, then the indices
            value, *indices = self.hoist_all([stmt.value, *stmt.indices], pre)
            new = ir.Store(stmt.loc, stmt.buffer, indices, value)
        elif isinstance(stmt, ir.BitStore):   # the value, the low bit, then the target's indices
            target = stmt.target
            element = isinstance(target, ir.Load)
            value, lo, *indices = self.hoist_all(
                [stmt.value, stmt.lo, *(target.indices if element else [])], pre)
            if element:
                target = ir.Load(target.type, target.loc, target.buffer, indices)
            new = ir.BitStore(stmt.loc, target, lo, stmt.width, value)
        elif isinstance(stmt, ir.Decl):
            return self.decl(stmt, rest)
        elif isinstance(stmt, ir.For):
            new = ir.For(stmt.loc, stmt.var, h(stmt.lo), h(stmt.hi), stmt.step,
                         self.body(stmt.body), stmt.name, stmt.band, stmt.kind, stmt.attrs)
        elif isinstance(stmt, ir.While):
            if any(isinstance(s, ir.CallExpr) for s in ir.walk_expr(stmt.cond)):
                raise UnsupportedError("a kernel call in a while condition is not supported on "
                                       "RTL targets", stmt.cond.loc, "compute the condition into "
                                       "a variable before the loop and at the end of its body")
            new = ir.While(stmt.loc, stmt.cond, self.body(stmt.body))
        elif isinstance(stmt, ir.If):
            new = ir.If(stmt.loc, h(stmt.cond), self.body(stmt.then_body),
                        self.body(stmt.else_body))
        elif isinstance(stmt, ir.CallStmt):
            self.check_call_aliasing(stmt)
            new = ir.CallStmt(stmt.loc, stmt.func, [h(a) for a in stmt.args], stmt.targets)
        elif isinstance(stmt, ir.StreamPut) and isinstance(stmt.channel.elem, ArrayType):
            return self.block_transfer(stmt.channel, stmt.value.buffer, "put", stmt.loc)
        elif isinstance(stmt, ir.StreamGetInto):
            return self.block_transfer(stmt.channel, stmt.buffer, "get", stmt.loc)
        elif isinstance(stmt, ir.StreamPut):
            new = ir.StreamPut(stmt.loc, stmt.channel, h(stmt.value))
        elif isinstance(stmt, ir.Parallel):
            for call in stmt.calls:   # arrays, streams and variables (regions.py)
                self.check_call_aliasing(call)
            new = stmt
        elif isinstance(stmt, ir.Return):
            return pre + self.ret(stmt)
        else:
            raise UnsupportedError(f"statement {type(stmt).__name__} is not supported on RTL "
                                   "targets", stmt.loc, "build with target='interp'")
        return pre + [new]

    def block_transfer(self, channel: ir.Channel, buf: ir.Buffer, op: str, loc) -> list:
        """A block put into (or got from) a stream of blocks, element by element in row-major
        order, a pipelined loop nest: the hardware's FIFO holds the stream's depth in blocks
        as words (``dataflow/streams.py``). In a deadlock both ends wait at a block's edge,
        where the interpreter's whole-block operations wait too."""
        elem = channel.elem.elem
        loop_vars = [self.fresh(f"{channel.name}_{op}{d}", INDEX, loc)
                     for d in range(len(buf.shape))]

        def transfer(index):
            if op == "put":
                return [ir.StreamPut(loc, channel, ir.Load(elem, loc, buf, list(index)))]
            return [ir.Store(loc, buf, list(index), ir.StreamGet(elem, loc, channel))]
        return loop_nest(loop_vars, list(buf.shape), transfer, loc, f"{channel.name}_{op}",
                         pipeline_innermost=True)

    def check_call_aliasing(self, stmt: ir.CallStmt) -> None:
        seen = {}
        arrays = [a.buffer for a in stmt.args if isinstance(a, ir.BufferRef)]
        arrays += [t for t in stmt.targets if isinstance(t, ir.Buffer)]
        for buf in arrays:
            if id(buf) in seen:
                raise UnsupportedError(
                    f"array {buf.name!r} is passed twice to kernel {stmt.func.name!r}; on an RTL "
                    "target each array argument is its own memory interface", stmt.loc,
                    "pass a copy of the array as the second argument")
            seen[id(buf)] = buf

    def decl(self, stmt: ir.Decl, rest: list) -> list:
        buf = stmt.buffer
        if not stmt.observable or (stmt.init is None or isinstance(stmt.init, (int, float))) \
                and _written_before_read(buf, rest):
            return []  # no element is read before the code after it writes it: no fill
        loc = stmt.loc
        if stmt.init is not None and not isinstance(stmt.init, (int, float)):
            words = [int(v) for v in stmt.init.flat]
            if buf not in self.written:   # a table: the memory starts with it, never refilled
                self.out.initial[id(buf)] = words
                return []
            table = ir.Buffer(self.fresh(f"{buf.name}_init", buf.elem, loc).name, buf.type, loc)
            self.out.initial[id(table)] = words

            def value_of(index):
                return ir.Load(buf.elem, loc, table, list(index))
        else:
            def value_of(index):
                return ir.Const(buf.elem, loc, int(stmt.init or 0))
        loop_vars = [self.fresh(f"{buf.name}_fill{d}", INDEX, loc) for d in range(len(buf.shape))]
        return loop_nest(loop_vars, list(buf.shape),
                         lambda index: [ir.Store(loc, buf, index, value_of(index))],
                         loc, f"fill_{buf.name}", kind="fill")

    def copy_out(self, buf: ir.Buffer, k: int) -> list:
        """A partitioned result, or one a pipeline updates, stays inside (banked, or in
        registers when small); the interface, filled by a copy at the end, is one memory at
        the top, and has the caller's layout (the result's partition) in a callee."""
        partition = {} if self.top else dict(buf.partition)
        out = ir.Buffer(self.fresh(f"{buf.name}_out", buf.elem, buf.loc).name, buf.type, buf.loc,
                        partition=partition)
        self.out.result_buffers[k] = out
        return _copy_loops(buf, out, self.fresh, buf.loc)

    def stage_arguments(self, written: set) -> None:
        """Completely partitioned array arguments of the top become registers inside it, behind
        one memory interface (a new unpartitioned parameter of the same name): copied in first,
        copied out last when ``written`` holds their id. Between kernels such an array is a
        register-file port (every word at once); the top cannot offer that to the outside, as
        an array of N words would need N words of input pins (Amaranth allows 65536 bits in all,
        and no FPGA has the pins either)."""
        head, tail = [], []
        for k, p in enumerate(self.out.params):
            if not isinstance(p, ir.Buffer) or not register_port(Layout.of(p)):
                continue
            outside = ir.Buffer(p.name, p.type, p.loc, kind="arg")
            self.out.params[k] = outside
            head += _copy_loops(outside, p, self.fresh, p.loc, f"{p.name}_in")
            if id(p) in written:
                tail += _copy_loops(p, outside, self.fresh, p.loc, f"{p.name}_out")
        self.out.body = head + self.out.body + tail

    def ret(self, stmt: ir.Return) -> list:
        out = []
        for k, value in enumerate(stmt.values):
            if isinstance(value, ir.BufferRef):
                buf = value.buffer
                if buf.kind == "arg" or buf in self.out.result_buffers.values():
                    raise UnsupportedError(
                        f"kernel {self.fn.name!r} returns array {buf.name!r}, which is "
                        + ("one of its arguments" if buf.kind == "arg" else "returned twice")
                        + "; RTL targets return local arrays only", value.loc,
                        "declare a local result array and copy into it")
                # a constant table starts filled in a local memory; a result interface does not
                if buf.partition or id(buf) in self.out.initial or \
                        _updated_in_a_pipeline(self.fn.body, buf):
                    out.extend(self.copy_out(buf, k))
                else:
                    self.out.result_buffers[k] = buf
            else:
                var = self.fresh(f"result{k}", value.type, value.loc)
                self.out.result_vars[k] = var
                out.append(ir.Assign(value.loc, var, self.hoist(value, out)))
        return out


def _reads(expr, buf: ir.Buffer) -> bool:
    """Whether ``expr`` loads from ``buf`` or passes it whole."""
    return expr is not None and any(isinstance(x, (ir.Load, ir.BufferRef)) and x.buffer is buf
                                    for x in ir.walk_expr(expr))


def _touches(stmt: ir.Stmt, buf: ir.Buffer) -> bool:
    for inner in ir.walk_stmts([stmt]):
        if isinstance(inner, ir.Store) and inner.buffer is buf:
            return True
        if isinstance(inner, ir.CallStmt) and any(t is buf for t in inner.targets):
            return True
        if any(_reads(e, buf) for e in inner.exprs()):
            return True
    return False


def _written_before_read(buf: ir.Buffer, stmts: list) -> bool:
    """Whether the first of ``stmts`` that touches ``buf`` writes all of it before anything
    reads it: a call returning it, or a loop nest over its whole shape storing ``buf[v0, v1,
    ...]`` (its counters, in any order) a value that does not read it, possibly inside loops
    with constant bounds that run at least once. (Also when nothing touches it.)"""
    for stmt in stmts:
        if not _touches(stmt, buf):
            continue
        if isinstance(stmt, ir.CallStmt):
            return any(t is buf for t in stmt.targets) and \
                not any(_reads(a, buf) for a in stmt.args)
        if not isinstance(stmt, ir.For):
            return False
        if _covering_nest(stmt, buf):
            return True
        runs = isinstance(stmt.lo, ir.Const) and isinstance(stmt.hi, ir.Const) and \
            len(range(int(stmt.lo.value), int(stmt.hi.value), stmt.step)) > 0
        return runs and _written_before_read(buf, stmt.body)
    return True


def _covering_nest(loop: ir.For, buf: ir.Buffer) -> bool:
    """``for v.. in range(extent): buf[v0, v1, ...] = value`` over every element of ``buf``."""
    loops = [loop]
    while len(loops[-1].body) == 1 and isinstance(loops[-1].body[0], ir.For):
        loops.append(loops[-1].body[0])
    if len(loops[-1].body) != 1 or len(loops) != len(buf.shape):
        return False
    store = loops[-1].body[0]
    if not isinstance(store, ir.Store) or store.buffer is not buf or _reads(store.value, buf):
        return False
    extents = {}
    for l in loops:
        if not (isinstance(l.lo, ir.Const) and l.lo.value == 0 and l.step == 1 and
                isinstance(l.hi, ir.Const)):
            return False
        extents[l.var] = int(l.hi.value)
    indexed = [i.var if isinstance(i, ir.VarRef) else None for i in store.indices]
    return sorted(map(id, indexed)) == sorted(map(id, extents)) and \
        all(extents[v] == n for v, n in zip(indexed, buf.shape))


def _updated_in_a_pipeline(body: list, buf: ir.Buffer) -> bool:
    """Whether a pipelined loop both reads and writes ``buf`` (a read-modify-write that one
    memory port would serialize)."""
    for loop in ir.walk_stmts(body):
        if isinstance(loop, ir.For) and "pipeline" in loop.attrs:
            inner = list(ir.walk_stmts(loop.body))
            stored = any(isinstance(s, ir.Store) and s.buffer is buf for s in inner)
            loaded = any(isinstance(e, ir.Load) and e.buffer is buf
                         for s in inner for x in s.exprs() for e in ir.walk_expr(x))
            if stored and loaded:
                return True
    return False


def _copy_loops(src: ir.Buffer, dst: ir.Buffer, fresh, loc, base: str | None = None) -> list:
    """``dst[...] = src[...]`` over every element, the innermost loop pipelined; its loops
    are ``<base><dimension>`` (``<dst>_copy0``...)."""
    base = base or f"{dst.name}_copy"
    loop_vars = [fresh(f"{base}{d}", INDEX, loc) for d in range(len(src.shape))]

    def copy(index):
        return [ir.Store(loc, dst, index, ir.Load(src.elem, loc, src, list(index)))]
    return loop_nest(loop_vars, list(src.shape), copy, loc, base, pipeline_innermost=True)


def _written_locals(fn: ir.Function) -> set:
    """Local arrays that a store, a bit store or a call may write (a call: every array it is
    passed or returns)."""
    return set(ir.buffers_written(fn.body, lambda call: [
        *(a.buffer for a in call.args if isinstance(a, ir.BufferRef)),
        *(t for t in getattr(call, "targets", ()) if isinstance(t, ir.Buffer))]))


def _has_call(expr) -> bool:
    return expr is not None and any(isinstance(e, ir.CallExpr) for e in ir.walk_expr(expr))


def _reads_memory(expr) -> bool:
    return any(isinstance(e, ir.Load) for e in ir.walk_expr(expr))


def _shallow_copy(expr):
    clone = object.__new__(type(expr))
    clone.__dict__.update(vars(expr))
    return clone


def normalize(fn: ir.Function, top_written=None) -> HwFunction:
    """``fn`` ready for hardware. ``top_written(body)``, given for the top function only: the
    ids of the buffers a normalized body writes (following calls), for ``stage_arguments``."""
    check_supported(fn)
    n = Normalizer(fn, top_written is not None)
    n.out.body = expand(n.body(fn.body))
    if top_written is not None:
        n.stage_arguments(top_written(n.out.body))
    return n.out
