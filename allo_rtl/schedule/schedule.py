"""The Schedule: a kernel's IR, the handles of its loops and buffers, and its builds."""
from __future__ import annotations

import difflib
import sys
from dataclasses import dataclass

from ..errors import ScheduleError, caller_loc
from ..frontend import parse_kernel
from ..ir import nodes as ir
from ..ir.printer import format_function
from .common import Applied, bad_argument, illegal
from .dataflow import DataflowPrimitives
from .loops import LoopPrimitives
from .memory import MemoryPrimitives
from .unfold import UnfoldPrimitive



class _UnknownName(ScheduleError, AttributeError):
    """An unknown buffer or loop name (also an AttributeError, so ``hasattr`` works)."""


def _unknown(kind: str, name: str, where: str, known) -> ScheduleError:
    known = sorted(known)
    return _UnknownName(f"unknown {kind} {name!r} in {where}", caller_loc(),
                        f"{kind}s there: {', '.join(known)}" if known else f"{where} has no {kind}s")


@dataclass(frozen=True)
class BufferHandle:
    """A buffer of one function, as schedule primitives take it: ``s.C`` or ``"gemm:C"``."""

    func: str
    name: str
    buffer: ir.Buffer

    def __str__(self):
        return f"{self.func}:{self.name}"


@dataclass(frozen=True)
class LoopHandle:
    """A loop of one function: its band and its name (the loop variable's)."""

    func: str
    band: str
    name: str
    loop: ir.For

    def __str__(self):
        return f"{self.func}:{self.name}"


class _Names:
    """Named items with attribute and item access and a helpful error for unknown names."""

    def __init__(self, kind: str, where: str, items: dict):
        self._kind, self._where, self._items = kind, where, items

    def __getitem__(self, name):
        if name not in self._items:
            raise _unknown(self._kind, name, self._where, self._items)
        return self._items[name]

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]

    def __iter__(self):
        return iter(self._items)

    def __len__(self):
        return len(self._items)

    def __contains__(self, name):
        return name in self._items

    def __repr__(self):
        return f"<{self._kind}s of {self._where}: {', '.join(self._items)}>"


def _loops_of(fn: ir.Function) -> list:
    return [s for s in ir.walk_stmts(fn.body) if isinstance(s, ir.For)]


class Schedule(LoopPrimitives, MemoryPrimitives, DataflowPrimitives, UnfoldPrimitive):
    """The customizations of one kernel and everything it calls (``allo.customize(fn)``)."""

    def __init__(self, top: ir.Function):
        self.top = top
        self.primitives: list = []  # Applied, in order (what ``compose`` replays)

    def _record(self, primitive: str, *args, **kwargs) -> None:
        """Note an applied primitive; handles must already be ``"func:name"`` strings."""
        self.primitives.append(Applied(primitive, args, tuple(kwargs.items())))

    def _loop_arg(self, primitive: str, argument: str, ref) -> LoopHandle:
        """The loop ``ref`` names, for argument ``argument`` of ``primitive``."""
        try:
            return self.loop(ref)
        except ScheduleError as err:
            raise type(err)(f"{primitive}: argument {argument!r}: {err.message}", err.loc,
                            err.hint) from None

    def _buffer_arg(self, primitive: str, argument: str, ref) -> BufferHandle:
        try:
            return self.buffer(ref)
        except ScheduleError as err:
            raise type(err)(f"{primitive}: argument {argument!r}: {err.message}", err.loc,
                            err.hint) from None

    # -- the design's functions, buffers and loops -------------------------------------------
    @property
    def functions(self) -> dict:
        return {fn.name: fn for fn in ir.all_functions(self.top)}

    def function(self, name: str | None = None) -> ir.Function:
        if name is None:
            return self.top
        functions = self.functions
        if name not in functions:
            raise _unknown("function", name, f"the design of {self.top.name!r}", functions)
        return functions[name]

    def buffer(self, ref) -> BufferHandle:
        """A buffer by handle, by ``"name"`` (of the top function) or by ``"func:name"``."""
        if isinstance(ref, BufferHandle):
            return ref
        if not isinstance(ref, str):
            raise ScheduleError(f"expected a buffer handle or a 'func:name' string, got {ref!r}",
                                caller_loc(), "write s.C or 'gemm:C'")
        func_name, _, name = ref.rpartition(":")
        fn = self.function(func_name or None)
        buffers = fn.buffers
        if name not in buffers:
            raise _unknown("buffer", name, f"function {fn.name!r}", buffers)
        return BufferHandle(fn.name, name, buffers[name])

    def get_loops(self, func: str | None = None) -> _Names:
        """The loops of ``func`` (default: the top function) by band, then by loop name:
        ``s.get_loops()["mm"]["i"]`` or ``s.get_loops().mm.i``."""
        fn = self.function(func)
        bands: dict = {}
        for loop in _loops_of(fn):
            bands.setdefault(loop.band, {})[loop.name] = LoopHandle(fn.name, loop.band, loop.name, loop)
        return _Names("band", f"function {fn.name!r}", {
            band: _Names("loop", f"band {band!r} of {fn.name!r}", loops)
            for band, loops in bands.items()})

    def loop(self, ref) -> LoopHandle:
        """A loop by handle, by name (``"k"``: unique among the design's loops) or ``"func:k"``."""
        if isinstance(ref, LoopHandle):
            return ref
        if not isinstance(ref, str):
            raise ScheduleError(f"expected a loop handle or a loop name, got {ref!r}",
                                caller_loc(), "write 'k' or 'gemm:k'")
        func_name, _, name = ref.rpartition(":")
        functions = [self.function(func_name)] if func_name else list(self.functions.values())
        found = [LoopHandle(fn.name, loop.band, loop.name, loop)
                 for fn in functions for loop in _loops_of(fn) if loop.name == name]
        if not found:
            known = {loop.name for fn in functions for loop in _loops_of(fn)}
            where = f"function {func_name!r}" if func_name else f"the design of {self.top.name!r}"
            raise _unknown("loop", name, where, known)
        if len(found) > 1:
            raise ScheduleError(f"loop name {name!r} is ambiguous: " +
                                ", ".join(map(str, found)), caller_loc(),
                                "qualify it with its function, e.g. 'func:name'")
        return found[0]

    def __getattr__(self, name: str) -> BufferHandle:
        """``s.C``: a buffer of the top function."""
        if name.startswith("_") or name == "top":
            raise AttributeError(name)
        buffers = self.top.buffers
        if name in buffers:
            return BufferHandle(self.top.name, name, buffers[name])
        methods = [m for m in dir(type(self)) if not m.startswith("_")]
        close = difflib.get_close_matches(name, methods + list(buffers), n=1)
        raise _UnknownName(f"unknown buffer {name!r} (nor a schedule method) in function "
                           f"{self.top.name!r}", caller_loc(),
                           f"did you mean {close[0]!r}?" if close else
                           f"buffers there: {', '.join(sorted(buffers))}")

    # -- composition -------------------------------------------------------------------------
    def compose(self, sub, id=None, instantiate=None):
        """Replay the primitives applied to ``sub`` (a schedule of a kernel this design calls)
        onto that kernel here: ``s.compose(s_mm)`` after ``s_mm = allo.customize(mm)``.

        ``instantiate`` names the template instance to target (its template arguments, as
        for ``customize``); ``id`` picks the function whose name is ``id`` or ends in
        ``_<id>`` when several instances of one kernel exist. Primitives replayed here are
        recorded here too, so a composed schedule composes again::

            def mm(A, B, C): for i, j, k: C[i, j] += ...   # s_mm.pipeline("k")
            def top(A, B, C): mm(A, B, C)                  # s.compose(s_mm) pipelines top's mm
        """
        if callable(sub) and not isinstance(sub, Schedule):
            sub = _library_schedule(sub, instantiate)
        if not isinstance(sub, Schedule):
            raise bad_argument("compose", "sub", "a Schedule (allo.customize(kernel)) or a "
                               "library kernel", sub)
        if instantiate is not None and not isinstance(instantiate, (list, tuple)):
            raise bad_argument("compose", "instantiate", "a list of template arguments",
                               instantiate)
        names = set(self.functions)
        source = sub.top.name
        if instantiate is not None:
            from ..frontend import template_instance_name
            target = template_instance_name(sub.top, instantiate)
        elif id is not None:
            if not isinstance(id, str):
                raise bad_argument("compose", "id", "a str naming a function instance", id)
            matches = sorted(n for n in names if n == id or n.endswith(f"_{id}"))
            if len(matches) != 1:
                raise illegal("compose", f"id {id!r} matches {len(matches)} functions of "
                              f"{self.top.name!r}", f"functions: {', '.join(sorted(names))}")
            target = matches[0]
        else:
            target = source
        if target not in names:
            raise illegal("compose", f"{self.top.name!r} calls no function {target!r}",
                          f"functions: {', '.join(sorted(names))}")
        rename = {source: target}

        def mapped(value):
            if isinstance(value, str) and ":" in value:
                func, _, rest = value.rpartition(":")
                return f"{rename.get(func, func)}:{rest}"
            return value

        for applied in sub.primitives:
            getattr(self, applied.primitive)(*map(mapped, applied.args),
                                             **{k: mapped(v) for k, v in applied.kwargs})

    # -- printing ----------------------------------------------------------------------------
    def __str__(self) -> str:
        return "\n\n".join(format_function(fn) for fn in reversed(ir.all_functions(self.top)))

    def show(self, file=None) -> None:
        """Print the loop nest of every function of the design, callees first."""
        print(self, file=file or sys.stdout)

    # -- building ----------------------------------------------------------------------------
    def build(self, target: str = "interp", **options):
        """Build the design for ``target``:

        * ``"interp"`` (default; ``"llvm"`` is Allo's name for it): the reference interpreter
          (``schedule_seed=`` shuffles the order in which concurrent dataflow kernels run);
        * ``"rtl"``: a callable that simulates the generated hardware (``simulator=
          "verilator"|"icarus"|"amaranth"``, ``waves=``, ``cycle_limit=``) and sets ``.cycles``;
        * ``"verilog"``: the Verilog text; ``"amaranth"``: the top-level ``wiring.Component``.

        Hardware targets take ``family="ecp5"|"ice40"|"generic"``, ``clock_mhz=`` (100) and
        ``checks=`` (True): the run-time checks of indices, divisors, shift amounts and bit
        indices that intervals cannot prove needless, which stop the design with the
        interpreter's error (``checks=False`` leaves them out: the report says so).
        For the ECP5 (the default) multipliers are ``MULT18X18D`` DSP cells with their own
        registers; the Verilog simulators run them through the models in ``allo_rtl.sim.models``.
        The ``"amaranth"`` component chooses the DSP cells when elaborated for an ECP5 platform
        and ``*`` otherwise, so Amaranth's simulator runs it whatever the family."""
        from ..build import build
        return build(self.top, target, options)

    def report(self, resources: bool = False, family: str = "ecp5", clock_mhz: float = 100.0,
               progress=None, checks: bool = True):
        """What the hardware will do: per loop trip count and cycles, per function states,
        latency and units, and the predicted cycle count of the design (``print`` it).

        ``resources=True`` also synthesizes the design for the ECP5 with Yosys (takes a while)."""
        from ..build import report
        return report(self.top, resources, family, clock_mhz, progress, checks)


def _library_schedule(kernel, instantiate) -> Schedule:
    """``customize(kernel, instantiate)`` with the schedule the library registers for it."""
    from ..library import schedule_for
    schedule = schedule_for(kernel)
    if schedule is None:
        raise bad_argument("compose", "sub", "a Schedule, or a library kernel with a schedule "
                           "of its own (allo_rtl.library)", getattr(kernel, "__name__", kernel))
    return schedule(customize(kernel, instantiate))


def customize(fn, instantiate=None) -> Schedule:
    """A Schedule over the IR of kernel ``fn`` and every kernel it calls.

    ``instantiate`` gives the arguments of a PEP 695 template kernel, in order."""
    return Schedule(parse_kernel(fn, instantiate))
