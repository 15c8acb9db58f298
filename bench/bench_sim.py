#!/usr/bin/env python3
"""Time the simulation harnesses: simulated cycles per second of each simulator on a small
design that reads its memory every cycle, plus each build's time and the fixed cost of a run.

    .venv/bin/python bench/bench_sim.py [--cycles 1000000] [--amaranth-cycles 20000] [--cold]

--cold builds in a fresh temporary cache (the time of a first build on this machine, including
Verilator's runtime); otherwise builds come from the usual cache when present.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

from amaranth import Module, Signal, signed
from amaranth.lib import wiring
from amaranth.lib.wiring import In, Out

from allo_rtl.gen.design import ArrayPort, DesignInfo, MemorySignature, ScalarPort
from allo_rtl.sim import simulate
from allo_rtl.types import Int

DEPTH = 16


def sum_loop_info() -> DesignInfo:
    return DesignInfo(
        name="sum_loop",
        scalar_args=[ScalarPort("in_n", Int(32), param_index=0)],
        scalar_results=[ScalarPort("out_0", Int(32), result_index=0)],
        arrays=[ArrayPort("mem_A", "A", (DEPTH,), Int(32), param_index=1, written=False)])


class SumLoop(wiring.Component):
    """out = sum of A[i % 16] for i < n: one memory read per cycle, n + 1 busy cycles."""

    def __init__(self):
        self.info = sum_loop_info()
        super().__init__({
            "start": In(1), "busy": Out(1), "done": Out(1), "in_n": In(32), "out_0": Out(32),
            "mem_A": Out(MemorySignature(self.info.arrays[0].addr_width, 32))})

    def elaborate(self, platform):
        m = Module()
        n, i = Signal(32), Signal(32)
        acc = Signal(signed(32))
        running, draining, valid = Signal(), Signal(), Signal()
        m.d.comb += [self.busy.eq(running | draining), self.mem_A.raddr.eq(i[:4]),
                     self.mem_A.ren.eq(running), self.out_0.eq(acc)]
        m.d.sync += [valid.eq(running), self.done.eq(draining), draining.eq(0)]
        with m.If(valid):
            m.d.sync += acc.eq(acc + self.mem_A.rdata.as_signed())
        with m.If(self.start & ~self.busy):
            m.d.sync += [n.eq(self.in_n), i.eq(0), acc.eq(0), running.eq(self.in_n != 0)]
        with m.Elif(running):
            m.d.sync += i.eq(i + 1)
            with m.If(i == n - 1):
                m.d.sync += [running.eq(0), draining.eq(1)]
        return m


def timed_run(simulator: str, n: int) -> tuple[float, object]:
    design = SumLoop()
    data = list(range(-8, 8))
    begin = time.perf_counter()
    result = simulate(design, design.info, [n], {"mem_A": data}, simulator=simulator,
                      cycle_limit=n + 10)
    elapsed = time.perf_counter() - begin
    expected = sum(data[i % DEPTH] for i in range(n))
    assert result.scalar_results == [expected], (result.scalar_results, expected)
    assert result.cycles == n + 1, result.cycles
    return elapsed, result


def bench(simulator: str, n: int) -> dict:
    first, result = timed_run(simulator, 10)          # builds if needed
    small, _ = timed_run(simulator, 10)               # the fixed cost of a run
    big, _ = timed_run(simulator, n)
    return {"simulator": simulator, "built": result.built, "first_s": first, "overhead_s": small,
            "cycles": n, "run_s": big, "cycles_per_s": n / big,
            "steady_cycles_per_s": (n - 10) / max(big - small, 1e-9)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=1_000_000)
    parser.add_argument("--amaranth-cycles", type=int, default=20_000)
    parser.add_argument("--cold", action="store_true", help="build in a fresh temporary cache")
    parser.add_argument("--simulators", default="verilator,icarus,amaranth")
    args = parser.parse_args()
    if args.cold:
        os.environ["ALLO_RTL_CACHE"] = tempfile.mkdtemp(prefix="allo-rtl-bench-")

    print(f"{'simulator':<10} {'first run':>10} {'built':>6} {'per run':>8} {'cycles':>9} "
          f"{'run':>8} {'cycles/s':>10} {'steady':>10}")
    for simulator in args.simulators.split(","):
        n = args.amaranth_cycles if simulator == "amaranth" else args.cycles
        r = bench(simulator, n)
        print(f"{simulator:<10} {r['first_s']:>9.2f}s {str(r['built']):>6} "
              f"{r['overhead_s']:>7.2f}s {r['cycles']:>9} {r['run_s']:>7.2f}s "
              f"{r['cycles_per_s']:>10.0f} {r['steady_cycles_per_s']:>10.0f}")


if __name__ == "__main__":
    main()
