"""A child process that runs cocotb's runner for one build or one test.

    python runner_process.py <request.json>

Run as a script, not as ``-m allo_rtl.sim...``: the parent hands it the environment the tools
need (PATH, VERILATOR_ROOT, MAKEFLAGS) without touching its own ``os.environ``, and the runner's
chatter and its ``sys.exit`` on failure stay in this process, whose output goes to a log file.
It imports nothing from allo_rtl, so it starts quickly.

The request (JSON) holds ``action`` ("build" or "test"), ``simulator``, ``toplevel``,
``build_dir`` and, per action, the runner's arguments (see cocotb_sim.py).
"""
import json
import os
import sys


def main(request_path: str) -> None:
    # This script's folder (sim/) is sys.path[0]; its modules must not shadow anything inside
    # the simulator's Python, which inherits this sys.path through PYTHONPATH.
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    with open(request_path) as f:
        request = json.load(f)

    from cocotb_tools.runner import get_runner

    runner = get_runner(request["simulator"])
    timescale = tuple(request["timescale"])
    if request["action"] == "build":
        runner.build(
            sources=request["sources"], hdl_toplevel=request["toplevel"],
            build_dir=request["build_dir"], build_args=request["build_args"],
            waves=request["waves"], timescale=timescale, always=True)
    else:
        sys.path.insert(0, request["module_dir"])
        runner.test(
            test_module=request["test_module"], hdl_toplevel=request["toplevel"],
            hdl_toplevel_lang="verilog",
            build_dir=request["build_dir"], test_dir=request["test_dir"],
            plusargs=request["plusargs"], test_args=request["test_args"],
            extra_env=request["env"], timescale=timescale,
            results_xml=os.path.join(request["test_dir"], "results.xml"))


if __name__ == "__main__":
    try:
        main(sys.argv[1])
    except Exception as error:     # the tool's own output, just above in the log, says why
        print(f"cocotb runner: {type(error).__name__}: {error}", flush=True)
        sys.exit(1)
