"""Where each array of one function lives, decided before any hardware is made: an external
interface (one per bank, or one register-file port when a partition leaves one word per bank),
a block RAM per bank, or registers; and the names of the interface members."""
from __future__ import annotations

from ...ir import nodes as ir
from ...ir.layout import Layout

REGISTER_WORDS = 1024   # a local array of at most this many words accessed by a pipeline
# storage kinds read without a cycle and without port limits
IN_REGISTERS = ("registers", "register_port")


def register_port(layout: Layout) -> bool:
    """Whether an external array of ``layout`` is one ``RegisterFileSignature``: a partition
    that leaves one word per bank."""
    return layout.banked and layout.bank_depth == 1


def bank_member(base: str, layout: Layout, bank: int) -> str:
    return base if not layout.banked else f"{base}_{bank}"


def bank_members(base: str, layout: Layout) -> list:
    """The interface member names of an external array of ``layout``, bank by bank (one
    register-file port for all of them)."""
    if register_port(layout):
        return [base]
    return [bank_member(base, layout, b) for b in range(layout.n_banks)]


class StoragePlan:
    """Which kind of storage each array of one function gets: "external" (memory interfaces),
    "register_port" (registers held by the caller), "memory" or "registers"."""

    def __init__(self, external: dict, body: list):
        self.external = external            # id(buffer) -> interface member base name
        self.pipelined = set()
        for stmt in ir.walk_stmts(body):
            if isinstance(stmt, ir.For) and "pipeline" in stmt.attrs:
                for inner in ir.walk_stmts(stmt.body):
                    for e in inner.exprs():
                        self.pipelined.update(id(x.buffer) for x in ir.walk_expr(e)
                                              if isinstance(x, ir.Load))
                    if isinstance(inner, ir.Store):
                        self.pipelined.add(id(inner.buffer))

    def kind(self, buffer) -> str:
        layout = Layout.of(buffer)
        if id(buffer) in self.external:
            return "register_port" if register_port(layout) else "external"
        if layout.bank_depth == 1:
            return "registers"
        if not layout.banked and id(buffer) in self.pipelined and buffer.type.size <= REGISTER_WORDS:
            return "registers"
        return "memory"
