"""Modulo scheduling of a pipelined loop's body: one iteration starts every II cycles.

The body (inner loops unrolled) is one dataflow graph, list-scheduled against a modulo
reservation table of memory ports at a candidate II. The achieved II is the smallest at least
``max(target, resource bound, recurrence bound)`` that the schedule meets:

* resource bound: per memory port (per bank), the accesses one iteration makes over what the
  port takes per cycle; a sequential divider serves one iteration at a time;
* recurrence bound: a variable written in one iteration and read in the next, or a memory word
  stored in one iteration and loaded (or stored) in a later one, must be written before the
  next iteration's reads. Dependence distances between iterations are taken as 1 unless both
  addresses are constants (then the words are known): conservative for data-dependent
  addresses such as a histogram's, and said so in the report.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .dfg import Dfg, Node
from .listsched import PortModel, live_nodes, schedule_block


@dataclass
class ModuloSchedule:
    ii: int
    length: int           # cycles from an iteration's start to its last operation, plus one
    target: int
    cause: str            # why ii is what it is
    resource_ii: int
    recurrence_ii: int


def _where(node: Node) -> str:
    loc = node.loc
    return f"line {loc.line}" if loc else "?"


def resource_bound(nodes: list, port_of) -> tuple:
    uses: dict = {}
    names: dict = {}
    for n in nodes:
        if n.kind in ("load", "store"):
            for key, cap in port_of(n.attrs["buffer"], n.kind, n.attrs["bank"]):
                if cap is not None:
                    uses[key] = uses.get(key, 0) + 1 / cap
                    names[key] = n
    best, cause = 1, "target"
    for key, count in uses.items():
        need = math.ceil(count - 1e-9)
        if need > best:
            n = names[key]
            bank = "" if n.attrs["bank"] is None and len(key) < 3 else f" bank {key[1]}"
            best, cause = need, (f"memory port: {need} accesses per iteration to "
                                 f"{n.attrs['buffer'].name}{bank} ({_where(n)}), one per cycle")
    for n in nodes:
        if n.kind == "div" and n.attrs["latency"] > best:
            best, cause = n.attrs["latency"], (f"divider ({_where(n)}) takes "
                                               f"{n.attrs['latency']} cycles per iteration")
    return best, cause


def _constant_address(n: Node):
    addr = n.operands[0]
    return addr.attrs["value"] if addr.kind == "const" and n.attrs["bank"] is not None else None


def _may_alias(a: Node, b: Node) -> bool:
    if a.attrs["buffer"] is not b.attrs["buffer"]:
        return False
    if a.attrs["bank"] is not None and b.attrs["bank"] is not None and a.attrs["bank"] != b.attrs["bank"]:
        return False
    ca, cb = _constant_address(a), _constant_address(b)
    return not (ca is not None and cb is not None and ca != cb)


def carried_constraints(nodes: list, read_latency) -> list:
    """``(first, second, slack, what)``: ``second.cycle + II >= first.cycle + slack`` must hold
    for the next iteration (distance 1)."""
    out = []
    var_nodes = {n.attrs["var"]: n for n in nodes if n.kind == "var"}
    users: dict = {}
    for n in nodes:
        for o in n.operands:
            users.setdefault(id(o), []).append(n)
    for w in nodes:
        if w.kind == "write" and w.attrs["var"] in var_nodes:
            for reader in users.get(id(var_nodes[w.attrs["var"]]), []):
                out.append((w, reader, 1, f"variable {w.attrs['var'].name} ({_where(w)})"))
    accesses = [n for n in nodes if n.kind in ("load", "store")]
    for s in accesses:
        if s.kind != "store":
            continue
        for x in accesses:
            if not _may_alias(s, x):
                continue
            name = s.attrs["buffer"].name
            if x.kind == "load":
                out.append((s, x, 1, f"array {name}: stored at {_where(s)}, loaded at {_where(x)}"))
                same_cycle_ok = read_latency(x.attrs["buffer"]) == 0
                out.append((x, s, 0 if same_cycle_ok else 1, f"array {name}: loaded at "
                            f"{_where(x)} before the next iteration stores it ({_where(s)})"))
            elif x is not s:
                out.append((s, x, 1, f"array {name}: stores at {_where(s)} and {_where(x)}"))
    return out


def _late_register_loads(nodes: list, read_latency) -> None:
    """Register reads (and the free casts after them) as late as their first user: a
    recurrence through registers then spans only the cycles between that read and the write."""
    users: dict = {}
    for n in nodes:
        for o in n.operands:
            users.setdefault(id(o), []).append(n)
    for n in reversed(nodes):
        movable = (n.kind == "load" and read_latency(n.attrs["buffer"]) == 0) or \
            (n.kind == "op" and n.op == "cast" and n.operands[0].kind == "load")
        if movable and users.get(id(n)):
            latest = min(u.cycle for u in users[id(n)])
            if latest > n.cycle:
                n.cycle = n.ready = latest


def _writes_after_reads(nodes: list) -> None:
    """A variable's write may not come before a read of its old value in the same iteration."""
    var_nodes = {n.attrs["var"]: n for n in nodes if n.kind == "var"}
    readers: dict = {}
    for n in nodes:
        for o in n.operands:
            if o.kind == "var":
                readers.setdefault(id(o), []).append(n.cycle)
    for w in nodes:
        if w.kind == "write" and w.attrs["var"] in var_nodes:
            cycles = readers.get(id(var_nodes[w.attrs["var"]]), [])
            if cycles and max(cycles) > w.cycle:
                w.cycle = w.ready = max(cycles)


def modulo_schedule(dfg: Dfg, model, port_of, read_latency, latency_of, target: int) -> ModuloSchedule:
    dfg.nodes = live_nodes(dfg)
    for n in dfg.nodes:
        if n.kind in ("mul", "div"):
            latency_of(n)
    res_ii, res_cause = resource_bound(dfg.nodes, port_of)
    constraints = None
    ii = max(target, res_ii)
    rec_ii, rec_cause = 1, ""
    while True:
        length = schedule_block(dfg, model, PortModel(port_of, read_latency, modulo=ii),
                                latency_of, writes_last=False)
        _late_register_loads(dfg.nodes, read_latency)
        _writes_after_reads(dfg.nodes)
        length = max([length] + [n.cycle + 1 for n in dfg.nodes if n.cycle is not None])
        constraints = carried_constraints(dfg.nodes, read_latency)
        needed, why = 1, ""
        for first, second, slack, what in constraints:
            need = first.cycle + slack - second.cycle
            if need > needed:
                needed, why = need, what
        rec_ii, rec_cause = max(rec_ii, needed), why if needed >= rec_ii else rec_cause
        if needed <= ii:
            break
        ii = needed
    if ii == target:
        cause = "the target II"
    elif ii == res_ii:
        cause = res_cause
    else:
        cause = f"recurrence through {rec_cause}"
    return ModuloSchedule(ii, length, target, cause, res_ii, rec_ii)
