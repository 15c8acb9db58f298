"""Dataflow regions (``@df.region()``), their streams and their ``@df.kernel`` instances.

A region's body declares streams (``pipe: Stream[int32, 4]``, arrays of them
``fifo: Stream[int32, 4][P0, P1]``), ``ConstExpr`` constants and kernels. Each kernel becomes one
instance per point of its ``mapping`` grid, an ``ir.Function`` named ``<kernel>_<p0>_<p1>``
whose ``df.get_pid()`` gives that point. The region's IR body is one ``ir.Parallel`` calling
every instance with its ``args`` and the streams it uses: a stream an instance touches becomes
a stream parameter of it (as Allo moves streams to the interface), bound to the region's
channel. A stream connects one producer instance to one consumer instance.
"""
from __future__ import annotations

import ast
import itertools

from .. import dataflow
from .. import types as T
from ..errors import AlloIndexError, AlloSyntaxError, AlloTypeError, UnsupportedError
from ..ir import nodes as ir
from .exprs import LocalKernel


class ChannelArray:
    """``fifo: Stream[T, d][P0, P1]``: one channel per index, named ``fifo_i_j`` as in Allo."""

    def __init__(self, name: str, t: T.ArrayType, loc):
        self.name, self.type, self.loc = name, t, loc
        self.channels = {ix: ir.Channel(f"{name}_{'_'.join(map(str, ix))}", t.elem, loc)
                         for ix in itertools.product(*(range(d) for d in t.shape))}


class KernelInstance(LocalKernel):
    """One point ``pid`` of a ``df.kernel``'s mapping grid. ``outer``: the region's streams by
    name; ``links``: id(stream parameter) -> the region's channel it is bound to."""

    def __init__(self, tree, source, env, pid: tuple, outer: dict):
        super().__init__(tree, source, env)
        self.pid, self.outer = pid, outer
        self.instance_name = "_".join([tree.name, *map(str, pid)])
        self.links: dict = {}


def dataflow_role(tree: ast.FunctionDef, env) -> tuple:
    """``("region", None)``, ``("kernel", decorator Call)`` or ``(None, None)``, from the
    decorators of a def (evaluated by name: the frontend never runs the region's body)."""
    from .consteval import NotConstant, evaluate
    for dec in tree.decorator_list:
        func = dec.func if isinstance(dec, ast.Call) else dec
        try:
            value = evaluate(func, env)
        except NotConstant:
            continue
        if value is dataflow.region:
            return "region", None
        if value is dataflow.kernel:
            return "kernel", dec
    return None, None


def _is_stream_type(t) -> bool:
    return isinstance(t, T.StreamType) or (isinstance(t, T.ArrayType)
                                           and isinstance(t.elem, T.StreamType))


class RegionMixin:
    """Mixin of FunctionBuilder: region bodies, kernel instances, put and get."""

    # -- the region ----------------------------------------------------------------------------
    def region_body(self, stmts) -> list:
        calls = []
        for node in stmts:
            if isinstance(node, ast.Pass) or (isinstance(node, ast.Expr) and isinstance(
                    node.value, ast.Constant) and isinstance(node.value.value, str)):
                continue
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                t = self.resolve_type(node.annotation, f"the type of {node.target.id!r}")
                if isinstance(t, T.ConstExprType):
                    self.const_declaration(node, t)
                    continue
                if _is_stream_type(t):
                    self.declare_stream(node, t)
                    continue
            if isinstance(node, ast.FunctionDef):
                role, dec = dataflow_role(node, self.env)
                if role == "kernel":
                    calls += self.kernel_instances(node, dec)
                    continue
            raise self.error(AlloSyntaxError, "a dataflow region holds stream declarations, "
                             "ConstExpr constants and @df.kernel definitions only", node,
                             "compute inside a @df.kernel")
        used = {id(a.channel) for call in calls for a in call.args if isinstance(a, ir.ChannelRef)}
        channels = [c for sym in self.scope.values() for c in _channels_of(sym)
                    if id(c) in used and c.kind == "local"]
        self.check_stream_ends(calls, channels)
        self.check_stream_arguments(calls)
        return [ir.Parallel(self.loc(self.tree), calls, channels)]

    def stream_argument(self, node: ast.arg, t) -> ir.Channel:
        """A stream parameter of a region (``A: Stream[int32, 4]``): values come in from the
        caller (its kernels get from it) or go out to the caller (they put into it)."""
        if self.role != "region":
            raise self.error(AlloTypeError, f"parameter {node.arg!r} of {self.fn.name!r} is a "
                             "stream; only a @df.region takes streams as parameters", node,
                             "make the function a @df.region() whose df.kernel uses the stream, "
                             "or pass an array")
        if isinstance(t, T.ArrayType):
            raise self.error(UnsupportedError, f"parameter {node.arg!r} is an array of streams; "
                             "a region takes single streams as parameters", node,
                             "declare one Stream parameter per stream")
        if isinstance(t.elem, T.ArrayType):
            raise self.error(UnsupportedError, f"parameter {node.arg!r} is a stream of blocks "
                             f"({t.elem!r}); a region's stream parameters carry scalars", node,
                             "stream the block's elements one by one")
        return ir.Channel(node.arg, t, self.loc(node), "arg")

    def check_stream_arguments(self, calls):
        """Each stream parameter of the region is one end of one kernel instance: it gets the
        values the caller gives, or puts the values the caller takes."""
        for param in self.fn.params:
            if not isinstance(param, ir.Channel):
                continue
            users = []
            for call in calls:
                for p, a in zip(call.func.params, call.args):
                    if isinstance(a, ir.ChannelRef) and a.channel is param:
                        ops = sorted(ir.stream_ops(call.func, p))
                        users += [(call.func.name, op) for op in ops]
            if not users:
                raise AlloSyntaxError(f"stream parameter {param.name!r} of region "
                                      f"{self.fn.name!r} is never used by its kernels",
                                      param.loc, "get from it or put into it in one df.kernel")
            if len(users) > 1:
                ends = ", ".join(f"{op} in {name}" for name, op in users)
                raise AlloSyntaxError(f"stream parameter {param.name!r} of region "
                                      f"{self.fn.name!r} has {len(users)} ends ({ends}); it "
                                      "connects the caller to one kernel instance, which either "
                                      "gets from it or puts into it", param.loc,
                                      "pass values between kernels in a stream declared in "
                                      "the region")

    def declare_stream(self, node, t):
        name = node.target.id
        if node.value is not None:
            raise self.error(AlloSyntaxError, f"stream {name!r} is declared without a value",
                             node.value, f"write: {name}: {ast.unparse(node.annotation)}")
        if name in self.scope:
            raise self.error(AlloTypeError, f"{name!r} is already declared", node.target,
                             "give the stream a new name")
        loc = self.loc(node)
        self.scope[name] = (ChannelArray(name, t, loc) if isinstance(t, T.ArrayType)
                            else ir.Channel(name, t, loc))

    def kernel_instances(self, node: ast.FunctionDef, dec) -> list:
        keywords = {kw.arg: kw.value for kw in (dec.keywords if isinstance(dec, ast.Call) else [])}
        unknown = set(keywords) - {"mapping", "args"}
        if unknown or (isinstance(dec, ast.Call) and dec.args) or "mapping" not in keywords:
            raise self.error(AlloSyntaxError, "@df.kernel takes mapping=[...] and args=[...]",
                             dec, "write @df.kernel(mapping=[P0, P1], args=[A, B])")
        mapping = self.compile_time(keywords["mapping"], "the mapping of a df.kernel")
        mapping = mapping if isinstance(mapping, tuple) else (mapping,)
        if not mapping or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 1
                                  for d in mapping):
            raise self.error(AlloTypeError, f"the mapping of a df.kernel is a list of positive "
                             f"integers, got {list(mapping)}", keywords["mapping"],
                             "write mapping=[P] or mapping=[P0, P1]")
        args_node = keywords.get("args")
        if args_node is not None and not isinstance(args_node, (ast.List, ast.Tuple)):
            raise self.error(AlloSyntaxError, "args of a df.kernel is a list of the region's "
                             "arrays", args_node, "write args=[A, B]")
        arg_nodes = [] if args_node is None else args_node.elts
        args = [self.region_argument(a) for a in arg_nodes]
        outer = dict(self.scope)
        calls = []
        for pid in itertools.product(*(range(d) for d in mapping)):
            instance = KernelInstance(node, self.source.nested(node), self.env, pid, outer)
            fn = self.registry.function(instance, (), self.loc(node))
            declared = [p for p in fn.params if not isinstance(p, ir.Channel)]
            if len(declared) != len(args):
                raise self.error(AlloTypeError, f"df.kernel {node.name!r} has "
                                 f"{len(declared)} parameter(s), args gives {len(args)}", dec,
                                 "give one region array per kernel parameter, in order")
            for param, arg, arg_node in zip(declared, args, arg_nodes):
                if param.type != arg.type:
                    raise self.error(AlloTypeError, f"parameter {param.name!r} of df.kernel "
                                     f"{node.name!r} is {param.type!r}, its argument "
                                     f"{arg.buffer.name!r} is {arg.type!r}", arg_node,
                                     "declare the parameter with the argument's exact type")
            if not fn.body:
                continue    # an instance with nothing to do (a corner of a systolic grid)
            links = [ir.ChannelRef(p.type, self.loc(node), instance.links[id(p)])
                     for p in fn.params if isinstance(p, ir.Channel)]
            calls.append(ir.CallStmt(self.loc(node), fn, list(args) + links, []))
        return calls

    def region_argument(self, node) -> ir.BufferRef:
        target = self.scope.get(node.id) if isinstance(node, ast.Name) else None
        if not isinstance(target, ir.Buffer) or target.kind != "arg":
            what = ("a scalar" if isinstance(target, ir.Var) else "not a parameter of the region")
            raise self.error(AlloTypeError, f"{ast.unparse(node)!r} in args is {what}", node,
                             "args lists the region's array parameters; kernels read scalars "
                             "as constants of the enclosing scope or from 1-element arrays")
        return ir.BufferRef(target.type, self.loc(node), target)

    def check_stream_ends(self, calls, channels):
        """One producer and one consumer instance per stream (unused ones may stay unused)."""
        ends = {id(c): {"put": [], "get": []} for c in channels}
        for call in calls:
            params = {id(a.channel): p for p, a in zip(call.func.params, call.args)
                      if isinstance(a, ir.ChannelRef)}
            for channel_id, param in params.items():
                if channel_id not in ends:
                    continue    # a stream argument of the region (check_stream_arguments)
                for op in ir.stream_ops(call.func, param):
                    ends[channel_id][op].append(call.func.name)
        for c in channels:
            put, get = ends[id(c)]["put"], ends[id(c)]["get"]
            for op, users in (("written", put), ("read", get)):
                if len(users) > 1:
                    raise AlloSyntaxError(f"stream {c.name!r} is {op} by {len(users)} kernel "
                                          f"instances ({', '.join(users)}); a stream connects "
                                          "one producer to one consumer", c.loc,
                                          "declare one stream per pair (an array of streams)")
            if put and not get:
                raise AlloSyntaxError(f"stream {c.name!r} is written by {put[0]} but never read",
                                      c.loc, "read it in another kernel, or remove the puts")
            if get and not put:
                raise AlloSyntaxError(f"stream {c.name!r} is read by {get[0]} but never written, "
                                      "so that kernel would wait forever", c.loc,
                                      "put values into it in another kernel")

    # -- streams inside a kernel ---------------------------------------------------------------
    def channel_of(self, node):
        """The stream ``node`` names (``pipe``, ``fifo[i, j + 1]`` with constant indices), as this
        function sees it, or None when it names no stream."""
        base = node.value if isinstance(node, ast.Subscript) else node
        if not isinstance(base, ast.Name):
            return None
        sym = self.scope.get(base.id)
        if sym is None and self.instance is not None:
            sym = self.instance.outer.get(base.id)
        if not isinstance(sym, (ir.Channel, ChannelArray)):
            return None
        if isinstance(sym, ChannelArray):
            if not isinstance(node, ast.Subscript):
                raise self.error(AlloTypeError, f"{base.id!r} is an array of streams", node,
                                 f"pick one: {base.id}[{', '.join('0' * len(sym.type.shape))}]")
            ix = self.compile_time(node.slice, f"an index into the streams {base.id!r}")
            ix = ix if isinstance(ix, tuple) else (ix,)
            if ix not in sym.channels:
                raise self.error(AlloIndexError, f"stream index {list(ix)} is out of bounds for "
                                 f"{base.id!r} of shape {list(sym.type.shape)}", node,
                                 "indices into an array of streams are compile-time constants "
                                 "inside its shape")
            sym = sym.channels[ix]
        elif isinstance(node, ast.Subscript):
            raise self.error(AlloTypeError, f"stream {base.id!r} is not an array", node,
                             f"use {base.id}.put(v) and {base.id}.get()")
        if self.instance is None:
            raise self.error(AlloSyntaxError, f"stream {sym.name!r} is used outside a df.kernel",
                             node, "put and get in the region's @df.kernel functions")
        return self.stream_parameter(sym, node)

    def stream_parameter(self, channel: ir.Channel, node) -> ir.Channel:
        for p in self.fn.params:
            if isinstance(p, ir.Channel) and self.instance.links[id(p)] is channel:
                return p
        param = ir.Channel(channel.name, channel.type, self.loc(node), "arg")
        self.fn.params.append(param)
        self.instance.links[id(param)] = channel
        return param

    def stream_put(self, call: ast.Call, node):
        """``stream.put(value)``: the value converted to the stream's element type (as Allo)."""
        channel = self.stream_target(call, "put")
        if len(call.args) != 1 or call.keywords:
            raise self.error(AlloSyntaxError, ".put() takes one value", call, "write s.put(v)")
        value = self.expr(call.args[0])
        if isinstance(channel.elem, T.ArrayType):
            if not isinstance(value, ir.BufferRef) or value.type != channel.elem:
                raise self.error(AlloTypeError, f"stream {channel.name!r} carries blocks "
                                 f"{channel.elem!r}, got {value.type!r}", call.args[0],
                                 "put a whole array of exactly the block's type")
        else:
            value = self.cast(self.scalar(value), channel.elem)
        return [ir.StreamPut(self.loc(node), channel, value)]

    def stream_get(self, call: ast.Call) -> ir.StreamGet:
        channel = self.stream_target(call, "get")
        if call.args or call.keywords:
            raise self.error(AlloSyntaxError, ".get() takes no arguments", call, "write s.get()")
        if isinstance(channel.elem, T.ArrayType):
            raise self.error(AlloTypeError, f"stream {channel.name!r} carries blocks "
                             f"{channel.elem!r}: a block is assigned to an array", call,
                             f"write: block: {channel.elem!r} = {ast.unparse(call)}")
        return ir.StreamGet(channel.elem, self.loc(call), channel)

    def stream_get_into(self, call: ast.Call, buffer: ir.Buffer, node) -> list:
        """``block = stream.get()`` for a stream of blocks."""
        channel = self.stream_target(call, "get")
        if call.args or call.keywords:
            raise self.error(AlloSyntaxError, ".get() takes no arguments", call, "write s.get()")
        if channel.elem != buffer.type:
            raise self.error(AlloTypeError, f"stream {channel.name!r} carries "
                             f"{channel.elem!r}, assigned to {buffer.name!r} of type "
                             f"{buffer.type!r}", node, "assign the block to an array of its type")
        return [ir.StreamGetInto(self.loc(node), channel, buffer)]

    def is_block_get(self, value) -> bool:
        return self.is_stream_call(value) and value.func.attr == "get" and \
            isinstance(self.channel_of(value.func.value).elem, T.ArrayType)

    def stream_target(self, call: ast.Call, op: str) -> ir.Channel:
        channel = self.channel_of(call.func.value)
        if channel is None:
            raise self.error(AlloTypeError, f"{ast.unparse(call.func.value)!r} is not a stream, "
                             f"so it has no .{op}()", call.func.value,
                             "declare streams in the df.region: pipe: Stream[int32, 4]")
        return channel

    def is_stream_call(self, call) -> bool:
        return isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and \
            call.func.attr in ("put", "get") and self.channel_of(call.func.value) is not None


def _channels_of(sym) -> list:
    if isinstance(sym, ir.Channel):
        return [sym]
    if isinstance(sym, ChannelArray):
        return list(sym.channels.values())
    return []
