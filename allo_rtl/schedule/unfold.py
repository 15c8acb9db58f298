"""``unfold``: a band of loops becomes a grid of processing elements (Allo's ``unfold``)."""
from __future__ import annotations

from ..ir import nodes as ir
from ..ir.rewrite import clone_function, index_const, substitute
from .common import bad_argument, illegal, unique_name


class UnfoldPrimitive:
    """Mixin of Schedule."""

    def unfold(self, band, axes):
        """Replace loops ``axes`` (0: the band's outermost) of band ``band`` (``"PE"`` or
        ``"func:PE"``) by one copy of their body per iteration, the counters constants; every
        kernel called in a copy becomes a kernel of its own, ``<kernel>_<i>_<j>``, one per
        processing element. Returns the axes, sorted::

            for i in range(2):  # band PE            pe_0_0(A, 0, 0)
                for j in range(2):       ->          pe_0_1(A, 0, 1)
                    pe(A, i, j)                      pe_1_0(A, 1, 0)
                                                     pe_1_1(A, 1, 1)
        """
        if not isinstance(band, str):
            raise bad_argument("unfold", "band", "a band name, 'PE' or 'func:PE'", band)
        if not isinstance(axes, (list, tuple)) or not axes or \
                not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
            raise bad_argument("unfold", "axes", "a list of loop levels of the band, e.g. [0, 1]",
                               axes)
        axes = sorted(axes)
        if axes != list(range(axes[0], axes[0] + len(axes))):
            raise bad_argument("unfold", "axes", "consecutive loop levels", axes)
        func, _, name = band.rpartition(":")
        fn, loops = self._band(func, name)
        if axes[0] < 0 or axes[-1] >= len(loops):
            raise bad_argument("unfold", "axes", f"levels 0 to {len(loops) - 1} of band "
                               f"{name!r}", axes)
        chosen = loops[axes[0]:axes[-1] + 1]
        for loop in chosen:
            if not (isinstance(loop.lo, ir.Const) and isinstance(loop.hi, ir.Const)):
                raise illegal("unfold", f"loop {loop.name!r} of band {name!r} has bounds that "
                              "are not constants", "each processing element is a copy: the "
                              "number of copies must be known")
        replaced = _unfold(fn.body, chosen, (), self)
        if not replaced:
            raise illegal("unfold", f"the loops {[l.name for l in chosen]} of band {name!r} are "
                          "not nested one directly in the other", "unfold perfectly nested loops")
        fn.callees[:] = _called(fn.body)
        self._record("unfold", band, list(axes))
        return list(axes)

    def _band(self, func: str, name: str):
        """(function, loops of band ``name`` outermost first) by band name."""
        functions = [self.function(func)] if func else list(self.functions.values())
        found = []
        for fn in functions:
            loops = [s for s in ir.walk_stmts(fn.body) if isinstance(s, ir.For) and s.band == name]
            if loops:
                found.append((fn, loops))
        if not found:
            raise illegal("unfold", f"no loop band {name!r}", "name a band: grid(..., "
                          "name='PE') or the band of an unnamed loop (s.get_loops())")
        if len(found) > 1:
            raise illegal("unfold", f"band {name!r} is in several functions: "
                          f"{', '.join(fn.name for fn, _ in found)}", "write 'func:band'")
        return found[0]


def _unfold(body: list, loops: list, point: tuple, schedule) -> bool:
    """Replace ``loops[0]`` inside ``body`` by its copies (and the next loops inside them)."""
    for k, s in enumerate(body):
        # copies of the inner loops keep their counter (Var): that is how they are found
        if isinstance(s, ir.For) and s.var is loops[0].var:
            copies = []
            for value in range(s.lo.value, s.hi.value, s.step):
                inner = substitute(s.body, {s.var: index_const(value, s.loc)})
                if len(loops) > 1 and not _unfold(inner, loops[1:], point + (value,), schedule):
                    return False
                if len(loops) == 1:
                    inner = _own_callees(inner, point + (value,), schedule)
                copies += inner
            body[k:k + 1] = copies
            return True
        if any(_unfold(b, loops, point, schedule) for b in s.bodies()):
            return True
    return False


def _own_callees(body: list, point: tuple, schedule) -> list:
    """``body`` with each kernel it calls replaced by a copy named for ``point``."""
    suffix = "_".join(map(str, point))
    taken = set(schedule.functions)
    copies: dict = {}

    def own(fn):
        if id(fn) not in copies:
            copies[id(fn)] = clone_function(fn, unique_name(f"{fn.name}_{suffix}", taken))
        return copies[id(fn)]
    for s in ir.walk_stmts(body):
        if isinstance(s, ir.CallStmt):
            s.func = own(s.func)
        for e in s.exprs():
            for sub in ir.walk_expr(e) if e is not None else ():
                if isinstance(sub, ir.CallExpr):
                    sub.func = own(sub.func)
    return body


def _called(body: list) -> list:
    out = []
    for s in ir.walk_stmts(body):
        found = [s.func] if isinstance(s, ir.CallStmt) else []
        found += [sub.func for e in s.exprs() if e is not None for sub in ir.walk_expr(e)
                  if isinstance(sub, ir.CallExpr)]
        out += [f for f in found if f not in out]
    return out
