"""Test helpers: run a scenario on a real runtime through the worker and check its trace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simtui.runtimes.probe import Probe
from simtui.scenario.loader import load_scenario, load_text
from simtui.scenario.model import Scenario
from simtui.trace import wire
from simtui.trace.stream import WorkerProcess
from simtui.trace.validate import check_events
from simtui.trace.wire import Decoder

ROOT = Path(__file__).resolve().parent.parent

Event = dict[str, Any]


def scenario_from(text_or_name: str, runtime: str | None = None) -> Scenario:
    """A bundled scenario by name, a path, or YAML text (anything with a newline)."""
    if "\n" in text_or_name:
        return load_text(text_or_name, "<test>", runtime=runtime)
    return load_scenario(text_or_name, runtime=runtime)


def run_trace(
    text_or_name: str,
    runtime: str | None = None,
    time_scale: float = 1.0,
    snapshots: bool = False,
    event_limit: int | None = None,
) -> list[Event]:
    """Run on the real runtime in a worker process; every event, header first."""
    scenario = scenario_from(text_or_name, runtime)
    worker = WorkerProcess(
        scenario, runtime or scenario.runtime, time_scale, snapshots=snapshots,
        event_limit=event_limit,
    ).start()
    try:
        events = list(worker.events())
    finally:
        worker.kill()
        worker.wait(10)
    assert events and events[0]["type"] == "header", worker.error_text
    assert events[-1]["type"] == "end", f"no end event; worker said:\n{worker.error_text}"
    return events


def recorded(probe: Probe) -> list[Event]:
    """What a probe recorded, as the parent decodes it from the wire: event dicts."""
    header = {"type": "header", "tasks": list(probe.tasks)}
    decoder = Decoder()
    batches = decoder.feed(wire.encode(header, probe.names, probe.extras, probe.records))
    return [batch.event(j) for batch in batches for j in range(len(batch))]


def validate(events: list[Event]) -> list[str]:
    """Problems the trace checker finds in a trace, `line N: ...` each (empty when valid)."""
    return check_events(events).messages


def of(events: list[Event], kind: str, task: str | None = ...) -> list[Event]:  # type: ignore[assignment]
    """The events of one type (and one task, if given)."""
    return [e for e in events if e["type"] == kind and (task is ... or e.get("task") == task)]


def outputs(events: list[Event]) -> list[str]:
    return [e["text"] for e in events if e["type"] == "output"]


def end(events: list[Event]) -> Event:
    return events[-1]

