"""Raw greenlet runtime on real runs: explicit switches, parents, no scheduler (claim C6)."""

from __future__ import annotations

import pytest

from simtui.scenario.errors import ScenarioError
from simtui.scenario.loader import load_text
from tests.tracehelp import end, of, outputs, run_trace, validate

SCALE = 0.05


def _runs(events: list[dict]) -> list[tuple[str, str | None]]:
    return [(e["task"], e["from"]) for e in of(events, "run")]


def test_c6_pingpong_output_order_and_task_b_left_suspended() -> None:
    events = run_trace("greenlet_pingpong", runtime="greenlet", time_scale=SCALE, snapshots=True)
    assert validate(events) == []
    assert outputs(events) == [
        "task_a: 시작",
        "task_b: 시작",
        "task_a: 다시 재개",
        "task_b: 다시 재개",
        "task_a: 종료",
    ]
    last = end(events)
    assert last["status"] == "ok"
    assert last["stuck"] == [{"task": "task_b", "waiting_on": "switch"}]
    # No event loop decides anything: no ready queue, and each run is the switch's target.
    assert of(events, "ready") == []
    assert _runs(events) == [
        ("main", None),
        ("task_a", "main"),
        ("task_b", "task_a"),
        ("task_a", "task_b"),
        ("task_b", "task_a"),
        ("task_a", "task_b"),
        ("main", "task_a"),  # task_a returned: control goes to its parent, not to task_b
    ]
    suspends = [(e["task"], e["reason"], e["detail"]) for e in of(events, "suspend")]
    assert suspends[0] == ("main", "switch", "task_a")
    assert all(reason == "switch" for _, reason, _ in suspends)
    assert [e["task"] for e in of(events, "done")] == ["task_a", "main"]


def test_finished_greenlet_returns_to_its_creator_not_to_main() -> None:
    text = """
tasks:
  main:
    - spawn: a
    - switch: a
    - print: "main again"
  a:
    - spawn: c
    - switch: c
    - print: "a again"
  c:
    - print: "c runs"
  never:
    - print: "unreachable"
"""
    events = run_trace(text, runtime="greenlet", time_scale=SCALE)
    assert validate(events) == []
    assert outputs(events) == ["c runs", "a again", "main again"]
    creates = {e["task"]: e["parent"] for e in of(events, "create")}
    assert creates == {"main": None, "a": "main", "c": "a"}
    assert _runs(events)[-2:] == [("a", "c"), ("main", "a")]
    assert end(events)["status"] == "ok"
    assert end(events).get("stuck") is None


def test_sleep_blocks_the_only_thread_and_is_recorded_as_block() -> None:
    text = """
tasks:
  main:
    - spawn: other
    - sleep: 1
    - block: 1
    - switch: other
  other:
    - print: "other"
"""
    events = run_trace(text, runtime="greenlet", time_scale=SCALE)
    assert validate(events) == []
    blocks = of(events, "block", "main")
    assert [(b["reason"], b["duration"]) for b in blocks] == [("sleep", SCALE), ("block", SCALE)]
    # Nothing else ran while main slept: the first suspend is main's explicit switch.
    assert [(e["task"], e["reason"]) for e in of(events, "suspend")] == [("main", "switch")]
    assert end(events)["elapsed"] >= 2 * SCALE


@pytest.mark.parametrize(
    ("op", "line"),
    [
        ("yield", "    - yield"),
        ("join", "    - join: other"),
        ("gather", "    - gather: other"),
        ("acquire", "    - acquire: L"),
        ("wait", "    - wait: go"),
        ("get", "    - get: jobs"),
    ],
)
def test_ops_that_need_a_scheduler_are_refused_for_greenlet(op: str, line: str) -> None:
    text = f"tasks:\n  main:\n{line}\n  other:\n    - print: x\n"
    with pytest.raises(ScenarioError) as caught:
        load_text(text, "s.yaml", runtime="greenlet")
    message = str(caught.value)
    assert message.startswith("s.yaml:3:")
    assert f"`{op}`" in message
    assert "switch" in message  # the hint says what to do instead
