"""allo_rtl.sim on hand-made designs (tests/helpers_sim.py), on every simulator.

Builds go to the usual cache ($ALLO_RTL_CACHE or ~/.cache/allo-rtl), so a second session reuses
them; a cold cache costs about 35 s of Verilator builds.
"""
import threading
from pathlib import Path

import numpy as np
import pytest

from allo_rtl.errors import SimulationError
from allo_rtl.sim import SimResult, simulate

from .helpers_sim import (SPIN_LOOP_STATES, SPIN_TICK_STATES, SPIN_TOP_STATES, ScaleSum, Spin,
                          VectorAdd, scale_sum_info, vadd_info)

SIMULATORS = ["amaranth", "icarus", "verilator"]


@pytest.fixture(params=SIMULATORS)
def simulator(request):
    return request.param


@pytest.fixture(params=["icarus", "verilator"])
def cocotb_simulator(request):
    return request.param


def run(design, scalars, arrays, simulator, **options) -> SimResult:
    return simulate(design, design.info, scalars, arrays, simulator=simulator, **options)


def int16_vector(n, seed):
    return np.random.default_rng(seed).integers(-2**15, 2**15, n, dtype=np.int16)


def test_vector_add_matches_numpy(simulator):
    n = 10
    a, b = int16_vector(n, 1), int16_vector(n, 2)
    design = VectorAdd(n)
    # The limit is inclusive: a run of exactly cycle_limit busy cycles finishes.
    result = run(design, [], {"mem_A": a, "mem_B": b}, simulator, cycle_limit=2 * n)
    assert result.arrays["mem_result0"] == (a + b).tolist()      # int16 wraps, as numpy does
    assert result.arrays["mem_A"] == a.tolist()
    assert result.arrays["mem_B"] == b.tolist()
    assert result.cycles == design.info.predicted_cycles == 2 * n
    assert result.scalar_results == []


def test_signed_scalar_argument_and_result(simulator):
    n, x = 6, -7
    a = np.array([1, -2, 30000, 4, -3000, -6], dtype=np.int16)
    design = ScaleSum(n)
    result = run(design, [x], {"mem_A": a.tolist()}, simulator)
    expected = np.int32(x * int(a.astype(np.int64).sum()))
    assert expected < 0
    assert result.scalar_results == [int(expected)]
    assert result.cycles == n + 1


# The testbench's memory model is the same Verilog on Icarus and Verilator, so this one is not
# worth a Verilator build.
@pytest.mark.parametrize("simulator", ["amaranth", "icarus"])
def test_accesses_past_the_depth_read_zero_and_write_nothing(simulator):
    n, depth = 10, 9          # the loop touches address 9 of 9-word memories (4 address bits)
    a, b = int16_vector(depth, 3), int16_vector(depth, 4)
    design = VectorAdd(n, depth)
    result = run(design, [], {"mem_A": a, "mem_B": b}, simulator)
    assert result.arrays["mem_result0"] == (a + b).tolist()
    assert result.cycles == 2 * n


def test_a_run_that_never_finishes_names_the_stuck_states(simulator):
    with pytest.raises(SimulationError) as raised:
        run(Spin(), [5], {}, simulator, cycle_limit=41)
    error = raised.value
    assert "spin did not finish within 41 cycles" in error.message
    assert f"spin: {SPIN_TOP_STATES[1]!r} (state 1)" in error.message
    # After edge 42 the two-state loop is back in its first state; the ticker, switched on by
    # edge 0, has toggled at edges 1 to 42.
    assert f"loop: {SPIN_LOOP_STATES[1]!r} (state 1)" in error.message
    assert f"ticker: {SPIN_TICK_STATES[0]!r} (state 0)" in error.message
    assert "cycle_limit" in error.hint


def test_one_cycle_over_the_limit_times_out(simulator):
    with pytest.raises(SimulationError, match="vadd did not finish within 19 cycles.*'finish'"):
        run(VectorAdd(10), [], {}, simulator, cycle_limit=19)


def test_waves_are_written(simulator, tmp_path):
    target = tmp_path / f"vadd.{simulator}.vcd"
    design = VectorAdd(10)
    a, b = int16_vector(10, 5), int16_vector(10, 6)
    result = run(design, [], {"mem_A": a, "mem_B": b}, simulator, waves=target)
    assert result.waves == str(target)
    text = target.read_text()
    assert "$var" in text and "busy" in text
    assert result.arrays["mem_result0"] == (a + b).tolist()


def test_an_unchanged_design_is_not_rebuilt(cocotb_simulator, capfd):
    a, b = int16_vector(10, 1), int16_vector(10, 2)
    run(VectorAdd(10), [], {"mem_A": a, "mem_B": b}, cocotb_simulator)
    again = run(VectorAdd(10), [], {"mem_A": a, "mem_B": b}, cocotb_simulator)
    assert again.built is False
    assert again.arrays["mem_result0"] == (a + b).tolist()
    out, err = capfd.readouterr()
    assert out == "" and err == "", "the tools' output belongs in their log files"


def test_builds_are_keyed_by_the_design(tmp_path, monkeypatch):
    # A fresh cache, on Icarus, whose builds take a fraction of a second.
    monkeypatch.setenv("ALLO_RTL_CACHE", str(tmp_path))
    arrays = {"mem_A": [1, 2], "mem_B": [3, 4]}
    statuses = []
    first = run(VectorAdd(2), [], arrays, "icarus", progress=statuses.append)
    assert first.built is True
    assert any("building" in s for s in statuses)
    assert run(VectorAdd(2), [], arrays, "icarus").built is False
    changed = run(VectorAdd(2, 1), [], {"mem_A": [1], "mem_B": [3]}, "icarus")
    assert changed.built is True
    assert changed.arrays["mem_result0"] == [4]


def test_concurrent_builds_of_one_design_build_once(tmp_path, monkeypatch):
    monkeypatch.setenv("ALLO_RTL_CACHE", str(tmp_path))
    results = []

    def one_run():
        results.append(run(VectorAdd(2), [], {"mem_A": [1, 2], "mem_B": [3, 4]}, "icarus"))

    threads = [threading.Thread(target=one_run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.built for r in results) == [False, False, True]
    assert all(r.arrays["mem_result0"] == [4, 6] for r in results)


def test_build_failure_quotes_the_log(cocotb_simulator, tmp_path, monkeypatch):
    monkeypatch.setenv("ALLO_RTL_CACHE", str(tmp_path))
    broken = "module vadd(input clk);\n  this is not verilog;\nendmodule\n"
    with pytest.raises(SimulationError, match=f"{cocotb_simulator} could not build vadd") as raised:
        simulate(None, vadd_info(2, 2), [], {}, simulator=cocotb_simulator, verilog=broken)
    log = raised.value.message.split("the end of its log ", 1)[1].split(":\n", 1)[0]
    assert Path(log).is_file()
    assert "design.v" in raised.value.hint


def test_default_waves_go_to_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ALLO_RTL_CACHE", str(tmp_path))
    result = run(VectorAdd(2), [], {}, "amaranth", waves=True)
    assert result.waves == str(tmp_path / "waves" / "vadd.amaranth.vcd")
    assert Path(result.waves).stat().st_size > 0


# The checks below fail before the component is used, so they pass None for it.

def test_unknown_simulator():
    with pytest.raises(SimulationError, match="unknown simulator 'vcs'") as raised:
        simulate(None, vadd_info(2, 2), [], {}, simulator="vcs")
    assert "'verilator'" in raised.value.hint and "'amaranth'" in raised.value.hint


def test_missing_icarus_has_a_hint(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(SimulationError, match="iverilog not found") as raised:
        simulate(None, vadd_info(2, 2), [], {}, simulator="icarus", verilog="module vadd;endmodule")
    assert "setup.sh" in raised.value.hint


def test_argument_checks():
    info = scale_sum_info(2)
    with pytest.raises(SimulationError, match="takes 1 scalar argument"):
        simulate(None, info, [], {}, simulator="amaranth")
    with pytest.raises(SimulationError, match="does not fit in 8 bits"):
        simulate(None, info, [200 + 256], {}, simulator="amaranth")
    with pytest.raises(SimulationError, match="mem_A holds 2 words, got 3"):
        simulate(None, info, [1], {"mem_A": [1, 2, 3]}, simulator="amaranth")
    with pytest.raises(SimulationError, match="no memory interface mem_Z"):
        simulate(None, info, [1], {"mem_Z": [1]}, simulator="amaranth")
    with pytest.raises(SimulationError, match="cycle_limit must be at least 1"):
        simulate(None, info, [1], {}, simulator="amaranth", cycle_limit=0)
