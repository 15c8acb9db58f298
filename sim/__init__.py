"""RTL simulation harnesses: run a generated top-level Component on Verilator or Icarus (through
cocotb) or on Amaranth's simulator, with its array arguments in modelled external memories.

    from allo_rtl.sim import simulate
    result = simulate(component, info, [a, b], {"mem_A": A_flat}, simulator="verilator")
    result.scalar_results, result.arrays["mem_result0"], result.cycles
"""
from .job import SimResult
from .simulate import DEFAULT_CYCLE_LIMIT, SIMULATORS, simulate

__all__ = ["DEFAULT_CYCLE_LIMIT", "SIMULATORS", "SimResult", "simulate"]
