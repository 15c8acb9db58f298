"""Shared by the ``test_interp_ir_*.py`` modules: a tiny IR builder and comparison helpers."""
import numpy as np

from allo_rtl import ir
from allo_rtl.errors import SourceLoc
from allo_rtl.interp import build_interpreter
from allo_rtl.types import index


L = SourceLoc("kernel.py", 1, 1)


# ---------------------------------------------------------------------------------------------
# A tiny IR builder


def loc(line, col=1):
    return SourceLoc("kernel.py", line, col)


def var(name, t, kind="local"):
    return ir.Var(name, t, L, kind)


def buf(name, t, kind="arg", at=L):
    return ir.Buffer(name, t, at, kind)


def ref(v):
    return ir.VarRef(v.type, L, var=v)


def const(t, v):
    return ir.Const(t, L, value=v)


def idx(v):
    return const(index, v) if isinstance(v, int) else (ref(v) if isinstance(v, ir.Var) else v)


def binop(op, t, a, b, at=L):
    return ir.BinOp(t, at, op=op, lhs=a, rhs=b)


def cast(t, e):
    return ir.Cast(t, L, operand=e)


def load(b, *ix, at=L):
    return ir.Load(b.elem, at, buffer=b, indices=[idx(i) for i in ix])


def store(b, ix, value, at=L):
    return ir.Store(at, buffer=b, indices=[idx(i) for i in ix], value=value)


def assign(v, e):
    return ir.Assign(L, var=v, value=e)


def loop(v, lo, hi, body, step=1):
    return ir.For(L, var=v, lo=idx(lo), hi=idx(hi), step=step, body=body, name=v.name)


def function(name, params, results, body):
    return ir.Function(name, params, results, body, L)


def scalar_fn(params, result_type, make):
    """A kernel ``f(params...) -> result_type`` returning ``make(*VarRefs)``."""
    vs = [var(n, t, "arg") for n, t in params]
    return build_interpreter(function("f", vs, [result_type], [ir.Return(L, values=[make(*map(ref, vs))])]))


def elementwise(t_in, t_out, n, make, n_in=2):
    """``out[i] = make(in0[i], in1[i], ...)`` over arrays of ``n`` elements; returns the module."""
    ins = [buf(f"X{k}", t_in[n]) for k in range(n_in)]
    out = buf("Y", t_out[n])
    i = var("i", index, "loop")
    body = [loop(i, 0, n, [store(out, [i], make(*[load(b, i) for b in ins]))])]
    return build_interpreter(function("ew", ins + [out], [], body))


def wrap(v, bits, signed=True):
    v &= (1 << bits) - 1
    return v - (1 << bits) if signed and v >> (bits - 1) else v


def same_bits(a, b):
    """Float arrays equal bit for bit (any NaN equal to any NaN)."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    nan = np.isnan(a) & np.isnan(b)
    u = {2: np.uint16, 4: np.uint32, 8: np.uint64}[a.dtype.itemsize]
    ok = (a.view(u) == b.view(u)) | nan
    assert ok.all(), (a[~ok][:5], b[~ok][:5])
