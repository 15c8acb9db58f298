"""An evaluator of ``prog.Program``s with Python integers: the fuzzer's independent model of what
a kernel computes. It knows nothing of allo_rtl; the semantics come from ../shared/DESIGN.md and
the docstring of allo_rtl/ir/nodes.py:

* values are raw integers of their type (``types.Ty``); each operation follows Allo's typing
  rules (``prog.type_of``); add/sub/and/or/xor/mod bring their operands to the result type,
  compare/select/min/max to the join of the operands, mul/div/shifts keep the operand types;
* casts align the binary point toward minus infinity and wrap; index arithmetic is exact;
* ``/`` truncates, ``//`` floors, ``%`` takes the dividend's sign; fixed-point quotients are
  truncated/floored at the result's scale;
* ``and``/``or``/``a if c else b`` are lazy, left to right; a store evaluates its value first;
* run-time errors: an index out of an array's bounds (AlloIndexError), a division or modulo by
  zero, a negative shift amount and a bit field out of its value (AlloRuntimeError); nothing is
  written back to the arguments when one happens.
"""
from __future__ import annotations

import math

from . import prog as P
from . import types as T
from .prog import folded, tdiv, type_of


class Fault(Exception):
    """A run-time error the kernel raises: the error class name, its message and source line."""

    def __init__(self, cls: str, message: str, line: int):
        super().__init__(f"{cls}: {message} (line {line})")
        self.cls, self.message, self.line = cls, message, line


class Diverged(Exception):
    """The program runs longer than the model's step limit (not a valid case)."""


class _Return(Exception):
    def __init__(self, values):
        self.values = values


class Model:
    def __init__(self, program: P.Program, step_limit: int = 200_000):
        self.program = program
        self.steps = 0
        self.step_limit = step_limit
        self.line = 0
        self.current_results = []

    # -- running -----------------------------------------------------------------------------
    def run(self, inputs: list):
        """``(results, arrays)``: the kernel's results as ``(Sym, raw or list of raw)`` and the
        final raw contents of every array argument by name; raises Fault."""
        kernel = self.program.kernel
        if kernel.region:
            from .dataflow_model import run_region
            return run_region(self, inputs)
        env = {}
        arrays = {}
        for p, v in zip(kernel.params, inputs):
            if p.is_array:
                env[p] = list(v)
                arrays[p.name] = env[p]
            else:
                env[p] = v
        values = self.call(kernel, env)
        results = []
        for sym, v in zip(kernel.results, values):
            results.append((sym, list(v) if sym.is_array else v))
        return results, {k: list(v) for k, v in arrays.items()}

    def call(self, fn: P.Func, env: dict) -> list:
        saved = self.line, self.current_results
        self.current_results = fn.results
        try:
            self.block(fn.body, env)
        except _Return as r:
            return r.values
        finally:
            self.line, self.current_results = saved
        return []

    def tick(self):
        self.steps += 1
        if self.steps > self.step_limit:
            raise Diverged(f"more than {self.step_limit} steps")

    def fault(self, cls, message):
        raise Fault(cls, message, self.line)

    # -- statements --------------------------------------------------------------------------
    def block(self, body, env):
        for s in body:
            self.stmt(s, env)

    def stmt(self, s, env):
        self.tick()
        self.line = s.line
        if isinstance(s, P.Decl):
            sym = s.sym
            if sym.is_array:
                env[sym] = self.array_init(sym, s.init)
            elif s.init is not None:
                env[sym] = self.stored(self.conv(s.init, sym.ty, env), sym.ty)
            else:
                env.setdefault(sym, 0)
        elif isinstance(s, P.Assign):
            value = s.value if s.op is None else P.Bin(s.op, s.target, s.value)
            self.store(s.target, self.conv(value, s.target.sym.ty, env), env)
        elif isinstance(s, P.BitStore):
            self.bit_store(s, env)
        elif isinstance(s, P.If):
            self.block(s.then if self.truth(s.cond, env) else s.orelse, env)
        elif isinstance(s, P.For):
            self.loop(s, env)
        elif isinstance(s, P.While):
            env[s.counter] = 0
            while True:
                self.line = s.line
                self.tick()
                if not (env[s.counter] < s.limit and (s.cond is None or self.truth(s.cond, env))):
                    break
                self.block(s.body, env)
                env[s.counter] = T.INT32.wrap(env[s.counter] + 1)
        elif isinstance(s, P.CallStmt):
            args = self.args(s.fn, s.args, env)
            self.line = s.line
            values = self.call(s.fn, args)
            for target, sym, v in zip(s.targets, s.fn.results, values):
                if target.is_array:
                    env[target] = list(v)
                else:
                    env[target] = self.stored(T.cast_raw(v, sym.ty, target.ty), target.ty)
        elif isinstance(s, P.Return):
            fn_results = self.current_results
            values = []
            for v, r in zip(s.values, fn_results):
                values.append(list(env[v.sym]) if r.is_array else
                              self.stored(self.conv(v, r.ty, env), r.ty))
            raise _Return(values)
        else:
            self.other_stmt(s, env)

    def other_stmt(self, s, env):
        """Statements of dataflow kernels (dataflow_model.InstanceModel)."""
        raise TypeError(s)

    def other_expr(self, e, env):
        raise TypeError(e)

    def loop(self, s: P.For, env):
        if s.kind == "range":
            lo, hi, step = s.bounds
            lo, hi = self.ev(lo, env), self.ev(hi, env)
            ranges = [range(lo, hi, step)]
        else:
            ranges = [range(self.ev(b, env)) for b in s.bounds]

        def nest(level):
            for v in ranges[level]:
                env[s.vars[level]] = v
                if level + 1 < len(ranges):
                    nest(level + 1)
                else:
                    self.block(s.body, env)
                self.line = s.line
        nest(0)

    def array_init(self, sym, init):
        t = sym.ty
        if init is None:
            return [0] * sym.size
        if isinstance(init, P.Table):
            return [self.raw_of(v, t) for v in init.values]
        return [self.raw_of(init, t)] * sym.size

    @staticmethod
    def raw_of(v, t):
        """A Python number as a raw value of ``t``: ints shifted to the scale, floats floored."""
        if isinstance(v, float):
            return t.wrap(math.floor(v * (1 << t.fracs)))
        return t.wrap(v << t.fracs)

    @staticmethod
    def stored(raw, t):
        """What a variable, element, argument or result of type ``t`` holds: index arithmetic
        is exact, but an index in storage keeps 32 bits."""
        return T.INT32.wrap(raw) if t.is_index else raw

    def store(self, target, raw, env):
        raw = self.stored(raw, target.sym.ty)
        if isinstance(target, P.Ref):
            env[target.sym] = raw
        else:
            env[target.sym][self.offset(target, env)] = raw

    def bit_store(self, s: P.BitStore, env):
        t = type_of(s.target)
        value = self.conv(s.value, T.UInt(s.width), env)
        lo = self.bit_low(s.lo, s.width, t.bits, env)
        mask = ((1 << s.width) - 1) << lo
        if isinstance(s.target, P.Ref):
            old = env[s.target.sym]
            env[s.target.sym] = t.wrap((old & ~mask) | (value << lo))
        else:
            off = self.offset(s.target, env)
            old = env[s.target.sym][off]
            env[s.target.sym][off] = t.wrap((old & ~mask) | (value << lo))

    def args(self, fn, arg_exprs, env):
        callee_env = {}
        for p, a in zip(fn.params, arg_exprs):
            callee_env[p] = env[a.sym] if p.is_array else self.stored(self.conv(a, p.ty, env), p.ty)
        return callee_env

    # -- expressions -------------------------------------------------------------------------
    def conv(self, e, t, env):
        return T.cast_raw(self.ev(e, env), type_of(e), t)

    def truth(self, e, env) -> bool:
        return self.ev(e, env) != 0

    def offset(self, load, env) -> int:
        idx = [self.ev(i, env) for i in load.idx]
        shape = load.sym.shape
        off = 0
        for i, d in zip(idx, shape):
            if not 0 <= i < d:
                shown = tuple(idx) if len(idx) > 1 else idx[0]
                dims = tuple(shape) if len(shape) > 1 else shape[0]
                self.fault("AlloIndexError", f"index {shown} is out of bounds for array "
                           f"'{load.sym.name}' of shape {dims}")
            off = off * d + i
        return off

    def bit_low(self, lo_expr, width, bits, env) -> int:
        lo = self.ev(lo_expr, env)
        if not 0 <= lo <= bits - width:
            self.fault("AlloRuntimeError", f"bit index {lo} out of range for a {width}-bit field "
                       f"of a {bits}-bit value")
        return lo

    def ev(self, e, env) -> int:
        v = folded(e)
        if v is not None:
            return v
        if isinstance(e, P.Ref):
            return env[e.sym]
        if isinstance(e, P.Load):
            return env[e.sym][self.offset(e, env)]
        if isinstance(e, P.Bin):
            return self.binary(e, env)
        if isinstance(e, P.Un):
            return self.unary(e, env)
        if isinstance(e, P.Cmp):
            t = T.join(type_of(e.lhs), type_of(e.rhs))
            a, b = self.conv(e.lhs, t, env), self.conv(e.rhs, t, env)
            return int({"lt": a < b, "le": a <= b, "gt": a > b, "ge": a >= b, "eq": a == b,
                        "ne": a != b}[e.op])
        if isinstance(e, P.BoolOp):
            for v in e.vals:
                if self.truth(v, env) != (e.op == "and"):
                    return int(e.op == "or")
            return int(e.op == "and")
        if isinstance(e, P.Sel):
            t = type_of(e)
            return self.conv(e.a if self.truth(e.cond, env) else e.b, t, env)
        if isinstance(e, P.MinMax):
            t = type_of(e)
            vals = [self.conv(v, t, env) for v in e.vals]
            return min(vals) if e.op == "min" else max(vals)
        if isinstance(e, P.Cast):
            return self.conv(e.x, e.ty, env)
        if isinstance(e, P.Bits):
            t = type_of(e.x)
            a = self.ev(e.x, env)
            lo = self.bit_low(e.lo, e.width, t.bits, env)
            return (a >> lo) & ((1 << e.width) - 1)
        if isinstance(e, P.Call):
            callee_env = self.args(e.fn, e.args, env)
            return self.call(e.fn, callee_env)[0]
        return self.other_expr(e, env)

    def binary(self, e: P.Bin, env) -> int:
        t = type_of(e)
        op = e.op
        if op in T.CAST_TO_RESULT:
            a, b = self.conv(e.lhs, t, env), self.conv(e.rhs, t, env)
            if op == "mod":
                if b == 0:
                    self.fault("AlloRuntimeError", "modulo by zero")
                r = a - b * tdiv(a, b)
            else:
                r = {"add": a + b, "sub": a - b, "and": a & b, "or": a | b, "xor": a ^ b}[op]
            return t.wrap(r)
        ta, tb = type_of(e.lhs), type_of(e.rhs)
        a, b = self.ev(e.lhs, env), self.ev(e.rhs, env)
        if op == "mul":
            return t.wrap(a * b)
        if op in ("div", "floordiv"):
            if b == 0:
                self.fault("AlloRuntimeError", "division by zero")
            exp = t.fracs - ta.fracs + tb.fracs
            n, d = (a << exp, b) if exp >= 0 else (a, b << -exp)
            return t.wrap(tdiv(n, d) if op == "div" else n // d)
        # shifts: the result has the left operand's type
        if b < 0:
            self.fault("AlloRuntimeError", f"negative shift amount {b}")
        if op == "shr":
            return t.wrap(a >> b)
        if t.is_index:
            if b >= 1024 and a:
                self.fault("AlloRuntimeError", f"shift amount {b} too large for an index value")
            return a << b
        return 0 if b >= t.bits else t.wrap(a << b)

    def unary(self, e: P.Un, env) -> int:
        if e.op == "not":
            return int(not self.truth(e.x, env))
        if e.op == "bool":
            return int(self.truth(e.x, env))
        t = type_of(e)
        a = self.ev(e.x, env)
        if e.op == "neg":
            return t.wrap(-a)
        if e.op == "invert":
            return t.wrap(~a)
        if e.op == "abs":
            return t.wrap(abs(a))
        bits = type_of(e.x).bits
        u = a & ((1 << bits) - 1)
        reversed_bits = int(format(u, f"0{bits}b")[::-1], 2)
        if t.is_index:   # an index holds 32 signed bits
            return reversed_bits - (reversed_bits >> 31 << 32)
        return t.wrap(reversed_bits)
