"""Names a nested kernel's signature takes from the function that defines it.

Allo resolves every annotation of a kernel, parameters, result and body alike, from the kernel's
source, with its closure and globals as they are when customize() runs; so do we, so that a name
has one value throughout the kernel. Python captures in a nested kernel's closure the names its
body uses (local annotations included), but not the names used only in its parameter and return
annotations: those it evaluates once, when the ``def`` runs, in the enclosing function. Such a
name (a factory's size ``N`` in ``def k(A: int32[N]) -> int32``) gets

- its value in the enclosing function's frame while that function is running, e.g. when it
  calls customize() itself (Allo sees it among the locals of the frames calling customize());
- otherwise its value when the ``def`` ran, read back from ``fn.__annotations__`` by matching
  each annotation's source against its value (``int32[N]`` against ``int32[8]`` gives N = 8):
  the frame is gone, and that value is the only one there is.

A name the enclosing function does not bind is a global and keeps its customize-time value, as
at module level.
"""
from __future__ import annotations

import __future__
import ast
import inspect
import types as pytypes

from .. import types as T


class Caller:
    """The frames of the user's code that called customize(), innermost first. Hold it only
    while the kernel is being built (``close()`` then): frames keep their locals alive."""

    def __init__(self, frames=()):
        self.frames = list(frames)

    def local_vars(self) -> dict:
        """The locals of the frame calling customize()."""
        return dict(self.frames[0].f_locals) if self.frames else {}

    def module_globals(self) -> dict | None:
        """The globals of the frame calling customize() (its module's), or None."""
        return self.frames[0].f_globals if self.frames else None

    def running(self, qualname: str, filename: str):
        """``(code, locals)`` of the innermost running call of function ``qualname``, or None."""
        for frame in self.frames:
            code = frame.f_code
            if code.co_qualname == qualname and code.co_filename == filename:
                return code, dict(frame.f_locals)
        return None

    def close(self):
        self.frames.clear()


def signature_annotations(tree: ast.FunctionDef) -> list:
    """``(key, annotation)`` of each annotated parameter (key: its name) and of the result."""
    args = tree.args
    params = args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg]
    out = [(a.arg, a.annotation) for a in params if a is not None and a.annotation is not None]
    if tree.returns is not None:
        out.append(("return", tree.returns))
    return out


def annotation_names(node: ast.AST) -> set:
    """The names an annotation uses, those inside a string annotation (``"T[M]"``) too."""
    names = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            names.add(sub.id)
        elif isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            try:
                names |= annotation_names(ast.parse(sub.value, mode="eval"))
            except SyntaxError:
                pass
    return names


def _names_in_body(tree: ast.FunctionDef) -> set:
    """Names the body uses as Python sees them (string contents are not names to Python)."""
    return {sub.id for stmt in tree.body for sub in ast.walk(stmt) if isinstance(sub, ast.Name)}


def _bound_names(code: pytypes.CodeType) -> set:
    return set(code.co_varnames) | set(code.co_cellvars) | set(code.co_freevars)


def _find_code(fn, qualname: str):
    """The code object of the function named ``qualname`` that defines ``fn``, or None.

    Its outermost function is reached from ``fn``'s module (``make`` or ``Cls.make``); the
    functions nested in it are constants of its code."""
    outer, *_ = qualname.split(".<locals>.")
    obj = fn.__globals__
    for i, part in enumerate(outer.split(".")):
        obj = obj.get(part) if i == 0 else getattr(obj, part, None)
    if not callable(obj):
        return None
    code = getattr(inspect.unwrap(obj), "__code__", None)
    todo = [code] if isinstance(code, pytypes.CodeType) else []
    while todo:
        code = todo.pop()
        if code.co_qualname == qualname and code.co_filename == fn.__code__.co_filename:
            return code
        todo.extend(c for c in code.co_consts if isinstance(c, pytypes.CodeType))
    return None


def _match(node: ast.AST, value, wanted: set, found: dict):
    """Bind the ``wanted`` names of annotation ``node`` from the value Python gave it."""
    if isinstance(node, ast.Name):
        if node.id in wanted:
            found.setdefault(node.id, value)
    elif isinstance(node, ast.Subscript) and isinstance(value, T.ArrayType):
        _match(node.value, value.elem, wanted, found)
        dims = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if len(dims) == len(value.shape):
            for dim, size in zip(dims, value.shape):
                _match(dim, size, wanted, found)
    elif isinstance(node, ast.Subscript) and isinstance(value, T.StreamType):
        parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        for part, field in zip(parts, (value.elem, value.depth)):
            _match(part, field, wanted, found)
    elif isinstance(node, ast.Call) and isinstance(value, T.AlloType) and not node.keywords:
        fixed = isinstance(value, (T.Fixed, T.UFixed))
        fields = (value.bits, value.fracs) if fixed else (value.bits,)
        if len(node.args) == len(fields):
            for arg, field in zip(node.args, fields):
                _match(arg, field, wanted, found)
    elif isinstance(node, ast.Tuple) and isinstance(value, tuple) and len(node.elts) == len(value):
        for elt, part in zip(node.elts, value):
            _match(elt, part, wanted, found)


def enclosing_names(fn, tree: ast.FunctionDef, caller: Caller) -> tuple:
    """``(values, def_time_only)``: the names ``fn``'s signature takes from its enclosing
    function, with their values (see the module docstring), and those whose def-time value
    cannot be read back (``int32[N * 2]``), which only the value Python gave the whole
    annotation holds."""
    qualname = fn.__qualname__
    if ".<locals>." not in qualname:
        return {}, set()
    enclosing = qualname.rsplit(".<locals>.", 1)[0]
    wanted = set()
    for _, node in signature_annotations(tree):
        wanted |= annotation_names(node)
    wanted -= set(fn.__code__.co_freevars) | {tp.name for tp in getattr(tree, "type_params", ())}
    wanted -= _names_in_body(tree)  # used by the body yet not captured: a global
    if not wanted:
        return {}, set()
    running = caller.running(enclosing, fn.__code__.co_filename)
    if running is not None:
        code, local_vars = running
        return {n: local_vars[n] for n in wanted & _bound_names(code) if n in local_vars}, set()
    code = _find_code(fn, enclosing)
    local = wanted if code is None else wanted & _bound_names(code)
    found: dict = {}
    evaluated = getattr(fn, "__annotations__", {})
    for key, node in signature_annotations(tree):
        _match(node, evaluated.get(key), local, found)
    return found, local - set(found)


def annotations_unevaluated(fn) -> bool:
    """Whether ``fn``'s module has ``from __future__ import annotations`` (Python keeps its
    annotations as strings and captures no name they use)."""
    return bool(fn.__code__.co_flags & __future__.annotations.compiler_flag)
