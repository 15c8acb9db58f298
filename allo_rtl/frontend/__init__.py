"""Frontend: from Python kernels to the typed kernel IR.

``parse_kernel(fn, instantiate)`` reads ``fn``'s source, resolves its constants and the kernels
it calls, checks types, and returns the IR ``Function`` of ``fn`` (callees hang off
``Function.callees``). Each kernel is built once per template instantiation, however many
call sites it has.
"""
from __future__ import annotations

import ast
import inspect
import re

from .. import types as T
from .._frames import user_frame
from ..errors import AlloSyntaxError, AlloTemplateError, AlloTypeError, caller_loc
from ..ir import nodes as ir
from .consteval import ConstEnv, NotConstant, evaluate
from .enclosing import Caller, enclosing_names
from .exprs import LocalKernel
from .regions import KernelInstance
from .markers import grid, reduction
from .source import KernelSource
from .stmts import FunctionBuilder

__all__ = ["parse_kernel", "grid", "reduction"]


def _arg_name(value) -> str:
    text = repr(value) if not isinstance(value, T.AlloType) else value.name
    return re.sub(r"\W+", "_", text).strip("_")


class KernelRegistry:
    """The kernels of one design: built once per (kernel, template arguments)."""

    def __init__(self, caller: Caller | None = None):
        self.caller = caller or Caller()
        self.caller_locals = _annotation_values(self.caller.local_vars())
        self.built: dict = {}
        self.callees: list = []    # what `built` is keyed by id of, kept alive so no id is reused
        self.in_progress: list = []
        self.used_names: set = set()

    def function(self, callee, template_args: tuple, call_loc) -> ir.Function:
        callee = inspect.unwrap(callee) if not isinstance(callee, LocalKernel) else callee
        key = (id(callee), tuple(map(repr, template_args)))
        if key in self.built:
            return self.built[key]
        keys = [k for k, _ in self.in_progress]
        if key in keys:
            cycle = [name for _, name in self.in_progress[keys.index(key):]] + [callee.__name__]
            raise AlloSyntaxError(f"kernel {callee.__name__!r} calls itself: {' -> '.join(cycle)}",
                                  call_loc, "hardware has no call stack; write the recursion as a loop")
        def_time_only = set()
        instance = callee if isinstance(callee, KernelInstance) else None
        if isinstance(callee, LocalKernel):
            source, env, py_func = callee.source, callee.env, None
        else:
            source, py_func = KernelSource.of_function(callee), callee
            enclosing, def_time_only = enclosing_names(callee, source.tree, self.caller)
            # the caller's locals name things for the kernels of its own module only: a
            # library kernel's names are its module's, whatever the caller calls its variables
            mine = callee.__globals__ is self.caller.module_globals()
            env = ConstEnv.of_function(callee, caller_locals=self.caller_locals if mine else None,
                                       enclosing=enclosing)
        params = self.bind_template(source, env, template_args, call_loc)
        name = source.tree.name if instance is None else instance.instance_name
        if template_args:
            name += "_" + "_".join(_arg_name(a) for a in template_args)
        unique, n = name, 1
        while unique in self.used_names:
            unique, n = f"{name}_{n}", n + 1
        self.used_names.add(unique)
        self.in_progress.append((key, source.tree.name))
        try:
            builder = FunctionBuilder(source, env.child(params), self, unique, py_func,
                                      def_time_only, instance)
            fn = builder.build()
        finally:
            self.in_progress.pop()
        for stmt in ir.walk_stmts(fn.body):
            for called in _called_functions(stmt):
                if called not in fn.callees:
                    fn.callees.append(called)
        self.built[key] = fn
        self.callees.append(callee)
        return fn

    @staticmethod
    def bind_template(source: KernelSource, env: ConstEnv, args: tuple, call_loc) -> dict:
        tree = source.tree
        type_params = getattr(tree, "type_params", [])
        name = tree.name
        if not type_params:
            if args:
                raise AlloTemplateError(f"kernel {name!r} is not a template, but was given "
                                        f"template arguments {list(args)!r}", call_loc,
                                        "declare parameters with def name[T: (int32, float32)](...)")
            return {}
        names = [tp.name for tp in type_params]
        if len(args) != len(type_params):
            raise AlloTemplateError(f"template {name!r} has parameters {names}, instantiated "
                                    f"with {len(args)} argument(s) {list(args)!r}", call_loc,
                                    f"pass instantiate=[{', '.join(names)}]")
        bound = {}
        for tp, arg in zip(type_params, args):
            if not isinstance(tp, ast.TypeVar):
                raise AlloTemplateError(f"template parameter {tp.name!r} of {name!r} must be a "
                                        "plain type parameter", source.loc(tp),
                                        "write [T: (int32, float32)] or [M: int32]")
            constraint = None
            if tp.bound is not None:
                try:
                    constraint = evaluate(tp.bound, env)
                except NotConstant:
                    raise AlloTemplateError(f"cannot evaluate the bound of template parameter "
                                            f"{tp.name!r}", source.loc(tp),
                                            "bound it by a type or a tuple of types") from None
            if isinstance(constraint, tuple):
                if arg not in constraint:
                    raise AlloTemplateError(f"template parameter {tp.name!r} of {name!r} accepts "
                                            f"{', '.join(map(repr, constraint))}; got {arg!r}",
                                            call_loc, "instantiate it with one of those types")
            elif isinstance(constraint, T.AlloType):
                if not isinstance(arg, (int, float)) or isinstance(arg, bool):
                    raise AlloTemplateError(f"template parameter {tp.name!r} of {name!r} is a "
                                            f"{constraint!r} value; got {arg!r}", call_loc,
                                            "instantiate it with a number")
            bound[tp.name] = arg
        return bound


def _called_functions(stmt):
    if isinstance(stmt, ir.CallStmt):
        yield stmt.func
    for e in stmt.exprs():
        if e is None:
            continue
        for sub in ir.walk_expr(e):
            if isinstance(sub, ir.CallExpr):
                yield sub.func


def _annotation_values(local_vars: dict) -> dict:
    """The numbers, types and functions among a frame's locals (what Allo takes from them)."""
    return {k: v for k, v in local_vars.items()
            if isinstance(v, (int, float, T.AlloType)) or inspect.isfunction(v)}


def _caller() -> Caller:
    """The user's frame calling customize() and those calling it."""
    frame, frames = user_frame(), []
    while frame is not None:
        frames.append(frame)
        frame = frame.f_back
    return Caller(frames)


def parse_kernel(fn, instantiate=None) -> ir.Function:
    """The IR of kernel ``fn`` (a Python function), its template instantiated with ``instantiate``."""
    fn = inspect.unwrap(fn) if callable(fn) else fn
    if not callable(fn) or not hasattr(fn, "__code__"):
        raise AlloTypeError(f"customize() needs a kernel function, got {fn!r}", caller_loc(),
                            "pass the Python function itself, e.g. allo.customize(gemm)")
    args = tuple(instantiate) if instantiate is not None else ()
    caller = _caller()
    try:
        return KernelRegistry(caller).function(fn, args, caller_loc())
    finally:
        caller.close()


def template_instance_name(fn: ir.Function, template_args) -> str:
    """The name the instance of kernel ``fn``'s template with ``template_args`` gets."""
    base = fn.py_func.__name__ if fn.py_func is not None else fn.name
    return base + ("_" + "_".join(_arg_name(a) for a in template_args) if template_args else "")
