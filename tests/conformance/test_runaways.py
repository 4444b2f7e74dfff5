"""Runaway scenarios end by themselves: `timeout` or `limit`, listing what was unfinished."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pytest

from tests.conformance.recorded import run
from tests.conformance.runtimes import cases
from tests.tracehelp import Event, end, of, validate


@dataclass(frozen=True)
class Runaway:
    """A scenario that would run far past its timeout, and what is unfinished when it stops.

    Every runaway first spawns `napper`, which sleeps far longer than the timeout, so the
    stuck list must name more than the task that ran away.
    """

    step: str
    stuck: Mapping[str, str]
    """Task → waiting_on at the timeout, as most runtimes word it."""
    worded: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Runtime → the entries it words its own way (the rest as in `stuck`)."""

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

    def expected(self, runtime: str) -> dict[str, str]:
        return {**self.stuck, **self.worded.get(runtime, {})}


RUNAWAYS: Mapping[str, Runaway] = {
    "sleep_past_the_timeout": Runaway(
        "sleep: 30", {"main": "sleep 30 s", "napper": "sleep 30 s"},
        worded={"greenlet": {"main": "sleep (holds the thread)", "napper": "never started"}},
    ),
    # One step that never gives control back: only the worker's own clock can end it.
    "long_cpu": Runaway(
        "cpu: 30", {"main": "running", "napper": "sleep 30 s"},
        worded={
            "asyncio": {"napper": "ready"},
            "gevent": {"main": "cpu holds the hub", "napper": "never started"},
            "greenlet": {"main": "cpu (holds the thread)", "napper": "never started"},
        },
    ),
    # Never gives control back either, and records events as fast as it can.
    "tight_print_loop": Runaway(
        "repeat: {times: 10000000, steps: [{print: x}]}",
        {"main": "running", "napper": "sleep 30 s"},
        worded={"asyncio": {"napper": "ready"}, "gevent": {"napper": "never started"},
                "greenlet": {"napper": "never started"}},
    ),
}

KNOWN: dict[tuple[str, str], str] = {}


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
    assert set(stuck) == unfinished(events)
    assert stuck == RUNAWAYS[runaway].expected(runtime)


LIMIT = 500

@dataclass(frozen=True)
class Loop:
    """A loop that records events as fast as it can, beside a sleeping task."""

    step: str

    @property
    def text(self) -> str:
        return f"""
tasks:
  main:
    - spawn: napper
    - repeat: {{times: 10000000, steps: [{self.step}]}}
  napper:
    - sleep: 30
"""


LOOPS: Mapping[str, Loop] = {
    "tight_yield_loop": Loop("yield"),
    "tight_print_loop": Loop("{print: x}"),
}


@pytest.mark.parametrize(("runtime", "loop"), cases(LOOPS))
def test_a_runaway_ends_with_limit_at_the_event_limit(runtime: str, loop: str) -> None:
    events = run(LOOPS[loop].text, runtime, snapshots=False, event_limit=LIMIT)
    assert validate(events) == []
    last = end(events)
    assert last["status"] == "limit"
    assert {s["task"] for s in last["stuck"]} == unfinished(events) == {"main", "napper"}
    # Exactly the limit, the `end` included: what is recorded while the worker writes its
    # `end` is never sent (it once slipped in ahead of it, one run in ten).
    assert last["seq"] == LIMIT - 1
