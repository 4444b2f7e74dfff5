"""The table and the JSON of a comparison, from hand-made results."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType
from typing import Any

from simtui.compare.comparison import Comparison, Lane
from simtui.compare.metrics import Metrics
from simtui.compare.report import compact_order, document, seconds_column, table, title, verdict
from simtui.compare.runner import RunResult
from simtui.scenario.loader import load_text
from simtui.trace.model import Trace

SCENARIO = load_text('name: "w\\e]0;T\\a"\ntasks:\n  main: [{sleep: 1}]\n', "<t>")


def result(runtime: str, k: int, **kw: Any) -> RunResult:
    m = Metrics(status="ok", elapsed=1.0, switches=4, callbacks=0, preemptions=0,
                longest_queue=1, blocked=0.0, waiting=1.0, finish_order=("main",),
                outputs=(), stuck=(), message=None, groups=())
    lane = Lane(k, SCENARIO, runtime, 0.5, MappingProxyType({}), f"{runtime} \x1b[2J")
    return RunResult(lane, Trace(), replace(m, **kw))


def test_consecutive_instances_are_written_as_a_range() -> None:
    assert compact_order(["c[0]", "c[1]", "c[2]", "main"]) == "c[0..2], main"
    assert compact_order(["c[0]", "c[2]", "c[3]", "c[1]"]) == "c[0], c[2..3], c[1]"
    assert compact_order(["a", "b[4]", "b[5]", "c[6]"]) == "a, b[4..5], c[6]"
    assert compact_order([]) == ""


def test_a_column_of_durations_shares_one_unit_and_its_decimals() -> None:
    assert seconds_column([3.008, 1.0, 0.0]) == ["3.01 s", "1.00 s", "0.00 s"]
    assert seconds_column([0.158, 0.0], 0.158) == ["158 ms", "0 ms"]
    assert seconds_column([30.4, 3.0]) == ["30.4 s", "3.0 s"]
    assert seconds_column([0.0]) == ["0.00 s"]


def test_the_table_escapes_every_cell_and_keeps_its_columns() -> None:
    comparison = Comparison((SCENARIO,), runtimes=("asyncio", "gevent"))
    results = [result("asyncio", 0), result("gevent", 1, elapsed=2.5, blocked=1.5,
                                            status="deadlock", finish_order=("x\x9b",))]
    lines = table(comparison, results)
    assert lines[0] == r"w\x1b]0;T\x07: 2 runs at time scale 0.5"
    head, first, second = lines[2], lines[3], lines[4]
    assert first.startswith(r"asyncio \x1b[2J  ok ")
    assert r"x\u009b" in second and "\x9b" not in second
    # Right-aligned figures end in the same column as their heading.
    for heading in ("elapsed", "blocked"):
        end = head.index(heading) + len(heading)
        assert first[:end].endswith(" s") and second[:end].endswith(" s")
    assert "1.50 s" in second and "2.50 s" in second
    assert lines[-1] == (r"1 of 2 runs did not end ok as expected: gevent \x1b[2J ended "
                         "deadlock.")
    assert not any("\x1b" in line for line in lines)


def test_verdict_and_title_for_one_run_and_for_time_scales_that_differ() -> None:
    comparison = Comparison((SCENARIO,), expect=frozenset({"ok", "deadlock"}))
    one = [result("asyncio", 0)]
    assert verdict(comparison, one) == "The run ended deadlock or ok, as expected."
    other = replace(one[0], lane=replace(one[0].lane, time_scale=0.1))
    assert title(comparison, [one[0], other]).endswith("at time scales 0.1 to 0.5")


def test_the_json_has_every_run_and_whether_each_ended_as_expected() -> None:
    comparison = Comparison((SCENARIO,), runtimes=("asyncio", "gevent"))
    doc = document(comparison, [result("asyncio", 0),
                                result("gevent", 1, status="timeout", outputs=("x",))])
    assert [r["runtime"] for r in doc["runs"]] == ["asyncio", "gevent"]
    assert [r["expected"] for r in doc["runs"]] == [True, False]
    assert doc["runs"][1]["output_differs_at"] == 1 and doc["runs"][0]["output_differs_at"] is None
    assert doc["runs"][0]["time_scale"] == 0.5 and doc["as_expected"] is False
    assert doc["comparison"]["expect"] == ["ok"]


def test_the_output_of_another_scenario_is_compared_only_when_it_prints_the_same_lines() -> None:
    other = load_text("name: other\ntasks:\n  main: [{print: x}]\n", "other.yaml")
    first = result("asyncio", 0, outputs=("a", "b"))
    different = replace(result("asyncio", 1, outputs=("x",)),
                        lane=replace(first.lane, index=1, scenario=other))
    same_lines = replace(different, metrics=replace(different.metrics, outputs=("b", "a")))
    comparison = Comparison((SCENARIO, other), runtimes=("asyncio",))
    assert table(comparison, [first, different])[4].endswith("other lines")
    assert table(comparison, [first, same_lines])[4].endswith("from line 1")
    doc = document(comparison, [first, different])
    assert doc["runs"][1]["output_compared"] is False
    assert doc["runs"][1]["output_differs_at"] is None


def test_each_sentence_under_the_table_ends_with_a_full_stop() -> None:
    comparison = Comparison((SCENARIO,), runtimes=("asyncio", "gevent"))
    doc = document(comparison, [result("asyncio", 0, switches=4),
                                result("gevent", 1, switches=40, status="timeout")])
    assert doc["sentences"] and all(s.endswith(".") for s in doc["sentences"])
