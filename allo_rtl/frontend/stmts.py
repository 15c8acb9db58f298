"""Building a kernel's IR Function: parameters, results, statements."""
from __future__ import annotations

import ast
import math

import numpy as np

from .. import types as T
from ..errors import AlloIndexError, AlloSyntaxError, AlloTypeError, UnsupportedError
from ..floats import rounder
from ..ir import nodes as ir
from . import markers
from .consteval import MISSING, NotConstant, evaluate
from .enclosing import annotation_names, annotations_unevaluated
from .exprs import _BINOPS, ExprBuilder, LocalKernel, is_kernel_function
from .meta import MetaMixin
from .regions import RegionMixin, dataflow_role

_UNSUPPORTED_STMTS = {
    "Try": ("try", "hardware has no exceptions; check conditions with if"),
    "TryStar": ("try", "hardware has no exceptions; check conditions with if"),
    "Break": ("break", "loops have static trip counts; use a while loop with a condition"),
    "Continue": ("continue", "guard the rest of the body with an if instead"),
    "Raise": ("raise", "hardware has no exceptions"),
    "Assert": ("assert", "check the condition in the testbench or host code"),
    "Global": ("global", "pass the value as an argument"),
    "Nonlocal": ("nonlocal", "pass the value as an argument"),
    "Delete": ("del", "variables live until the kernel returns"),
    "Import": ("import", "import at module level"),
    "ImportFrom": ("import", "import at module level"),
    "ClassDef": ("class", "define classes outside kernels"),
    "AsyncFunctionDef": ("async def", "kernels are synchronous"),
    "AsyncFor": ("async for", "kernels are synchronous"),
    "AsyncWith": ("async with", "kernels are synchronous"),
    "Match": ("match", "use if/elif/else"),
    "TypeAlias": ("type", "define type aliases outside kernels"),
}


def _is_type(value, several=False) -> bool:
    """Whether ``value`` is a type (or, with ``several``, a tuple of scalar and array types)."""
    if several and isinstance(value, tuple):
        return bool(value) and all(isinstance(t, (T.AlloType, T.ArrayType)) for t in value)
    return isinstance(value, (T.AlloType, T.ArrayType, T.StreamType, T.ConstExprType))


class FunctionBuilder(MetaMixin, RegionMixin, ExprBuilder):
    """Turns one kernel's (or dataflow region's) ``FunctionDef`` into an ``ir.Function``.
    ``instance``: the df.kernel instance being built (regions.KernelInstance), if it is one."""

    def __init__(self, source, env, registry, name: str, py_func=None, def_time_only=frozenset(),
                 instance=None):
        self.source, self.env, self.registry = source, env, registry
        self.instance = instance
        self.meta_chains: list = []
        self.def_time_only = def_time_only  # names only Python's evaluated annotations hold
        self.scope: dict = {}
        self.tree = source.tree
        self.band_counter = 0
        self.band_stack: list = []
        loc = self.loc(self.tree)
        self.fn = ir.Function(name, [], [], [], loc, py_func=py_func)
        self.role = "kernel instance" if instance is not None else dataflow_role(self.tree, env)[0]

    # -- signature ---------------------------------------------------------------------------
    def resolve_type(self, node, what: str, several=False):
        """The type annotation ``node`` denotes; with ``several``, a tuple of types is one too."""
        try:
            t = evaluate(node, self.env, frozenset(self.scope), annotation=True)
        except NotConstant as e:
            if e.name and e.name in self.scope:
                raise self.error(AlloTypeError, f"{what} uses {e.name!r}, which is only known "
                                 "when the kernel runs", e.node,
                                 "array shapes must be compile-time constants") from None
            if e.name:
                raise self.unknown_name(e.node, e.name, self.lost_name_hint(node, e.name)) from None
            raise self.error(AlloTypeError, f"{what} {ast.unparse(node)!r} is not a type",
                             node, "write a type such as int32 or int32[4, 8]") from None
        except AlloTypeError as e:
            raise self.error(AlloTypeError, e.message, node, e.hint) from None
        except (TypeError, IndexError, KeyError) as e:
            raise self.error(AlloTypeError, f"{what} {ast.unparse(node)!r}: {e}", node, "write a type such as int32, Fixed(16, 12) or int32[4, 8]") from None
        if not _is_type(t, several):
            raise self.error(AlloTypeError, f"{what} {ast.unparse(node)!r} is not a type",
                             node, "write a type such as int32 or int32[4, 8]")
        return t

    def lost_name_hint(self, annotation, name):
        """Why a nested kernel's annotation may name a variable that no longer has a value:
        Python never evaluated the annotation, so no closure or ``__annotations__`` holds it."""
        fn = self.fn.py_func
        if fn is None or ".<locals>." not in fn.__qualname__:
            return None
        in_string = name not in {n.id for n in ast.walk(annotation) if isinstance(n, ast.Name)}
        if not (in_string or annotations_unevaluated(fn)):
            return None
        return ("Python keeps no value of a name used only in string annotations (or under "
                "`from __future__ import annotations`) once the function defining the kernel "
                "has returned: use the name in the kernel's code too, or call customize() "
                "before it returns")

    def signature_type(self, node, what: str, evaluated, several=False):
        """The type of a parameter or the result(s), resolved like the body's annotations: from
        the source, now. ``evaluated`` is the value Python gave the annotation at ``def``; it is
        used only when the annotation needs a name whose value only it holds (enclosing.py)."""
        if _is_type(evaluated, several) and annotation_names(node) & self.def_time_only:
            return evaluated
        return self.resolve_type(node, what, several)

    def signature(self):
        args = self.tree.args
        extra = (args.defaults + args.posonlyargs + [args.vararg] + args.kwonlyargs + [args.kwarg])
        extra = [node for node in extra if node is not None]
        if extra:
            raise self.error(AlloSyntaxError, "kernel parameters must be plain positional "
                             "parameters without defaults", extra[0],
                             "remove *args, **kwargs, keyword-only markers and default values")
        evaluated = getattr(self.fn.py_func, "__annotations__", {})
        for a in args.args:
            if a.annotation is None:
                raise self.error(AlloTypeError, f"parameter {a.arg!r} of kernel "
                                 f"{self.tree.name!r} has no type annotation", a,
                                 f"annotate it, e.g. {a.arg}: int32 or {a.arg}: int32[16]")
            t = self.signature_type(a.annotation, f"the type of parameter {a.arg!r}",
                                    evaluated.get(a.arg))
            if isinstance(t, T.StreamType) or (isinstance(t, T.ArrayType)
                                               and isinstance(t.elem, T.StreamType)):
                self.scope[a.arg] = self.stream_argument(a, t)
                self.fn.params.append(self.scope[a.arg])
                continue
            if isinstance(t, T.ConstExprType):
                raise self.error(AlloTypeError, "a parameter cannot be a ConstExpr", a,
                                 "make it a template parameter: def f[N: int32](...)")
            cls = ir.Buffer if isinstance(t, T.ArrayType) else ir.Var
            param = cls(a.arg, t, self.loc(a), "arg")
            self.fn.params.append(param)
            self.scope[a.arg] = param
        returns = self.tree.returns
        if returns is None or (isinstance(returns, ast.Constant) and returns.value is None):
            return
        if isinstance(returns, ast.Constant) and isinstance(returns.value, str):
            returns = self.string_annotation(returns)
        result = evaluated.get("return")
        if isinstance(returns, ast.Tuple):  # part by part, so that an error points at its part
            results = result if isinstance(result, tuple) and len(result) == len(returns.elts) \
                else (None,) * len(returns.elts)
            for part, value in zip(returns.elts, results):
                self.fn.result_types.append(self.signature_type(part, "the return type", value))
        else:  # one type, or a tuple built otherwise: -> (int32,) * 4
            t = self.signature_type(returns, "the return type", result, several=True)
            self.fn.result_types.extend(t if isinstance(t, tuple) else [t])

    def string_annotation(self, node: ast.Constant):
        """The expression in a string annotation (``-> "(T[M], T)"``), located at the string."""
        try:
            inner = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            raise self.error(AlloTypeError, f"the return type {node.value!r} is not a type", node,
                             "write a type such as int32 or int32[4, 8]") from None
        for sub in ast.walk(inner):
            ast.copy_location(sub, node)
        return inner

    # -- body --------------------------------------------------------------------------------
    def build(self) -> ir.Function:
        self.signature()
        body = self.tree.body
        if self.role == "region":
            if self.fn.result_types:
                raise self.error(AlloTypeError, f"dataflow region {self.fn.name!r} returns "
                                 "nothing: its kernels write the region's arrays",
                                 self.tree.returns, "remove the return annotation")
            self.fn.body = self.region_body(body)
            return self.fn
        if self.role == "kernel":
            raise self.error(AlloSyntaxError, f"{self.fn.name!r} is a df.kernel, which runs "
                             "inside a df.region", self.tree,
                             "customize the @df.region() function that defines it")
        self.fn.body = self.block(body, top=True)
        if self.fn.result_types and not (self.fn.body and isinstance(self.fn.body[-1], ir.Return)):
            raise self.error(AlloTypeError, f"kernel {self.fn.name!r} declares results "
                             f"{self.describe_results(self.fn)} but does not return them",
                             body[-1] if body else self.tree,
                             "end the kernel with a return statement")
        return self.fn

    def block(self, stmts, top=False) -> list:
        out = []
        self.meta_chains.append(None)
        try:
            for i, node in enumerate(stmts):
                if isinstance(node, ast.Return) and not (top and i == len(stmts) - 1):
                    raise self.error(AlloSyntaxError, "return is only allowed as the last "
                                     "statement of a kernel", node, "compute the result into a "
                                     "variable and return it at the end")
                out.extend(self.stmt(node))
        finally:
            self.meta_chains.pop()
        return out

    def stmt(self, node) -> list:
        kind = type(node).__name__
        if kind in _UNSUPPORTED_STMTS:
            word, hint = _UNSUPPORTED_STMTS[kind]
            raise self.error(AlloSyntaxError, f"unsupported statement {word!r} in a kernel",
                             node, hint)
        method = getattr(self, f"stmt_{kind}", None)
        if method is None:
            raise self.error(AlloSyntaxError, f"unsupported statement {kind}", node, "kernels use assignments, for, while, if and calls")
        return method(node)

    def stmt_Pass(self, node):
        return []

    def stmt_FunctionDef(self, node):
        if dataflow_role(node, self.env)[0] == "kernel":
            raise self.error(AlloSyntaxError, f"df.kernel {node.name!r} is defined outside a "
                             "df.region", node, "define kernels in the body of a @df.region()")
        self.scope[node.name] = LocalKernel(node, self.source.nested(node), self.env)
        return []

    def stmt_Expr(self, node):
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return []  # a docstring
        if isinstance(node.value, ast.Call) and self.is_kernel_call(node.value):
            fn = self.kernel_for(*self.resolve_callee(node.value.func), node.value)
            return [ir.CallStmt(self.loc(node), fn, self.kernel_call(fn, node.value), [])]
        if self.is_stream_call(node.value):
            if node.value.func.attr == "put":
                return self.stream_put(node.value, node)
            if self.is_block_get(node.value):
                channel = self.channel_of(node.value.func.value)
                block = self.temporary("_drained", channel.elem, node)
                return [ir.Decl(self.loc(node), block, None)] + \
                    self.stream_get_into(node.value, block, node)
            get = self.stream_get(node.value)    # a get whose value is dropped still takes it
            return [ir.Assign(self.loc(node), self.temporary("_drained", get.type, node), get)]
        self.expr(node.value)  # reports unsupported constructs precisely
        raise self.error(AlloSyntaxError, "this expression has no effect", node,
                         "assign its value to a variable or an array element")

    # -- declarations and assignments -------------------------------------------------------
    def declare(self, name: str, t, node):
        existing = self.scope.get(name)
        if existing is not None:
            if isinstance(existing, ir.Var) and existing.kind == "loop":
                raise self.error(AlloTypeError, f"cannot redeclare loop variable {name!r}", node, "use a new name for the variable")
            if getattr(existing, "type", None) != t:
                raise self.error(AlloTypeError, f"{name!r} is already declared as "
                                 f"{getattr(existing, 'type', 'a kernel')!r}, cannot redeclare it "
                                 f"as {t!r}", node, "use a new name")
            return existing
        cls = ir.Buffer if isinstance(t, T.ArrayType) else ir.Var
        obj = cls(name, t, self.loc(node), "local")
        self.scope[name] = obj
        self.fn.locals[name] = obj
        return obj

    def temporary(self, base: str, t, node):
        """A compiler-made local (Var, or Buffer for an array type), named apart from the user's."""
        name, n = base, 0
        while name in self.fn.locals or name in self.scope:
            n += 1
            name = f"{base}_{n}"
        cls = ir.Buffer if isinstance(t, T.ArrayType) else ir.Var
        var = cls(name, t, self.loc(node), "local")
        self.fn.locals[name] = var
        return var

    def return_call(self, callee: ir.Function, node: ast.Return) -> list:
        """``return kernel(...)`` where the kernel returns arrays or several values."""
        if callee.result_types != self.fn.result_types:
            raise self.error(AlloTypeError, f"return type mismatch: kernel {self.fn.name!r} "
                             f"declares {self.describe_results(self.fn)}, {callee.name!r} returns "
                             f"{self.describe_results(callee)}", node.value,
                             "match the return annotation")
        temps = [self.temporary(f"{callee.name}_result{i}", t, node)
                 for i, t in enumerate(callee.result_types)]
        loc = self.loc(node)
        decls = [ir.Decl(loc, t, None) for t in temps if isinstance(t, ir.Buffer)]
        refs = [(ir.BufferRef if isinstance(t, ir.Buffer) else ir.VarRef)(t.type, loc, t) for t in temps]
        call = ir.CallStmt(loc, callee, self.kernel_call(callee, node.value), temps)
        return decls + [call, ir.Return(loc, refs)]

    def stmt_AnnAssign(self, node):
        if not isinstance(node.target, ast.Name):
            raise self.error(AlloSyntaxError, "only a plain name can be declared with a type",
                             node.target, "declare a variable: x: int32 = 0")
        t = self.resolve_type(node.annotation, f"the type of {node.target.id!r}")
        if isinstance(t, T.ConstExprType):
            return self.const_declaration(node, t)
        if isinstance(t, T.StreamType) or (isinstance(t, T.ArrayType)
                                           and isinstance(t.elem, T.StreamType)):
            raise self.error(AlloSyntaxError, "streams are declared in the body of a "
                             "df.region", node, "declare it in the @df.region() function; its "
                             "kernels put and get")
        if isinstance(t, T.ArrayType):
            if node.value is not None and self.is_block_get(node.value):
                buffer = self.declare(node.target.id, t, node)
                return [ir.Decl(self.loc(node), buffer, None)] + \
                    self.stream_get_into(node.value, buffer, node)
            if node.value is not None and isinstance(node.value, ast.Call):
                buffer = self.declare(node.target.id, t, node)
                return [ir.Decl(self.loc(node), buffer, None)] + self.call_assign([node.target], node.value, node)
            init = self.array_init(t, node.value, node)
            buffer = self.declare(node.target.id, t, node)
            return [ir.Decl(self.loc(node), buffer, init)]
        if node.value is not None:
            value = self.expr(node.value)  # before declaring: `x: int32 = x` must not see itself
            if isinstance(value, ir.BufferRef):
                raise self.error(AlloTypeError, f"cannot assign array {value.buffer.name!r} "
                                 f"({value.type!r}) to scalar {node.target.id!r} ({t!r})",
                                 node.value, f"index it: {value.buffer.name}[...]")
        var = self.declare(node.target.id, t, node)
        if node.value is None:
            return []
        return [ir.Assign(self.loc(node), var, self.cast(value, t))]

    def array_init(self, t: T.ArrayType, value_node, node):
        """The raw initial contents of a local array: None (zeros), a raw scalar or array."""
        if value_node is None:
            return None
        value = self.const_value(value_node)
        if value is MISSING:
            raise self.error(AlloTypeError, "a local array is initialised with a constant",
                             value_node, "fill it in a loop, or pass it as an argument")
        if isinstance(value, np.ndarray):
            if value.shape != t.shape:
                raise self.error(AlloTypeError, f"initial value has shape {value.shape}, the "
                                 f"array {t!r}", value_node, "give a numpy array of exactly the declared shape")
            return np.vectorize(lambda v: self.raw_of(v, t.elem, value_node), otypes=[object])(value)
        if isinstance(value, (bool, int, float, np.generic)):
            return self.raw_of(value, t.elem, value_node)
        raise self.error(AlloTypeError, f"cannot initialise {t!r} with {value!r}", value_node, "initialise arrays with a number or a numpy array of the same shape")

    def raw_of(self, value, t: T.AlloType, node):
        """A compile-time Python number as a raw value of ``t`` (cast semantics of ir/nodes.py)."""
        value = value.item() if isinstance(value, np.generic) else value
        if isinstance(t, T.Float):
            return rounder(t.name)(float(value))
        if isinstance(value, float):
            if math.isnan(value):
                return 0
            if math.isinf(value):
                return t.raw_max if value > 0 else t.raw_min
            return t.wrap(math.floor(value * (1 << t.fracs)))
        return t.wrap(int(value) << t.fracs)

    def stmt_Assign(self, node):
        if len(node.targets) != 1:
            raise self.error(AlloSyntaxError, "chained assignment a = b = ... is not supported",
                             node, "assign each variable separately")
        target = node.targets[0]
        if self.is_get_pid(node.value):
            return self.bind_pid(target, node)
        if isinstance(target, ast.Name) and self.is_block_get(node.value):
            buffer = self.scope.get(target.id)
            if not isinstance(buffer, ir.Buffer):
                raise self.error(AlloTypeError, f"a block from a stream is assigned to an "
                                 f"array; {target.id!r} is not one", target,
                                 f"declare it: {target.id}: <block type> = ...get()")
            return self.stream_get_into(node.value, buffer, node)
        if isinstance(node.value, ast.Call) and self.is_kernel_call(node.value):
            fn = self.kernel_for(*self.resolve_callee(node.value.func), node.value)
            single_scalar = len(fn.result_types) == 1 and not isinstance(fn.result_types[0], T.ArrayType)
            if isinstance(target, ast.Tuple) or not single_scalar:
                targets = target.elts if isinstance(target, ast.Tuple) else [target]
                return self.call_assign(targets, node.value, node)
        if isinstance(target, ast.Tuple):
            raise self.error(AlloSyntaxError, "tuple assignment needs a kernel call returning a "
                             "tuple on the right", node, "assign each variable separately")
        value = self.expr(node.value)
        return self.assign_to(target, value, node)

    def is_kernel_call(self, call: ast.Call) -> bool:
        if isinstance(call.func, ast.Attribute):
            return False
        resolved = self.resolve_callee(call.func)
        return resolved is not MISSING and is_kernel_function(resolved[0]) and \
            resolved[0] not in (markers.grid, markers.reduction)

    def assign_to(self, target, value: ir.Expr, node) -> list:
        if isinstance(target, ast.Name):
            existing = self.scope.get(target.id)
            if isinstance(value, ir.BufferRef):
                what = ("array " if isinstance(existing, ir.Buffer) else
                        "scalar " if existing is not None else "new variable ")
                raise self.error(AlloTypeError if not isinstance(existing, ir.Buffer) else
                                 UnsupportedError, f"cannot assign array {value.buffer.name!r} to "
                                 f"{what}{target.id!r}", node.value if hasattr(node, "value") else node,
                                 "copy arrays element by element in a loop")
            if existing is None:
                var = self.declare(target.id, value.type, node)
                return [ir.Assign(self.loc(node), var, value)]
            if isinstance(existing, ir.Var):
                if existing.kind == "loop":
                    raise self.error(AlloTypeError, f"cannot assign to loop variable "
                                     f"{target.id!r}", target, "use another variable")
                return [ir.Assign(self.loc(node), existing, self.cast(value, existing.type))]
            raise self.error(AlloTypeError, f"cannot assign a scalar to array {target.id!r}",
                             target, f"index it: {target.id}[...] = value")
        if isinstance(target, ast.Subscript):
            return [self.store(target, value, node)]
        raise self.error(AlloSyntaxError, f"cannot assign to {ast.unparse(target)!r}", target, "assign to a variable, an array element or bits of them")

    def store(self, target: ast.Subscript, value: ir.Expr, node) -> ir.Stmt:
        value = self.scalar(value)
        base = self.subscript_base(target.value)
        if isinstance(base, tuple):
            buffer = base[0]
            element = self.index_into(base, target)
            if isinstance(element, tuple):
                raise self.error(AlloIndexError, f"{buffer.name!r} has {len(buffer.shape)} "
                                 f"dimensions, indexed with {len(element[1])}", target,
                                 "give one index per dimension")
            return ir.Store(self.loc(node), buffer, element.indices, self.cast(value, buffer.elem))
        if isinstance(base, ir.VarRef) and base.var.kind == "loop":
            raise self.error(AlloTypeError, f"cannot assign to loop variable {base.var.name!r}", target, "use another variable")
        if not isinstance(base, (ir.VarRef, ir.Load)):
            raise self.error(AlloSyntaxError, f"cannot assign to bits of {ast.unparse(target.value)!r}",
                             target, "assign bits of a variable or of an array element")
        lo, width = self.bit_range(base.type, target.slice, target)
        return ir.BitStore(self.loc(node), base, lo, width, self.cast(value, T.UInt(width)))

    def call_assign(self, targets, call: ast.Call, node) -> list:
        callee, template_args = self.resolve_callee(call.func)
        fn = self.kernel_for(callee, template_args, call)
        args = self.kernel_call(fn, call)
        if len(targets) != len(fn.result_types):
            raise self.error(AlloTypeError, f"kernel {fn.name!r} returns "
                             f"{len(fn.result_types)} value(s), assigned to {len(targets)}",
                             node, "assign one target per result")
        out, call_targets, after = [], [], []
        for target, rtype in zip(targets, fn.result_types):
            if isinstance(rtype, T.ArrayType):
                if not isinstance(target, ast.Name):
                    raise self.error(AlloTypeError, f"an array result {rtype!r} must be assigned "
                                     "to an array name", target, "write: name = kernel(...)")
                existing = self.scope.get(target.id)
                if existing is None:
                    buffer = self.declare(target.id, rtype, target)
                    out.append(ir.Decl(self.loc(target), buffer, None))
                elif not isinstance(existing, ir.Buffer) or existing.type != rtype:
                    raise self.error(AlloTypeError, f"kernel {fn.name!r} returns {rtype!r}, "
                                     f"which cannot be assigned to {target.id!r} "
                                     f"({getattr(existing, 'type', '?')!r})", target,
                                     "assign it to a new name or an array of that type")
                else:
                    buffer = existing
                call_targets.append(buffer)
                continue
            temp = self.temporary(f"{fn.name}_result{len(call_targets)}", rtype, call)
            call_targets.append(temp)
            after.extend(self.assign_to(target, ir.VarRef(rtype, self.loc(call), temp), node))
        return out + [ir.CallStmt(self.loc(node), fn, args, call_targets)] + after

    def stmt_AugAssign(self, node):
        op_name = type(node.op)
        if op_name not in _BINOPS:
            raise self.error(AlloSyntaxError, f"unsupported operator {op_name.__name__}=", node, "write the operation out: x = x op y")
        current = self.expr(node.target)
        if isinstance(node.target, ast.Name) and not isinstance(current, ir.VarRef):
            raise self.error(AlloTypeError, f"cannot update {node.target.id!r} in place", node,
                             "update array elements one by one")
        value = self.binop(_BINOPS[op_name], current, self.expr(node.value), node)
        return self.assign_to(node.target, value, node)

    # -- control flow ------------------------------------------------------------------------
    def stmt_If(self, node):
        cond = self.to_bool(self.value(node.test))
        return [ir.If(self.loc(node), cond, self.block(node.body), self.block(node.orelse))]

    def stmt_While(self, node):
        if node.orelse:
            raise self.error(AlloSyntaxError, "while ... else is not supported", node,
                             "put the else branch's statements after the loop")
        cond = self.to_bool(self.value(node.test))
        return [ir.While(self.loc(node), cond, self.block(node.body))]

    def stmt_For(self, node):
        if node.orelse:
            raise self.error(AlloSyntaxError, "for ... else is not supported", node,
                             "loops have no break here, so put the else branch after the loop")
        it = node.iter
        kind = None
        if isinstance(it, ast.Call):
            fn = self.const_value(it.func)
            kind = {range: "range", markers.grid: "grid", markers.reduction: "reduction"}.get(
                fn if callable(fn) else None)
        if kind is None:
            raise self.error(AlloSyntaxError, f"cannot loop over {ast.unparse(it)!r}", it,
                             "loop over range(...), allo.grid(...) or allo.reduction(...)")
        names = node.target.elts if isinstance(node.target, ast.Tuple) else [node.target]
        if not all(isinstance(n, ast.Name) for n in names):
            raise self.error(AlloSyntaxError, "loop variables must be plain names", node.target, "write: for i, j in allo.grid(N, M)")
        if kind == "range":
            return [self.range_loop(node, names, it)]
        return [self.band_loop(node, names, it, kind)]

    def band_of(self, names) -> str:
        """The band of an unnamed loop: its enclosing loop's, or a new one named as Allo does."""
        if self.band_stack:
            return self.band_stack[-1]
        band = f"S_{'_'.join(n.id for n in names)}_{self.band_counter}"
        self.band_counter += 1
        return band

    def loop_bound(self, arg_node) -> ir.Expr:
        e = self.value(arg_node)
        if not T.is_integer(e.type):
            raise self.error(AlloTypeError, f"loop bounds must be integers, got {e.type!r}", arg_node, "convert the bound with int(...)")
        return e

    def range_loop(self, node, names, it):
        if len(names) != 1 or it.keywords or not 1 <= len(it.args) <= 3:
            raise self.error(AlloSyntaxError, "range() takes 1 to 3 arguments and one loop "
                             "variable", it, "write range(hi), range(lo, hi) or range(lo, hi, step)")
        bounds = [self.loop_bound(a) for a in it.args]
        lo = bounds[0] if len(bounds) > 1 else ir.Const(T.index, self.loc(it), 0)
        hi = bounds[1] if len(bounds) > 1 else bounds[0]
        step = 1
        if len(bounds) == 3:
            if not isinstance(bounds[2], ir.Const) or bounds[2].value == 0:
                raise self.error(AlloTypeError, "the step of range() must be a nonzero constant",
                                 it.args[2], "hardware loop counters step by a fixed amount")
            step = bounds[2].value
        band = self.band_of([names[0]])
        return self.loop(names[0], lo, hi, step, band, "range", node.body, node)

    def band_loop(self, node, names, it, kind):
        band = None
        for kw in it.keywords:
            if kw.arg != "name" or not isinstance(self.const_value(kw.value), str):
                raise self.error(AlloSyntaxError, f"allo.{kind}() accepts only name='...' as a "
                                 "keyword", kw.value, "write allo.grid(N, M, name='band')")
            band = self.const_value(kw.value)
        if len(names) != len(it.args):
            raise self.error(AlloSyntaxError, f"allo.{kind}() with {len(it.args)} extents needs "
                             f"{len(it.args)} loop variables, got {len(names)}", node.target,
                             "give one loop variable per extent: for i, j in allo.grid(N, M)")
        extents = [self.loop_bound(a) for a in it.args]
        band = band or self.band_of(names)

        def nest(level):
            zero = ir.Const(T.index, self.loc(it), 0)
            inner = node.body if level == len(names) - 1 else None
            return self.loop(names[level], zero, extents[level], 1, band, kind, inner, node,
                             None if inner is not None else (lambda: [nest(level + 1)]))
        return nest(0)

    def loop(self, name_node, lo, hi, step, band, kind, body_nodes, node, make_body=None):
        name = name_node.id
        existing = self.scope.get(name)
        if existing is not None and not (isinstance(existing, ir.Var) and existing.kind == "loop"):
            raise self.error(AlloTypeError, f"loop variable {name!r} is already declared as "
                             f"{getattr(existing, 'type', 'a kernel')!r}", name_node, "use a new name")
        var = ir.Var(name, T.index, self.loc(name_node), "loop")
        self.scope[name] = var
        self.band_stack.append(band)
        try:
            body = make_body() if make_body else self.block(body_nodes)
        finally:
            self.band_stack.pop()
            if existing is None:
                del self.scope[name]
            else:
                self.scope[name] = existing
        return ir.For(self.loc(node), var, lo, hi, step, body, name, band, kind)

    def stmt_Return(self, node):
        if isinstance(node.value, ast.Call) and self.is_kernel_call(node.value):
            callee = self.kernel_for(*self.resolve_callee(node.value.func), node.value)
            if len(callee.result_types) != 1 or isinstance(callee.result_types[0], T.ArrayType):
                return self.return_call(callee, node)
        results = self.fn.result_types
        parts = [] if node.value is None else (
            node.value.elts if isinstance(node.value, ast.Tuple) else [node.value])
        if len(parts) != len(results):
            raise self.error(AlloTypeError, f"return type mismatch: kernel {self.fn.name!r} "
                             f"declares {len(results)} result(s) "
                             f"({self.describe_results(self.fn)}), returns {len(parts)}", node,
                             "match the return annotation")
        values = []
        for part, rtype in zip(parts, results):
            value = self.expr(part)
            if isinstance(rtype, T.ArrayType) != isinstance(value, ir.BufferRef) or (
                    isinstance(rtype, T.ArrayType) and value.type != rtype):
                raise self.error(AlloTypeError, f"return type mismatch: expected {rtype!r}, got "
                                 f"{value.type!r}", part, "return a value of the declared type")
            values.append(value if isinstance(rtype, T.ArrayType) else self.cast(value, rtype))
        return [ir.Return(self.loc(node), values)]
