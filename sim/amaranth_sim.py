"""Simulation in Amaranth's own simulator: the external memories are modelled in Python."""
from __future__ import annotations

from amaranth.hdl import ClockDomain, Module
from amaranth.sim import Simulator

from .job import CLOCK_PERIOD_NS, RESET_CYCLES, SimJob, SimResult
from .probes import timeout_error
from .streams import STUCK_EDGES, gap_step, offers


def _find_probe_signals(sim: Simulator, probes) -> list:
    """The Signal of each probe (None if absent), found by hierarchy path and name.

    Walks the simulator's prepared design (``Simulator._design``, private in amaranth 0.5): it
    holds the names Amaranth also gives these signals in Verilog, so one naming contract serves
    both back ends, and it sees signals created inside ``elaborate()``."""
    by_path = {info.name: info for info in sim._design.fragments.values()}
    found = []
    for probe in probes:
        info = by_path.get(("top", "dut", *probe.path))
        signal = None
        if info is not None:
            signal = next((s for s, n in info.signal_names.items() if n == probe.signal), None)
        found.append(signal)
    return found


def _memory_model(component, job: SimJob, memories: dict[str, list[int]]):
    """A list of (words, depth, interface) per memory port."""
    return [(memories[a.port], a.depth, getattr(component, a.port)) for a in job.info.arrays]


def run_amaranth(component, job: SimJob) -> SimResult:
    info = job.info
    # Wrap the component so that the bench owns the sync domain and can drive its reset.
    top = Module()
    top.domains.sync = domain = ClockDomain("sync")
    top.submodules.dut = component
    sim = Simulator(top)
    sim.add_clock(CLOCK_PERIOD_NS * 1e-9, domain=domain)

    memories = {port: list(bits) for port, bits in job.array_bits.items()}
    model = _memory_model(component, job, memories)
    outputs = [getattr(component, p.port) for p in info.scalar_results]
    outputs += [getattr(component, port) for port, _ in info.status_outputs()]
    probe_signals = _find_probe_signals(sim, info.probes)
    fifo_signals = _find_probe_signals(sim, info.fifo_probes)
    wait_signals = _find_probe_signals(sim, info.wait_probes)
    sources = {p.port: _Source(getattr(component, p.port), job.stream_bits[p.port], seed)
               for p, seed in zip(info.streams, job.gap_seeds()) if p.direction == "in"}
    sinks = {p.port: _Sink(getattr(component, p.port), seed)
             for p, seed in zip(info.streams, job.gap_seeds()) if p.direction == "out"}
    ends = list(sources.values()) + list(sinks.values())
    outcome = {}

    async def bench(ctx):
        # Processes are background by default; this one decides when the simulation ends.
        with ctx.critical():
            await drive(ctx)

    async def drive(ctx):
        ctx.set(domain.rst, 1)
        ctx.set(component.start, 0)
        for _ in range(RESET_CYCLES):
            await ctx.tick()
        ctx.set(domain.rst, 0)
        for port, bits in zip(info.scalar_args, job.scalar_bits):
            ctx.set(getattr(component, port.port), bits)
        ctx.set(component.start, 1)
        for end in ends:
            end.drive(ctx, False)

        sampled = [component.busy, component.done, *outputs]
        for _words, _depth, mem in model:
            sampled += [mem.raddr, mem.ren, mem.waddr, mem.wen, mem.wdata]
        streams_at = len(sampled)
        for end in ends:
            sampled += end.sampled()
        if ends:
            sampled.append(component.stream_wait)
        waits_at = len(sampled)
        sampled += [s for s in wait_signals if s is not None]
        stuck = 0
        # Processes may not ctx.get(), so the state registers are sampled every edge too.
        fifos_at = len(sampled)
        sampled += [s for s in fifo_signals if s is not None]
        probes_at = len(sampled)
        sampled += [s for s in probe_signals if s is not None]
        n_out = len(outputs)
        edge = cycles = 0      # edge 0 samples start; edge k > 0 samples cycle k of the run
        # Each iteration sees the values just before a clock edge; ctx.set then acts like a
        # register updated by that edge, which is how the memories' read latency of 1 arises.
        async for _clk, _rst, busy, done, *rest in ctx.tick().sample(*sampled):
            if edge == 0:
                ctx.set(component.start, 0)
            at = n_out
            for words, depth, mem in model:
                raddr, ren, waddr, wen, wdata = rest[at:at + 5]
                at += 5
                if ren:
                    ctx.set(mem.rdata, words[raddr] if raddr < depth else 0)
                if wen and waddr < depth:
                    words[waddr] = wdata
            if ends:
                at = streams_at - 2
                for end in ends:
                    end.edge(rest[at:at + end.n_sampled])
                    at += end.n_sampled
                waited = bool(rest[at])
                stuck = stuck + 1 if waited else 0
                for end in ends:
                    end.drive(ctx, waited)
            if done and edge <= job.cycle_limit + 1:
                outcome["outputs"] = list(rest[:n_out])
                values = iter(rest[fifos_at - 2:probes_at - 2])
                outcome["fifos"] = [None if s is None else next(values) for s in fifo_signals]
                break
            if stuck >= STUCK_EDGES:
                outcome["outputs"] = [0] * n_out
                outcome["fifos"] = []
                values = iter(rest[waits_at - 2:])
                outcome["deadlock"] = [None if s is None else next(values) for s in wait_signals]
                break
            cycles += busy
            # A run of cycle_limit busy cycles has its done sampled by edge cycle_limit + 1.
            # Past that, report the state left by that edge (as the cocotb bench does).
            if edge > job.cycle_limit + 1:
                values = iter(rest[probes_at - 2:])
                outcome["probes"] = [None if s is None else next(values) for s in probe_signals]
                break
            edge += 1
        outcome["cycles"] = cycles

    sim.add_process(bench)
    if job.waves is not None:
        job.waves.parent.mkdir(parents=True, exist_ok=True)
        with sim.write_vcd(str(job.waves)):
            sim.run()
    else:
        sim.run()

    if "outputs" not in outcome:
        raise timeout_error(info, job.cycle_limit, outcome["probes"], job.loc)
    return job.result(outcome["outputs"], memories, outcome["cycles"], simulator="amaranth",
                      fifo_occupancy=outcome["fifos"], deadlock=outcome.get("deadlock"),
                      stream_values={port: sink.values for port, sink in sinks.items()},
                      stream_taken={port: source.taken for port, source in sources.items()})


class _Source:
    """The testbench's side of an input stream: its values in order, offered with gaps."""

    n_sampled = 1

    def __init__(self, port, values: list, seed: int):
        self.port, self.values, self.gap, self.taken = port, values, seed, 0
        self.valid = False

    def sampled(self) -> list:
        return [self.port.ready]

    def edge(self, values) -> None:
        if self.valid and values[0]:
            self.taken += 1
        self.gap = gap_step(self.gap)

    def drive(self, ctx, waited: bool) -> None:
        self.valid = self.taken < len(self.values) and offers(self.gap, waited)
        ctx.set(self.port.valid, self.valid)
        if self.taken < len(self.values):
            ctx.set(self.port.payload, self.values[self.taken])


class _Sink:
    """The testbench's side of an output stream: every value, taken with gaps."""

    n_sampled = 2

    def __init__(self, port, seed: int):
        self.port, self.gap, self.values = port, seed, []
        self.ready = False

    def sampled(self) -> list:
        return [self.port.valid, self.port.payload]

    def edge(self, values) -> None:
        if self.ready and values[0]:
            self.values.append(values[1])
        self.gap = gap_step(self.gap)

    def drive(self, ctx, waited: bool) -> None:
        self.ready = offers(self.gap, waited)
        ctx.set(self.port.ready, self.ready)
