"""Statements and functions of the kernel IR to Python source: one Python function per kernel.

Arrays are flat Python lists of raw values passed by reference; scalars are Python locals passed
by value. Every local scalar starts at 0 so the code never reads an unbound name.
"""
from __future__ import annotations

import numbers

from .. import ir
from ..errors import UnsupportedError
from ..types import ArrayType, Index, Int, is_fixed_or_int, is_float
from ..ir import intervals as I
from .emit_access import AccessMixin, Frame, walk
from .emit_expr import ExprMixin
from .pycode import BAND, BOR, SHIFT, Code, Names, call, par

_IND = "    "
_INDEX_STORAGE = Int(32)   # what an index variable, array element or result holds


def _scan(fn: ir.Function):
    """Vars and Buffers ``fn`` uses, in order of first appearance, and the ids of assigned Vars."""
    vars_, bufs, assigned, decls = {}, {}, set(), set()

    def see_expr(e):
        for sub in walk(e):
            if isinstance(sub, ir.VarRef):
                vars_.setdefault(id(sub.var), sub.var)
            elif isinstance(sub, (ir.Load, ir.BufferRef)):
                bufs.setdefault(id(sub.buffer), sub.buffer)

    for p in fn.params:
        (bufs if isinstance(p, ir.Buffer) else vars_).setdefault(id(p), p)
    for s in ir.walk_stmts(fn.body):
        for e in s.exprs():
            if e is not None:
                see_expr(e)
        if isinstance(s, (ir.Assign, ir.For)):
            vars_.setdefault(id(s.var), s.var)
            assigned.add(id(s.var))
        elif isinstance(s, (ir.Store, ir.Decl)):
            bufs.setdefault(id(s.buffer), s.buffer)
            if isinstance(s, ir.Decl):
                decls.add(id(s.buffer))
        elif isinstance(s, ir.StreamGetInto):
            bufs.setdefault(id(s.buffer), s.buffer)
        elif isinstance(s, ir.BitStore) and isinstance(s.target, ir.VarRef):
            assigned.add(id(s.target.var))
        elif isinstance(s, ir.CallStmt):
            for t in s.targets:
                if isinstance(t, ir.Var):
                    vars_.setdefault(id(t), t)
                    assigned.add(id(t))
                elif isinstance(t, ir.Buffer):
                    bufs.setdefault(id(t), t)
    return list(vars_.values()), list(bufs.values()), assigned, decls


class FunctionCompiler(AccessMixin, ExprMixin):
    """Compiles one ``ir.Function`` into the lines of one Python function."""

    def __init__(self, module, fn: ir.Function):
        self.module, self.fn = module, fn
        self.sites = module.sites
        self.names = Names()
        self.frames = [Frame()]
        self.loop_depth, self.loop_iv = {}, {}
        self._const_memo = {}
        self.nesting, self.spilled, self.pre = {}, {}, None
        self.vars, self.bufs, assigned, self.decls = _scan(fn)
        self.invariant = {id(v) for v in self.vars} - assigned
        self.var_names, self.buf_names = {}, {}
        for p in fn.params:                        # parameters get their names first
            self._name(p)
        for x in self.vars + self.bufs:
            self._name(x)

    # ------------------------------------------------------------------------------ host services

    def _name(self, x):
        table = self.buf_names if isinstance(x, ir.Buffer) else self.var_names
        if id(x) not in table:
            table[id(x)] = self.names.user(x.name)
        return table[id(x)]

    def var_name(self, var):
        return self.var_names.get(id(var)) or self._name(var)

    def buffer_name(self, buf):
        return self.buf_names.get(id(buf)) or self._name(buf)

    def func_name(self, fn):
        return self.module.func_name(fn)

    def var_interval(self, var):
        return self.loop_iv.get(id(var)) or I.of_type(var.type)

    def site(self, node, what: str) -> int:
        return self.sites.add(what, None, node.loc)

    def unsupported(self, node, message: str):
        raise UnsupportedError(message, getattr(node, "loc", None),
                               "split the expression or the nest into smaller kernels")

    # ------------------------------------------------------------------------------ functions

    def compile(self) -> list:
        fn = self.fn
        params = [self._name(p) for p in fn.params]
        body = self.block(fn.body, 1)
        lines = [f"def {self.func_name(fn)}({', '.join(params)}):",
                 f"{_IND}# kernel {fn.name!r}"]
        param_ids = {id(p) for p in fn.params}
        for v in self.vars:
            if id(v) not in param_ids:
                lines.append(f"{_IND}{self.var_name(v)} = {'0.0' if is_float(v.type) else '0'}")
        for b in self.bufs:
            if id(b) not in param_ids and id(b) not in self.decls:
                lines.append(f"{_IND}{self.buffer_name(b)} = {self.fill(b, None)}")
        lines += [_IND + line for line in self.frames[0].lines]
        return lines + body

    def spilling(self, make):
        """``make()`` with spilling of deep subexpressions on: (the spill lines, its result)."""
        saved = self.pre, self.spilled
        self.pre, self.spilled = [], {}
        try:
            result = make()
            return self.pre, result
        finally:
            self.pre, self.spilled = saved

    def simple_stmt(self, level: int, make) -> list:
        """The lines ``make()`` gives for a statement without a body, after its spill lines."""
        pre, lines = self.spilling(make)
        return [_IND * level + line for line in pre] + lines

    def block(self, stmts: list, level: int) -> list:
        lines = []
        for s in stmts:
            method = getattr(self, "s_" + type(s).__name__, None)
            if method is None:
                self.unsupported(s, f"the interpreter does not support {type(s).__name__} statements")
            lines += method(s, level)
        return lines or [_IND * level + "pass"]

    # ------------------------------------------------------------------------------ statements

    def value_as(self, e: ir.Expr, t) -> Code:
        """``e`` emitted as a value of type ``t``: the IR gives values their target's type, but a
        mismatch is cast rather than trusted (every stored raw value must be in its type's range).
        Index arithmetic is exact, but an index variable, element or result holds 32 bits."""
        code = self.convert(self.emit(e), e.type, t)
        return self.wrap(code, _INDEX_STORAGE) if isinstance(t, Index) else code

    def argument(self, a: ir.Expr, param) -> Code:
        """A call's argument for ``param``: a scalar is stored in the callee's variable."""
        return self.value_as(a, param.type) if isinstance(param, ir.Var) else self.emit(a)

    def s_Assign(self, s, level):
        return self.simple_stmt(level, lambda: [
            f"{_IND * level}{self.var_name(s.var)} = {self.value_as(s.value, s.var.type).text}"])

    def s_Store(self, s, level):
        def make():
            value = self.value_as(s.value, s.buffer.elem).text
            return [_IND * level + self.store_line(s.buffer, s.indices, value, s)]
        return self.simple_stmt(level, make)

    def s_BitStore(self, s, level):
        return self.simple_stmt(level, lambda: self._bit_store(s, level))

    def _bit_store(self, s, level):
        ind = _IND * level
        target, t, width = s.target, s.target.type, s.width
        bits, mask = t.bits, (1 << s.width) - 1
        full = (1 << bits) - 1
        lines = []
        value = self.emit(s.value)
        if not value.simple:
            name = self.names.temp("v")
            lines.append(f"{ind}{name} = {value.text}")
            value = Code(name, iv=value.iv)
        lo = self.bit_low(s.lo, width, bits, s)
        if not (lo.text.isdigit() or lo.simple and lo.prec >= SHIFT + 1):
            name = self.names.temp("l")
            lines.append(f"{ind}{name} = {lo.text}")
            lo = Code(name, iv=lo.iv)
        if isinstance(target, ir.VarRef):
            dest = self.var_name(target.var)
        elif isinstance(target, ir.Load):
            name = self.names.temp("t")
            lines.append(f"{ind}{name} = {self.index_code(target.buffer, target.indices, target).text}")
            dest = f"{self.buffer_name(target.buffer)}[{name}]"
        else:
            self.unsupported(s, "a bit store's target must be a scalar or an array element")
        old = f"_fbits({dest}, {t.name!r})" if is_float(t) else dest
        v = value.text if value.iv is not None and value.iv.within(0, mask) else f"{par(value, BAND + 1)} & {mask}"
        if lo.text.isdigit():
            k = int(lo.text)
            keep = full & ~(mask << k)
            field = f"({v}) << {k}" if k else f"({v})"
            text = f"({old} & {keep}) | {field}"
        else:
            text = f"({old} & {full} & ~({mask} << {lo.text})) | (({v}) << {lo.text})"
        code = Code(text, BOR, I.Interval(0, full))
        if is_float(t):
            code = call("_bitsf", code, repr(t.name))
        else:
            code = self.wrap(code, Int(32) if isinstance(t, Index) else t)
        lines.append(f"{ind}{dest} = {code.text}")
        return lines

    def fill(self, buf: ir.Buffer, init) -> str:
        """A fresh list for ``buf``: zeros, a raw scalar repeated, or a copy of a constant array."""
        elem, size = buf.elem, buf.type.size
        if init is None:
            return f"[{'0.0' if is_float(elem) else '0'}] * {size}"
        name = self.module.const_array(buf, init)
        if name.startswith("_K"):
            return f"{name}[:]"
        return f"[{name}] * {size}"

    def s_Decl(self, s, level):
        return [f"{_IND * level}{self.buffer_name(s.buffer)} = {self.fill(s.buffer, s.init)}"]

    def s_For(self, s, level):
        ind = _IND * level
        pre, (lo, hi) = self.spilling(lambda: (self.emit(s.lo), self.emit(s.hi)))
        pre = [ind + line for line in pre]
        step = s.step
        if isinstance(step, numbers.Integral) and not isinstance(step, bool):
            step = int(step)
        if not isinstance(step, int) or step == 0:
            self.unsupported(s, f"loop step must be a nonzero integer, got {step!r}")
        for b in (s.lo, s.hi):
            if not is_fixed_or_int(b.type) or b.type.fracs:
                self.unsupported(b, f"loop bounds must be integers, got {b.type!r}")
        if step > 0:
            vlo, vhi = lo.iv.lo, None if hi.iv.hi is None else hi.iv.hi - 1
        else:
            vlo, vhi = None if hi.iv.lo is None else hi.iv.lo + 1, lo.iv.hi
        if vlo is not None and vhi is not None and vhi < vlo:
            vhi = vlo                      # the body never runs
        args = [lo.text, hi.text] if lo.text != "0" or step != 1 else [hi.text]
        if step != 1:
            args.append(str(step))
        var = s.var
        frame = Frame(var)
        self.frames.append(frame)
        self.loop_depth[id(var)] = len(self.frames) - 1
        self.loop_iv[id(var)] = I.Interval(vlo, vhi)
        try:
            body = self.block(s.body, level + 1)
        finally:
            self.frames.pop()
            del self.loop_depth[id(var)], self.loop_iv[id(var)]
        head = f"{ind}for {self.var_name(var)} in range({', '.join(args)}):"
        return pre + [head] + [ind + _IND + line for line in frame.lines] + body

    def s_While(self, s, level):
        ind = _IND * level
        pre, cond = self.spilling(lambda: self.emit(s.cond))
        if not pre:
            return [f"{ind}while {cond.text}:"] + self.block(s.body, level + 1)
        inner = ind + _IND
        return ([f"{ind}while True:"] + [inner + line for line in pre]
                + [f"{inner}if not ({cond.text}):", f"{inner}{_IND}break"] + self.block(s.body, level + 1))

    def s_If(self, s, level, keyword="if"):
        ind = _IND * level
        pre, cond = self.spilling(lambda: self.emit(s.cond))
        if pre and keyword == "elif":
            return [f"{ind}else:"] + self.s_If(s, level + 1)
        lines = [ind + line for line in pre]
        lines += [f"{ind}{keyword} {cond.text}:"] + self.block(s.then_body, level + 1)
        if len(s.else_body) == 1 and isinstance(s.else_body[0], ir.If):
            return lines + self.s_If(s.else_body[0], level, "elif")
        if s.else_body:
            lines += [f"{ind}else:"] + self.block(s.else_body, level + 1)
        return lines

    def s_CallStmt(self, s, level):
        return self.simple_stmt(level, lambda: self._call_stmt(s, level))

    def _call_stmt(self, s, level):
        ind = _IND * level
        args = ", ".join(self.argument(a, p).text for a, p in zip(s.args, s.func.params))
        text = self.call_text(s.func, args)
        targets = s.targets
        if not targets:
            return [ind + text]
        types = list(s.func.result_types)
        if len(targets) != len(types):
            self.unsupported(s, f"call of '{s.func.name}' assigns {len(targets)} target(s) but it returns {len(types)}")
        if len(targets) == 1:
            return [ind + self._result(targets[0], types[0], text, s)]
        tmp = self.names.temp("r")
        return [f"{ind}{tmp} = {text}"] + [ind + self._result(t, rt, f"{tmp}[{k}]", s)
                                           for k, (t, rt) in enumerate(zip(targets, types))]

    def _result(self, target, rtype, value: str, s) -> str:
        """Assign a call's result ``value`` (of type ``rtype``) to a Var, Buffer or array element."""
        if isinstance(target, ir.Buffer):
            if isinstance(rtype, ArrayType) and rtype.elem != target.elem:
                iv = I.of_type(rtype.elem) if is_fixed_or_int(rtype.elem) else None
                elem = self.convert(Code("_e", iv=iv), rtype.elem, target.elem)
                value = f"[{elem.text} for _e in {value}]"
            return f"{self.buffer_name(target)}[:] = {value}"
        ttype = target.type if isinstance(target, ir.Var) else getattr(target, "type", None)
        if isinstance(target, (ir.Var, ir.Load)) and not isinstance(rtype, ArrayType):
            code = Code(value, iv=I.of_type(rtype) if is_fixed_or_int(rtype) else None, simple=False)
            value = self.convert(code, rtype, ttype).text
            if isinstance(target, ir.Var):
                return f"{self.var_name(target)} = {value}"
            return self.store_line(target.buffer, target.indices, value, target)
        self.unsupported(s, f"cannot assign a call's result of type {rtype!r} to {target!r}")

    # ------------------------------------------------------------------------------ streams

    def call_text(self, fn: ir.Function, args: str) -> str:
        """A call of ``fn``: a generator kernel (concurrency.py) runs through ``yield from``."""
        text = f"{self.func_name(fn)}({args})"
        return f"(yield from {text})" if id(fn) in self.module.concurrent else text

    def stream_site(self, channel: ir.Channel, op: str, node) -> int:
        return self.module.stream_sites.add(self.fn.name, op, channel.name, channel.depth, node.loc)

    def s_StreamPut(self, s, level):
        def make():
            if isinstance(s.value, ir.BufferRef):    # a block: the stream keeps a copy
                value = f"{self.buffer_name(s.value.buffer)}[:]"
            else:
                value = self.value_as(s.value, s.channel.elem).text
            site = self.stream_site(s.channel, "put", s)
            return [f"{_IND * level}yield from _put({self.var_name(s.channel)}, {value}, {site})"]
        return self.simple_stmt(level, make)

    def s_StreamGetInto(self, s, level):
        site = self.stream_site(s.channel, "get", s)
        return [f"{_IND * level}{self.buffer_name(s.buffer)}[:] = "
                f"(yield from _get({self.var_name(s.channel)}, {site}))"]

    def s_Parallel(self, s, level):
        """Make the region's streams, run the kernels that cannot wait on one, then resume the
        others in turn until all have returned (concurrency._parallel)."""
        ind = _IND * level
        lines = [f"{ind}{self.var_name(c)} = _Fifo({c.name!r}, {c.depth})" for c in s.channels]
        tasks = []
        for stmt in s.calls:
            args = ", ".join(self.argument(a, p).text for a, p in zip(stmt.args, stmt.func.params))
            if id(stmt.func) in self.module.concurrent:
                tasks.append(f"{self.func_name(stmt.func)}({args})")
            else:
                lines.append(f"{ind}{self.func_name(stmt.func)}({args})")
        # even without tasks: a region is a generator, as its callers expect
        return lines + [f"{ind}yield from _parallel([{', '.join(tasks)}])"]

    def s_Return(self, s, level):
        def make():
            values = ", ".join(self.emit(v).text if isinstance(v, ir.BufferRef) else
                               self.value_as(v, v.type).text for v in s.values)
            return [f"{_IND * level}return {values}".rstrip()]
        return self.simple_stmt(level, make)

