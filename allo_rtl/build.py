"""Building a design for a target: the reference interpreter, the generated hardware (simulated,
as Verilog, or as an Amaranth Component) and its report. ``Schedule.build`` and
``Schedule.report`` dispatch here, so that ``schedule/`` stays about schedules."""
from __future__ import annotations

from .errors import ScheduleError, caller_loc

INTERP_TARGETS = ("interp", "llvm")  # Allo builds for the CPU with target="llvm"
RTL_TARGETS = ("rtl", "verilog", "amaranth")
INTERP_OPTIONS = ("schedule_seed",)
HARDWARE_OPTIONS = ("family", "clock_mhz", "checks")
SIMULATION_OPTIONS = ("simulator", "waves", "cycle_limit", "progress", "backpressure")


def build(top, target: str, options: dict):
    """What ``Schedule.build(target, **options)`` returns for the design of function ``top``."""
    if target in INTERP_TARGETS:
        _check_options(target, options, INTERP_OPTIONS)
        from .interp import build_interpreter
        return build_interpreter(top, options.get("schedule_seed"))
    if target not in RTL_TARGETS:
        raise ScheduleError(f"build: unknown target {target!r}", caller_loc(),
                            f"targets: {', '.join(INTERP_TARGETS + RTL_TARGETS)}")
    _check_options(target, options,
                   HARDWARE_OPTIONS + (SIMULATION_OPTIONS if target == "rtl" else ()))
    design = generate(top, **{k: v for k, v in options.items() if k in HARDWARE_OPTIONS})
    if target == "amaranth":
        return design.component
    if target == "verilog":
        return design.verilog()
    from .sim.module import RtlModule
    return RtlModule(design, **{k: v for k, v in options.items() if k in SIMULATION_OPTIONS})


def _check_options(target: str, options: dict, allowed: tuple) -> None:
    unknown = [k for k in options if k not in allowed]
    if unknown:
        raise ScheduleError(f"build(target={target!r}) has no option "
                            f"{', '.join(map(repr, unknown))}", caller_loc(),
                            f"options: {', '.join(allowed)}")


def generate(top, family: str = "ecp5", clock_mhz: float = 100.0, checks: bool = True):
    """The planned hardware of ``top`` (``gen.GeneratedDesign``)."""
    if not isinstance(checks, bool):
        raise ScheduleError(f"build: option 'checks' must be True or False, got {checks!r}",
                            caller_loc(), "checks=False leaves the run-time checks out")
    from .gen import generate as plan
    return plan(top, family, clock_mhz, checks)


def report(top, resources: bool = False, family: str = "ecp5", clock_mhz: float = 100.0,
           progress=None, checks: bool = True):
    """What ``Schedule.report`` returns: the hardware's figures, synthesized if ``resources``."""
    from .gen.report import make_report
    design = generate(top, family, clock_mhz, checks)
    out = make_report(design)
    if resources:
        from .boards.synth import synthesize_ecp5
        out.resources = synthesize_ecp5(design.verilog(), design.top.name, progress=progress)
    return out
