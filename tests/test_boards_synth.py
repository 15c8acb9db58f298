"""ECP5 synthesis and place-and-route figures (allo_rtl.boards.synth) on tiny Amaranth designs.

Each design is synthesised once per module (yosys takes 1-4 s each once its WebAssembly is
compiled; the very first run on a machine compiles it, about a minute).
"""
import json
import re

import pytest
from amaranth import Module
from amaranth.back import verilog
from amaranth.lib import wiring
from amaranth.lib.memory import Memory
from amaranth.lib.wiring import In, Out

from allo_rtl.boards import synth as synth_module
from allo_rtl.boards.synth import (SynthResult, count_cells, place_and_route_ecp5,
                                   resource_summary, synthesize_ecp5)
from allo_rtl.errors import UnsupportedError

COUNTER_WIDTH = 16


class Counter(wiring.Component):
    count: Out(COUNTER_WIDTH)

    def elaborate(self, platform):
        m = Module()
        m.d.sync += self.count.eq(self.count + 1)
        return m


class RegisteredMultiplier(wiring.Component):
    a: In(16)
    b: In(16)
    product: Out(32)

    def elaborate(self, platform):
        m = Module()
        m.d.sync += self.product.eq(self.a * self.b)
        return m


class SimpleDualPortRam(wiring.Component):
    """1024 x 32 bits, one write port and one synchronous read port."""

    write_addr: In(10)
    write_data: In(32)
    write_enable: In(1)
    read_addr: In(10)
    read_data: Out(32)

    def elaborate(self, platform):
        m = Module()
        m.submodules.memory = memory = Memory(shape=32, depth=1024, init=[])
        write, read = memory.write_port(), memory.read_port()
        m.d.comb += [write.addr.eq(self.write_addr), write.data.eq(self.write_data),
                     write.en.eq(self.write_enable), read.addr.eq(self.read_addr),
                     self.read_data.eq(read.data)]
        return m


def synthesize(component, name, folder) -> SynthResult:
    return synthesize_ecp5(verilog.convert(component, name=name), name, workdir=folder)


@pytest.fixture(scope="module")
def counter(tmp_path_factory):
    return synthesize(Counter(), "counter", tmp_path_factory.mktemp("counter"))


@pytest.fixture(scope="module")
def multiplier(tmp_path_factory):
    return synthesize(RegisteredMultiplier(), "multiplier", tmp_path_factory.mktemp("mul"))


@pytest.fixture(scope="module")
def ram(tmp_path_factory):
    return synthesize(SimpleDualPortRam(), "ram", tmp_path_factory.mktemp("ram"))


def test_counter_maps_to_one_ff_per_bit_and_a_carry_chain(counter):
    assert counter.ff == COUNTER_WIDTH
    assert counter.lut4 > 0
    assert counter.carry > 0
    assert counter.dsp == counter.bram == 0
    assert counter.cells["TRELLIS_FF"] == COUNTER_WIDTH
    assert counter.json_path.exists() and counter.log_path.exists()
    assert counter.seconds > 0


def test_resource_summary_is_one_line(counter):
    assert re.fullmatch(rf"LUT4 {counter.lut4}, FF {COUNTER_WIDTH}, DSP 0 \(MULT18X18D\), "
                        r"BRAM 0 \(DP16KD\)", resource_summary(counter))


def test_multiplier_uses_a_dsp_multiplier(multiplier):
    assert multiplier.cells.get("MULT18X18D", 0) >= 1
    assert multiplier.dsp >= 1
    assert multiplier.lut4 < 50      # not built from LUTs


def test_memory_maps_to_block_ram(ram):
    assert ram.cells.get("DP16KD", 0) >= 2     # 32 kbit in 18 kbit blocks
    # 32 kbit in FFs would be 32768 of them. What remains is the read register's collision
    # logic: yosys keeps Amaranth's "old data on a same-address write" with ~76 FFs.
    assert ram.ff < 128


def test_place_and_route_counter_reports_fmax_and_utilisation(counter):
    lines = []
    pnr = place_and_route_ecp5(counter, freq_mhz=100, progress=lines.append)
    assert pnr.routed
    assert 50 < pnr.fmax_mhz < 1000
    assert set(pnr.fmax_by_clock) == {"clk"}
    assert pnr.timing_met and pnr.constraint_mhz == 100
    assert pnr.utilisation["TRELLIS_FF"].used == COUNTER_WIDTH
    assert pnr.utilisation["TRELLIS_FF"].available > 80_000      # the 85k part
    assert pnr.log_path.exists() and pnr.report_path.exists()
    assert lines and lines[-1].startswith("nextpnr-ecp5: done in ")


def test_missed_target_still_reports_fmax(counter):
    pnr = place_and_route_ecp5(counter, freq_mhz=2000)
    assert pnr.fmax_mhz is not None and pnr.fmax_mhz < 2000
    assert not pnr.timing_met


def test_progress_reports_elapsed_time_while_the_tool_runs(monkeypatch, tmp_path):
    monkeypatch.setattr(synth_module, "PROGRESS_INTERVAL", 0.2)
    lines = []
    synthesize_ecp5(verilog.convert(Counter(), name="counter"), "counter", workdir=tmp_path,
                    progress=lines.append)
    assert any(re.fullmatch(r"yosys synth_ecp5: \d+ s", line) for line in lines[:-1])
    assert re.fullmatch(r"yosys synth_ecp5: done in [\d.]+ s", lines[-1])


def test_wrong_top_raises_with_the_log_tail(tmp_path):
    with pytest.raises(UnsupportedError) as caught:
        synthesize_ecp5(verilog.convert(Counter(), name="counter"), "no_such_top",
                        workdir=tmp_path)
    error = caught.value
    assert "yosys synth_ecp5 failed" in error.message
    assert "Module `no_such_top' not found" in error.message
    assert str(tmp_path / "yosys.log") in error.hint


def test_broken_netlist_raises_from_place_and_route(counter, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{ not json")
    bogus = SynthResult(top="counter", cells={}, json_path=broken, log_path=counter.log_path,
                        seconds=0.0, workdir=tmp_path)
    with pytest.raises(UnsupportedError, match="nextpnr-ecp5 failed") as caught:
        place_and_route_ecp5(bogus)
    assert "full log" in caught.value.hint


def test_unknown_device_is_refused(counter):
    with pytest.raises(UnsupportedError, match="unknown ECP5 device"):
        place_and_route_ecp5(counter, device="100k")


def test_cells_of_kept_submodules_count_once_per_instance():
    blackbox = {"attributes": {"blackbox": "1"}, "cells": {}}
    netlist = {"modules": {
        "LUT4": blackbox, "TRELLIS_FF": blackbox,
        "leaf": {"cells": {"l": {"type": "LUT4"}, "f": {"type": "TRELLIS_FF"}}},
        "top": {"cells": {"a": {"type": "leaf"}, "b": {"type": "leaf"},
                          "c": {"type": "LUT4"}}},
    }}
    assert count_cells(json.loads(json.dumps(netlist)), "top") == {"LUT4": 3, "TRELLIS_FF": 2}
