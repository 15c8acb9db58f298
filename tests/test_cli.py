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


# -- problems with the command: exit status 2, one located message, no traceback ---------------
def _fails(argv, capsys, status=2) -> str:
    assert main(argv) == status
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and captured.out == ""
    return captured.err


def _sim(tmp_path, inputs):
    return ["sim", _kernel_file(tmp_path), "--simulator", "amaranth", "--inputs", str(inputs)]


def test_sim_npz_unknown_key(tmp_path, capsys):
    inputs = tmp_path / "in.npz"
    np.savez(inputs, A=np.arange(8), B=np.ones(8, np.int32), n=1, m=np.zeros(3))
    err = _fails(_sim(tmp_path, inputs), capsys)
    assert err == f"allo-rtl: {inputs}: 'm' is not a parameter of dot; its parameters are A, B, n\n"


def test_sim_npz_value_is_validated_like_a_call(tmp_path, capsys):
    inputs = tmp_path / "in.npz"
    np.savez(inputs, A=np.arange(8), B=np.ones(8, np.int32), n=2**40)
    err = _fails(_sim(tmp_path, inputs), capsys)
    assert err.startswith(f"allo-rtl: {inputs}: argument 'n': expected a scalar int32, got "
                          f"{2**40} (int), which is out of int32's range")
    assert f"parameter n: int32 is declared at {tmp_path / 'kernels.py'}:4:" in err
    np.savez(inputs, A=np.arange(8) + 0.5, B=np.ones(8, np.int32), n=1)
    err = _fails(_sim(tmp_path, inputs), capsys)
    assert "whose element A[0] = 0.5 is not an integer" in err


def test_sim_npz_float_integral_values_are_accepted(tmp_path, capsys):
    inputs = tmp_path / "in.npz"
    np.savez(inputs, A=np.arange(8.0), B=np.full(8, 2.0), n=np.float64(1))
    assert main(_sim(tmp_path, inputs)) == 0
    assert "bit for bit" in capsys.readouterr().out


def test_sim_inputs_file_missing(tmp_path, capsys):
    err = _fails(_sim(tmp_path, tmp_path / "none.npz"), capsys)
    assert err == f"allo-rtl: no such inputs file: {tmp_path / 'none.npz'}\n"


def test_sim_inputs_npy_instead_of_npz(tmp_path, capsys):
    inputs = tmp_path / "A.npy"
    np.save(inputs, np.arange(8))
    err = _fails(_sim(tmp_path, inputs), capsys)
    assert err.count("\n") == 1
    assert f"{inputs} is a .npy file (one array); --inputs needs an .npz archive" in err


def test_sim_inputs_corrupt(tmp_path, capsys):
    good = tmp_path / "good.npz"
    np.savez(good, A=np.arange(8), B=np.arange(8), n=1)
    inputs = tmp_path / "in.npz"
    inputs.write_bytes(good.read_bytes()[:100])               # truncated
    err = _fails(_sim(tmp_path, inputs), capsys)
    assert err.count("\n") == 1 and f"{inputs} is not an .npz archive (or a damaged one)" in err


def test_sim_inputs_with_object_array(tmp_path, capsys):
    inputs = tmp_path / "in.npz"
    np.savez(inputs, A=np.array([1, "x"] * 4, dtype=object), B=np.arange(8), n=1)
    err = _fails(_sim(tmp_path, inputs), capsys)
    assert err.count("\n") == 1 and f"allo-rtl: cannot read {inputs}: Object arrays" in err


def test_kernel_file_with_syntax_error(tmp_path, capsys):
    path = tmp_path / "bad.py"
    path.write_text("from allo_rtl.types import int32\n\ndef f(x: int32) -> int32:\n"
                    "    return x +\n")
    err = _fails(["show", f"{path}:f"], capsys)
    assert err.startswith(f"{path}:4:") and "error: Python syntax error: invalid syntax" in err
    assert "    return x +\n" in err


def test_kernel_file_raising_on_import(tmp_path, capsys):
    path = tmp_path / "bad.py"
    path.write_text("N = 4\nM = N // 0\n")
    err = _fails(["verilog", f"{path}:f"], capsys)
    assert err == (f"{path}:2: error: importing bad.py raised ZeroDivisionError: integer division "
                   "or modulo by zero\n")


def test_kernel_file_missing(tmp_path, capsys):
    err = _fails(["report", f"{tmp_path / 'none.py'}:f"], capsys)
    assert err == f"allo-rtl: no such file: {tmp_path / 'none.py'}\n"


def test_kernel_name_missing(tmp_path, capsys):
    err = _fails(["show", _kernel_file(tmp_path).replace(":dot", ":gemm")], capsys)
    assert err == f"allo-rtl: {tmp_path / 'kernels.py'} defines no function 'gemm'; it defines dot\n"


def test_kernel_spec_without_name(tmp_path, capsys):
    err = _fails(["show", str(tmp_path / "kernels.py")], capsys)
    assert err.startswith("allo-rtl: expected FILE:NAME")
