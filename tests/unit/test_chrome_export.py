"""The Chrome / Perfetto export: slices, their names, tracks, handoff flows and timestamps."""

from __future__ import annotations

import io
import json
from collections import Counter
from typing import Any

import pytest

from simtui.trace.export import ChromeTrace, ChromeWriter
from tests.tracehelp import run_trace

Doc = dict[str, Any]

HEADER = {"type": "header", "format": "simtui-trace", "version": 1, "scenario": "s",
          "runtime": "asyncio", "queue": "fifo", "python": "3.11", "simtui": "0",
          "time_scale": 1.0, "options": {}, "tasks": ["main", "a"]}


def _export(events: list[dict[str, Any]]) -> Doc:
    out = io.StringIO()
    writer = ChromeWriter(out)
    for e in events:
        writer.write(e)
    writer.close()
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


def _tracks(doc: Doc) -> dict[tuple[int, int], str]:
    return {(e["pid"], e["tid"]): e["args"]["name"] for e in doc["traceEvents"]
            if e["ph"] == "M" and e["name"] == "thread_name"}


def _slices(doc: Doc, cat: str | None = None) -> list[dict[str, Any]]:
    return [e for e in doc["traceEvents"]
            if e["ph"] == "X" and (cat is None or e.get("cat") == cat)]


@pytest.fixture(scope="module")
def gather10() -> Doc:
    return _export(run_trace("gather10", "asyncio", time_scale=0.02))


def test_gather10_puts_its_21_callback_runs_on_the_scheduler_track(gather10: Doc) -> None:
    tracks = _tracks(gather10)
    callbacks = _slices(gather10, "callback")
    assert len(callbacks) == 21  # 10 timers, 10 gather done-callbacks, the loop's stop
    assert {tracks[e["pid"], e["tid"]] for e in callbacks} == {"scheduler"}
    names = Counter(e["name"] for e in callbacks)
    assert names["timer coco[3]"] == 1 and names["gather: coco[3] done"] == 1


def test_a_run_slice_is_named_by_its_step_with_from_op_and_line_as_args(gather10: Doc) -> None:
    tracks = _tracks(gather10)
    runs = _slices(gather10, "run")
    assert runs and not [e for e in runs if e["name"] == "run"]
    first_coco3 = next(e for e in runs if tracks[e["pid"], e["tid"]] == "coco[3]")
    assert first_coco3["name"] == "sleep · line 21"
    assert first_coco3["args"] == {"from": "coco[2]", "op": "sleep", "line": 21,
                                   "ended": "suspend: sleep"}
    last_main = [e for e in runs if tracks[e["pid"], e["tid"]] == "main"][-1]
    assert last_main["name"] == "print · line 16" and last_main["args"]["ended"] == "done"


def test_every_handoff_is_a_flow_from_one_slice_to_the_next(gather10: Doc) -> None:
    events = gather10["traceEvents"]
    starts = {e["id"]: e for e in events if e["ph"] == "s"}
    ends = {e["id"]: e for e in events if e["ph"] == "f"}
    slices = [e for e in events if e["ph"] == "X" and e["cat"] in ("run", "callback")]
    assert len(slices) == 43  # every `run` of the trace
    assert set(starts) == set(ends) and len(starts) == len(slices) - 1
    # A flow is bound where Perfetto's own JSON export binds one: `s` at the start of the
    # slice control leaves, `f` (binding to the enclosing slice) at the start of the next.
    assert all(e.get("bp") == "e" for e in ends.values())
    where = [(s["tid"], s["ts"]) for s in slices]
    flows = [((starts[i]["tid"], starts[i]["ts"]), (ends[i]["tid"], ends[i]["ts"]))
             for i in sorted(starts)]
    assert flows == list(zip(where, where[1:], strict=False))
    tracks = _tracks(gather10)
    handoffs = {(tracks[1, a[0]], tracks[1, b[0]]) for a, b in flows}
    assert ("coco[2]", "coco[3]") in handoffs and ("coco[9]", "scheduler") in handoffs
    assert ("scheduler", "main") in handoffs  # gather's last done-callback wakes main


def test_timestamps_carry_no_float_noise() -> None:
    events = [HEADER,
              {"seq": 0, "t": 0.0006557, "type": "create", "task": "main", "parent": None},
              {"seq": 1, "t": 0.0006557, "type": "run", "task": "main", "from": None},
              {"seq": 2, "t": 0.0006557, "type": "step", "task": "main", "index": 0,
               "op": "print", "line": 3, "col": 5},
              {"seq": 3, "t": 0.0009558, "type": "done", "task": "main"},
              {"seq": 4, "t": 0.001, "type": "end", "task": None, "status": "ok",
               "elapsed": 0.001}]
    doc = _export(events)
    (run,) = _slices(doc, "run")
    assert repr(run["ts"]) == "655.7" and repr(run["dur"]) == "300.1"
    for e in doc["traceEvents"]:
        for key in ("ts", "dur"):
            if key in e:
                assert round(e[key], 3) == e[key], e


def test_a_block_slice_stays_inside_its_run_slice() -> None:
    # The blocking call asked for longer than the task then ran: a viewer needs the
    # child slice to end within its parent.
    events = [HEADER,
              {"seq": 0, "t": 0.0, "type": "create", "task": "main", "parent": None},
              {"seq": 1, "t": 0.001, "type": "run", "task": "main", "from": None},
              {"seq": 2, "t": 0.001, "type": "step", "task": "main", "index": 0, "op": "cpu",
               "line": 3, "col": 5},
              {"seq": 3, "t": 0.001, "type": "block", "task": "main", "reason": "cpu",
               "duration": 0.5},
              {"seq": 4, "t": 0.4, "type": "done", "task": "main"},
              {"seq": 5, "t": 0.4, "type": "end", "task": None, "status": "ok",
               "elapsed": 0.4}]
    doc = _export(events)
    (run,), (block,) = _slices(doc, "run"), _slices(doc, "block")
    assert block["name"] == "block: cpu" and block["ts"] == run["ts"] == 1000.0
    assert block["ts"] + block["dur"] <= run["ts"] + run["dur"] == 400000.0


def test_a_comparison_is_one_file_with_a_process_per_run() -> None:
    doc = ChromeTrace()
    for runtime in ("asyncio", "gevent"):
        doc.add(run_trace("gevent_spawn3" if runtime == "gevent" else "gather10", runtime,
                          time_scale=0.01), name=f"run on {runtime}")
    data = doc.document()
    processes = {e["pid"]: e["args"]["name"] for e in data["traceEvents"]
                 if e["ph"] == "M" and e["name"] == "process_name"}
    assert processes == {1: "run on asyncio", 2: "run on gevent"}
    order = {e["pid"]: e["args"]["sort_index"] for e in data["traceEvents"]
             if e["ph"] == "M" and e["name"] == "process_sort_index"}
    assert order == {1: 1, 2: 2}
    assert {e["pid"] for e in _slices(data, "run")} == {1, 2}
    flows = [e for e in data["traceEvents"] if e["ph"] in ("s", "f")]
    ids = Counter((e["ph"], e["id"]) for e in flows)
    assert max(ids.values()) == 1, "flow ids are unique across the runs"
    assert [r["runtime"] for r in data["otherData"]["runs"]] == ["asyncio", "gevent"]
    assert [r["status"] for r in data["otherData"]["runs"]] == ["ok", "ok"]


def test_a_trace_cut_short_ends_its_last_slice_at_its_last_event() -> None:
    events = [HEADER,
              {"seq": 0, "t": 0.0, "type": "create", "task": "main", "parent": None},
              {"seq": 1, "t": 0.001, "type": "run", "task": "main", "from": None},
              {"seq": 2, "t": 0.002, "type": "step", "task": "main", "index": 0, "op": "cpu",
               "line": 3, "col": 5}]
    (run,) = _slices(_export(events), "run")
    assert (run["ts"], run["dur"], run["args"]["ended"]) == (1000.0, 1000.0, "the trace ends")
