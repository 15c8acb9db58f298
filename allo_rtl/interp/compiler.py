"""A kernel and every function it calls, compiled into one Python module's source and namespace."""
from __future__ import annotations

import itertools
import linecache
import sys

import numpy as np

from .. import ir
from ..errors import UnsupportedError
from ..floats import round_f64, rounder
from ..types import Index, is_float
from . import runtime
from .concurrency import Scheduler, StreamSites, make_stream_helpers
from .emit_access import walk
from .emit_stmt import FunctionCompiler
from .pycode import Names, float_lit

_serial = itertools.count(1)
_RECURSION_LIMIT = 20000


def _called(fn: ir.Function):
    """Functions called in ``fn``'s body (also those its ``callees`` list may have missed)."""
    for s in ir.walk_stmts(fn.body):
        if isinstance(s, ir.CallStmt):
            yield s.func
        for e in s.exprs():
            if e is not None:
                for sub in walk(e):
                    if isinstance(sub, ir.CallExpr):
                        yield sub.func


def functions_of(top: ir.Function) -> list:
    order, seen, stack = [], set(), [top]
    while stack:
        fn = stack.pop(0)
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        order.append(fn)
        stack += list(fn.callees) + list(_called(fn))
    return order


def concurrent_functions(functions: list) -> set:
    """Ids of the functions compiled as generators: those that put, get, run a region or call
    one of these."""
    out = set()
    for fn in functions:
        for s in ir.walk_stmts(fn.body):
            if isinstance(s, (ir.StreamPut, ir.StreamGetInto, ir.Parallel)) or any(
                    isinstance(sub, ir.StreamGet) for e in s.exprs() if e is not None
                    for sub in walk(e)):
                out.add(id(fn))
                break
    changed = True
    while changed:
        changed = False
        for fn in functions:
            if id(fn) not in out and any(id(g) in out for g in _called(fn)):
                out.add(id(fn))
                changed = True
    return out


class ModuleCompiler:
    def __init__(self, top: ir.Function, scheduler: Scheduler | None = None):
        self.top = top
        self.functions = functions_of(top)
        self.concurrent = concurrent_functions(self.functions)
        self.scheduler = scheduler or Scheduler()
        self.stream_sites = StreamSites()
        self.sites = runtime.Sites()
        self.consts = {}
        self._names = Names()
        self._fnames = {id(fn): self._names.fresh("_k_" + Names().user(fn.name)) for fn in self.functions}

    def func_name(self, fn: ir.Function) -> str:
        name = self._fnames.get(id(fn))
        if name is None:
            raise KeyError(f"function {fn.name!r} is called but was not compiled")
        return name

    def const_array(self, buf: ir.Buffer, init) -> str:
        """A Decl's initial value: the literal text of a raw scalar, or the name of a list."""
        elem = buf.elem
        if isinstance(init, np.ndarray) or isinstance(init, (list, tuple)):
            arr = np.broadcast_to(np.asarray(init), buf.shape)
            values = arr.ravel().tolist()
            if is_float(elem):
                rnd = rounder(elem.name)
                values = [rnd(float(v)) for v in values]
            else:
                values = [int(v) if isinstance(elem, Index) else elem.wrap(int(v)) for v in values]
            name = f"_K{len(self.consts) + 1}"
            self.consts[name] = values
            return name
        if is_float(elem):
            return float_lit(rounder(elem.name)(float(init))).text
        return str(int(init) if isinstance(elem, Index) else elem.wrap(int(init)))

    def compile(self):
        """The module's source text and the namespace to run it in."""
        chunks = [f"# allo_rtl.interp: kernel {self.top.name!r} and its callees, generated from the IR"]
        for fn in self.functions:
            chunks.append("\n".join(FunctionCompiler(self, fn).compile()))
        source = "\n\n\n".join(chunks) + "\n"
        namespace = dict(runtime.NAMESPACE)
        namespace["_r64"] = round_f64
        namespace.update(runtime.make_error_helpers(self.sites))
        namespace.update(make_stream_helpers(self.stream_sites, self.scheduler))
        namespace.update(self.consts)
        return source, namespace


def build(top: ir.Function, scheduler: Scheduler | None = None):
    """Compile ``top``; return (the Python function running ``top``, the source, the namespace).
    ``scheduler`` orders concurrent kernels (concurrency.py)."""
    mc = ModuleCompiler(top, scheduler)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, _RECURSION_LIMIT))   # the emitter recurses over expressions
    try:
        source, namespace = mc.compile()
    finally:
        sys.setrecursionlimit(limit)
    filename = f"<allo_rtl.interp {top.name} #{next(_serial)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    try:
        code = compile(source, filename, "exec")
    except (SyntaxError, RecursionError, MemoryError) as err:  # nesting beyond Python's limits
        raise UnsupportedError(f"the interpreter cannot compile kernel '{top.name}': {err}", top.loc,
                               hint="split very deeply nested expressions or loop nests") from None
    exec(code, namespace)
    fn = namespace[mc.func_name(top)]
    if id(top) in mc.concurrent:
        drive = namespace["_drive"]
        return (lambda *args: drive(fn(*args))), source, namespace
    return fn, source, namespace
