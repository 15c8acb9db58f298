"""Compile-time values: names a kernel takes from its closure, its module's globals and its
template parameters, and the annotations built from them (``int32[P, Q]``, ``Fixed(16, 12)``)."""
from __future__ import annotations

import ast
import builtins
import inspect
import operator

from .. import types as T

MISSING = object()

_PY_BINOPS = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
    ast.LShift: operator.lshift, ast.RShift: operator.rshift, ast.BitAnd: operator.and_,
    ast.BitOr: operator.or_, ast.BitXor: operator.xor, ast.Div: operator.truediv,
}
_PY_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.invert}
_PY_COMPARE = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Is: operator.is_, ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}

# Callables that may appear in annotations and constant expressions.
_TYPE_CONSTRUCTORS = (T.Int, T.UInt, T.Fixed, T.UFixed, T.StreamType)


class NotConstant(Exception):
    """The expression depends on something only known when the kernel runs."""

    def __init__(self, node: ast.AST, name: str | None = None):
        super().__init__(name or "")
        self.node, self.name = node, name


class ConstEnv:
    """Where a kernel's free names come from: template parameters, closure, module, builtins."""

    def __init__(self, closure: dict, module_globals: dict, params: dict | None = None):
        self.closure = closure
        self.module_globals = module_globals
        self.params = dict(params or {})

    @classmethod
    def of_function(cls, fn, params: dict | None = None, caller_locals: dict | None = None,
                    enclosing: dict | None = None):
        """The environment of Python function ``fn``, as it is now (at customize time).

        Its closure's cells first, then ``enclosing``: the names its signature takes from the
        function defining it, which Python does not capture (see enclosing.py). A name found
        in neither is looked up in the closures of the functions this one's closure reaches
        (kernels of one factory share its cells), then among the locals of customize()'s
        caller, then in the module, which is where Allo looks too."""
        closure = dict(caller_locals or {})
        closure.update(_transitive_closure(fn))
        closure.update(enclosing or {})
        closure.update(_closure_of(fn))
        return cls(closure, fn.__globals__, params)

    def child(self, params: dict) -> "ConstEnv":
        return ConstEnv(self.closure, self.module_globals, {**self.params, **params})

    def lookup(self, name: str):
        for scope in (self.params, self.closure, self.module_globals):
            if name in scope:
                return scope[name]
        return getattr(builtins, name, MISSING)

    def names(self):
        return set(self.params) | set(self.closure) | set(self.module_globals)


def _closure_of(fn) -> dict:
    out = {}
    for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
        try:
            out[name] = cell.cell_contents
        except ValueError:  # a cell not yet filled: defined later in the enclosing scope
            pass
    return out


def _transitive_closure(fn) -> dict:
    """Closure values of the functions reachable through ``fn``'s closure, nearest last."""
    seen, order, todo = {id(fn)}, [], [fn]
    while todo:
        current = todo.pop(0)
        for value in _closure_of(current).values():
            if inspect.isfunction(value) and id(value) not in seen:
                seen.add(id(value))
                order.append(value)
                todo.append(value)
    out = {}
    for other in reversed(order):
        out.update(_closure_of(other))
    return out


def evaluate(node: ast.AST, env: ConstEnv, local_names=frozenset(), annotation=False):
    """The Python value of a compile-time expression; NotConstant if it needs run-time values.

    ``local_names`` are the kernel's own variables, which shadow its environment. In an
    ``annotation``, a string is the source of a type (``A: "T[M]"``)."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, str) and annotation:
            try:
                inner = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                raise NotConstant(node) from None
            for sub in ast.walk(inner):  # report errors at the string itself
                ast.copy_location(sub, node)
            return evaluate(inner, env, local_names, annotation)
        return node.value
    if isinstance(node, ast.Name):
        if node.id in local_names:
            raise NotConstant(node, node.id)
        value = env.lookup(node.id)
        if value is MISSING:
            raise NotConstant(node, node.id)
        return value
    if isinstance(node, ast.Attribute):
        base = evaluate(node.value, env, local_names, annotation)
        try:
            return getattr(base, node.attr)
        except AttributeError:
            raise NotConstant(node, node.attr) from None
    if isinstance(node, ast.Subscript):
        base = evaluate(node.value, env, local_names, annotation)
        key = evaluate(node.slice, env, local_names, annotation)
        if isinstance(base, (T.AlloType, T.StreamType, type(T.Stream), type(T.ConstExpr))):
            return base[key]
        if isinstance(base, (tuple, list, dict)):
            return base[key]
        raise NotConstant(node)
    if isinstance(node, (ast.Tuple, ast.List)):
        return tuple(evaluate(e, env, local_names, annotation) for e in node.elts)
    if isinstance(node, ast.BinOp) and type(node.op) in _PY_BINOPS:
        lhs = evaluate(node.left, env, local_names, annotation)
        rhs = evaluate(node.right, env, local_names, annotation)
        kinds = (type(node.op), {type(lhs), type(rhs)})
        tuples = kinds in ((ast.Add, {tuple}), (ast.Mult, {tuple, int}))  # -> (int32,) * 4
        if not tuples and not all(isinstance(v, (int, float)) for v in (lhs, rhs)):
            raise NotConstant(node)
        return _PY_BINOPS[type(node.op)](lhs, rhs)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _PY_UNARY:
        value = evaluate(node.operand, env, local_names, annotation)
        if not isinstance(value, (int, float)):
            raise NotConstant(node)
        return _PY_UNARY[type(node.op)](value)
    # Comparisons and logic serve compile-time choices (meta_if, ConstExpr): `i in {0, M + 1}`
    if isinstance(node, ast.Compare):
        lhs = evaluate(node.left, env, local_names, annotation)
        for op, right in zip(node.ops, node.comparators):
            rhs = evaluate(right, env, local_names, annotation)
            try:
                if not _PY_COMPARE[type(op)](lhs, rhs):
                    return False
            except TypeError:
                raise NotConstant(node) from None
            lhs = rhs
        return True
    if isinstance(node, ast.BoolOp):
        value = None
        for operand in node.values:
            value = evaluate(operand, env, local_names, annotation)
            if bool(value) == isinstance(node.op, ast.Or):
                return value
        return value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return not evaluate(node.operand, env, local_names, annotation)
    if isinstance(node, ast.Set):
        try:
            return frozenset(evaluate(e, env, local_names, annotation) for e in node.elts)
        except TypeError:
            raise NotConstant(node) from None
    if isinstance(node, ast.IfExp):
        test = evaluate(node.test, env, local_names, annotation)
        return evaluate(node.body if test else node.orelse, env, local_names, annotation)
    if isinstance(node, ast.Call) and not node.keywords:
        fn = evaluate(node.func, env, local_names, annotation)
        if fn in _TYPE_CONSTRUCTORS:
            return fn(*(evaluate(a, env, local_names, annotation) for a in node.args))
        raise NotConstant(node)
    raise NotConstant(node)
