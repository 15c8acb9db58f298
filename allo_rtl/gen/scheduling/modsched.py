"""Modulo scheduling of a pipelined loop's body: one iteration starts every II cycles.

The body (inner loops unrolled) is one dataflow graph, list-scheduled against a modulo
reservation table of memory ports at a candidate II. The achieved II is the smallest at least
``max(target, resource bound, recurrence bound)`` that the schedule meets:

* resource bound: per memory port (per bank), the accesses one iteration makes over what the
  port takes per cycle; a sequential divider serves one iteration at a time. An access whose
  bank is chosen at run time needs one cycle of the table in which every bank it reaches is
  free; when none is, the II grows by one until one is;
* recurrence bound: a variable written in one iteration and read in the next, or a memory word
  stored in one iteration and loaded (or stored) in a later one, must be written before the
  next iteration's reads. Dependence distances come from the addresses' affine forms in the
  loop counters: exact when both have the same form and one counter varies, or the form maps
  distinct iterations to distinct words; otherwise (data-dependent addresses such as a
  histogram's, different forms) a distance of 1 is assumed: conservative, and the report names
  the dependence.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ...ir.layout import Layout
from ..analysis.graph import STREAM_KINDS, Dfg, Node, affine_parts
from .listsched import NoFreeSlot, PortModel, live_nodes, ports_taken, schedule_block


# Rounds of holding accesses back at one II (a chain of n shift-register stages takes n).
MAX_HOLD_ROUNDS = 256


@dataclass
class ModuloSchedule:
    ii: int
    length: int           # cycles from an iteration's start to its last operation, plus one
    target: int
    cause: str            # why ii is what it is


def _where(node: Node) -> str:
    loc = node.loc
    return f"line {loc.line}" if loc else "?"


def resource_bound(nodes: list, port_of) -> tuple:
    uses: dict = {}
    names: dict = {}
    for n in nodes:
        if n.kind in ("load", "store") + STREAM_KINDS:
            for key, cap in ports_taken(n, port_of):
                if cap is not None:
                    uses[key] = uses.get(key, 0) + 1 / cap
                    names[key] = n
    best, cause = 1, "target"
    for key, count in uses.items():
        need = math.ceil(count - 1e-9)
        if need > best and names[key].kind in STREAM_KINDS:
            n = names[key]
            best, cause = need, (f"stream {n.attrs['channel'].name}: {need} operations per "
                                 f"iteration ({_where(n)}), one per cycle")
        elif need > best:
            n = names[key]
            buffer = n.attrs["buffer"]
            bank = "" if not Layout.of(buffer).banked else \
                f" bank {key[1]}" if n.attrs["bank"] is not None else \
                (f" bank {key[1]} (an access whose bank is chosen at run time takes a port of "
                 f"every bank it can reach)")
            best, cause = need, (f"memory port: {need} accesses per iteration to "
                                 f"{buffer.name}{bank} ({_where(n)}), one per cycle")
    for n in nodes:
        if n.kind == "div" and n.attrs["latency"] > best:
            best, cause = n.attrs["latency"], (f"divider ({_where(n)}) takes "
                                               f"{n.attrs['latency']} cycles per iteration")
    return best, cause


def _flat_address(n: Node):
    """``(terms, constant)`` of ``bank * bank_depth + word``: one number per array element."""
    depth = Layout.of(n.attrs["buffer"]).bank_depth
    terms, constant = affine_parts(n.operands[0])
    if n.attrs["bank"] is not None:
        return terms, constant + n.attrs["bank"] * depth
    bank_terms, bank_constant = affine_parts(n.operands[2 if n.kind == "store" else 1])
    merged = dict(terms)
    for k, c in bank_terms.items():
        merged[k] = merged.get(k, 0) + c * depth
    return {k: c for k, c in merged.items() if c}, constant + bank_constant * depth


class Iterations:
    """The pipeline's loop variables: which DFG leaves vary between iterations, and how."""

    def __init__(self, nodes: list, loops: list, trips: list):
        written = {n.attrs["var"] for n in nodes if n.kind == "write"}
        by_var = {}
        for k, (loop, trip) in enumerate(zip(loops, trips)):
            inner = trips[k + 1:]
            weight = None if None in inner else math.prod(inner)   # iterations per step
            by_var[loop.var] = (loop.step, trip, weight)
        self.varying, self.invariant = {}, set()
        for n in nodes:
            if n.kind == "var":
                var = n.attrs["var"]
                if var in by_var:
                    self.varying[n.id] = by_var[var]
                elif var not in written:
                    self.invariant.add(n.id)
        # a counter the body never reads still repeats every word from one of its iterations
        # to the next (``for k in range(2): C[i] += x``): it is a counter no address uses
        read = {n.attrs["var"] for n in nodes if n.kind == "var"}
        for k, loop in enumerate(loops):
            if loop.var not in read:
                self.varying[("unread", k)] = by_var[loop.var]

    def distance(self, first: Node, second: Node):
        """The fewest iterations after ``first``'s at which ``second`` may touch the word
        ``first`` touched (None: never), or 1 when that cannot be told (conservative)."""
        (ta, ca), (tb, cb) = _flat_address(first), _flat_address(second)
        if ta != tb or any(k not in self.varying and k not in self.invariant for k in ta):
            return 1
        steps = {k: c * self.varying[k][0] for k, c in ta.items() if k in self.varying}
        # a counter the address does not use repeats the word from one iteration to another
        unused = [k for k, (_, trip, _) in self.varying.items() if k not in steps and trip != 1]
        if not steps:
            return 1 if ca == cb else None
        if not unused:
            if ca == cb:
                return None if _injective(steps, self.varying) else 1
            if len(steps) == 1:
                (k, stride), = steps.items()
                d, rest = divmod(ca - cb, stride)
                trip = self.varying[k][1]
                return d if rest == 0 and d >= 1 and (trip is None or d < trip) else None
        return self.solve({**steps, **{k: 0 for k in unused}}, ca - cb)

    def solve(self, steps: dict, delta: int):
        """The fewest iterations between two accesses whose counters differ by ``D`` with
        ``sum(stride * D) == delta``, by search over the few ``D`` the trip counts allow."""
        info = [(stride, *self.varying[k][1:]) for k, stride in steps.items()]
        if any(trip is None or weight is None for _, trip, weight in info):
            return 1
        info.sort(key=lambda t: -abs(t[0]))
        reach = [sum(abs(st) * (tr - 1) for st, tr, _ in info[i + 1:]) for i in range(len(info))]
        best, budget = None, [4096]

        def search(level, rest, distance):
            nonlocal best
            budget[0] -= 1
            if budget[0] < 0:
                return
            if level == len(info):
                if rest == 0 and distance >= 1 and (best is None or distance < best):
                    best = distance
                return
            stride, trip, weight = info[level]
            if stride == 0:
                lo, hi = 1 - trip, trip - 1
            elif stride > 0:
                lo = math.ceil((rest - reach[level]) / stride)
                hi = math.floor((rest + reach[level]) / stride)
            else:
                lo = math.ceil((rest + reach[level]) / stride)
                hi = math.floor((rest - reach[level]) / stride)
            for d in range(max(lo, 1 - trip), min(hi, trip - 1) + 1):
                search(level + 1, rest - stride * d, distance + d * weight)

        search(0, delta, 0)
        return 1 if budget[0] < 0 else best


def _injective(steps: dict, varying: dict) -> bool:
    """Whether distinct iterations give distinct ``sum(stride * iteration index)``: each stride
    exceeds what the smaller ones can add up to over their trip counts."""
    reach = 0
    for k, stride in sorted(steps.items(), key=lambda kv: abs(kv[1])):
        if abs(stride) <= reach:
            return False
        trip = varying[k][1]
        if trip is None:
            return len(steps) == 1
        reach += abs(stride) * (trip - 1)
    return True


def _users(nodes: list) -> dict:
    """id(node) -> the nodes that take it as an operand."""
    users: dict = {}
    for n in nodes:
        for o in n.operands:
            users.setdefault(id(o), []).append(n)
    return users


def carried_constraints(nodes: list, read_latency, iterations: Iterations, users: dict) -> list:
    """``(first, second, slack, distance, what)``: ``second.cycle + distance * II >=
    first.cycle + slack`` must hold for the iteration ``distance`` later."""
    out = []
    var_nodes = {n.attrs["var"]: n for n in nodes if n.kind == "var"}
    for w in nodes:
        if w.kind == "write" and w.attrs["var"] in var_nodes:
            for reader in users.get(id(var_nodes[w.attrs["var"]]), []):
                out.append((w, reader, 1, 1, f"variable {w.attrs['var'].name} ({_where(w)})"))
    # the next iteration's stream operations come no earlier than this one's (in one cycle,
    # the older iteration's first: dataflow/streams.py); one stream's take ports (the table)
    stream_ops = [n for n in nodes if n.kind in STREAM_KINDS]
    for k, later in enumerate(stream_ops):
        for earlier in stream_ops[:k]:
            out.append((later, earlier, 0, 1, f"the order of stream operations "
                        f"({_where(earlier)}, then {_where(later)})"))
    accesses = [n for n in nodes if n.kind in ("load", "store")]
    for s in accesses:
        if s.kind != "store":
            continue
        for x in accesses:
            if x.attrs["buffer"] is not s.attrs["buffer"]:
                continue
            name = s.attrs["buffer"].name
            after = iterations.distance(s, x)     # x in a later iteration than s
            before = iterations.distance(x, s)    # s in a later iteration than x
            if x.kind == "load":
                if after is not None:
                    out.append((s, x, 1, after, f"array {name}: stored at {_where(s)}, loaded "
                                f"at {_where(x)}"))
                if before is not None:
                    same_cycle_ok = read_latency(x.attrs["buffer"]) == 0
                    out.append((x, s, 0 if same_cycle_ok else 1, before, f"array {name}: loaded "
                                f"at {_where(x)} before a later iteration stores it ({_where(s)})"))
            elif x is not s and after is not None:
                out.append((s, x, 1, after, f"array {name}: stores at {_where(s)} and {_where(x)}"))
    return out


def _late_register_loads(nodes: list, read_latency, users: dict) -> None:
    """Register reads (and the free casts after them) as late as their first user, and no later
    than a store of the same word that must follow them: a recurrence through registers then
    spans only the cycles between that read and the write."""
    after: dict = {}   # id(access) -> [(store, distance)] ordered after it
    for n in nodes:
        for d, distance in n.deps:
            after.setdefault(id(d), []).append((n, distance))
    for n in reversed(nodes):
        movable = (n.kind == "load" and read_latency(n.attrs["buffer"]) == 0) or \
            (n.kind == "op" and n.op == "cast" and n.operands[0].kind in ("load", "var"))
        if movable and users.get(id(n)):
            latest = min([u.cycle for u in users[id(n)]] +
                         [s.cycle - distance for s, distance in after.get(id(n), [])])
            if latest > n.cycle:
                n.cycle = n.ready = latest


def _writes_after_reads(nodes: list, users: dict) -> None:
    """A variable's write may not come before a read of its old value in the same iteration."""
    var_nodes = {n.attrs["var"]: n for n in nodes if n.kind == "var"}
    for w in nodes:
        if w.kind == "write" and w.attrs["var"] in var_nodes:
            cycles = [u.cycle for u in users.get(id(var_nodes[w.attrs["var"]]), [])]
            if cycles and max(cycles) > w.cycle:
                w.cycle = w.ready = max(cycles)


def _deficits(constraints: list, ii: int) -> list:
    """The loop-carried constraints the current cycles break at ``ii``, with the II each needs."""
    out = []
    for c in constraints:
        first, second, slack, distance, _ = c
        need = math.ceil((first.cycle + slack - second.cycle) / distance)
        if need > ii:
            out.append((c, need))
    return out


def _schedule_at(dfg: Dfg, model, port_of, read_latency, latency_of, ii: int, users: dict,
                 constraints: list) -> tuple:
    """Schedule the body at ``ii``; returns its length and the constraints it breaks.

    A broken constraint whose later access could simply come later (a shift register's read
    that ran ahead of the previous iteration's write, say) is met by holding that access back
    and scheduling again, which may break the next one down a chain. When holding back does
    not help (the write moves with the read: a true recurrence), the schedule without holds
    is kept, and the caller raises the II."""
    def attempt(earliest):
        length = schedule_block(dfg, model, PortModel(port_of, read_latency, modulo=ii),
                                latency_of, writes_last=False, earliest=earliest)
        _late_register_loads(dfg.nodes, read_latency, users)
        _writes_after_reads(dfg.nodes, users)
        length = max([length] + [n.cycle + 1 for n in dfg.nodes if n.cycle is not None])
        return length, _deficits(constraints, ii)

    length, broken = attempt(None)
    earliest, held = {}, set()
    for _ in range(min(len(constraints), MAX_HOLD_ROUNDS)):
        if not broken:
            return length, broken
        if any(id(c) in held for c, _ in broken):
            break   # holding that access back moved the write too
        held = set()
        for c, _ in broken:
            first, second, slack, distance, _ = c
            if second.kind in ("load", "store", "op", "mul", "div") + STREAM_KINDS:
                earliest[id(second)] = first.cycle + slack - distance * ii
                held.add(id(c))
        if not held:
            break
        try:
            length, broken = attempt(earliest)
        except NoFreeSlot:
            break   # the held accesses found no free port: keep the schedule without holds
    if broken and earliest:
        length, broken = attempt(None)
    return length, broken


def modulo_schedule(dfg: Dfg, model, port_of, read_latency, latency_of, target: int,
                    loops: list, trips: list) -> ModuloSchedule:
    dfg.nodes = live_nodes(dfg)
    iterations = Iterations(dfg.nodes, loops, trips)
    for n in dfg.nodes:
        if n.kind in ("mul", "div"):
            latency_of(n)
    res_ii, res_cause = resource_bound(dfg.nodes, port_of)
    users = _users(dfg.nodes)
    # which pairs constrain each other, and at what distance, does not depend on the cycles
    constraints = carried_constraints(dfg.nodes, read_latency, iterations, users)
    ii = max(target, res_ii)
    cause = "the target II" if ii == target else res_cause
    while True:
        try:
            length, broken = _schedule_at(dfg, model, port_of, read_latency, latency_of, ii,
                                          users, constraints)
        except NoFreeSlot as full:
            ii += 1
            cause = (f"memory ports: the access at {_where(full.node)} reaches several banks "
                     f"of {full.node.attrs['buffer'].name} and needs a cycle in which all are free")
            continue
        if not broken:
            break
        (*_, what), needed = max(broken, key=lambda b: b[1])
        ii, cause = needed, f"recurrence through {what}"
    return ModuloSchedule(ii, length, target, cause)
