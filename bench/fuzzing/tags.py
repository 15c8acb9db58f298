"""The feature tags of a program, counted per outcome in the campaign report."""
from __future__ import annotations

from . import prog as P
from .prog import type_of


def _type_tags(t) -> set:
    if t.is_index:
        return {"type:index"}
    if t.is_fixed:
        return {"type:fixed" if t.signed else "type:ufixed"}
    w = t.bits
    width = ("w1" if w == 1 else "w2-12" if w <= 12 else f"w{w}" if w in (16, 32, 64)
             else "w13-64" if w <= 64 else "w>64")
    return {f"type:{width}", "type:signed" if t.signed else "type:unsigned"}


def program_tags(program: P.Program) -> set:
    tags = set()
    if program.fault_prone:
        tags.add("fault_prone")
    seen_fns = set()
    for fn in program.funcs:
        if fn.template:
            tags.add("template")
        for p in fn.params:
            tags |= _type_tags(p.ty)
            if p.is_array:
                tags.add(f"array:rank{len(p.shape)}")
        if fn is program.kernel:
            n = len(fn.results)
            tags.add("return:none" if n == 0 else "return:tuple" if n > 1 else "return:one")
            if any(r.is_array for r in fn.results):
                tags.add("return:array")
        if id(fn.body) in seen_fns:
            continue
        seen_fns.add(id(fn.body))
        tags |= body_tags(fn, program)
    if program.is_region:
        tags |= dataflow_tags(program)
    for op in program.sched:
        tags.add(f"s:{op.prim}")
        if op.prim == "compose":
            tags |= {f"s:{inner.prim}" for inner in op.args[1]}
    return tags


def body_tags(fn, program) -> set:
    tags = set()
    params = {id(p) for p in fn.params if p.is_array}
    for s in P.walk_stmts(fn.body):
        name = type(s).__name__
        if isinstance(s, P.Decl):
            tags |= _type_tags(s.sym.ty)
            if s.sym.is_array:
                tags.add("local_array")
                if isinstance(s.init, P.Table):
                    tags.add("table_init")
        elif isinstance(s, P.Assign):
            if s.op:
                tags.add(f"aug:{s.op}")
            if isinstance(s.target, P.Load) and id(s.target.sym) in params:
                tags.add("written_arg")
            tags.add("store" if isinstance(s.target, P.Load) else "assign")
        elif isinstance(s, P.If):
            tags.add("if_else" if s.orelse else "if")
            if len(s.orelse) == 1 and isinstance(s.orelse[0], P.If):
                tags.add("elif")
        elif isinstance(s, P.For):
            if s.kind != "range":
                tags.add(f"loop:{s.kind}")
            else:
                lo, hi, step = s.bounds
                if not isinstance(hi, P.Lit) or not isinstance(lo, P.Lit):
                    tags.add("loop:triangular" if any(
                        isinstance(x, P.Ref) and x.sym.kind == "loop"
                        for b in (lo, hi) for x in P.walk_expr(b)) else "loop:dynamic")
                tags.add("loop:down" if step < 0 else "loop:step" if step > 1 else "loop:range")
            if s.pattern:
                tags.add(f"pattern:{s.pattern[0]}")
        elif isinstance(s, P.While):
            tags.add("while")
        elif isinstance(s, P.CallStmt):
            tags.add("call_stmt")
        elif isinstance(s, P.BitStore):
            tags.add("bitstore:slice" if s.slice else "bitstore:bit")
        elif isinstance(s, _DATAFLOW_STMTS):
            pass                                    # dataflow_tags
        else:
            tags.add(name.lower())
    for e in P.all_exprs(fn.body):
        if isinstance(e, P.Bin):
            tags.add(f"op:{e.op}")
        elif isinstance(e, P.Un):
            tags.add(f"op:{e.op}")
        elif isinstance(e, P.Cmp):
            tags.add("op:compare")
        elif isinstance(e, P.BoolOp):
            tags.add(f"op:{e.op}")
        elif isinstance(e, P.Sel):
            tags.add("op:select")
        elif isinstance(e, P.MinMax):
            tags.add(f"op:{e.op}")
        elif isinstance(e, P.Cast):
            tags.add("cast:uint1" if e.ty.bits == 1 and e.ty.kind == "uint" else
                     f"cast:{'fixed' if e.ty.is_fixed else e.spelling}")
        elif isinstance(e, P.Bits):
            tags.add("bits:slice" if e.slice else "bits:bit")
        elif isinstance(e, P.Call):
            tags.add("call_expr")
        elif isinstance(e, P.Lit):
            try:
                if type_of(e).bits > 32:
                    tags.add("literal:wide")
            except Exception:   # noqa: BLE001 - float literals
                pass
    return tags


_DATAFLOW_STMTS = (P.StreamDecl, P.KernelDef, P.Put, P.GetStmt, P.PidDecl, P.ConstDecl, P.MetaIf,
                   P.MetaFor)


def dataflow_tags(program: P.Program) -> set:
    """df:<group> (chain, meta, grid), df:<construct>, stream:<depth, array, element type>, and
    df:deadlock / df:leftover for the cases made to fail or to leave values behind."""
    tags = {"df:region"}
    if program.df_fault:
        outcome, how = program.df_fault.split(":", 1)
        tags |= {f"df:{outcome}", f"df:{outcome}:{how}"}
    region = program.kernel
    for p in region.params:
        if p.stream is not None:
            tags.add(f"stream:param_{p.stream.arg}")
    for s in P.walk_stmts(region.body):
        if isinstance(s, P.StreamDecl):
            st = s.stream
            tags.add(f"stream:depth{st.depth}")
            if st.block is not None:
                tags.add("stream:blocks")
            if st.count is not None:
                tags.add("stream:array" if len(st.shape) == 1 else "stream:array2d")
            tags |= {"stream:" + t.split(":", 1)[1] for t in _type_tags(st.ty)}
        elif isinstance(s, P.KernelDef):
            tags.add(f"df:{s.group}")
            if len(s.mapping) > 1:
                tags.add("df:mapping2d")
            if not s.args:
                tags.add("df:no_args")
            if len({id(a) for a in s.args}) < len(s.args):
                tags.add("df:aliased_args")
        elif isinstance(s, P.MetaIf):
            tags.add("df:meta_if")
            if len(s.branches) > 1:
                tags.add("df:meta_elif")
            if s.orelse is not None:
                tags.add("df:meta_else")
        elif isinstance(s, P.MetaFor):
            tags.add("df:meta_for")
        elif isinstance(s, P.ConstDecl):
            tags.add("df:constexpr")
        elif isinstance(s, P.GetStmt):
            tags.add("df:get_dropped")
        elif isinstance(s, P.If) and any(isinstance(x, P.Put) for x in s.then):
            tags.add("df:put_in_if")
        elif isinstance(s, P.Put) and any(isinstance(x, P.Get) for x in P.walk_expr(s.value)):
            tags.add("df:put_of_get")
    return tags
