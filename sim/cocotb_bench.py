"""The cocotb test that runs one kernel inside Verilator or Icarus (see testbench.py).

This file is copied into each run's folder and imported by cocotb as a top-level module inside
the simulator, so it imports nothing from allo_rtl. Its job file (JSON, path in the environment
variable ALLO_RTL_SIM_JOB) gives the scalar inputs, the outputs to read, the cycle limit and the
state registers to report on a timeout; it writes a JSON result file. Python runs only a handful
of times per simulation: the clock is cocotb's C implementation and the memories are Verilog.
"""
import json
import os

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge, SimTimeoutError, with_timeout

JOB_ENV = "ALLO_RTL_SIM_JOB"


def _bits(handle) -> int:
    """An unsigned integer from a signal; undriven (x/z) bits read as 0."""
    text = str(handle.value).lower()
    return int("".join("0" if c in "xzuw-" else c for c in text) or "0", 2)


def _child(handle, name: str):
    """A child by its Verilog name. Names that are not plain identifiers (Amaranth's ``U$0``
    for an unnamed submodule) are escaped identifiers in the Verilog; Verilator's VPI knows
    them only in their escaped form, Icarus only in the plain one."""
    try:
        return handle[name]
    except KeyError:
        return handle["\\" + name + " "]


def _probe_handle(top, instance, path, signal):
    handle = top[instance]
    for name in (*path, signal):
        handle = _child(handle, name)
    return handle


def _read_probes(top, job, which="probes") -> list:
    """Each probe's register value (state registers, or FIFO occupancy with ``which`` =
    "fifo_probes"), None where the register is not found."""
    values = []
    for probe in job[which]:
        try:
            handle = _probe_handle(top, job["instance"], probe["path"], probe["signal"])
            values.append(_bits(handle))
        except (AttributeError, KeyError, ValueError):
            values.append(None)
    return values


@cocotb.test()
async def run_kernel(dut):
    with open(os.environ[JOB_ENV]) as f:
        job = json.load(f)
    period = job["clock_period_ns"]

    dut.rst.value = 1
    dut.start.value = 0
    for port, bits in job["scalar_inputs"].items():
        dut[port].value = bits
    Clock(dut.clk, period, unit="ns", impl="gpi").start(start_high=False)
    for _ in range(job["reset_cycles"]):
        await RisingEdge(dut.clk)
    dut.rst.value = 0
    dut.start.value = 1
    await RisingEdge(dut.clk)          # the edge that samples start
    dut.start.value = 0

    # ``finished`` rises at the edge that samples done, (busy cycles + 1) periods from here; the
    # extra half period keeps the timeout off that edge.
    limit_ns = (job["cycle_limit"] + 1) * period + period // 2
    result = {}
    try:
        await with_timeout(RisingEdge(dut.finished), limit_ns, "ns")
        await ReadOnly()
        result["finished"] = True
        result["cycles"] = _bits(dut.cycles)
        result["outputs"] = [_bits(dut[port]) for port in job["scalar_outputs"]]
        result["fifos"] = _read_probes(dut, job, "fifo_probes")
        result["stream_counts"] = [_bits(dut[port]) for port in job["stream_counts"]]
        if job["stream_counts"] and _bits(dut.deadlocked):
            result["deadlock"] = _read_probes(dut, job, "wait_probes")
    except SimTimeoutError:
        result["finished"] = False
        result["probes"] = _read_probes(dut, job)
    with open(job["result_file"], "w") as f:
        json.dump(result, f)
