"""Runs of scenarios for the conformance tests, each bundled scenario recorded once."""

from __future__ import annotations

import functools

from simtui.scenario.loader import bundled_scenarios, load_scenario
from tests.conformance.runtimes import FACTS
from tests.tracehelp import Event, run_trace

SCALE = 0.05
"""Time scale of the bundled scenarios: gather10's 3 s sleeps take 0.15 s, its blocking
variant 1.5 s on asyncio; long enough that starting ten tasks is short beside a sleep."""


def run(
    text: str, runtime: str, time_scale: float = 1.0, snapshots: bool = True, **kw: int
) -> list[Event]:
    """A real run, with the runtime's own ready-queue snapshots where it has them (unless
    told not to: a runaway's trace is large enough without)."""
    return run_trace(
        text, runtime, time_scale=time_scale,
        snapshots=snapshots and FACTS[runtime].snapshots, **kw,
    )


def bundled_cases() -> list[tuple[str, str]]:
    """Every bundled scenario with every runtime it lists."""
    return [
        (path.stem, runtime)
        for path in bundled_scenarios()
        for runtime in load_scenario(str(path)).runtimes
    ]


@functools.cache
def bundled(name: str, runtime: str) -> tuple[Event, ...]:
    """One recorded run of a bundled scenario, shared by every test that reads it."""
    return tuple(
        run_trace(name, runtime, time_scale=SCALE, snapshots=FACTS[runtime].snapshots)
    )
