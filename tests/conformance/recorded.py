"""Runs of scenarios for the conformance tests, each bundled scenario recorded once."""

from __future__ import annotations

import functools

from simtui.scenario.loader import bundled_scenarios, load_scenario
from tests.tracehelp import Event, run_trace

SCALE = 0.05
"""Time scale of the bundled scenarios: gather10's 3 s sleeps take 0.15 s, its blocking
variant 1.5 s on asyncio; long enough that starting ten tasks is short beside a sleep."""
SCALES = {"gevent_spawn3": 0.15, "gevent_monkey": 0.15, "gevent_unpatched": 0.15,
          "locust_users": 0.2}
"""Scenarios whose waits must be longer at this scale to stay long beside starting their
tasks on a busy machine (1 s sleeps; 100 threads for locust_users), so that the waits of
all the tasks still overlap."""


def run(
    text: str, runtime: str, snapshots: bool = True, event_limit: int | None = None
) -> list[Event]:
    """A real run, asking for the runtime's own ready-queue snapshots (a runtime with no
    queue to read has none) unless told not to: a runaway's trace is large enough."""
    return run_trace(text, runtime, snapshots=snapshots, event_limit=event_limit)


def bundled_cases() -> list[tuple[str, str]]:
    """Every bundled scenario with every runtime it lists."""
    return [
        (path.stem, runtime)
        for path in bundled_scenarios()
        for runtime in load_scenario(str(path)).runtimes
    ]


@functools.cache
def bundled(name: str, runtime: str) -> list[Event]:
    """One recorded run of a bundled scenario, shared by every test that reads it (so
    none may change it)."""
    return run_trace(name, runtime, time_scale=SCALES.get(name, SCALE), snapshots=True)
