"""The ``allo-rtl`` command line: show, verilog, sim (checked against the interpreter), report."""
import numpy as np

from allo_rtl.cli import main

KERNEL = '''
from allo_rtl.types import int32

def dot(A: int32[8], B: int32[8], n: int32) -> int32:
    s: int32 = 0
    for i in range(8):
        s += A[i] * B[i] + n
    return s
'''


def _kernel_file(tmp_path):
    path = tmp_path / "kernels.py"
    path.write_text(KERNEL)
    return f"{path}:dot"


def test_verilog_writes_the_module(tmp_path, capsys):
    out = tmp_path / "dot.v"
    assert main(["verilog", _kernel_file(tmp_path), "-o", str(out)]) == 0
    text = out.read_text()
    assert "module dot" in text and "in_n" in text and "mem_A__rdata" in text


def test_sim_on_random_inputs_checks_against_the_interpreter(tmp_path, capsys):
    assert main(["sim", _kernel_file(tmp_path), "--simulator", "amaranth", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "dot on amaranth: 50 cycles (predicted 50)" in out
    assert "equal the interpreter's bit for bit" in out


def test_sim_with_npz_inputs(tmp_path, capsys):
    inputs = tmp_path / "in.npz"
    np.savez(inputs, A=np.arange(8, dtype=np.int32), B=np.full(8, 2, dtype=np.int32), n=np.int32(1))
    assert main(["sim", _kernel_file(tmp_path), "--simulator", "amaranth", "--inputs", str(inputs)]) == 0
    assert "bit for bit" in capsys.readouterr().out


def test_sim_npz_missing_parameter(tmp_path, capsys):
    inputs = tmp_path / "in.npz"
    np.savez(inputs, A=np.arange(8, dtype=np.int32))
    assert main(["sim", _kernel_file(tmp_path), "--simulator", "amaranth", "--inputs", str(inputs)]) == 2
    assert "has no value for B, n" in capsys.readouterr().err


def test_report_lists_loops_and_prediction(tmp_path, capsys):
    assert main(["report", _kernel_file(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "design dot: 50 cycles predicted" in out and "dot:i" in out


def test_errors_are_printed_with_location(tmp_path, capsys):
    path = tmp_path / "bad.py"
    path.write_text("from allo_rtl.types import float32\n\n"
                    "def f(A: float32[4]) -> float32:\n    return A[0]\n")
    assert main(["verilog", f"{path}:f"]) == 1
    err = capsys.readouterr().err
    assert f"{path}:3:" in err and "floating-point hardware" in err
