"""Writing a ``prog.Program`` as the Python source of a kernel module and of its schedule.

``render_module`` numbers the statements' lines (``Stmt.line``) as it goes, so that the model
can name the line of a run-time error as the frontend locates it.
"""
from __future__ import annotations

import re

from . import prog as P
from .types import Ty

_BIN = {"add": "+", "sub": "-", "mul": "*", "div": "/", "floordiv": "//", "mod": "%",
        "shl": "<<", "shr": ">>", "and": "&", "or": "|", "xor": "^"}
_CMP = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}


class _Writer:
    def __init__(self):
        self.lines: list = []
        self.names: set = {"Int", "UInt", "Fixed", "UFixed", "index"}

    @property
    def next_line(self) -> int:
        return len(self.lines) + 1

    def emit(self, depth: int, text: str, stmt=None):
        if stmt is not None:
            stmt.line = self.next_line
        self.lines.append("    " * depth + text)

    # -- types ---------------------------------------------------------------------------------
    def ty(self, t: Ty, tname: str | None = None) -> str:
        if tname:
            return tname
        text = t.text()
        if re.fullmatch(r"u?int\d+", text):
            self.names.add(text)
        return text

    def sym_type(self, sym: P.Sym, template: bool = False) -> str:
        if sym.stream is not None:
            self.names.add("Stream")
            return f"Stream[{self.ty(sym.ty)}, {sym.stream.depth}]"
        base = self.ty(sym.ty, sym.tname)
        if sym.shape is None:
            return base
        dims = ["N" if (template and sym.tname) else str(d) for d in sym.shape]
        return f"{base}[{', '.join(dims)}]"

    # -- expressions -------------------------------------------------------------------------
    def ex(self, e: P.Expr) -> str:
        """``e`` as an operand: atoms bare, everything else parenthesised."""
        text = self.expr(e)
        atomic = isinstance(e, (P.Ref, P.Load, P.Call, P.MinMax, P.Get)) or \
            (isinstance(e, P.Lit) and not str(text).startswith("-")) or \
            (isinstance(e, P.Un) and e.op in ("abs", "bool")) or isinstance(e, P.Cast)
        return text if atomic else f"({text})"

    def expr(self, e: P.Expr) -> str:
        if isinstance(e, P.Lit):
            return e.tname or repr(e.value)
        if isinstance(e, P.Ref):
            return e.sym.name
        if isinstance(e, P.Load):
            return f"{e.sym.name}[{', '.join(self.expr(i) for i in e.idx)}]"
        if isinstance(e, P.Bin):
            return f"{self.ex(e.lhs)} {_BIN[e.op]} {self.ex(e.rhs)}"
        if isinstance(e, P.Un):
            if e.op == "neg":
                return f"-{self.ex(e.x)}"
            if e.op == "invert":
                return f"~{self.ex(e.x)}"
            if e.op == "not":
                return f"not {self.ex(e.x)}"
            if e.op == "reverse":
                return f"{self.ex(e.x)}.reverse()"
            return f"{e.op}({self.expr(e.x)})"
        if isinstance(e, P.Cmp):
            return f"{self.ex(e.lhs)} {_CMP[e.op]} {self.ex(e.rhs)}"
        if isinstance(e, P.BoolOp):
            return f" {e.op} ".join(self.ex(v) for v in e.vals)
        if isinstance(e, P.Sel):
            return f"{self.ex(e.a)} if {self.ex(e.cond)} else {self.ex(e.b)}"
        if isinstance(e, P.MinMax):
            return f"{e.op}({', '.join(self.expr(v) for v in e.vals)})"
        if isinstance(e, P.Cast):
            if e.spelling == "int":
                return f"int({self.expr(e.x)})"
            t = e.ty
            if e.spelling == "ctor" and t.kind in ("int", "uint"):
                return f"{'Int' if t.kind == 'int' else 'UInt'}({t.bits})({self.expr(e.x)})"
            return f"{self.ty(t)}({self.expr(e.x)})"
        if isinstance(e, P.Bits):
            return f"{self.ex(e.x)}[{self.bit_range(e.lo, e.width, e.slice)}]"
        if isinstance(e, P.Call):
            return f"{self.callee(e.fn)}({', '.join(self.expr(a) for a in e.args)})"
        if isinstance(e, P.Get):
            return f"{self.chan(e.chan)}.get()"
        raise TypeError(e)

    def chan(self, c: P.Chan) -> str:
        if c.idx is None:
            return c.stream.name
        return f"{c.stream.name}[{', '.join(self.expr(i) for i in c.indices)}]"

    def bit_range(self, lo, width, is_slice) -> str:
        low = self.expr(lo)
        if not is_slice:
            return low
        v = P.folded(lo)
        return f"{low}:{v + width}" if v is not None else f"{low}:{low} + {width}"

    def callee(self, fn: P.Func) -> str:
        if fn.template:
            return f"{fn.template}[{', '.join(self.targ(a) for a in fn.targs)}]"
        return fn.name

    def targ(self, a) -> str:
        return self.ty(a) if isinstance(a, Ty) else repr(a)

    # -- statements ----------------------------------------------------------------------------
    def block(self, body: list, depth: int, template: bool):
        if not body:
            self.emit(depth, "pass")
        for s in body:
            self.stmt(s, depth, template)

    def stmt(self, s: P.Stmt, d: int, template: bool):
        if isinstance(s, P.Decl):
            head = f"{s.sym.name}: {self.sym_type(s.sym, template)}"
            init = s.init
            if init is None:
                self.emit(d, head, s)
            elif isinstance(init, P.Table):
                self.emit(d, f"{head} = {init.name}", s)
            elif isinstance(init, P.Expr):
                self.emit(d, f"{head} = {self.expr(init)}", s)
            else:
                self.emit(d, f"{head} = {init!r}", s)
        elif isinstance(s, P.Assign):
            op = "" if s.op is None else _BIN[s.op]
            self.emit(d, f"{self.expr(s.target)} {op}= {self.expr(s.value)}", s)
        elif isinstance(s, P.BitStore):
            target = self.expr(s.target)
            self.emit(d, f"{target}[{self.bit_range(s.lo, s.width, s.slice)}] = "
                         f"{self.expr(s.value)}", s)
        elif isinstance(s, P.If):
            self.emit(d, f"if {self.expr(s.cond)}:", s)
            self.block(s.then, d + 1, template)
            orelse = s.orelse
            while len(orelse) == 1 and isinstance(orelse[0], P.If):
                inner = orelse[0]
                self.emit(d, f"elif {self.expr(inner.cond)}:", inner)
                self.block(inner.then, d + 1, template)
                orelse = inner.orelse
            if orelse:
                self.emit(d, "else:")
                self.block(orelse, d + 1, template)
        elif isinstance(s, P.For):
            names = ", ".join(v.name for v in s.vars)
            if s.kind == "range":
                lo, hi, step = s.bounds
                if step == 1 and P.folded(lo) == 0:
                    it = f"range({self.expr(hi)})"
                elif step == 1:
                    it = f"range({self.expr(lo)}, {self.expr(hi)})"
                else:
                    it = f"range({self.expr(lo)}, {self.expr(hi)}, {step})"
            else:
                extents = [self.expr(b) for b in s.bounds]
                if s.name:
                    extents.append(f"name={s.name!r}")
                it = f"allo.{s.kind}({', '.join(extents)})"
            self.emit(d, f"for {names} in {it}:", s)
            self.block(s.body, d + 1, template)
        elif isinstance(s, P.While):
            c = s.counter.name
            self.emit(d, f"{c}: int32 = 0")
            self.names.add("int32")
            cond = f"{c} < {s.limit}"
            if s.cond is not None:
                cond += f" and {self.ex(s.cond)}"
            self.emit(d, f"while {cond}:", s)
            self.block(s.body, d + 1, template)
            self.emit(d + 1, f"{c} += 1")
        elif isinstance(s, P.CallStmt):
            call = f"{self.callee(s.fn)}({', '.join(self.expr(a) for a in s.args)})"
            if s.targets:
                call = f"{', '.join(t.name for t in s.targets)} = {call}"
            self.emit(d, call, s)
        elif isinstance(s, P.Return):
            self.emit(d, f"return {', '.join(self.expr(v) for v in s.values)}", s)
        else:
            self.dataflow_stmt(s, d, template)

    # -- dataflow ------------------------------------------------------------------------------
    def dataflow_stmt(self, s: P.Stmt, d: int, template: bool):
        if isinstance(s, P.StreamDecl):
            st = s.stream
            self.names.add("Stream")
            elem = self.ty(st.ty)
            if st.block is not None:
                elem += f"[{', '.join(map(str, st.block))}]"
            text = f"Stream[{elem}, {st.depth}]"
            if st.count is not None:
                text += f"[{', '.join(map(str, st.shape))}]"
            self.emit(d, f"{st.name}: {text}", s)
        elif isinstance(s, P.KernelDef):
            self.emit(0, "")
            args = ", ".join(a.name for a in s.args)
            mapping = ", ".join(map(str, s.mapping))
            self.emit(d, f"@df.kernel(mapping=[{mapping}], args=[{args}])")
            params = ", ".join(f"{p.name}: {self.sym_type(p)}" for p in s.fn.params)
            self.emit(d, f"def {s.fn.name}({params}):", s)
            self.block(s.fn.body, d + 1, template)
        elif isinstance(s, P.Put):
            self.emit(d, f"{self.chan(s.chan)}.put({self.expr(s.value)})", s)
        elif isinstance(s, P.GetStmt):
            self.emit(d, f"{self.chan(s.chan)}.get()", s)
        elif isinstance(s, P.PidDecl):
            self.emit(d, f"{', '.join(v.name for v in s.syms)} = df.get_pid()", s)
        elif isinstance(s, P.ConstDecl):
            self.names.update({"ConstExpr", "int32"})
            self.emit(d, f"{s.sym.name}: ConstExpr[int32] = {self.expr(s.value)}", s)
        elif isinstance(s, P.MetaIf):
            for k, (cond, body) in enumerate(s.branches):
                kind = "meta_if" if k == 0 else "meta_elif"
                self.emit(d, f"with allo.{kind}({self.expr(cond)}):", s if k == 0 else None)
                self.block(body, d + 1, template)
            if s.orelse is not None:
                self.emit(d, "with allo.meta_else():", None if s.branches else s)
                self.block(s.orelse, d + 1, template)
        elif isinstance(s, P.MetaFor):
            self.emit(d, f"with allo.meta_for({s.count}) as {s.var.name}:", s)
            self.block(s.body, d + 1, template)
        else:
            raise TypeError(s)

    # -- functions -----------------------------------------------------------------------------
    def function(self, fn: P.Func):
        template = fn.template is not None
        name = fn.template or fn.name
        params = []
        for p in fn.params:
            text = self.sym_type(p, template)
            params.append(f"{p.name}: {text!r}" if template and p.tname else f"{p.name}: {text}")
        results = [self.sym_type(r, template) for r in fn.results]
        if template:
            results = [repr(r) if x.tname else r for r, x in zip(results, fn.results)]
        head = f"def {name}"
        if fn.region:
            self.emit(0, "@df.region()")
        if template:
            head += "[T, N: int32]"
            self.names.add("int32")
        ret = ""
        if len(results) == 1:
            ret = f" -> {results[0]}"
        elif results:
            ret = f" -> ({', '.join(results)})"
        self.emit(0, f"{head}({', '.join(params)}){ret}:")
        self.block(fn.body, 1, template)
        self.emit(0, "")
        self.emit(0, "")


def render_module(program: P.Program) -> str:
    """The module's source: imports, constant tables, the kernels (callees first)."""
    w = _Writer()
    body = _Writer()
    body.names = w.names
    rendered = {}
    for fn in program.funcs:
        key = fn.template or fn.name
        if key in rendered:
            # another instance of a template: same statements, same lines
            for mine, first in zip(P.walk_stmts(fn.body), P.walk_stmts(rendered[key].body)):
                mine.line = first.line
            continue
        rendered[key] = fn
        body.function(fn)
    tables = []
    used = {id(s.init) for fn in program.funcs for s in P.walk_stmts(fn.body)
            if isinstance(s, P.Decl)}
    for t in program.tables:
        if id(t) not in used:
            continue
        tables.append(f"{t.name} = np.array({t.values!r}).reshape({t.shape!r})")
    header = ["import numpy as np", "", "import allo_rtl as allo"]
    if any(fn.region for fn in program.funcs):
        header.append("import allo_rtl.dataflow as df")
    header += [f"from allo_rtl.types import {', '.join(sorted(w.names))}", "", ""]
    header += tables + ([""] * 2 if tables else [])
    offset = len(header)
    for fn in program.funcs:
        if fn is rendered[fn.template or fn.name]:
            for s in P.walk_stmts(fn.body):
                if s.line:
                    s.line += offset
    for fn in program.funcs:
        first = rendered[fn.template or fn.name]
        if fn is not first:
            for mine, other in zip(P.walk_stmts(fn.body), P.walk_stmts(first.body)):
                mine.line = other.line
    return "\n".join(header + body.lines).rstrip() + "\n"


def render_schedule(program: P.Program) -> str:
    """The schedule as statements on ``s`` (the kernel's schedule), ``allo`` and ``mod`` (the
    kernel module)."""
    out = []
    for op in program.sched:
        out.extend(_sched_lines(op))
    return "\n".join(out) + ("\n" if out else "")


def _sched_lines(op: P.SchedOp) -> list:
    if op.prim == "pipeline_where":   # an instance's loop, where it has one (dataflow cases)
        fn, loop, ii = op.args
        return [f"if {fn} in {op.on}.functions and {loop} in [name for band in "
                f"{op.on}.get_loops({fn}) for name in {op.on}.get_loops({fn})[band]]:",
                f"    {op.on}.pipeline({fn} + ':' + {loop}, initiation_interval={ii})"]
    if op.prim == "compose":
        fname, sub = op.args[0], op.args[1]
        lines = [f"{op.on}_{fname} = allo.customize(mod.{fname})"]
        for inner in sub:
            lines.extend(_sched_lines(inner))
        return lines + [f"{op.on}.compose({op.on}_{fname})"]
    call = f"{op.on}.{op.prim}({', '.join(op.args)})"
    return [f"{op.result} = {call}" if op.result else call]
