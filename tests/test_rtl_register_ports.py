"""Completely partitioned arrays: passed between kernels as one register-file port (every word
in, per-word write enables out) and read without a cycle; at the top, copied into registers
through one memory interface. Results equal numpy's on every simulator and cycles equal the
report's prediction."""
import numpy as np
import pytest

import allo_rtl as allo
from allo_rtl.gen.emit.component import signature_of
from allo_rtl.gen.design import MemorySignature, RegisterFileSignature
from allo_rtl.types import int32


def scale(v: int32[8], k: int32):
    for i in range(8):
        v[i] = v[i] * k


def scale_twice(v: int32[8], w: int32[8]):
    scale(v, 3)
    for j in range(8):
        w[j] = v[7 - j] + w[j]
    scale(v, -1)


def scheduled():
    s = allo.customize(scale_twice)
    s.partition(s.v, dim=0)       # one word per bank, in the caller and in the callee
    s.pipeline("j")
    s.pipeline("scale:i")
    return s


def test_a_complete_partition_is_a_register_port_between_kernels_and_staged_at_the_top():
    s = scheduled()
    design = s.build(target="rtl").design
    assert signature_of(design.designs["scale"])["mem_v"].signature == \
        RegisterFileSignature(8, 32)
    assert signature_of(design.top_design)["mem_v"].signature == MemorySignature(3, 32)
    # the top has one memory interface for v, copied into registers first and out last
    (v_port,) = [a for a in design.info.arrays if a.name == "v"]
    assert v_port.port == "mem_v" and v_port.elements is None and v_port.depth == 8
    report = s.report()
    assert [r.name for r in report.loops if r.function == "scale_twice"] == \
        ["v_in0", "j", "v_out0"]
    # eight reads of v per iteration of scale:i cost no port: II 1
    assert report.loop("scale:i").ii == 1


@pytest.mark.parametrize("simulator", ["amaranth", "verilator", "icarus"])
def test_callee_writes_and_caller_reads_through_register_ports(simulator):
    s = scheduled()
    mod = s.build(target="rtl", simulator=simulator)
    v = np.arange(8, dtype=np.int32) * 7 - 30
    w = np.arange(8, dtype=np.int32) * -5 + 2
    v0, w0 = v.copy(), w.copy()
    assert mod(v, w) is None
    np.testing.assert_array_equal(v, -3 * v0)
    np.testing.assert_array_equal(w, w0 + 3 * v0[::-1])
    assert mod.cycles == s.report().predicted_cycles


def bump(v: int32[1100]):
    for i in range(1100):
        v[i] = v[i] + i * 3


def bump_all(v: int32[1100]):
    bump(v)


def test_register_port_wider_than_one_bus_chunk():
    files = RegisterFileSignature(1100, 32)
    assert (files.chunk_words, files.n_chunks) == (1024, 2)
    s = allo.customize(bump_all)
    s.partition(s.v, dim=0)
    mod = s.build(target="rtl", simulator="verilator")
    v = np.arange(1100, dtype=np.int32) * -7
    v0 = v.copy()
    mod(v)
    np.testing.assert_array_equal(v, v0 + np.arange(1100, dtype=np.int32) * 3)
    assert mod.cycles == s.report().predicted_cycles
