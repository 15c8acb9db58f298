"""Standalone reproducer files: the kernel module, its inputs and schedule, and a main block that
runs the interpreter and the RTL and exits 1 while they (or the model's expectation) disagree."""
from __future__ import annotations

from pathlib import Path

from . import prog as P
from .render import render_module, render_schedule
from .runner import backpressure_of, make_args

_MAIN = '''

# ---------------------------------------------------------------------------------------------
# Reproducer (written by bench/fuzz.py). Run: .venv/bin/python {name}
# outcome:  {outcome} ({key})
# seed:     {seed}
# simulator: {simulator}
{detail}


def _inputs():
    return {inputs}


def _schedule():
    import sys
    s = allo.customize(kernel)
    mod = sys.modules[__name__]
{schedule}    return s


def _show(value):
    if isinstance(value, np.ndarray):
        return f"{{value.dtype}}{{list(value.shape)}} {{value.tolist()!r}}"
    return repr(value)


def _run(build):
    """Results, then the array arguments after the call (or the error)."""
    args = _inputs()
    try:
        out = build()(*args)
    except allo.AlloError as e:
        return f"{{type(e).__name__}}: {{e.message}} (line {{e.line}})"
    values = [] if out is None and {nresults} == 0 else [out] if {nresults} == 1 else list(out)
    parts = [_show(v) for v in values]
    parts += [f"{{n}}={{a.tolist()!r}}" for n, a in zip({params!r}, args) if isinstance(a, np.ndarray)]
    return "; ".join(parts)


if __name__ == "__main__":
    import sys as _sys
    interp = _run(lambda: _schedule().build())
    print("interpreter:", interp)
    {tail}
'''

_TAIL_MODEL = '''model = {model!r}
    print("model:      ", model)
    _sys.exit(0 if interp == model else 1)'''

_TAIL_RTL = '''rtl = _run(lambda: _schedule().build(target="rtl", simulator={simulator!r},
                                         backpressure={backpressure!r}))
    print("rtl:        ", rtl)
    _sys.exit(0 if interp == rtl else 1)'''

_TAIL_CYCLES = '''s = _schedule()
    hw = s.build(target="rtl", simulator={simulator!r})
    hw(*_inputs())
    print("cycles:", hw.cycles, "predicted:", hw.predicted_cycles)
    _sys.exit(0 if hw.cycles == hw.predicted_cycles else 1)'''


def _literal(program: P.Program) -> str:
    parts = []
    for p, a in zip(program.kernel.params, make_args(program)):
        if p.is_array:
            parts.append(f"np.array({a.tolist()!r}, dtype={str(a.dtype)!r})")
        else:
            parts.append(repr(a))
    return "[" + ", ".join(parts) + "]"


def write_repro(program: P.Program, result: dict, path: Path) -> Path:
    source = render_module(program)
    sched = "".join(f"    {line}\n" for line in render_schedule(program).splitlines())
    detail = "\n".join("# " + line for line in result.get("detail", "").splitlines()[:12])
    simulator = result.get("simulator", "amaranth")
    outcome = result["outcome"]
    if outcome == "interp_model_mismatch":
        want = result.get("want", "")
        if result.get("module_file"):
            # a deadlock message names the module's file: now this reproducer
            want = want.replace(result["module_file"], path.name)
        tail = _TAIL_MODEL.format(model=want)
    elif outcome == "cycle_mismatch":
        tail = _TAIL_CYCLES.format(simulator=simulator)
    else:
        tail = _TAIL_RTL.format(simulator=simulator, backpressure=backpressure_of(program))
    text = source + _MAIN.format(name=path.name, outcome=outcome, key=result.get("key", ""),
                                 seed=program.seed, simulator=simulator, detail=detail,
                                 inputs=_literal(program), schedule=sched, tail=tail,
                                 nresults=len(program.kernel.results),
                                 params=[p.name for p in program.kernel.params])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path
