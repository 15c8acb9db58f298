"""The error for a run that never finishes: where each controller was when the limit hit."""
from __future__ import annotations

from ..errors import SimulationError
from ..gen.design import DesignInfo, StateProbe


def probe_location(probe: StateProbe) -> str:
    """The register's hierarchical name below the top, as in messages and waveforms."""
    return ".".join((*probe.path, probe.signal))


def describe_state(probe: StateProbe, value: int | None) -> str:
    """``gcd: 'while at control.py:19' (state 5)``; ``value`` None when the register was not
    found (the design does not follow the naming contract)."""
    if value is None:
        return f"{probe.function}: state register {probe_location(probe)} not found"
    if 0 <= value < len(probe.names):
        return f"{probe.function}: {probe.names[value]!r} (state {value})"
    return f"{probe.function}: unknown state {value}"


def timeout_error(info: DesignInfo, cycle_limit: int, values: list, loc) -> SimulationError:
    """``values[i]`` is the value of ``info.probes[i]`` (None if not found)."""
    if info.probes:
        states = "; ".join(describe_state(p, v) for p, v in zip(info.probes, values))
    else:
        states = "unknown (the design has no state probes)"
    return SimulationError(
        f"{info.name} did not finish within {cycle_limit} cycles; controller state: {states}",
        loc,
        "if the kernel legitimately runs longer, raise cycle_limit; otherwise check the loop "
        "conditions of the state named above (a bound that is never reached loops forever)")
