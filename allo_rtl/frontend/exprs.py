"""Building typed IR expressions from Python expression ASTs."""
from __future__ import annotations

import ast
import builtins
import difflib
import os
import sysconfig
import types as pytypes

import numpy as np

from .. import types as T
from ..errors import AlloIndexError, AlloNameError, AlloSyntaxError, AlloTypeError
from ..floats import rounder
from ..ir import nodes as ir
from ..ir.affine import constant_difference
from . import markers, typing as rules
from .consteval import MISSING, NotConstant, evaluate

_BINOPS = {
    ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.FloorDiv: "floordiv",
    ast.Mod: "mod", ast.LShift: "shl", ast.RShift: "shr", ast.BitAnd: "and", ast.BitOr: "or",
    ast.BitXor: "xor",
}
_CMPOPS = {ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge", ast.Eq: "eq", ast.NotEq: "ne"}
# Operations whose operands are brought to the result type (see ir/nodes.py).
_CAST_TO_RESULT = {"add", "sub", "mod", "and", "or", "xor"}


def _trunc_div(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


_FOLD = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: _trunc_div(a, b) if b else None,
    "floordiv": lambda a, b: a // b if b else None,
    "mod": lambda a, b: a - b * _trunc_div(a, b) if b else None,
}


class LocalKernel:
    """A kernel defined with ``def`` inside another kernel's body."""

    def __init__(self, tree: ast.FunctionDef, source, env):
        self.tree, self.source, self.env = tree, source, env
        self.__name__ = tree.name


_NOT_KERNELS = ("allo_rtl.dataflow", "allo_rtl.frontend.markers")   # get_pid, markers
_LIBRARY_DIRS = tuple(sorted({os.path.abspath(sysconfig.get_paths()[key]) + os.sep
                             for key in ("stdlib", "platstdlib", "purelib", "platlib")}))


def is_kernel_function(obj) -> bool:
    """Whether a call of ``obj`` is a call of a kernel: a function defined in the kernel's body,
    or a Python function of the user's (library functions count only when typed like kernels)."""
    if isinstance(obj, LocalKernel):
        return True
    if not isinstance(obj, pytypes.FunctionType) or obj.__module__ in _NOT_KERNELS:
        return False
    if os.path.abspath(obj.__code__.co_filename).startswith(_LIBRARY_DIRS):
        return any(isinstance(a, (T.AlloType, T.ArrayType)) for a in obj.__annotations__.values())
    return True


class ExprBuilder:
    """Mixin of FunctionBuilder: expressions. Needs ``source``, ``env``, ``scope``, ``registry``."""

    # -- diagnostics ------------------------------------------------------------------------
    def loc(self, node):
        return self.source.loc(node)

    def error(self, cls, message, node, hint=None):
        return cls(message, self.loc(node), hint)

    def unknown_name(self, node, name, otherwise=None):
        """The error for an unknown ``name``; ``otherwise`` is the hint when no name is close."""
        known = set(self.scope) | self.env.names()
        close = difflib.get_close_matches(name, sorted(known), n=1)
        hint = (f"did you mean {close[0]!r}?" if close else otherwise or
                "define it in the kernel, pass it as an argument, or make it a constant of the "
                "enclosing scope")
        return self.error(AlloNameError, f"unknown name {name!r}", node, hint)

    # -- constants and names ----------------------------------------------------------------
    def const_value(self, node):
        """The compile-time value of ``node``, or MISSING when it needs run-time values."""
        try:
            return evaluate(node, self.env, frozenset(self.scope))
        except NotConstant:
            return MISSING

    def constant(self, value, node) -> ir.Const:
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, (bool, int, float)):
            t = rules.constant_type(value)
            if isinstance(t, T.Float):
                value = rounder(t.name)(float(value))
            return ir.Const(t, self.loc(node), int(value) if isinstance(value, bool) else value)
        raise self.error(AlloTypeError, f"{ast.unparse(node)!r} is a {type(value).__name__}, "
                         "not a number", node,
                         "kernels compute on numbers, arrays and calls of other kernels")

    def name(self, node: ast.Name) -> ir.Expr:
        target = self.scope.get(node.id)
        if isinstance(target, ir.Var):
            return ir.VarRef(target.type, self.loc(node), target)
        if isinstance(target, ir.Buffer):
            return ir.BufferRef(target.type, self.loc(node), target)
        if isinstance(target, LocalKernel):
            raise self.error(AlloTypeError, f"kernel {node.id!r} used as a value", node,
                             "call it: name(arguments)")
        value = self.env.lookup(node.id)
        if value is MISSING:
            raise self.unknown_name(node, node.id)
        return self.constant(value, node)

    # -- casts -------------------------------------------------------------------------------
    def cast(self, expr: ir.Expr, t) -> ir.Expr:
        if expr.type == t:
            return expr
        if isinstance(expr, ir.BufferRef) or isinstance(t, T.ArrayType):
            raise AlloTypeError(f"cannot use array {expr.type!r} where {t!r} is expected",
                                expr.loc, "index the array to get one element")
        if isinstance(expr, ir.Const) and T.is_integer(expr.type) and T.is_fixed_or_int(t):
            raw = expr.value << t.fracs
            if isinstance(t, T.Index) or t.raw_min <= raw <= t.raw_max:
                return ir.Const(t, expr.loc, raw)
        if isinstance(expr, ir.Const) and isinstance(expr.type, T.Float) and isinstance(t, T.Float):
            return ir.Const(t, expr.loc, rounder(t.name)(expr.value))
        return ir.Cast(t, expr.loc, expr)

    def to_bool(self, expr: ir.Expr) -> ir.Expr:
        if expr.type == T.bool:
            return expr
        self.scalar(expr)
        zero = self.cast(ir.Const(rules.INT32, expr.loc, 0), expr.type)
        return ir.Compare(T.bool, expr.loc, "ne", expr, zero)

    def scalar(self, expr: ir.Expr) -> ir.Expr:
        if isinstance(expr, ir.BufferRef):
            raise AlloTypeError(f"array {expr.buffer.name!r} used as a scalar value", expr.loc,
                                f"index it: {expr.buffer.name}[...]")
        return expr

    # -- expressions -------------------------------------------------------------------------
    def expr(self, node: ast.AST) -> ir.Expr:
        method = getattr(self, f"expr_{type(node).__name__}", None)
        if method is None:
            raise self.error(AlloSyntaxError, f"unsupported expression {type(node).__name__} "
                             f"({ast.unparse(node)!r})", node,
                             "kernels use arithmetic, comparisons, indexing and calls")
        return method(node)

    def value(self, node) -> ir.Expr:
        """A scalar-valued expression."""
        return self.scalar(self.expr(node))

    def expr_Constant(self, node):
        if isinstance(node.value, str):
            raise self.error(AlloTypeError, "strings are not values in kernels", node,
                             "kernels compute on numbers; pass names and labels as keywords")
        return self.constant(node.value, node)

    def expr_Name(self, node):
        return self.name(node)

    def expr_Attribute(self, node):
        value = self.const_value(node)
        if value is MISSING:
            raise self.error(AlloSyntaxError, f"unsupported attribute {ast.unparse(node)!r}",
                             node, "only x.reverse() and module constants are attributes here")
        return self.constant(value, node)

    def binop(self, op: str, lhs: ir.Expr, rhs: ir.Expr, node) -> ir.Expr:
        lhs, rhs = self.scalar(lhs), self.scalar(rhs)
        if op in _FOLD and isinstance(lhs, ir.Const) and isinstance(rhs, ir.Const) and \
                T.is_integer(lhs.type) and T.is_integer(rhs.type):
            folded = _FOLD[op](lhs.value, rhs.value)
            if folded is not None:
                return self.constant(folded, node)
        try:
            t = rules.BINARY_RULES[op](lhs.type, rhs.type)
        except rules.RuleError as e:
            raise self.error(AlloTypeError, f"{e}, got {lhs.type!r} and {rhs.type!r}", node,
                             "cast with int(...) or assign to a typed variable first") from None
        if isinstance(t, T.Float) or op in _CAST_TO_RESULT:
            lhs, rhs = self.cast(lhs, t), self.cast(rhs, t)
        return ir.BinOp(t, self.loc(node), op, lhs, rhs)

    def expr_BinOp(self, node):
        op = _BINOPS.get(type(node.op))
        if op is None:
            raise self.error(AlloSyntaxError, f"unsupported operator {type(node.op).__name__}",
                             node, "'**' and '@' are not kernel operators; write the loop")
        return self.binop(op, self.expr(node.left), self.expr(node.right), node)

    def expr_UnaryOp(self, node):
        operand = self.value(node.operand)
        if isinstance(node.op, ast.Not):
            return ir.Not(T.bool, self.loc(node), self.to_bool(operand))
        if isinstance(node.op, ast.UAdd):
            return operand
        if isinstance(node.op, ast.USub) and isinstance(operand, ir.Const) and \
                T.is_integer(operand.type):
            return self.constant(-operand.value, node)
        if isinstance(node.op, ast.USub) and isinstance(operand, ir.Const):
            return ir.Const(operand.type, self.loc(node), -operand.value)
        rule = rules.neg if isinstance(node.op, ast.USub) else rules.invert
        try:
            t = rule(operand.type)
        except rules.RuleError as e:
            raise self.error(AlloTypeError, f"{e}, got {operand.type!r}", node,
                             "convert the operand with int(...) first") from None
        return ir.UnaryOp(t, self.loc(node), "neg" if rule is rules.neg else "invert", operand)

    def expr_BoolOp(self, node):
        op = "and" if isinstance(node.op, ast.And) else "or"
        values = [self.to_bool(self.value(v)) for v in node.values]
        return ir.BoolOp(T.bool, self.loc(node), op, values)

    def compare(self, op, lhs, rhs, node):
        t = rules.join(lhs.type, rhs.type)
        return ir.Compare(T.bool, self.loc(node), op, self.cast(lhs, t), self.cast(rhs, t))

    def expr_Compare(self, node):
        operands = [self.value(node.left)] + [self.value(c) for c in node.comparators]
        parts = []
        for i, op in enumerate(node.ops):
            if type(op) not in _CMPOPS:
                raise self.error(AlloSyntaxError, f"unsupported comparison {type(op).__name__}",
                                 node, "use < <= > >= == !=")
            parts.append(self.compare(_CMPOPS[type(op)], operands[i], operands[i + 1], node))
        return parts[0] if len(parts) == 1 else ir.BoolOp(T.bool, self.loc(node), "and", parts)

    def expr_IfExp(self, node):
        cond = self.to_bool(self.value(node.test))
        a, b = self.value(node.body), self.value(node.orelse)
        t = rules.join(a.type, b.type)
        return ir.Select(t, self.loc(node), cond, self.cast(a, t), self.cast(b, t))

    # -- indexing ----------------------------------------------------------------------------
    def index_exprs(self, node) -> list:
        """The index expressions of a subscript's slice, as a list."""
        parts = node.elts if isinstance(node, ast.Tuple) else [node]
        out = []
        for part in parts:
            if isinstance(part, ast.Slice):
                raise self.error(AlloSyntaxError, "array slices are not supported", part,
                                 "index each element, e.g. in a loop")
            e = self.value(part)
            if not T.is_integer(e.type):
                raise self.error(AlloTypeError, f"an index must be an integer, got {e.type!r}",
                                 part, "convert it with int(...)")
            out.append(e)
        return out

    def subscript(self, node: ast.Subscript):
        """Resolve ``base[...]``: an array element (Load), a partially indexed array
        ``(buffer, indices)``, or a bit read of a scalar."""
        base = self.subscript_base(node.value)
        if isinstance(base, tuple):
            return self.index_into(base, node)
        return self.bit_read(self.scalar(base), node)

    def subscript_base(self, node):
        """What a subscript applies to: ``(buffer, indices so far)`` for arrays, else an Expr."""
        if isinstance(node, ast.Subscript):
            return self.subscript(node)
        base = self.expr(node)
        return (base.buffer, []) if isinstance(base, ir.BufferRef) else base

    def index_into(self, base: tuple, node: ast.Subscript):
        """``buffer[indices..., node's indices]``: a Load, or a still partial ``(buffer, indices)``."""
        buffer, indices = base
        indices = indices + self.index_exprs(node.slice)
        rank = len(buffer.shape)
        if len(indices) > rank:
            raise self.error(AlloIndexError, f"{buffer.name!r} has {rank} dimension"
                             f"{'s' if rank > 1 else ''}, indexed with {len(indices)} indices",
                             node, f"write {buffer.name}[{', '.join('i%d' % d for d in range(rank))}]")
        for d, e in enumerate(indices):
            if isinstance(e, ir.Const) and not 0 <= e.value < buffer.shape[d]:
                raise self.error(AlloIndexError, f"index {e.value} is out of bounds for "
                                 f"dimension {d} of {buffer.name!r} (size {buffer.shape[d]})",
                                 node, f"valid indices are 0 to {buffer.shape[d] - 1}")
        if len(indices) < rank:
            return (buffer, indices)
        return ir.Load(buffer.elem, self.loc(node), buffer, indices)

    def bit_range(self, operand_type, slice_node, node):
        """``(lo Expr, width)`` of a bit index or half-open bit slice."""
        if not T.is_fixed_or_int(operand_type):
            raise self.error(AlloTypeError, f"bit access needs an integer value, got "
                             f"{operand_type!r}", node, "bits of floats are not accessible; "
                             "convert to an integer type first")
        if isinstance(slice_node, ast.Slice):
            if slice_node.step is not None or slice_node.lower is None or slice_node.upper is None:
                raise self.error(AlloSyntaxError, "bit slices are written a[lo:hi]", node,
                                 "give both bounds, no step: hi is exclusive")
            lo, hi = self.value(slice_node.lower), self.value(slice_node.upper)
            width = constant_difference(hi, lo)
            if width is None:
                raise self.error(AlloTypeError, "the width of a bit slice must be a constant",
                                 node, "write a[lo:hi] with hi - lo fixed, e.g. a[i:i + 4]")
        else:
            lo, width = self.value(slice_node), 1
        if width < 1:
            raise self.error(AlloIndexError, f"empty bit slice (width {width})", node,
                             "bit slices a[lo:hi] need lo < hi; hi is exclusive")
        if isinstance(lo, ir.Const) and not 0 <= lo.value <= operand_type.bits - width:
            raise self.error(AlloIndexError, f"bits [{lo.value}, {lo.value + width}) are out of "
                             f"range for {operand_type!r}", node,
                             f"{operand_type!r} has bits 0 to {operand_type.bits - 1}")
        return lo, width

    def bit_read(self, operand: ir.Expr, node: ast.Subscript) -> ir.Expr:
        lo, width = self.bit_range(operand.type, node.slice, node)
        return ir.BitRead(T.UInt(width), self.loc(node), operand, lo, width)

    def expr_Subscript(self, node):
        out = self.subscript(node)
        if isinstance(out, tuple):
            buffer, indices = out
            raise self.error(AlloIndexError, f"{buffer.name!r} has {len(buffer.shape)} "
                             f"dimensions, indexed with {len(indices)}", node,
                             "give one index per dimension")
        return out

    # -- calls -------------------------------------------------------------------------------
    def resolve_callee(self, func_node):
        """What a call calls: ('local', LocalKernel), ('py', value, template_args) or MISSING."""
        if isinstance(func_node, ast.Name) and isinstance(self.scope.get(func_node.id), LocalKernel):
            return self.scope[func_node.id], ()
        if isinstance(func_node, ast.Subscript):
            base = self.resolve_callee(func_node.value)
            if base is not MISSING and not base[1]:
                args = self.const_value(func_node.slice)
                if args is MISSING:
                    raise self.error(AlloTypeError, "template arguments must be constants",
                                     func_node.slice, "write name[int32, 8](...) with types and numbers known before the kernel runs")
                return base[0], args if isinstance(args, tuple) else (args,)
            return MISSING
        value = self.const_value(func_node)
        if value is MISSING:
            if isinstance(func_node, ast.Name):
                if func_node.id in self.scope:
                    raise self.error(AlloTypeError, f"{func_node.id!r} is not callable", func_node, "only kernels (typed Python functions) can be called")
                raise self.unknown_name(func_node, func_node.id)
            return MISSING
        return value, ()

    def is_kernel_value(self, node) -> bool:
        """Whether ``node`` is a value of the kernel (even one a compile-time fold knows, as
        ``0 > 0 and a != b``), not a Python object whose methods a call may mean."""
        value = self.const_value(node)
        return value is MISSING or isinstance(value, (bool, int, float, np.generic))

    def expr_Call(self, node):
        if isinstance(node.func, ast.Attribute) and node.func.attr == "get" and \
                self.is_stream_call(node):
            return self.stream_get(node)
        if isinstance(node.func, ast.Attribute) and node.func.attr == "reverse" and \
                not node.args and self.is_kernel_value(node.func.value):
            operand = self.value(node.func.value)
            if not T.is_fixed_or_int(operand.type):
                raise self.error(AlloTypeError, f".reverse() needs an integer, got {operand.type!r}", node, "reverse the bits of an integer value")
            return ir.Reverse(operand.type, self.loc(node), operand)
        resolved = self.resolve_callee(node.func)
        if resolved is MISSING:
            raise self.error(AlloSyntaxError, f"unsupported call {ast.unparse(node.func)!r}",
                             node, "kernels call other kernels and min, max, abs, int, float")
        callee, template_args = resolved
        if callee in (builtins.min, builtins.max):
            return self.min_max(callee.__name__, node)
        if callee is builtins.abs:
            operand = self.value(self.single_arg(node))
            return ir.Abs(rules.abs_type(operand.type), self.loc(node), operand)
        if callee is builtins.bool:  # Python's truth test, like `if x:`; not a cast
            return self.to_bool(self.value(self.single_arg(node)))
        if callee in (builtins.int, builtins.float) or isinstance(callee, T.AlloType):
            # A cast, as on assignment: to UInt(1) (Allo's bool) it keeps the low bit, as
            # Allo's arith.trunci does, like every integer cast.
            target = {builtins.int: rules.INT32, builtins.float: T.float32}.get(callee, callee)
            return self.cast(self.value(self.single_arg(node)), target)
        if callee in (builtins.range, markers.grid, markers.reduction):
            raise self.error(AlloSyntaxError, f"{ast.unparse(node.func)}(...) is only allowed as "
                             "the iterable of a for loop", node, "write: for i in range(N): ...")
        fn = self.kernel_for(callee, template_args, node)
        call = self.kernel_call(fn, node)
        if len(fn.result_types) != 1 or isinstance(fn.result_types[0], T.ArrayType):
            raise self.error(AlloTypeError, f"kernel {fn.name!r} returns "
                             f"{self.describe_results(fn)}, not one scalar value", node,
                             "call it as a statement, or assign its results to variables")
        return ir.CallExpr(fn.result_types[0], self.loc(node), fn, call)

    @staticmethod
    def describe_results(fn):
        if not fn.result_types:
            return "nothing"
        return ", ".join(repr(t) for t in fn.result_types)

    def single_arg(self, node):
        if len(node.args) != 1 or node.keywords:
            raise self.error(AlloTypeError, f"{ast.unparse(node.func)}() takes one argument", node,
                             f"write {ast.unparse(node.func)}(x)")
        return node.args[0]

    def min_max(self, op, node):
        if node.keywords or len(node.args) < 2:
            raise self.error(AlloTypeError, f"{op}() in a kernel takes two or more values", node,
                             f"write {op}(a, b)")
        values = [self.value(a) for a in node.args]
        t = values[0].type
        for v in values[1:]:
            t = rules.join(t, v.type)
        return ir.MinMax(t, self.loc(node), op, [self.cast(v, t) for v in values])

    def kernel_for(self, callee, template_args, node) -> ir.Function:
        if is_kernel_function(callee):
            return self.registry.function(callee, template_args, self.loc(node))
        name = getattr(callee, "__name__", type(callee).__name__)
        raise self.error(AlloTypeError, f"{name!r} is not a kernel: kernels can only call other "
                         "kernels (typed Python functions) and min, max, abs, int, float", node,
                         "compute it in a kernel, or pass its result in as an argument")

    def kernel_call(self, fn: ir.Function, node: ast.Call) -> list:
        """The checked argument list of a call of ``fn``."""
        by_name = {p.name: i for i, p in enumerate(fn.params)}
        arg_nodes = list(node.args) + [None] * (len(fn.params) - len(node.args))
        if len(node.args) > len(fn.params):
            raise self.error(AlloTypeError, f"{fn.name}() takes {len(fn.params)} arguments, "
                             f"got {len(node.args)}", node,
                             f"{fn.name} takes ({', '.join(p.name for p in fn.params)})")
        for kw in node.keywords:
            if kw.arg not in by_name or arg_nodes[by_name[kw.arg]] is not None:
                raise self.error(AlloTypeError, f"{fn.name}() got an unexpected or repeated "
                                 f"argument {kw.arg!r}", node,
                                 f"{fn.name} takes ({', '.join(p.name for p in fn.params)})")
            arg_nodes[by_name[kw.arg]] = kw.value
        args = []
        for param, arg_node in zip(fn.params, arg_nodes):
            if arg_node is None:
                raise self.error(AlloTypeError, f"{fn.name}() is missing argument {param.name!r}",
                                 node, f"{fn.name} takes ({', '.join(p.name for p in fn.params)})")
            arg = self.expr(arg_node)
            if isinstance(param, ir.Buffer):
                if not isinstance(arg, ir.BufferRef) or arg.type != param.type:
                    raise self.error(AlloTypeError, f"argument {param.name!r} of {fn.name}() "
                                     f"expects an array {param.type!r}, got {arg.type!r}",
                                     arg_node, "pass a whole array of exactly that type and shape")
            else:
                arg = self.cast(self.scalar(arg), param.type)
            args.append(arg)
        return args
