"""Array accesses: row-major linear offsets, bounds checks, and hoisting of loop-invariant parts.

An access ``A[e0, e1]`` of an array of shape ``(d0, d1)`` reads ``A[e0 * d1 + e1]`` from the
array's flat list. The offset is split into affine terms (``coefficient * atom`` plus a constant);
terms that depend only on outer loop variables (and on scalars the function never assigns) are
summed once at the top of the outermost loop body where they are invariant, into temporaries
``_o<n>`` shared by every access that needs the same sum. Each index whose interval is not inside
``[0, d)`` is checked before the access; a failing check raises ``AlloIndexError``.
"""
from __future__ import annotations

from .. import ir
from ..types import Index, is_fixed_or_int
from ..ir import intervals as I
from .pycode import ATOM, CMP, COND, Code, call, par, sum_code


def walk(e: ir.Expr):
    """``e`` and its sub-expressions, without recursion."""
    stack = [e]
    while stack:
        node = stack.pop()
        yield node
        stack += [c for c in node.children() if c is not None]


class Frame:
    """A place hoisted code can go: the function's entry (depth 0) or the top of a loop body."""

    def __init__(self, var=None):
        self.var = var
        self.lines = []
        self.cse = {}


class AccessMixin:
    """Needs the host's ``frames``, ``loop_depth`` (id(Var) -> frame index of active loops),
    ``invariant`` (ids of Vars never assigned), ``names``, ``emit`` and ``site``."""

    # ------------------------------------------------------------------------------ analysis

    def depth_of(self, e: ir.Expr, code: Code):
        """The innermost frame whose variables ``e`` reads, or None when ``e`` cannot be hoisted."""
        if not code.simple:
            return None
        depth = 0
        for sub in walk(e):
            if isinstance(sub, (ir.Load, ir.CallExpr)):
                return None
            if isinstance(sub, ir.VarRef):
                key = id(sub.var)
                if key in self.loop_depth:
                    depth = max(depth, self.loop_depth[key])
                elif key not in self.invariant:
                    return None
        return depth

    def _exact(self, e: ir.Expr, iv: I.Interval) -> bool:
        """``e``'s integer result needs no wrap (so it is an exact sum/product)."""
        t = e.type
        return isinstance(t, Index) or (iv is not None and iv.within(t.raw_min, t.raw_max))

    def _affine(self, e: ir.Expr, coef: int, acc: dict, atoms: dict) -> int:
        """Add ``coef * e`` to ``acc`` (atom key -> coefficient); return the constant part."""
        t = e.type
        if is_fixed_or_int(t) and t.fracs == 0:
            if isinstance(e, ir.Const):
                return coef * int(e.value)
            if isinstance(e, ir.BinOp) and e.op in ("add", "sub", "mul") \
                    and all(is_fixed_or_int(x.type) and x.type.fracs == 0 for x in (e.lhs, e.rhs)):
                a, b = self.emit(e.lhs).iv, self.emit(e.rhs).iv
                if e.op == "mul":
                    if self._exact(e, I.mul(a, b)):
                        if isinstance(e.rhs, ir.Const):
                            return self._affine(e.lhs, coef * int(e.rhs.value), acc, atoms)
                        if isinstance(e.lhs, ir.Const):
                            return self._affine(e.rhs, coef * int(e.lhs.value), acc, atoms)
                elif self._exact(e, (I.add if e.op == "add" else I.sub)(a, b)):
                    sign = 1 if e.op == "add" else -1
                    return self._affine(e.lhs, coef, acc, atoms) + self._affine(e.rhs, sign * coef, acc, atoms)
            if isinstance(e, ir.UnaryOp) and e.op == "neg" and is_fixed_or_int(e.operand.type) \
                    and e.operand.type.fracs == 0 and self._exact(e, I.neg(self.emit(e.operand).iv)):
                return self._affine(e.operand, -coef, acc, atoms)
            if isinstance(e, ir.Cast) and is_fixed_or_int(e.operand.type) and e.operand.type.fracs == 0 \
                    and self._exact(e, self.emit(e.operand).iv):
                return self._affine(e.operand, coef, acc, atoms)
        key = ("v", id(e.var)) if isinstance(e, ir.VarRef) else ("e", id(e))
        atoms.setdefault(key, e)
        acc[key] = acc.get(key, 0) + coef
        return 0

    # ------------------------------------------------------------------------------ offsets

    def hoisted(self, depth: int, code: Code) -> Code:
        """A temporary holding ``code``, computed at the top of frame ``depth``."""
        frame = self.frames[depth]
        name = frame.cse.get(code.text)
        if name is None:
            name = self.names.temp("o")
            frame.cse[code.text] = name
            frame.lines.append(f"{name} = {code.text}")
        return Code(name, ATOM, code.iv, True)

    def linear(self, shape, indices, bound=None) -> Code:
        """The row-major offset of ``indices``, with invariant parts hoisted out of loops.
        ``bound`` maps dimensions already evaluated into temporaries to their Code."""
        bound = bound or {}
        acc, atoms, const = {}, {}, 0
        stride = 1
        strides = []
        for d in reversed(shape):
            strides.append(stride)
            stride *= d
        for k, (e, s) in enumerate(zip(indices, reversed(strides))):
            if k in bound:
                atoms[("t", k)] = bound[k]
                acc[("t", k)] = s
            else:
                const += self._affine(e, s, acc, atoms)
        here = len(self.frames) - 1
        terms = []
        for key, coef in acc.items():
            if coef:
                if key[0] == "t":
                    terms.append((here, coef, atoms[key]))
                    continue
                code = self.emit(atoms[key])
                depth = self.depth_of(atoms[key], code)
                terms.append((here if depth is None else depth, coef, code))
        terms.sort(key=lambda t: t[0])
        prefix = None                       # (coefficient, Code) of the hoisted partial sum
        inline = []
        depths = sorted({d for d, _, _ in terms if d < here})
        for depth in depths:
            group = ([prefix] if prefix else []) + [(c, code) for d, c, code in terms if d == depth]
            extra = 0
            if depth == depths[-1]:         # the constant goes into the innermost hoisted sum
                extra, const = const, 0
            if len(group) == 1 and group[0][0] == 1 and group[0][1].prec == ATOM and not extra:
                prefix = group[0]           # a bare name: nothing to hoist
            else:
                prefix = (1, self.hoisted(depth, sum_code(group, extra)))
        if prefix:
            inline.append(prefix)
        inline += [(c, code) for d, c, code in terms if d >= here]
        return sum_code(inline, const)

    # ------------------------------------------------------------------------------ accesses

    def index_code(self, buf: ir.Buffer, indices: list, node) -> Code:
        """The subscript for ``buf[indices]``: the offset, checked where not proven in bounds.

        A checked index that is simple is written twice (in the check and in the offset); one that
        is not is evaluated once into a temporary ``_i<n>`` inside the check (``:=``). The checks
        are joined with ``&`` so every index is evaluated before a failure is reported."""
        shape = buf.shape
        if len(indices) != len(shape):
            self.unsupported(node, f"array '{buf.name}' of shape {shape} indexed with {len(indices)} indices")
        codes = [self.emit(e) for e in indices]
        checked = [not (c.iv is not None and c.iv.within(0, shape[k] - 1)) for k, c in enumerate(codes)]
        if not any(checked):
            return self.linear(shape, indices)
        site = self.sites.add(buf.name, tuple(shape), node.loc)
        if any(not c.simple and not chk for c, chk in zip(codes, checked)):
            # An unchecked index with effects or costs: evaluate all in order in a helper.
            tup = ", ".join(c.text for c in codes) + ("," if len(codes) == 1 else "")
            return call("_ix", site, f"({tup})")
        conds, bound, values = [], {}, []
        for k, (c, chk) in enumerate(zip(codes, checked)):
            if not chk:
                values.append(c.text)
                continue
            d = shape[k]
            if c.simple:
                text = par(c, CMP + 1)
            else:
                name = self.names.temp("i")
                text = f"({name} := {c.text})"
                c = bound[k] = Code(name, ATOM, c.iv, True)
            values.append(c.text)
            lo_ok = c.iv is not None and c.iv.lo is not None and c.iv.lo >= 0
            hi_ok = c.iv is not None and c.iv.hi is not None and c.iv.hi < d
            conds.append(f"{text} < {d}" if lo_ok else f"0 <= {text}" if hi_ok else f"0 <= {text} < {d}")
        cond = conds[0] if len(conds) == 1 else " & ".join(f"({c})" for c in conds)
        lin = self.linear(shape, indices, bound)
        tup = ", ".join(values) + ("," if len(values) == 1 else "")
        text = f"{par(lin, COND + 1)} if {cond} else _oob({site}, ({tup}))"
        return Code(text, COND, lin.iv, False)

    def emit_load(self, e: ir.Load) -> Code:
        sub = self.index_code(e.buffer, e.indices, e)
        iv = I.of_type(e.buffer.elem) if is_fixed_or_int(e.buffer.elem) else None
        return Code(f"{self.buffer_name(e.buffer)}[{sub.text}]", ATOM, iv, False)

    def store_line(self, buf: ir.Buffer, indices: list, value: str, node) -> str:
        """``buf[indices] = value``: Python evaluates the value first, then the checked index."""
        sub = self.index_code(buf, indices, node)
        return f"{self.buffer_name(buf)}[{sub.text}] = {value}"

