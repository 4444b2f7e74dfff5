"""The article's claims (C2-C6, C8-C11), checked on every runtime whose trace can show them.

Each claim is asserted on the real runs of the bundled scenarios that demonstrate it, on
every runtime those scenarios list; what a claim expects of a runtime comes from the table
in `runtimes.py` (does the wait hold the scheduler, is it preemptive, is there a queue).
C1 is asyncio's alone (tests/runtimes/test_asyncio_claims.py); C7 is `simtui bench`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pytest

from simtui.scenario.loader import load_scenario, load_text
from simtui.scenario.model import DURATION_OPS, Step
from tests.conformance.recorded import bundled, bundled_cases, run
from tests.conformance.runtimes import FACTS, cases
from tests.tracehelp import Event, end, of, outputs, validate


def run_elapsed(events: list[Event]) -> float:
    """From the first event of the run (main's create) to its end."""
    return end(events)["elapsed"] - events[1]["t"]


def first_index(events: list[Event], kind: str, task: str) -> int:
    return next(i for i, e in enumerate(events) if e["type"] == kind and e.get("task") == task)


def bundled_ids(params: list[tuple[str, str]]) -> list[str]:
    return [f"{runtime}-{name}" for name, runtime in params]


# -- C2: `await coro` (a `call`) runs inline, in the caller's own task ----------------------

@dataclass(frozen=True)
class Inline:
    text: str


CALLS: Mapping[str, Inline] = {
    "call_runs_inline": Inline("""
tasks:
  main:
    - print: "main starts"
    - call: helper
    - print: "main ends"
  helper:
    - print: "helper starts"
    - sleep: 0.01
    - print: "helper ends"
"""),
}


@pytest.mark.parametrize(("runtime", "case"), cases(CALLS))
def test_c2_a_call_makes_no_task_its_steps_run_in_the_callers(runtime: str, case: str) -> None:
    text = CALLS[case].text
    events = run(text, runtime)
    assert validate(events) == []
    assert [e["task"] for e in of(events, "create")] == ["main"]
    # The callee's steps are main's steps, at the callee's own lines in the file.
    helper_lines = {s.line for s in load_text(text, "<test>").tasks["helper"].steps}
    steps = of(events, "step")
    assert {e["task"] for e in steps} == {"main"}
    assert helper_lines <= {e["line"] for e in steps}
    # Its sleep suspends main itself (or, with no scheduler, blocks the one thread);
    # only main, or a callback of the scheduler, is ever queued or run.
    if "sleep" in FACTS[runtime].holding_ops(events[0]["options"]):
        assert [(e["task"], e["reason"]) for e in of(events, "block")] == [("main", "sleep")]
        assert of(events, "suspend") == []
    else:
        assert [(e["task"], e["reason"]) for e in of(events, "suspend")] == [("main", "sleep")]
    assert {e["task"] for e in of(events, "ready") + of(events, "run")} <= {"main", None}
    assert outputs(events) == ["main starts", "helper starts", "helper ends", "main ends"]
    assert end(events)["status"] == "ok"


# -- C3: the run schedules main first and ends when main is done ----------------------------

C3_CASES = [
    (n, r) for n, r in bundled_cases()
    if n == "coroutine_basics" and FACTS[r].queue != "none"
]


@pytest.mark.parametrize(("name", "runtime"), C3_CASES, ids=bundled_ids(C3_CASES))
def test_c3_main_is_the_first_ready_entry_and_the_run_ends_with_it(
    name: str, runtime: str
) -> None:
    events = bundled(name, runtime)
    assert of(events, "ready")[0]["task"] == "main"
    done = of(events, "done")
    assert [e["task"] for e in done] == ["main"]
    after = events[events.index(done[0]) + 1:]
    assert [e for e in after if e.get("task") is not None] == []  # only the loop winding up


# -- C4, C5, C8, C9, C11: workers that each wait once, together or one after another --------

WORKERS: Mapping[str, str] = {
    "gather10": "coco",  # C4: asyncio.sleep(3) ×10 in a gather
    "gevent_spawn3": "my_task",  # C8: gevent.sleep(1) ×3, joinall
    "gather10_blocking": "coco",  # C5: time.sleep(3) ×10 in a gather
    "gevent_monkey": "worker",  # C9: time.sleep(1) ×3, patched
    "gevent_unpatched": "worker",  # C9: time.sleep(1) ×3, unpatched
    "threads_cpu": "worker",  # C11: 1 s of CPU ×3
}
"""Bundled scenarios whose main starts a template's instances, each waiting once."""

WAIT_CASES = [(n, r) for n, r in bundled_cases() if n in WORKERS]


@dataclass(frozen=True)
class Workers:
    """The instances of a bundled scenario's worker template, and the wait each makes."""

    names: tuple[str, ...]
    op: str
    seconds: float
    """One worker's wait, at the run's time scale."""
    holds: bool
    """The wait holds the whole scheduler on this runtime, with this run's options."""


def the_wait(name: str) -> Step:
    """The one step of the scenario's worker template that takes time."""
    (wait,) = [s for s in load_scenario(name).tasks[WORKERS[name]].steps if s.op in DURATION_OPS]
    return wait


def workers_of(name: str, events: list[Event]) -> Workers:
    scenario = load_scenario(name)
    wait = the_wait(name)
    header = events[0]
    runtime = FACTS[header["runtime"]]
    return Workers(
        names=tuple(i for i in scenario.instances if i.split("[")[0] == WORKERS[name]),
        op=wait.op,
        seconds=wait.seconds * header["time_scale"],
        holds=wait.op in runtime.holding_ops(header["options"]),
    )


def halfway(n: int) -> float:
    """Elapsed ÷ the sum of the waits, halfway between n waits that overlap (1/n) and n
    waits one after another (1): a generous bound between the two behaviours."""
    return (1 + 1 / n) / 2


@pytest.mark.parametrize(("name", "runtime"), WAIT_CASES, ids=bundled_ids(WAIT_CASES))
def test_workers_are_started_in_order_by_main(name: str, runtime: str) -> None:
    events = bundled(name, runtime)
    w = workers_of(name, events)
    created = [e for e in of(events, "create") if e["task"] in w.names]
    assert [e["task"] for e in created] == list(w.names)
    assert {e["parent"] for e in created} == {"main"}
    if FACTS[runtime].queue == "fifo":
        runs = [e["task"] for e in of(events, "run") if e["task"] in w.names]
        assert list(dict.fromkeys(runs)) == list(w.names)


# A `cpu` step is calibrated to its duration when the worker starts, which a busy machine
# throws off: how long CPU-bound workers take is no measure of overlap. Their claim is in
# the order they run (the two tests after this one).
SLEEP_CASES = [(n, r) for n, r in WAIT_CASES if the_wait(n).op != "cpu"]


@pytest.mark.parametrize(("name", "runtime"), SLEEP_CASES, ids=bundled_ids(SLEEP_CASES))
def test_waits_overlap_unless_they_hold_the_scheduler(name: str, runtime: str) -> None:
    events = bundled(name, runtime)
    w = workers_of(name, events)
    ratio = run_elapsed(events) / (len(w.names) * w.seconds)
    if w.holds:
        # One after another: claims C5, C9 unpatched.
        assert ratio > halfway(len(w.names)), ratio
        return
    # Together: every worker is waiting before the first one is woken, and the run takes
    # about one wait, not the sum (claims C4, C8, C9 patched, C11 for blocking calls).
    assert ratio < halfway(len(w.names)), ratio
    assert run_elapsed(events) >= 0.95 * w.seconds
    mine = [e for e in events if e.get("task") in w.names]
    waits = [e for e in mine if e["type"] == "suspend"]
    assert {e["task"] for e in waits} == set(w.names)
    assert {e["reason"] for e in waits} == {"sleep"}
    wakes = [e for e in mine if e["type"] == "wake"]
    last_to_wait = max(events.index(next(e for e in waits if e["task"] == t)) for t in w.names)
    assert last_to_wait < min(events.index(e) for e in wakes)


@pytest.mark.parametrize(("name", "runtime"), WAIT_CASES, ids=bundled_ids(WAIT_CASES))
def test_a_wait_is_a_block_exactly_where_it_holds_the_scheduler(name: str, runtime: str) -> None:
    events = bundled(name, runtime)
    w = workers_of(name, events)
    blocks = [(e["task"], e["reason"]) for e in of(events, "block") if e["task"] in w.names]
    assert blocks == ([(t, w.op) for t in w.names] if w.holds else [])
    if w.holds:
        # Claims C5, C9 unpatched, and `cpu` on a runtime with one thread of control:
        # each worker holds everything for its whole wait, then the next one starts.
        for before, after in zip(w.names, w.names[1:], strict=False):
            assert first_index(events, "done", before) < first_index(events, "run", after)
        assert [e for e in of(events, "suspend") if e["task"] in w.names] == []


CPU_CASES = [
    (n, r) for n, r in WAIT_CASES if FACTS[r].preemptive and the_wait(n).op == "cpu"
]


@pytest.mark.parametrize(("name", "runtime"), CPU_CASES, ids=bundled_ids(CPU_CASES))
def test_c11_a_preemptive_runtime_makes_busy_workers_take_turns(name: str, runtime: str) -> None:
    # CPU-bound threads take turns at the switch interval: their turns interleave,
    # though they never run at once (and a runtime that is not preemptive never does
    # this: test_facts.py).
    events = bundled(name, runtime)
    w = workers_of(name, events)
    preempted = {e["task"] for e in of(events, "suspend") if e["reason"] == "preempt"}
    assert preempted & set(w.names)
    turns = [e["task"] for e in of(events, "run") if e["task"] in w.names]
    assert len(turns) > len(w.names)
    finished = {t: first_index(events, "done", t) for t in w.names}
    assert any(
        first_index(events, "run", t) < first_index(events, "run", u) < finished[t]
        for t in w.names for u in w.names if u != t
    )


# -- C6: with no scheduler, control goes exactly where a switch (or a return) sends it ------

C6_CASES = [(n, r) for n, r in bundled_cases() if FACTS[r].queue == "none"]


@pytest.mark.parametrize(("name", "runtime"), C6_CASES, ids=bundled_ids(C6_CASES))
def test_c6_every_switch_goes_to_its_target_and_a_return_to_the_parent(
    name: str, runtime: str
) -> None:
    events = bundled(name, runtime)
    assert of(events, "ready") == []
    parents = {e["task"]: e["parent"] for e in of(events, "create")}
    last: dict[str, Event] = {}
    for e in events[1:]:
        if e["type"] == "run" and e["from"] is not None:
            before = last[e["from"]]
            if before["type"] == "done":
                assert parents[e["from"]] == e["task"], e
            else:
                assert (before["type"], before["reason"], before["detail"]) == (
                    "suspend", "switch", e["task"]
                ), e
        if e.get("task") is not None:
            last[e["task"]] = e


# -- C10: very many users on one scheduler, their requests in flight together ---------------

C10_CASES = [(n, r) for n, r in bundled_cases() if n == "locust_users"]


@pytest.mark.parametrize(("name", "runtime"), C10_CASES, ids=bundled_ids(C10_CASES))
def test_c10_a_hundred_users_have_their_requests_in_flight_together(
    name: str, runtime: str
) -> None:
    events = bundled(name, runtime)
    users = [e["task"] for e in of(events, "create") if e["task"].startswith("user[")]
    assert len(users) == 100
    in_io: set[str] = set()
    most = 0
    for e in events:
        if e["type"] == "suspend" and e["reason"] == "io":
            in_io.add(e["task"])
            most = max(most, len(in_io))
        elif e["type"] == "run":
            in_io.discard(e["task"])
    assert most >= 50
    assert outputs(events)[-1] == "load test finished"
    # Three rounds of a 0.3 s request and a 0.2 s think, per user.
    one_user = 3 * 0.5 * events[0]["time_scale"]
    assert run_elapsed(events) / (100 * one_user) < halfway(100)
