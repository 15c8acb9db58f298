"""Printing the IR as a Python-like loop nest with types (what ``Schedule.show()`` prints)."""
from __future__ import annotations

from . import nodes as ir

_BIN = {"add": "+", "sub": "-", "mul": "*", "div": "/", "floordiv": "//", "mod": "%",
        "shl": "<<", "shr": ">>", "and": "&", "or": "|", "xor": "^"}
_CMP = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}


def format_expr(e: ir.Expr) -> str:
    if isinstance(e, ir.Const):
        if e.type.fracs and isinstance(e.value, int):
            return repr(e.value / (1 << e.type.fracs))
        return repr(e.value)
    if isinstance(e, ir.VarRef):
        return e.var.name
    if isinstance(e, ir.BufferRef):
        return e.buffer.name
    if isinstance(e, ir.Load):
        return f"{e.buffer.name}[{', '.join(map(format_expr, e.indices))}]"
    if isinstance(e, ir.BinOp):
        return f"({format_expr(e.lhs)} {_BIN[e.op]} {format_expr(e.rhs)})"
    if isinstance(e, ir.Compare):
        return f"({format_expr(e.lhs)} {_CMP[e.op]} {format_expr(e.rhs)})"
    if isinstance(e, ir.UnaryOp):
        return f"{'-' if e.op == 'neg' else '~'}{format_expr(e.operand)}"
    if isinstance(e, ir.BoolOp):
        return "(" + f" {e.op} ".join(map(format_expr, e.values)) + ")"
    if isinstance(e, ir.Not):
        return f"(not {format_expr(e.operand)})"
    if isinstance(e, ir.Select):
        return (f"({format_expr(e.true_value)} if {format_expr(e.cond)} "
                f"else {format_expr(e.false_value)})")
    if isinstance(e, ir.MinMax):
        return f"{e.op}({', '.join(map(format_expr, e.values))})"
    if isinstance(e, ir.Abs):
        return f"abs({format_expr(e.operand)})"
    if isinstance(e, ir.Cast):
        return f"{e.type!r}({format_expr(e.operand)})"
    if isinstance(e, ir.BitRead):
        lo = format_expr(e.lo)
        if e.width == 1:
            return f"{format_expr(e.operand)}[{lo}]"
        hi = str(e.lo.value + e.width) if isinstance(e.lo, ir.Const) else f"{lo} + {e.width}"
        return f"{format_expr(e.operand)}[{lo}:{hi}]"
    if isinstance(e, ir.Reverse):
        return f"{format_expr(e.operand)}.reverse()"
    if isinstance(e, ir.CallExpr):
        return f"{e.func.name}({', '.join(map(format_expr, e.args))})"
    if isinstance(e, ir.ChannelRef):
        return e.channel.name
    if isinstance(e, ir.StreamGet):
        return f"{e.channel.name}.get()"
    raise TypeError(f"cannot print {type(e).__name__}")


def _target(t) -> str:
    return t.name if isinstance(t, (ir.Var, ir.Buffer)) else format_expr(t)


def format_stmts(body: list, indent: int = 1) -> list:
    pad = "    " * indent
    lines = []
    for s in body:
        if isinstance(s, ir.Assign):
            lines.append(f"{pad}{s.var.name}: {s.var.type!r} = {format_expr(s.value)}")
        elif isinstance(s, ir.Store):
            idx = ", ".join(map(format_expr, s.indices))
            lines.append(f"{pad}{s.buffer.name}[{idx}] = {format_expr(s.value)}")
        elif isinstance(s, ir.BitStore):
            lo = format_expr(s.lo)
            sl = lo if s.width == 1 else f"{lo}:{lo} + {s.width}"
            lines.append(f"{pad}{format_expr(s.target)}[{sl}] = {format_expr(s.value)}")
        elif isinstance(s, ir.Decl):
            init = "" if s.init is None else (" = <array>" if hasattr(s.init, "shape") else f" = {s.init!r}")
            lines.append(f"{pad}{s.buffer.name}: {s.buffer.type!r}{init}")
        elif isinstance(s, ir.For):
            rng = f"{format_expr(s.lo)}, {format_expr(s.hi)}" + (f", {s.step}" if s.step != 1 else "")
            notes = [f"band {s.band}"] + ([s.kind] if s.kind == "reduction" else [])
            notes += [f"{k}={v}" for k, v in s.attrs.items()]
            lines.append(f"{pad}for {s.var.name} in range({rng}):  # {', '.join(notes)}")
            lines += format_stmts(s.body, indent + 1)
        elif isinstance(s, ir.While):
            lines.append(f"{pad}while {format_expr(s.cond)}:")
            lines += format_stmts(s.body, indent + 1)
        elif isinstance(s, ir.If):
            lines.append(f"{pad}if {format_expr(s.cond)}:")
            lines += format_stmts(s.then_body, indent + 1) or [f"{pad}    pass"]
            if s.else_body:
                lines.append(f"{pad}else:")
                lines += format_stmts(s.else_body, indent + 1)
        elif isinstance(s, ir.CallStmt):
            call = f"{s.func.name}({', '.join(map(format_expr, s.args))})"
            outs = ", ".join(map(_target, s.targets))
            lines.append(f"{pad}{outs + ' = ' if outs else ''}{call}")
        elif isinstance(s, ir.Return):
            lines.append(f"{pad}return {', '.join(map(format_expr, s.values))}")
        elif isinstance(s, ir.StreamGetInto):
            lines.append(f"{pad}{s.buffer.name} = {s.channel.name}.get()")
        elif isinstance(s, ir.StreamPut):
            lines.append(f"{pad}{s.channel.name}.put({format_expr(s.value)})")
        elif isinstance(s, ir.Parallel):
            lines += [f"{pad}{c.name}: {c.type!r}" for c in s.channels]
            lines.append(f"{pad}in parallel:")
            lines += format_stmts(s.calls, indent + 1)
        else:
            raise TypeError(f"cannot print {type(s).__name__}")
    return lines


def format_function(fn: ir.Function) -> str:
    params = ", ".join(f"{p.name}: {p.type!r}" for p in fn.params)
    results = ", ".join(map(repr, fn.result_types))
    head = f"def {fn.name}({params})" + (f" -> {results}" if results else "") + ":"
    layouts = [f"    # partition {b.name}: " + ", ".join(
        f"dim {d} {p.describe()}" for d, p in sorted(b.partition.items()))
        for b in fn.buffers.values() if b.partition]
    return "\n".join([head] + layouts + (format_stmts(fn.body) or ["    pass"]))
