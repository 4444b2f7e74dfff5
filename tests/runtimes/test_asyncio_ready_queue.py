"""The recorded ready deque of the asyncio runtime, driven directly on its real loop."""

from __future__ import annotations

import asyncio

from simtui.runtimes.asyncio_rt import AsyncioRun
from simtui.runtimes.base import RunContext
from simtui.runtimes.probe import Probe
from tests.tracehelp import recorded, scenario_from


def _loop_and_probe(snapshots: bool = False) -> tuple[asyncio.AbstractEventLoop, Probe]:
    scenario = scenario_from("tasks:\n  main: [yield]\n", "asyncio")
    probe = Probe(list(scenario.instances), snapshots=snapshots)
    loop = AsyncioRun(scenario, probe, RunContext(scale=1.0)).make_loop()
    return loop, probe


def test_a_cancelled_entry_keeps_the_name_it_entered_with() -> None:
    # Cancelling a handle clears its callback; the entry is still in the deque until the
    # loop pops and skips it, and its `run` must name the same item its `ready` did.
    loop, probe = _loop_and_probe(snapshots=True)
    try:
        ran: list[str] = []
        loop.call_soon(ran.append, "kept")
        dropped = loop.call_soon(ran.append, "dropped")
        dropped.cancel()
        loop.call_soon(loop.stop)
        loop.run_forever()
        assert ran == ["kept"]
    finally:
        loop.close()
    events = recorded(probe)
    (first, second, stop) = [e["item"] for e in events if e["type"] == "ready"]
    assert first == second == "append"
    pops = [e["item"] for e in events if e["type"] == "run"]
    assert pops == [first, second, stop]
    snapshots = [e["ready"] for e in events if e["type"] == "queue"]
    assert snapshots[0] == [first, second, stop]
    assert snapshots[1] == [second, stop]  # the cancelled entry is still really there


def test_callbacks_are_items_with_no_task() -> None:
    loop, probe = _loop_and_probe()
    try:
        loop.call_soon(loop.stop)
        loop.run_forever()
    finally:
        loop.close()
    events = recorded(probe)
    assert [(e["type"], e["task"]) for e in events] == [("ready", None), ("run", None)]
    assert events[0]["item"] == events[1]["item"] == "stop"
