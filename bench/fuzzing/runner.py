"""Running one case: the model, the interpreter and the RTL simulators on the same inputs, and
the outcome.

Phases, in order: render and import the kernel module, ``allo.customize`` and the schedule
(``frontend_refused`` / ``schedule_refused``), the interpreter against the model
(``interp_model_mismatch``), the RTL on each simulator against the interpreter (``rtl_rejected``,
``rtl_mismatch``, ``cycle_mismatch``). Any exception that is not an ``AlloError`` is an
``internal_error``. Run-time errors must agree (class, message, line): ``ok_fault``.

``run_case`` runs in a worker process (``pool.Pool``); its result is a plain dict.
"""
from __future__ import annotations

import importlib.util
import itertools
import os
import sys
import time
import traceback
import warnings
from pathlib import Path

import numpy as np

from . import prog as P
from . import types as T
from .dataflow_model import MODULE_FILE
from .model import Diverged, Fault, Model
from .render import render_module, render_schedule

OUTCOMES = ("ok", "ok_fault", "schedule_refused", "rtl_rejected", "interp_model_mismatch",
            "rtl_mismatch", "cycle_mismatch", "internal_error", "timeout", "frontend_refused",
            "invalid")
FAILURES = ("interp_model_mismatch", "rtl_mismatch", "cycle_mismatch", "internal_error",
            "timeout", "frontend_refused")
_counter = itertools.count()


# ---------------------------------------------------------------------------------------------
# Inputs and observations


def make_args(program: P.Program) -> list:
    """Fresh numpy arrays and Python scalars for the kernel's parameters."""
    out = []
    for p, raw in zip(program.kernel.params, program.inputs):
        if p.is_array:
            if p.ty.is_fixed:
                arr = np.array([v / (1 << p.ty.fracs) for v in raw], dtype=np.float64)
            else:
                dtype = T.output_dtype(p.ty)
                arr = np.array(raw, dtype=object if dtype == "object" else dtype)
            out.append(arr.reshape(p.shape))
        else:
            out.append(raw / (1 << p.ty.fracs) if p.ty.is_fixed else raw)
    return out


def canonical(value):
    """A comparable, printable form of a result or array: kind, dtype or Python type, values."""
    if isinstance(value, np.ndarray):
        return ("array", str(value.dtype), tuple(value.shape), value.tolist())
    return ("scalar", type(value).__name__, value)


def expected_of(program: P.Program, results, arrays) -> dict:
    """The model's results in the form ``observe`` gives the interpreter's."""
    outs = []
    for sym, v in results:
        if sym.is_array:
            dtype = T.output_dtype(sym.ty)
            vals = [T.raw_to_python(x, sym.ty) for x in v]
            if dtype == "bool":
                vals = [bool(x) for x in vals]
            outs.append(("array", dtype, tuple(sym.shape), np.array(vals, dtype=object)
                         .reshape(sym.shape).tolist()))
        else:
            x = T.raw_to_python(v, sym.ty)
            outs.append(("scalar", type(x).__name__, x))
    arrs = {}
    for p in program.kernel.params:
        if p.is_array:
            vals = [T.raw_to_python(x, p.ty) for x in arrays[p.name]]
            dtype = T.output_dtype(p.ty)
            if dtype == "bool":
                vals = [bool(x) for x in vals]
            arrs[p.name] = ("array", dtype, tuple(p.shape),
                            np.array(vals, dtype=object).reshape(p.shape).tolist())
    return {"results": outs, "arrays": arrs, "fault": None}


def observe(program, out, args) -> dict:
    n = len(program.kernel.results)
    values = [] if n == 0 and out is None else [out] if n == 1 else list(out)
    arrays = {p.name: canonical(a) for p, a in zip(program.kernel.params, args) if p.is_array}
    return {"results": [canonical(v) for v in values], "arrays": arrays, "fault": None}


def fault_of(err) -> dict:
    loc = getattr(err, "loc", None)
    return {"cls": type(err).__name__, "message": getattr(err, "message", str(err)),
            "line": getattr(loc, "line", None)}


def difference(want: dict, got: dict) -> str | None:
    """Which output differs (a short key for signatures), or None."""
    if want["fault"] or got["fault"]:
        if want["fault"] == got["fault"]:
            return None
        if not want["fault"] or not got["fault"]:
            return "fault:" + ("expected" if want["fault"] else "unexpected")
        if want["fault"]["cls"] != got["fault"]["cls"]:
            return "fault:class"
        return "fault:message" if want["fault"]["message"] != got["fault"]["message"] else "fault:line"
    if len(want["results"]) != len(got["results"]):
        return "results:count"
    for k, (a, b) in enumerate(zip(want["results"], got["results"])):
        if a[:2] != b[:2]:
            return f"return{k}:type"
        if a != b:
            return f"return{k}"
    for name in want["arrays"]:
        a, b = want["arrays"][name], got["arrays"].get(name)
        if b is None or a[:3] != b[:3]:
            return f"arg:{name}:type"
        if a != b:
            return f"arg:{name}"
    return None


def show(obs: dict) -> str:
    if obs["fault"]:
        f = obs["fault"]
        return f"{f['cls']}: {f['message']} (line {f['line']})"
    parts = [repr(r[-1]) if r[0] == "scalar" else f"{r[1]}{list(r[2])} {r[3]!r}"
             for r in obs["results"]]
    parts += [f"{k}={v[3]!r}" for k, v in obs["arrays"].items()]
    return "; ".join(parts)


# ---------------------------------------------------------------------------------------------
# Errors


def first_line(err) -> str:
    text = getattr(err, "message", None) or str(err)
    return text.strip().splitlines()[0][:160] if text.strip() else ""


def innermost_frame(tb) -> str:
    """The innermost frame of allo_rtl (or of the simulator harness) in a traceback."""
    frames = traceback.extract_tb(tb)
    for f in reversed(frames):
        if "/allo_rtl/" in f.filename or "/sim/" in f.filename:
            path = f.filename.split("/allo_rtl/")[-1] if "/allo_rtl/" in f.filename else \
                "sim/" + f.filename.split("/sim/")[-1]
            return f"{path}:{f.lineno} in {f.name}"
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"


def result(outcome, key="", detail="", reason="", **extra) -> dict:
    return {"outcome": outcome, "key": key, "detail": detail, "reason": reason, **extra}


def internal(phase, err) -> dict:
    frame = innermost_frame(err.__traceback__)
    return result("internal_error", f"{phase}:{type(err).__name__}:{frame}",
                  f"{phase}: {type(err).__name__}: {first_line(err)}\n  at {frame}",
                  f"{type(err).__name__}: {first_line(err)}")


# ---------------------------------------------------------------------------------------------
# One case


def load_module(source: str, workdir: Path):
    workdir.mkdir(parents=True, exist_ok=True)
    name = f"fuzzcase_{os.getpid()}_{next(_counter)}"
    path = workdir / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module, path


def run_case(program: P.Program, simulators=("amaranth",), workdir: str = "build/fuzz/work") -> dict:
    warnings.simplefilter("ignore")       # Amaranth's UnusedElaboratable and the like
    start = time.time()
    out = _run(program, simulators, Path(workdir))
    out["seconds"] = round(time.time() - start, 3)
    return out


def _run(program, simulators, workdir) -> dict:
    import allo_rtl as allo
    from allo_rtl.errors import AlloError

    source, sched = render_module(program), render_schedule(program)
    try:
        model_results, model_arrays = Model(program).run(program.inputs)
        want = expected_of(program, model_results, model_arrays)
    except Fault as f:
        want = {"results": [], "arrays": {}, "fault": {"cls": f.cls, "message": f.message,
                                                       "line": f.line}}
    except Diverged as e:
        return result("invalid", "diverged", str(e))
    except (T.NoRule, RecursionError) as e:
        return result("invalid", "model", f"{type(e).__name__}: {e}")
    module, path = load_module(source, workdir)
    if want["fault"]:
        # a deadlock message names the module's file, known only now
        want["fault"]["message"] = want["fault"]["message"].replace(MODULE_FILE, path.name)
    try:
        try:
            s = allo.customize(module.kernel)
        except AlloError as e:
            return result("frontend_refused", f"{type(e).__name__}:{first_line(e)}", str(e),
                          f"{type(e).__name__}: {first_line(e)}")
        except Exception as e:     # noqa: BLE001 - every non-Allo exception is a finding
            return internal("customize", e)
        try:
            exec(sched, {"s": s, "allo": allo, "mod": module})
        except AlloError as e:
            return result("schedule_refused", type(e).__name__, str(e),
                          f"{type(e).__name__}: {first_line(e)}")
        except Exception as e:     # noqa: BLE001
            return internal("schedule", e)
        try:
            interp = s.build()
        except AlloError as e:
            return result("rtl_rejected", f"interp:{type(e).__name__}", str(e),
                          f"interp {type(e).__name__}: {first_line(e)}")
        except Exception as e:     # noqa: BLE001
            return internal("interp-build", e)
        got = _call(interp, program)
        if isinstance(got, Exception):
            return internal("interp", got)
        diff = difference(want, got)
        if diff:
            return result("interp_model_mismatch", diff,
                          f"model:  {show(want)}\ninterp: {show(got)}", want=show(want),
                          got=show(got), module_file=path.name)
        if program.is_region:
            r = _order_check(s, program, got)
            if r is not None:
                return r
        faulted = got["fault"] is not None
        for sim in simulators:
            r = _rtl(s, program, got, sim)
            if r is not None:
                r["simulator"] = sim
                return r
        return result("ok_fault" if faulted else "ok")
    finally:
        sys.modules.pop(module.__name__, None)
        try:
            path.unlink()
        except OSError:
            pass


def backpressure_of(program):
    """The gap seed of a region with stream parameters: none for a third of the seeds."""
    if not any(p.stream is not None for p in program.kernel.params):
        return None
    seed = int(program.seed) if str(program.seed).isdigit() else 1
    return None if seed % 3 == 0 else seed % 100_003


def _order_check(s, program, got):
    """A region again with its kernels resumed in a shuffled order (``schedule_seed``): the same
    results, or the same deadlock (the waiting instances may be listed in another order, and
    the error is located at the first one listed)."""
    from allo_rtl.errors import AlloError

    seed = int(program.seed) if str(program.seed).isdigit() else 1
    try:
        built = s.build(schedule_seed=seed % 1000 + 1)
    except AlloError as e:
        return result("internal_error", f"order:{type(e).__name__}", str(e),
                      f"interp with schedule_seed: {type(e).__name__}: {first_line(e)}")
    other = _call(built, program)
    if isinstance(other, Exception):
        return internal("interp-order", other)

    same = _same_outcome(got, other)
    if not same:
        return result("interp_model_mismatch", "order:" + (difference(got, other) or "fault"),
                      f"interp: {show(got)}\nshuffled order: {show(other)}", want=show(got),
                      got=show(other))
    return None


def _deadlock_waits(obs):
    f = obs["fault"]
    if f is None:
        return None
    head, _, rest = f["message"].partition(": every running kernel waits: ")
    return f["cls"], head, frozenset(rest.split("; ")) if rest else f["message"]


def _same_outcome(a, b) -> bool:
    """The same results, or the same error; a deadlock may list its waiting kernels in
    another order (and is located at the first one listed)."""
    deadlock = "every running kernel waits" in (a["fault"] or {}).get("message", "")
    if deadlock:
        return _deadlock_waits(a) == _deadlock_waits(b)
    return difference(a, b) is None


def _call(built, program):
    from allo_rtl.errors import AlloError

    args = make_args(program)
    try:
        out = built(*args)
    except AlloError as e:
        obs = {"results": [], "arrays": {p.name: canonical(a) for p, a in
                                         zip(program.kernel.params, args) if p.is_array},
               "fault": fault_of(e)}
        return obs
    except Exception as e:         # noqa: BLE001
        return e
    return observe(program, out, args)


def _rtl(s, program, interp_obs, sim):
    from allo_rtl.errors import AlloError, SimulationError

    try:
        hw = s.build(target="rtl", simulator=sim, backpressure=backpressure_of(program))
    except AlloError as e:
        if interp_obs["fault"] and "out of bounds on every run" in e.message:
            return None   # refused at build (DESIGN.md): the run-time fault, found earlier
        return result("rtl_rejected", f"{type(e).__name__}:{first_line(e)}", str(e),
                      f"{type(e).__name__}: {first_line(e)}")
    except Exception as e:         # noqa: BLE001
        return internal("rtl-build", e)
    got = _call(hw, program)
    if isinstance(got, Exception):
        return internal(f"rtl-{sim}", got)
    if got["fault"] and got["fault"]["cls"] in ("SimulationError", "UnsupportedError"):
        kind = "internal_error" if got["fault"]["cls"] == "SimulationError" else "rtl_rejected"
        return result(kind, f"{got['fault']['cls']}:{got['fault']['message'][:80]}",
                      show(got), f"{got['fault']['cls']}: {got['fault']['message'][:160]}")
    diff = None if _same_outcome(interp_obs, got) else difference(interp_obs, got) or "fault"
    if diff:
        return result("rtl_mismatch", diff, f"interp: {show(interp_obs)}\nrtl:    {show(got)}",
                      want=show(interp_obs), got=show(got))
    predicted = getattr(hw, "predicted_cycles", None)
    if predicted is not None and hw.cycles != predicted and not got["fault"]:
        return result("cycle_mismatch", "cycles", f"predicted {predicted}, simulated {hw.cycles}",
                      want=str(predicted), got=str(hw.cycles))
    return None
