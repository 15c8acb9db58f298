"""The error status of a design: run-time checks (``checks.py``) as hardware.

A function with checks (its own or its callees') has two more outputs: ``error`` (0 while no
check failed; else the code of the failed check, numbered over the whole design by
``number_checks``) and ``error_data`` (the values the error message names, packed as the
check's ``CheckSite.fields`` say), valid with ``done``. When a check fails, the region it runs in
(a block, or a pipeline, which issues no further iteration and lets the ones in flight drain)
finishes, then the function stops: ``done`` pulses with ``error`` set. A failed store writes
nothing. A caller that sees its callee stop with an error stops with the same error.

When several checks fail in one region, the one reported is the first the interpreter would
have raised: in one block, the lowest rank (order of evaluation); in a pipeline, the oldest
iteration, then the lowest rank. ``record`` keeps the best one seen so far in registers, so a
check that fails later in time can still take precedence over one that failed earlier.
"""
from __future__ import annotations

from dataclasses import dataclass

from amaranth.hdl import Cat, Signal, signed, unsigned

from .units import resize


@dataclass(frozen=True)
class ErrorLayout:
    """The widths of the ``error`` and ``error_data`` outputs, the same for every function of a
    design so that a caller passes its callee's status on as it is."""

    code_width: int
    data_width: int


def number_checks(designs) -> tuple:
    """Give every check of ``designs`` (FunctionDesigns) its code, 1 up; returns (the sites in
    code order, the ErrorLayout, or None when the design has no checks)."""
    sites = [site for design in designs for site in design.plan.checks]
    for code, site in enumerate(sites, 1):
        site.code = code
    if not sites:
        return [], None
    return sites, ErrorLayout(len(sites).bit_length(), max(1, *(s.data_bits for s in sites)))


class ErrorRecorder:
    """The error status registers of one function and the logic that updates them.

    ``next_*`` are what the registers take at the clock edge: the current values unless a check
    that fails in this cycle takes precedence. ``pending`` is high when an error is recorded
    or is being recorded: the region that ends in this cycle stops the function instead."""

    def __init__(self, m, layout: ErrorLayout, max_rank: int, max_stage: int):
        self.m, self.layout = m, layout
        self.code = Signal(layout.code_width, name="error_code")
        self.data = Signal(layout.data_width, name="error_data")
        self.rank = Signal(range(max_rank + 1), name="error_rank")
        self.stage = Signal(range(max_stage + 2), name="error_stage")
        self.next_code = Signal.like(self.code, name="error_code_next")
        self.next_data = Signal.like(self.data, name="error_data_next")
        self.next_rank = Signal.like(self.rank, name="error_rank_next")
        self.next_stage = Signal.like(self.stage, name="error_stage_next")
        self.advancing = Signal(name="error_stage_advancing")
        self.pending = Signal(name="error_pending")
        self.entries: list = []
        # defaults first: the checks' assignments, emitted later, take precedence
        m.d.comb += [self.next_code.eq(self.code), self.next_data.eq(self.data),
                     self.next_rank.eq(self.rank), self.next_stage.eq(self.stage),
                     self.pending.eq(self.next_code != 0)]
        m.d.sync += [self.code.eq(self.next_code), self.data.eq(self.next_data),
                     self.rank.eq(self.next_rank),
                     self.stage.eq(self.next_stage + self.advancing)]

    def check(self, when, fails, values: list, site, rank: int, stage: int | None) -> None:
        """A check: ``when`` (the state, and a pipeline's stage) and ``fails`` are high when
        it fails; ``values`` are the signals of its fields. ``stage``: the pipeline stage of
        the check (older iterations are in higher stages), None outside pipelines."""
        packed = Cat(*(resize(v, shape) for v, shape in zip(values, _shapes(site.fields))))
        self.entries.append((when & fails, packed, site, rank, stage))

    def advance(self, m) -> None:
        """Every iteration in a pipeline moves to the next stage at this cycle's edge."""
        m.d.comb += self.advancing.eq(1)

    def clear(self, m) -> None:
        """A new run starts: no error."""
        m.d.comb += [self.next_code.eq(0), self.next_data.eq(0)]

    def adopt(self, m, code, data) -> None:
        """Take a callee's error status as this function's."""
        m.d.comb += [self.next_code.eq(code), self.next_data.eq(data)]

    def emit(self) -> None:
        """The precedence logic, once every check is known: checks that fail in one cycle are
        emitted from the lowest precedence up, so the last assignment that applies wins."""
        m = self.m
        for fails, packed, site, rank, stage in sorted(
                self.entries, key=lambda e: (e[4] or 0, -e[3])):
            free = self.code == 0
            if stage is None:
                beats = free | (self.rank > rank)
            else:
                beats = free | (self.stage < stage) | ((self.stage == stage) & (self.rank > rank))
            with m.If(fails & beats):
                m.d.comb += [self.next_code.eq(site.code), self.next_data.eq(packed),
                             self.next_rank.eq(rank), self.next_stage.eq(stage or 0)]


def _shapes(fields: tuple) -> list:
    return [(signed if is_signed else unsigned)(bits) for is_signed, bits in fields]
