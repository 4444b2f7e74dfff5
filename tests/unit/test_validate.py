"""The trace checker itself: a valid trace passes; each kind of problem is found at its line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from simtui import runtimespec
from simtui.trace import validate as V
from simtui.trace.validate import check_events, check_file, check_lines
from tests.tracehelp import ROOT, run_trace

Event = dict[str, Any]


def ev(kind: str, task: str | None, **fields: Any) -> Event:
    return {"type": kind, "task": task, **fields}


def numbered(header: Event, events: list[Event]) -> list[Event]:
    """Header first, then the events with `seq` and `t` filled in (event k is on line k + 2)."""
    out = [header]
    for k, e in enumerate(events):
        out.append({"seq": k, "t": round(0.001 * k, 6), **e})
    return out


def header(runtime: str = "asyncio", **extra: Any) -> Event:
    return {"type": "header", "format": "simtui-trace", "version": 1, "scenario": "t",
            "source": "t.yaml", "runtime": runtime, "python": "3.11.7", "simtui": "0.1.0",
            "time_scale": 1.0, "options": {}, "tasks": ["main", "a", "b"], **extra}


# A small asyncio run: main spawns a and joins it. Line numbers are the comments'.
BODY: list[Event] = [
    ev("create", "main", parent=None),                               # 2
    ev("ready", "main"),                                             # 3
    ev("queue", None, ready=["main"]),                               # 4
    ev("run", "main", **{"from": None}),                             # 5
    ev("step", "main", index=0, op="spawn", line=3, col=7),          # 6
    ev("create", "a", parent="main"),                                # 7
    ev("ready", "a"),                                                # 8
    ev("step", "main", index=1, op="join", line=4, col=7),           # 9
    ev("suspend", "main", reason="join", detail="a"),                # 10
    ev("queue", None, ready=["a"]),                                  # 11
    ev("run", "a", **{"from": "main"}),                              # 12
    ev("step", "a", index=0, op="print", line=6, col=7),             # 13
    ev("output", "a", text="hi"),                                    # 14
    ev("done", "a"),                                                 # 15
    ev("ready", None, item="a.done-callback"),                       # 16
    ev("run", None, item="a.done-callback", **{"from": "a"}),        # 17
    ev("wake", "main", reason="join"),                               # 18
    ev("ready", "main"),                                             # 19
    ev("run", "main", **{"from": "a"}),                              # 20
    ev("done", "main"),                                              # 21
    ev("end", None, status="ok", elapsed=0.02),                      # 22
]


def base(runtime: str = "asyncio", **extra: Any) -> list[Event]:
    return numbered(header(runtime, **extra), [dict(e) for e in BODY])


def line_of(events: list[Event], kind: str, task: str | None, nth: int = 0) -> int:
    """The 1-based line of the nth event of that type and task."""
    hits = [i for i, e in enumerate(events) if e["type"] == kind and e.get("task") == task]
    return hits[nth] + 1


def problems(events: list[Any]) -> list[tuple[int, str]]:
    return [(p.line, p.message) for p in check_events(events).problems]


def assert_one(events: list[Any], line: int, words: str) -> None:
    """Exactly one problem, at `line`, whose message contains `words`."""
    found = problems(events)
    assert len(found) == 1, found
    assert found[0][0] == line, found
    assert words in found[0][1], found


def renumber(events: list[Event]) -> list[Event]:
    """`seq` and `t` numbered afresh after events were inserted or removed."""
    return [events[0], *({**e, "seq": k, "t": round(0.001 * k, 6)}
                         for k, e in enumerate(events[1:]))]


def drop(events: list[Event], line: int) -> list[Event]:
    return renumber(events[: line - 1] + events[line:])


# -- what passes --------------------------------------------------------------------------


def test_the_small_asyncio_trace_is_valid() -> None:
    report = check_events(base())
    assert report.ok, report.messages
    assert (report.events, report.tasks, report.status, report.queue) == (21, 2, "ok", "fifo")


@pytest.mark.parametrize("runtime", ["asyncio", "gevent", "greenlet", "threads"])
def test_a_real_run_on_each_runtime_is_valid(runtime: str) -> None:
    name = {"greenlet": "greenlet_pingpong", "threads": "lock_contention"}.get(runtime, "gather10")
    events = run_trace(name, runtime, time_scale=0.01, snapshots=runtime in ("asyncio", "gevent"))
    report = check_events(events)
    assert report.ok, report.messages[:5]
    assert report.queue == runtimespec.get(runtime).queue
    assert report.events == len(events) - 1


def test_inferred_events_and_an_end_message_are_accepted() -> None:
    events = base()
    events[line_of(events, "run", "a") - 1]["inferred"] = True
    events[-1]["message"] = "finished"
    assert problems(events) == []


# -- the header and the lines --------------------------------------------------------------


def test_an_empty_trace_is_reported_at_line_1() -> None:
    report = check_lines([])
    assert [(p.line, p.message) for p in report.problems] == [
        (1, "empty: not a simtui trace (no header)")
    ]


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"type": "event"}, "first line is not a header"),
        ({"format": "other"}, "format 'other'"),
        ({"version": 2}, "format version 2"),
        ({"version": True}, "format version True"),
    ],
)
def test_a_header_that_is_not_this_format_stops_the_check_at_line_1(
    change: Event, words: str
) -> None:
    events = base()
    events[0] = {**events[0], **change}
    events[5]["seq"] = 99  # not reported: nothing after a foreign header is checked
    assert_one(events, 1, words)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"runtime": "trio"}, "unknown runtime 'trio' and no header queue field"),
        ({"runtime": 3}, "runtime 3 is not a runtime's name"),
        ({"queue": "lifo"}, "queue 'lifo' is not one of fifo, set, none"),
        ({"clock": "wall"}, "clock 'wall'"),
        ({"time_scale": 0}, "time_scale 0 is not a positive number"),
        ({"tasks": "main"}, "tasks 'main' is not a list"),
        ({"options": []}, "options [] is not an object"),
        ({"scenario": 1}, "scenario 1 is not text"),
    ],
)
def test_a_bad_header_field_is_reported_at_line_1(change: Event, words: str) -> None:
    events = base()
    events[0] = {**events[0], **change}
    assert_one(events, 1, words)


def test_an_unknown_runtime_with_a_queue_field_is_checked_against_that_queue() -> None:
    assert problems(base("trio", queue="fifo")) == []
    events = base("trio", queue="none")
    assert (line_of(events, "ready", "main"), "ready event, but this runtime has no ready queue") \
        in problems(events)


def test_a_line_that_is_not_json_or_not_an_object_is_reported_with_its_line() -> None:
    lines = [json.dumps(e) for e in base()]
    lines[4] = '{"seq": 3, "t": '
    lines.insert(7, "[1, 2]")
    found = [(p.line, p.message) for p in check_lines(lines).problems]
    assert found[0][0] == 5 and found[0][1].startswith("not JSON")
    assert (8, "[1, 2] is not a JSON object") in found


def test_blank_first_line_is_not_a_header() -> None:
    report = check_lines(["", *(json.dumps(e) for e in base())])
    assert [(p.line, p.message) for p in report.problems] == [
        (1, "empty first line: not a simtui trace (expected the header)")
    ]


def test_lines_split_on_newline_only_so_a_line_separator_inside_text_is_fine(
    tmp_path: Path,
) -> None:
    events = base()
    events[line_of(events, "output", "a") - 1]["text"] = "one\u2028two\x85three"
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in events) + "\n",
                    encoding="utf-8")
    report = check_file(path)
    assert report.ok, report.messages


# -- every event ----------------------------------------------------------------------------


def test_a_seq_gap_is_one_problem_at_its_line() -> None:
    events = base()
    for e in events[6:]:
        e["seq"] += 1
    assert_one(events, 7, "seq 6, expected 5")


def test_a_repeated_seq_is_reported() -> None:
    events = base()
    events[6]["seq"] = 4
    found = problems(events)
    assert found[0] == (7, "seq 4, expected 5")


def test_t_going_back_is_reported_at_its_line() -> None:
    events = base()
    events[9]["t"] = 0.0001
    assert_one(events, 10, "t 0.0001 goes back in time")


@pytest.mark.parametrize("bad", ["0.1", None, True])
def test_a_t_that_is_not_a_number_is_reported(bad: Any) -> None:
    events = base()
    events[9]["t"] = bad
    assert_one(events, 10, f"t {bad!r} is not a number")


def test_an_unknown_event_type_is_reported() -> None:
    events = base()
    events[13] = {**events[13], "type": "print"}
    assert (14, "unknown event type 'print'") in problems(events)


def test_an_event_without_task_is_reported() -> None:
    events = base()
    del events[13]["task"]
    assert_one(events, 14, "output without 'task'")


def test_a_task_that_is_not_a_name_is_reported() -> None:
    events = base()
    events[13]["task"] = 7
    assert_one(events, 14, "task 7 is neither a name nor null")


def with_every_type() -> list[Event]:
    """The base trace plus a `block` of main and an `error` ending main instead of `done`."""
    events = base()
    events.insert(6, ev("block", "main", reason="cpu", duration=0.1))
    k = next(i for i, e in enumerate(events) if e["type"] == "done" and e["task"] == "main")
    events[k] = {**events[k], "type": "error", "message": "boom"}
    return renumber(events)


def test_the_trace_with_every_type_is_valid() -> None:
    events = with_every_type()
    assert {e["type"] for e in events[1:]} == set(V.TYPES)
    assert problems(events) == []


@pytest.mark.parametrize(("kind", "field"), [
    (kind, field) for kind, fields in V.REQUIRED.items() for field in fields
])
def test_every_required_field_is_required(kind: str, field: str) -> None:
    events = with_every_type()
    line = next(i for i, e in enumerate(events) if e["type"] == kind) + 1
    del events[line - 1][field]
    assert_one(events, line, f"{kind} without '{field}'")


@pytest.mark.parametrize(
    ("kind", "field", "value", "words"),
    [
        ("step", "line", 0, "line 0 is not a line or column number ≥ 1"),
        ("step", "col", "7", "col '7' is not a line or column number ≥ 1"),
        ("step", "index", -1, "index -1 is not a whole number ≥ 0"),
        ("step", "op", 3, "op 3 is not text"),
        ("output", "text", None, "text None is not text"),
        ("suspend", "until", "soon", "until 'soon' is not a number ≥ 0"),
        ("suspend", "detail", ["a"], "detail ['a'] is not text"),
        ("create", "parent", 1, "parent 1 is not a task name or null"),
        ("queue", "ready", "a", "ready 'a' is not a list"),
        ("end", "elapsed", -1, "elapsed -1 is not a number ≥ 0"),
        ("end", "stuck", {}, "stuck {} is not a list"),
        ("end", "message", 1, "message 1 is not text"),
    ],
)
def test_a_field_of_the_wrong_type_is_reported(
    kind: str, field: str, value: Any, words: str
) -> None:
    events = base()
    line = next(i for i, e in enumerate(events) if e["type"] == kind) + 1
    events[line - 1][field] = value
    assert_one(events, line, words)


def test_inferred_must_be_true_or_false() -> None:
    events = base()
    events[11]["inferred"] = "yes"
    assert_one(events, 12, "inferred 'yes' is not true or false")


def test_an_unknown_suspend_reason_is_reported() -> None:
    events = base()
    events[9]["reason"] = "nap"
    assert_one(events, 10, "unknown suspend reason 'nap'")


def test_a_null_task_is_refused_where_only_a_task_can_act() -> None:
    events = base()
    events[13]["task"] = None
    assert_one(events, 14, "output with a null task")


def test_a_callback_entry_needs_its_item() -> None:
    events = base()
    del events[15]["item"]
    assert (16, "ready with a null task and no 'item' naming the callback") in problems(events)


# -- order: create, done, runs ---------------------------------------------------------------


def test_an_event_before_its_task_is_created_is_reported() -> None:
    events = base()
    events[6], events[7] = events[7], events[6]  # a's ready before a's create
    events = renumber(events)
    assert (7, "ready of a before its create") in problems(events)


def test_a_task_created_twice_is_reported() -> None:
    events = base()
    events.insert(8, ev("create", "a", parent="main"))
    assert (9, "a created twice") in problems(renumber(events))


def test_a_parent_that_does_not_exist_is_reported() -> None:
    events = base()
    events[6]["parent"] = "ghost"
    assert_one(events, 7, "a created by ghost, which does not exist yet")


def test_a_task_missing_from_the_header_is_reported() -> None:
    events = base()
    events[0]["tasks"] = ["main"]
    assert_one(events, 7, "a is not among the header's tasks")


def test_done_twice_and_events_after_done_are_reported() -> None:
    events = base()
    events.insert(15, ev("done", "a"))
    events.insert(16, ev("output", "a", text="late"))
    found = problems(renumber(events))
    assert (16, "done twice (done on line 15)") in found
    assert (17, "output of a after it was done (done on line 15)") in found


def test_a_run_from_the_wrong_task_is_reported() -> None:
    events = base()
    events[11]["from"] = "b"
    assert_one(events, 12, "run from 'b', but the task that ran before is 'main'")


def test_a_run_while_another_task_still_runs_is_reported() -> None:
    events = base()
    del events[9]  # main never suspends before a runs
    events = renumber(events)
    found = problems(events)
    assert (11, "a runs while main still runs (it never gave up)") in found


# -- the ready queue --------------------------------------------------------------------------


def two_ready(runtime: str, **extra: Any) -> list[Event]:
    """main makes a and b ready, suspends, and b runs first."""
    return numbered(header(runtime, **extra), [
        ev("create", "main", parent=None),
        ev("ready", "main"),
        ev("run", "main", **{"from": None}),
        ev("create", "a", parent="main"),
        ev("ready", "a"),
        ev("create", "b", parent="main"),
        ev("ready", "b"),
        ev("suspend", "main", reason="gather"),
        ev("run", "b", **{"from": "main"}),                # line 10
        ev("done", "b"),
        ev("run", "a", **{"from": "b"}),
        ev("done", "a"),
        ev("end", None, status="deadlock", elapsed=0.1,
           stuck=[{"task": "main", "waiting_on": "gather"}]),
    ])


def test_fifo_a_run_out_of_order_is_reported() -> None:
    assert_one(two_ready("asyncio"), 10, "b runs out of FIFO order: the head of the ready "
                                         "queue is a")


def test_set_any_ready_thread_may_run_next() -> None:
    assert problems(two_ready("threads")) == []


def test_the_header_queue_field_decides_the_discipline() -> None:
    assert problems(two_ready("asyncio", queue="set")) == []
    assert problems(two_ready("threads", queue="fifo")) != []


@pytest.mark.parametrize("runtime", ["asyncio", "gevent", "threads"])
def test_a_run_of_a_task_never_made_ready_is_reported(runtime: str) -> None:
    events = two_ready(runtime)
    events = drop(events, 8)  # b's ready
    found = problems(events)
    assert (9, "b runs but was never made ready") in found, found


def test_a_callback_that_runs_without_being_queued_is_reported() -> None:
    events = drop(base(), 16)
    assert_one(events, 16, "callback a.done-callback runs but was never queued")


def test_gevent_may_switch_to_a_woken_task_straight_from_the_hub() -> None:
    events = base("gevent")
    wake_ready = line_of(events, "ready", "main", 1)
    direct = drop(events, wake_ready)
    assert problems(direct) == []
    # … asyncio may not: every Task step goes through the ready queue.
    direct[0]["runtime"] = "asyncio"
    assert_one(direct, wake_ready, "main runs but was never made ready")
    # … and gevent only after a wake.
    no_wake = drop(direct, wake_ready - 1)
    no_wake[0]["runtime"] = "gevent"
    assert_one(no_wake, wake_ready - 1, "main runs but was never made ready")


def test_a_header_queue_field_keeps_the_runtimes_direct_wake() -> None:
    # The header's `queue` says how the queue is ordered, not whether the runtime may
    # switch to a woken task without queueing it: that stays the runtime's own fact.
    events = base("gevent", queue="fifo")
    direct = drop(events, line_of(events, "ready", "main", 1))
    assert problems(direct) == []
    direct[0]["runtime"] = "asyncio"
    assert problems(direct) != []


def test_a_snapshot_that_differs_from_the_derived_queue_is_reported() -> None:
    events = base()
    events[10]["ready"] = ["a", "main"]
    assert_one(events, 11, "queue snapshot ['a', 'main'] differs from the ready queue the "
                           "events describe, ['a']")


def test_a_snapshot_in_another_order_is_reported_for_fifo_only() -> None:
    events = two_ready("threads")
    events.insert(9, ev("queue", None, ready=["b", "a"]))
    assert problems(renumber(events)) == []
    events[0]["runtime"] = "asyncio"
    found = problems(renumber(events))
    assert found[0] == (10, "queue snapshot ['b', 'a'] differs from the ready queue the events "
                            "describe, ['a', 'b']")


def test_a_set_snapshot_must_hold_the_same_threads() -> None:
    events = two_ready("threads")
    events.insert(9, ev("queue", None, ready=["a"]))
    assert_one(renumber(events), 10, "queue snapshot ['a'] differs from the ready set")


def test_a_snapshot_of_names_only() -> None:
    events = base()
    events[10]["ready"] = [{"task": "a"}]
    assert_one(events, 11, "is not a list of names")


def test_greenlet_has_no_ready_queue() -> None:
    events = numbered(header("greenlet"), [
        ev("create", "main", parent=None),
        ev("run", "main", **{"from": None}),
        ev("create", "a", parent="main"),
        ev("suspend", "main", reason="switch", detail="a"),
        ev("run", "a", **{"from": "main"}),              # never "ready": none to be in
        ev("done", "a"),
        ev("run", "main", **{"from": "a"}),
        ev("done", "main"),
        ev("end", None, status="ok", elapsed=0.01),
    ])
    assert problems(events) == []
    events.insert(4, ev("ready", "a"))
    events.insert(5, ev("queue", None, ready=["a"]))
    found = problems(renumber(events))
    assert (5, "ready event, but this runtime has no ready queue") in found
    assert (6, "queue snapshot ['a'], but this runtime has no ready queue") in found


def test_a_real_threads_trace_without_a_ready_is_caught() -> None:
    # The shared checker this one replaces derived no queue for threads at all.
    events = run_trace("threads_cpu", "threads", time_scale=0.01)
    assert problems(events) == []
    k = next(i for i, e in enumerate(events)
             if e["type"] == "ready" and e["task"] != "main" and i > 20)
    task = events[k]["task"]
    broken = drop(events, k + 1)
    found = problems(broken)
    assert any(f"{task} runs but was never made ready" in m for _, m in found), found


# -- the end ----------------------------------------------------------------------------------


def test_a_trace_without_end_is_reported_at_its_last_line() -> None:
    events = base()[:-1]
    assert_one(events, len(events), "the trace stops without its end event")


def test_an_event_after_the_end_is_reported() -> None:
    events = base()
    events.append({"seq": 21, "t": 1.0, "type": "output", "task": "main", "text": "x"})
    found = problems(events)
    assert found[0] == (23, "event after the end (line 22)")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"status": "fine"}, "unknown end status 'fine'"),
        ({"status": "deadlock"}, "deadlock without the stuck tasks"),
        ({"status": "killed"}, "killed without a message saying why"),
        ({"stuck": [{"task": "main"}]}, "stuck entry {'task': 'main'} is not {task, waiting_on}"),
    ],
)
def test_a_bad_end_is_reported_at_its_line(change: Event, words: str) -> None:
    events = base()
    events[-1].update(change)
    assert_one(events, len(events), words)


def test_killed_with_its_message_is_valid() -> None:
    events = base()
    events[-1].update(status="killed", message="the worker stopped answering")
    assert problems(events) == []


# -- reporting --------------------------------------------------------------------------------


def test_a_flood_of_problems_is_counted_not_kept() -> None:
    events = base()
    many = [ev("output", "ghost", text="x") for _ in range(V.MAX_PROBLEMS + 10)]
    events = renumber(events[:-1] + many + events[-1:])
    report = check_events(events)
    assert len(report.problems) == V.MAX_PROBLEMS
    assert report.more == 10
    assert not report.ok


def checker(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simtui.trace.validate", *args],
        capture_output=True, text=True, timeout=60, cwd=ROOT, input=stdin,
    )


def write(path: Path, events: list[Event]) -> Path:
    path.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events),
                    encoding="utf-8")
    return path


def test_command_valid_trace_exits_0_with_a_summary(tmp_path: Path) -> None:
    path = write(tmp_path / "ok.jsonl", base())
    proc = checker(str(path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == (f"{path}: trace ok: 21 events, 2 tasks, fifo ready queue, "
                                   "status ok")


def test_command_reports_file_and_line_and_exits_1(tmp_path: Path) -> None:
    events = base()
    events[9]["reason"] = "nap"
    path = write(tmp_path / "bad.jsonl", events)
    proc = checker(str(path))
    assert proc.returncode == 1
    assert proc.stdout.strip() == f"{path}:10: unknown suspend reason 'nap'"


def test_command_reads_standard_input(tmp_path: Path) -> None:
    text = "".join(json.dumps(e) + "\n" for e in base())
    proc = checker("-", stdin=text)
    assert proc.returncode == 0 and proc.stdout.startswith("<stdin>: trace ok"), proc.stdout


def test_command_missing_file_exits_2_without_a_traceback(tmp_path: Path) -> None:
    proc = checker(str(tmp_path / "nope.jsonl"))
    assert proc.returncode == 2
    assert "cannot read" in proc.stderr and "Traceback" not in proc.stderr


def test_command_escapes_control_characters_from_the_trace(tmp_path: Path) -> None:
    events = base()
    events[13]["task"] = "\x1b]0;owned\x07"  # an output of a task nobody created
    path = write(tmp_path / "evil\x1b[2J.jsonl", events)
    proc = checker(str(path))
    assert proc.returncode == 1
    assert "\x1b" not in proc.stdout and "\x07" not in proc.stdout
    assert "evil\\x1b[2J.jsonl:14: output of \\x1b]0;owned\\x07 before its create" in proc.stdout
