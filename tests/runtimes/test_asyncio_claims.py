"""The article's asyncio claims (C1-C5), checked on traces of real runs on the asyncio loop."""

from __future__ import annotations

import pytest

from simtui.scenario.loader import load_scenario
from tests.tracehelp import end, of, outputs, run_trace, validate

SCALE = 0.05


def started_at(events: list[dict]) -> float:
    """When the run itself began: the first event after the header (main's create)."""
    return events[1]["t"]


def run_elapsed(events: list[dict]) -> float:
    return end(events)["elapsed"] - started_at(events)


@pytest.fixture(scope="module")
def gather10() -> list[dict]:
    return run_trace("gather10", "asyncio", time_scale=SCALE, snapshots=True)


def test_c4_ten_tasks_enter_the_ready_queue_in_order(gather10: list[dict]) -> None:
    cocos = [e["task"] for e in of(gather10, "ready") if str(e["task"]).startswith("coco")]
    assert cocos[:10] == [f"coco[{k}]" for k in range(10)]
    created = [e for e in of(gather10, "create") if e["task"].startswith("coco")]
    assert [e["parent"] for e in created] == ["main"] * 10


def test_c4_each_runs_then_suspends_on_a_timer(gather10: list[dict]) -> None:
    for k in range(10):
        name = f"coco[{k}]"
        mine = [e for e in gather10 if e.get("task") == name and e["type"] in
                ("run", "step", "suspend")]
        sleep = next(i for i, e in enumerate(mine) if e["type"] == "step" and e["op"] == "sleep")
        assert [e["type"] for e in mine[:1]] == ["run"], name
        step, suspend = mine[sleep], mine[sleep + 1]
        assert suspend["type"] == "suspend" and suspend["reason"] == "sleep", name
        # A 3 s timer (at scale): armed after the step began and before the suspend was
        # recorded, so its deadline lies 3 s after a moment between the two, however
        # long the machine took between them. (7-digit rounding: 1 µs of slack.)
        delay = 3 * SCALE
        assert step["t"] + delay - 1e-6 <= suspend["until"] <= suspend["t"] + delay + 1e-6
    # all ten are suspended at once: every suspend precedes the first wake
    last_suspend = max(e["seq"] for e in of(gather10, "suspend") if e["task"] != "main")
    first_wake = min(e["seq"] for e in of(gather10, "wake") if e["task"] != "main")
    assert last_suspend < first_wake


def test_c4_all_wake_when_their_three_second_timers_are_due(gather10: list[dict]) -> None:
    timers = {e["task"]: e["until"] for e in of(gather10, "suspend") if e["reason"] == "sleep"}
    wakes = [e for e in of(gather10, "wake") if e["task"] in timers]
    assert [e["task"] for e in wakes] == [f"coco[{k}]" for k in range(10)]  # timer order
    for e in wakes:
        assert e["t"] >= timers[e["task"]] - 1e-6, "a timer never fires early"
        assert e["reason"] == "sleep"
    # How late they fire is the machine's business; that they were all asleep at once is
    # the claim (test_c4_each_runs_then_suspends_on_a_timer).


def test_c4_total_time_is_three_seconds_not_thirty(gather10: list[dict]) -> None:
    assert end(gather10)["status"] == "ok"
    assert run_elapsed(gather10) >= 3 * SCALE * 0.95  # the sleep is real
    # Not thirty: no sleep starts after another has ended, so the run holds one sleep,
    # not ten in a row. (Ordering, not seconds: a loaded machine only adds to both.)
    suspends = [e["seq"] for e in of(gather10, "suspend") if e["reason"] == "sleep"]
    wakes = [e["seq"] for e in of(gather10, "wake") if e["reason"] == "sleep"]
    assert len(suspends) == len(wakes) == 10
    assert max(suspends) < min(wakes)


def test_c4_outputs_in_the_articles_order(gather10: list[dict]) -> None:
    assert outputs(gather10) == (
        ["main() 코루틴 시작", "main() 코루틴 양보"]
        + [f"코루틴 {k} 대기" for k in range(10)]
        + [f"코루틴 {k} 종료" for k in range(10)]
        + ["모든 코루틴 종료"]
    )


def test_c4_trace_is_valid_and_snapshots_match(gather10: list[dict]) -> None:
    assert validate(gather10) == []
    assert of(gather10, "queue")


def test_c5_a_blocking_sleep_makes_gather_sequential() -> None:
    scale = 0.01
    events = run_trace("gather10_blocking", "asyncio", time_scale=scale)
    assert end(events)["status"] == "ok"
    assert validate(events) == []
    # each coroutine runs from start to end before the next one starts
    body = [e for e in events if str(e.get("task")).startswith("coco") and
            e["type"] in ("run", "block", "done")]
    expected = []
    for k in range(10):
        expected += [("run", f"coco[{k}]"), ("block", f"coco[{k}]"), ("done", f"coco[{k}]")]
    assert [(e["type"], e["task"]) for e in body] == expected
    assert not [e for e in of(events, "suspend") if e["task"] != "main"]
    assert run_elapsed(events) >= 30 * scale * 0.95  # ten real blocking sleeps in a row
    assert outputs(events)[2:4] == ["코루틴 0 대기", "코루틴 0 종료"]


@pytest.fixture(scope="module")
def basics() -> list[dict]:
    return run_trace("coroutine_basics", "asyncio", time_scale=SCALE, snapshots=True)


def test_c1_c2_await_coro_makes_no_task_and_no_ready_entry(basics: list[dict]) -> None:
    assert [e["task"] for e in of(basics, "create")] == ["main"]
    assert {e["task"] for e in of(basics, "ready")} <= {"main", None}
    assert {e["task"] for e in of(basics, "run")} <= {"main", None}
    assert outputs(basics) == ["main 시작", "코루틴 시작", "코루틴 재개", "코루틴 종료"]


def test_c2_the_callee_runs_inline_in_mains_task(basics: list[dict]) -> None:
    scenario = load_scenario("coroutine_basics")
    callee_lines = {s.line for s in scenario.tasks["my_coroutine"].steps}
    steps = of(basics, "step")
    assert {e["line"] for e in steps} >= callee_lines
    assert {e["task"] for e in steps} == {"main"}
    # the sleep inside the callee suspends main's own task on the timer
    (suspend,) = of(basics, "suspend")
    assert suspend["task"] == "main" and suspend["reason"] == "sleep"
    assert suspend["until"] == pytest.approx(suspend["t"] + SCALE, abs=0.01)
    # while it sleeps, the only ready entries are the timer and main itself
    readies = [e.get("item") or e["task"] for e in of(basics, "ready")]
    assert readies[0] == "main"
    assert "timer main" in readies


def test_c3_main_is_the_first_ready_entry_and_the_run_ends_with_it(basics: list[dict]) -> None:
    first_ready = of(basics, "ready")[0]
    assert first_ready["task"] == "main"
    done = of(basics, "done")
    assert [e["task"] for e in done] == ["main"]
    after = basics[done[0]["seq"] + 2:]  # events after main's done (+1 for the header)
    assert all(e.get("task") is None for e in after)
    assert end(basics)["status"] == "ok"
    assert validate(basics) == []
