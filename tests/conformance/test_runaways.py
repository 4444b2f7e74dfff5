"""Runaway scenarios end by themselves: `timeout` or `limit`, listing what was unfinished."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pytest

from tests.conformance.recorded import run
from tests.conformance.runtimes import cases
from tests.tracehelp import Event, end, of, validate

RUNNING = frozenset({"running"})
# A task in a tight yield loop is running, back in the ready queue, or in its yield,
# depending on the instant the run is stopped.
YIELDING = frozenset({"running", "ready", "yield"})


@dataclass(frozen=True)
class Runaway:
    """A scenario that would run far past its timeout, and what is unfinished when it stops.

    Every runaway first spawns `napper`, which sleeps far longer than the timeout, so the
    stuck list must name more than the task that ran away.
    """

    step: str
    main: frozenset[str]
    """What `main`, the runaway, may be listed as doing."""
    napper: str
    """What `napper` is listed as doing, on most runtimes."""
    worded: Mapping[str, tuple[frozenset[str] | None, str | None]] = field(default_factory=dict)
    """Runtime → its own wording of main's and napper's entries (None: as above)."""

    @property
    def text(self) -> str:
        return f"""
timeout: 0.3
tasks:
  main:
    - spawn: napper
    - {self.step}
  napper:
    - sleep: 30
"""

    def expected(self, runtime: str) -> tuple[frozenset[str], str]:
        main, napper = self.worded.get(runtime, (None, None))
        return main or self.main, napper or self.napper


RUNAWAYS: Mapping[str, Runaway] = {
    "sleep_past_the_timeout": Runaway(
        "sleep: 30", frozenset({"sleep 30 s"}), "sleep 30 s",
        worded={"greenlet": (frozenset({"sleep (holds the thread)"}), "never started")},
    ),
    # One step that never gives control back: only the worker's own clock can end it.
    "long_cpu": Runaway(
        "cpu: 30", RUNNING, "sleep 30 s",
        worded={
            "asyncio": (None, "ready"),
            "gevent": (frozenset({"cpu holds the hub"}), "never started"),
            "greenlet": (frozenset({"cpu (holds the thread)"}), "never started"),
        },
    ),
    "tight_yield_loop": Runaway(
        "repeat: {times: 10000000, steps: [yield]}", YIELDING, "sleep 30 s",
    ),
    # Never yields either, but records events as fast as it can.
    "tight_print_loop": Runaway(
        "repeat: {times: 10000000, steps: [{print: x}]}", RUNNING, "sleep 30 s",
        worded={"asyncio": (None, "ready"), "gevent": (None, "never started"),
                "greenlet": (None, "never started")},
    ),
}

KNOWN = {
    ("gevent", "tight_print_loop"): (
        "gevent: a greenlet that loops without yielding is listed as waiting on `yield` "
        "instead of running, and the worker's timeout often never fires at all (the "
        "flusher thread stops once the backlog signal is sent; the parent kills the "
        "worker and no `end` is written)"
    ),
    ("greenlet", "tight_print_loop"): (
        "greenlet: the greenlet running at the timeout is listed as waiting on `switch`, "
        "as if it were suspended"
    ),
}


def _known(runtime: str, name: str) -> tuple[pytest.MarkDecorator, ...]:
    reason = KNOWN.get((runtime, name))
    return (pytest.mark.xfail(strict=True, reason=reason),) if reason else ()


def unfinished(events: list[Event]) -> set[str]:
    return {e["task"] for e in of(events, "create")} - {e["task"] for e in of(events, "done")}


@pytest.mark.parametrize(("runtime", "runaway"), cases(RUNAWAYS, marks=_known))
def test_a_runaway_ends_with_timeout_listing_what_was_unfinished(
    runtime: str, runaway: str
) -> None:
    events = run(RUNAWAYS[runaway].text, runtime, snapshots=False)
    assert validate(events) == []
    last = end(events)
    assert last["status"] == "timeout"
    stuck = {s["task"]: s["waiting_on"] for s in last["stuck"]}
    assert set(stuck) == unfinished(events) == {"main", "napper"}
    main, napper = RUNAWAYS[runaway].expected(runtime)
    assert stuck["main"] in main
    assert stuck["napper"] == napper


LIMIT = 500

OVERSHOOT = (
    "known defect, intermittent (about one run in ten of a tight print loop): events "
    "recorded while the worker writes its `limit` end slip in ahead of it, so the trace "
    "runs past the limit"
)


@pytest.mark.parametrize(
    ("runtime", "runaway"),
    cases({k: v for k, v in RUNAWAYS.items() if k.startswith("tight_")}),
)
def test_a_runaway_ends_with_limit_at_the_event_limit(runtime: str, runaway: str) -> None:
    events = run(RUNAWAYS[runaway].text, runtime, snapshots=False, event_limit=LIMIT)
    assert validate(events) == []
    last = end(events)
    assert last["status"] == "limit"
    assert {s["task"] for s in last["stuck"]} == unfinished(events) == {"main", "napper"}
    assert last["seq"] >= LIMIT - 1
    if last["seq"] > LIMIT - 1:
        # Not a strict xfail: the defect shows only now and then. Anything else about the
        # run is asserted above; this records each time the trace ran past the limit.
        pytest.xfail(f"{OVERSHOOT}: {last['seq'] + 1} events for a limit of {LIMIT}")
    assert last["seq"] == LIMIT - 1  # exactly the limit, the `end` included
