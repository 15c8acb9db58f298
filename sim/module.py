"""``RtlModule``: generated hardware called like the interpreter, on numpy arrays and scalars."""
from __future__ import annotations

from .. import kernel_call
from ..errors import SimulationError, caller_loc, dataflow_deadlock

SIMULATORS = ("verilator", "icarus", "amaranth")


class RtlModule:
    """Simulates the design of ``design`` (a ``gen.GeneratedDesign``) on each call.

    Same calling convention as the interpreter: array arguments the kernel writes are updated in
    place, results are returned. ``cycles`` is the cycle count of the last call (``start`` to
    ``done``), ``predicted_cycles`` the static latency (None when data decide it), ``waves`` the
    waveform file of the last call when built with ``waves=True``, ``fifo_occupancy`` the
    highest number of values each stream of a dataflow region held in the last call
    (``"<function>:<stream>"`` -> count), to size their depths.

    A stream argument of a region takes a 1-D numpy array: an input's values, given in order
    (the region must take them all), or, for an output, the array the values put are written
    to (it must hold exactly as many). ``backpressure``: a seed for random cycles in which the
    testbench gives or takes nothing on them (``sim/streams.py``), None for none; set it on
    the module to change it between calls."""

    def __init__(self, design, simulator: str = "verilator", waves: bool = False,
                 cycle_limit: int | None = None, progress=None, backpressure: int | None = None):
        if simulator not in SIMULATORS:
            raise SimulationError(f"unknown simulator {simulator!r}", caller_loc(),
                                  f"simulators: {', '.join(SIMULATORS)}")
        if cycle_limit is not None and (not isinstance(cycle_limit, int) or cycle_limit < 1):
            raise SimulationError(f"cycle_limit must be a positive integer, got {cycle_limit!r}",
                                  caller_loc(), "leave it out for the simulator's default")
        self.design, self.top = design, design.top
        self.simulator, self.waves_enabled = simulator, waves
        self.cycle_limit, self.progress = cycle_limit, progress
        self.backpressure = backpressure
        self.cycles: int | None = None
        self.waves: str | None = None
        self.fifo_occupancy: dict = {}
        self.predicted_cycles = design.predicted_cycles
        self._verilog = None

    def __repr__(self):
        return f"<RtlModule {self.top.name} on {self.simulator}>"

    @property
    def verilog(self) -> str:
        if self._verilog is None:
            self._verilog = self.design.simulation_verilog()
        return self._verilog

    def __call__(self, *args, **kwargs):
        from . import simulate

        values = kernel_call.bind(self.top, args, kwargs)
        raw_args, arrays = kernel_call.to_raw(self.top, values)
        info = self.design.info
        streams = [raw_args[p.param_index] for p in info.streams]
        scalars = [raw_args[p.param_index] for p in info.scalar_args]
        memories = {}
        for port in info.arrays:
            if port.param_index is not None:
                memories[port.port] = _bank_words(port, list(raw_args[port.param_index]))
            else:
                memories[port.port] = [0] * port.depth
        component = (self.design.portable_component if self.simulator == "amaranth"
                     else self.design.synthesis_component)
        result = simulate(component, info, scalars, memories,
                          simulator=self.simulator, waves=self.waves_enabled,
                          cycle_limit=self.cycle_limit,
                          verilog=None if self.simulator == "amaranth" else self.verilog,
                          loc=self.top.loc, progress=self.progress,
                          streams={p.port: a.raw for p, a in zip(info.streams, streams)
                                   if p.direction == "in"},
                          backpressure=self.backpressure)
        self.cycles, self.waves = result.cycles, result.waves
        # in values: a stream of blocks counts a block begun as one
        self.fifo_occupancy = {p.key: None if v is None else -(-v // p.words)
                               for p, v in zip(info.fifo_probes, result.fifo_occupancy)}
        if result.deadlock is not None:   # the design waits for values the caller lacks
            raise dataflow_deadlock([(probe.kernel, *probe.waits[v - 1])
                                     for probe, v in zip(info.wait_probes, result.deadlock)
                                     if v])
        if result.error_code:   # a run-time check failed: the interpreter's error, no write-back
            site = info.checks[result.error_code - 1]
            raise site.error(site.decode(result.error_data))
        updates = kernel_call.stream_updates(
            streams, {id(a.param): result.stream_taken[p.port]
                      for p, a in zip(info.streams, streams) if p.direction == "in"},
            {id(a.param): result.stream_values[p.port]
             for p, a in zip(info.streams, streams) if p.direction == "out"})
        raw_results = [None] * len(self.top.result_types)
        for port, value in zip(info.scalar_results, result.scalar_results):
            raw_results[port.result_index] = value
        for port in info.arrays:
            k = port.result_index
            if k is not None:
                if raw_results[k] is None:
                    raw_results[k] = [0] * self.top.result_types[k].size
                raw_results[k] = _merge(raw_results[k], port, result.arrays[port.port])
        outs = kernel_call.from_raw_results(self.top, raw_results)
        final = {id(a.param): a.raw for a in arrays}
        for port in info.arrays:
            if port.param_index is not None and port.written:
                key = id(self.top.params[port.param_index])
                final[key] = _merge(list(final[key]), port, result.arrays[port.port])
        kernel_call.write_back(arrays, final)
        kernel_call.apply_updates(updates)
        return outs


def _bank_words(port, whole: list) -> list:
    """What the memory behind ``port`` holds of an array's row-major words."""
    if port.elements is None:
        return whole
    return [whole[e] if e >= 0 else 0 for e in port.elements]


def _merge(whole, port, words: list) -> list:
    """The array's row-major words with the final contents of ``port``'s memory put back."""
    if port.elements is None:
        return words
    for e, w in zip(port.elements, words):
        if e >= 0:
            whole[e] = w
    return whole

