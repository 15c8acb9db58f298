"""Simulation through cocotb on Verilator or Icarus: build (cached), run, read the results.

The run, like the build, is cocotb's runner in a child process (runner_process.py) whose output
goes to a log file: the tools' chatter stays out of the caller's stdout and a failure's log can
be quoted. Each run gets a fresh folder under ``<cache>/runs`` for its memory images, job and
result files, removed afterwards unless the run failed.
"""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from ..errors import SimulationError
from .build_cache import cache_root
from .cocotb_build import TIMESCALE, ensure_build, log_tail, run_runner
from .job import CLOCK_PERIOD_NS, RESET_CYCLES, SimJob, SimResult
from .probes import timeout_error
from .streams import STREAM_CAPACITY
from .testbench import TB_INSTANCE, stream_count_port, testbench_name
from .tools import simulator_env
from .values import read_hex, write_hex

BENCH_MODULE = "allo_rtl_cocotb_bench"
JOB_ENV = "ALLO_RTL_SIM_JOB"
_HERE = Path(__file__).resolve().parent


def _run_files(job: SimJob, run_dir: Path) -> tuple[list, dict]:
    """Write the memory images; the plusargs that load and dump them, and the dump paths."""
    plusargs, dumps = [], {}
    for a in job.info.arrays:
        load, dump = run_dir / f"{a.port}.in.hex", run_dir / f"{a.port}.out.hex"
        write_hex(load, job.array_bits[a.port], a.width)
        plusargs += [f"+allo_load_{a.port}={load}", f"+allo_dump_{a.port}={dump}"]
        dumps[a.port] = dump
    for p, seed in zip(job.info.streams, job.gap_seeds()):
        plusargs.append(f"+allo_gap_{p.port}={seed:x}")
        if p.direction == "in":
            load = run_dir / f"{p.port}.in.hex"
            write_hex(load, job.stream_bits[p.port], p.width)
            plusargs += [f"+allo_load_{p.port}={load}",
                         f"+allo_count_{p.port}={len(job.stream_bits[p.port])}"]
        else:
            dumps[p.port] = run_dir / f"{p.port}.out.hex"
            plusargs.append(f"+allo_dump_{p.port}={dumps[p.port]}")
    return plusargs, dumps


def _job_file(job: SimJob, run_dir: Path) -> Path:
    info = job.info
    spec = {
        "clock_period_ns": CLOCK_PERIOD_NS, "reset_cycles": RESET_CYCLES,
        "cycle_limit": job.cycle_limit, "instance": TB_INSTANCE,
        "scalar_inputs": {p.port: b for p, b in zip(info.scalar_args, job.scalar_bits)},
        "scalar_outputs": [p.port for p in info.scalar_results] +
                          [port for port, _ in info.status_outputs()],
        "probes": [{"path": list(p.path), "signal": p.signal} for p in info.probes],
        "fifo_probes": [{"path": list(p.path), "signal": p.signal} for p in info.fifo_probes],
        "wait_probes": [{"path": list(p.path), "signal": p.signal} for p in info.wait_probes],
        "stream_counts": [stream_count_port(p) for p in info.streams],
        "result_file": str(run_dir / "result.json"),
    }
    path = run_dir / "job.json"
    path.write_text(json.dumps(spec, indent=1))
    return path


def run_cocotb(verilog: str, job: SimJob, simulator: str) -> SimResult:
    info = job.info
    env = simulator_env(simulator, job.loc)
    build_dir, built = ensure_build(verilog, job, simulator, env)

    runs = cache_root() / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix=f"{info.name}-{simulator}-", dir=runs))
    plusargs, dumps = _run_files(job, run_dir)
    test_args = []
    run_env = dict(env, **{JOB_ENV: str(_job_file(job, run_dir))})
    if job.waves is not None:
        job.waves.parent.mkdir(parents=True, exist_ok=True)
        if simulator == "verilator":
            test_args = ["--trace", "--trace-file", str(job.waves)]
        else:
            plusargs.append(f"+allo_waves={job.waves}")
            # The runner ends vvp's arguments with -none (no dumping) unless told to dump FST;
            # SIM_CMD_SUFFIX comes after it, and vvp obeys the last format flag.
            run_env["SIM_CMD_SUFFIX"] = "-vcd"
    shutil.copyfile(_HERE / "cocotb_bench.py", run_dir / f"{BENCH_MODULE}.py")
    request = {
        "action": "test", "simulator": simulator, "toplevel": testbench_name(info),
        "build_dir": str(build_dir), "test_dir": str(run_dir), "module_dir": str(run_dir),
        "test_module": BENCH_MODULE, "plusargs": plusargs, "test_args": test_args,
        "env": {}, "timescale": TIMESCALE,
    }

    job.report(f"{simulator}: simulating {info.name}")
    ok = run_runner(request, run_dir, "run.log", run_env)
    result_file = run_dir / "result.json"
    if not ok or not result_file.exists():
        raise SimulationError(
            f"{simulator} simulation of {info.name} failed; the end of its log "
            f"{run_dir / 'run.log'}:\n{log_tail(run_dir / 'run.log')}", job.loc,
            "the run folder is kept for inspection; a crash inside the simulator is a bug in "
            "the harness or the tool")
    outcome = json.loads(result_file.read_text())
    if not outcome["finished"]:
        shutil.rmtree(run_dir, ignore_errors=True)
        raise timeout_error(info, job.cycle_limit, outcome["probes"], job.loc)
    memories = {a.port: read_hex(dumps[a.port], a.depth) for a in info.arrays}
    counts = dict(zip([p.port for p in info.streams], outcome.get("stream_counts", [])))
    values = {p.port: read_hex(dumps[p.port], min(counts[p.port], STREAM_CAPACITY))
              if counts[p.port] else [] for p in info.streams if p.direction == "out"}
    shutil.rmtree(run_dir, ignore_errors=True)
    return job.result(outcome["outputs"], memories, outcome["cycles"], built=built,
                      simulator=simulator, fifo_occupancy=outcome["fifos"],
                      deadlock=outcome.get("deadlock"), stream_values=values,
                      stream_taken={p.port: counts[p.port] for p in info.streams
                                    if p.direction == "in"})
