"""Every bundled scenario on each runtime it lists: a valid trace, the right end, true snapshots."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from simtui.replay.model import Replay
from simtui.trace.model import Trace
from tests.conformance.recorded import bundled, bundled_cases
from tests.conformance.runtimes import FACTS
from tests.tracehelp import end, validate

CASES = bundled_cases()
IDS = [f"{runtime}-{name}" for name, runtime in CASES]

ENDS: Mapping[str, Mapping[str, Any]] = {
    # The article's task_b: still inside its second switch when main, and the program,
    # end (claim C6).
    "greenlet_pingpong": {"status": "ok", "stuck": [{"task": "task_b", "waiting_on": "switch"}]},
}
"""How a bundled scenario ends when it does not simply end `ok` with nothing left over."""


@pytest.mark.parametrize(("name", "runtime"), CASES, ids=IDS)
def test_the_trace_is_valid(name: str, runtime: str) -> None:
    assert validate(list(bundled(name, runtime))) == []


@pytest.mark.parametrize(("name", "runtime"), CASES, ids=IDS)
def test_it_ends_as_it_should(name: str, runtime: str) -> None:
    last = end(list(bundled(name, runtime)))
    expected = ENDS.get(name, {"status": "ok", "stuck": None})
    assert {"status": last["status"], "stuck": last.get("stuck")} == expected


SNAPSHOT_CASES = [(n, r) for n, r in CASES if FACTS[r].snapshots]


@pytest.mark.parametrize(
    ("name", "runtime"), SNAPSHOT_CASES, ids=[f"{r}-{n}" for n, r in SNAPSHOT_CASES]
)
def test_every_snapshot_equals_the_queue_derived_from_the_trace(name: str, runtime: str) -> None:
    # The runtime's own ready queue, read from its data structure before each switch,
    # against the queue the replay model derives from the recorded events alone: the
    # test that the instrumentation tells the truth (trace-format.md, State).
    trace = Trace.from_events(bundled(name, runtime))
    replay = Replay(trace)
    snapshots = [i for i in range(len(trace)) if trace.kind(i) == "queue"]
    assert snapshots, "recorded with --snapshots: the runtime must report its queue"
    for i in snapshots:
        derived = [entry.name for entry in replay.state(i).ready]
        assert derived == trace.field(i, "ready"), f"event {i}: {trace[i]}"
