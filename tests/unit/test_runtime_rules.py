"""`check` and `run` agree: a scenario loads for runtime R exactly when R is one of its runtimes.

`load_text(text, runtime=R)` is what `simtui check -r R`, `simtui run -r R`, the TUI and the
worker all call; `load_text(text).runtimes` is what `check` reports and the TUI offers. The
property below ties the two together over generated scenarios that mix runtimes, runtime
lists, per-runtime options and ops only some runtimes can do, on the running Python and on
the other side of every Python-version rule.
"""

from __future__ import annotations

from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simtui.scenario import loader
from simtui.scenario.errors import ScenarioError
from simtui.scenario.loader import load_text
from simtui.scenario.model import RUNTIMES, Scenario

STEPS = {
    "yield": ["- yield"],
    "sleep": ["- sleep: 1ms"],
    "print": ['- print: "hi {i}"'],
    "spawn": ["- spawn: w", "- join: w"],
    "gather": ["- gather: g"],
    "switch": ["- switch: w"],
    "lock": ["- acquire: L", "- release: L"],
    "event": ["- set: ev", "- wait: ev"],
    "queue": ["- put: {queue: q, item: x}", "- get: q"],
    "cpu": ["- cpu: 1ms"],
}
PYTHONS = [(3, 11), (3, 12), (3, 13)]


@st.composite
def scenario_texts(draw: st.DrawFn) -> str:
    lines: list[str] = []
    runtime = draw(st.sampled_from([None, *RUNTIMES]))
    if runtime is not None:
        lines.append(f"runtime: {runtime}")
    listed = draw(st.none() | st.lists(st.sampled_from(RUNTIMES), min_size=1, max_size=4,
                                       unique=True))
    if listed is not None:
        lines.append(f"runtimes: [{', '.join(listed)}]")
    options: list[str] = []
    eager = draw(st.sampled_from([None, True, False]))
    debug = draw(st.sampled_from([None, True]))
    if eager is not None or debug is not None:
        options.append("  asyncio:")
        if eager is not None:
            options.append(f"    eager_tasks: {str(eager).lower()}")
        if debug is not None:
            options.append("    debug: true")
    if draw(st.booleans()):
        options += ["  gevent:", f"    monkey_patch: {str(draw(st.booleans())).lower()}"]
    if draw(st.booleans()):
        options += ["  threads:", "    switch_interval: 1ms"]
    if options:
        lines += ["options:", *options]
    steps = draw(st.lists(st.sampled_from(sorted(STEPS)), min_size=1, max_size=4, unique=True))
    lines += ["tasks:", "  main:"]
    lines += [f"    {s}" for op in steps for s in STEPS[op]]
    lines += ["  w: [print: w]", "  g:", "    count: 2", "    steps: [yield]"]
    return "\n".join(lines) + "\n"


def _load(text: str, runtime: str | None = None) -> Scenario | None:
    try:
        return load_text(text, "gen.yaml", runtime=runtime)
    except ScenarioError as e:
        for p in e.problems:  # a refusal is a located problem, as every other one
            assert p.source == "gen.yaml" and p.line >= 1 and p.col >= 1 and p.message
        return None


@pytest.mark.parametrize("python", PYTHONS, ids=lambda v: f"py{v[0]}.{v[1]}")
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=scenario_texts())
def test_a_runtime_is_accepted_exactly_when_it_is_one_of_the_scenarios_runtimes(
    python: tuple[int, int], text: str
) -> None:
    with mock.patch.object(loader, "PYTHON", python):
        scenario = _load(text)
        offered = scenario.runtimes if scenario is not None else ()
        if scenario is not None:
            assert scenario.runtime in scenario.runtimes, text
        for runtime in RUNTIMES:
            accepted = _load(text, runtime) is not None
            assert accepted == (runtime in offered), (runtime, offered, text)


def test_eager_tasks_takes_asyncio_off_the_runtimes_before_python_312() -> None:
    text = ("runtime: threads\noptions: {asyncio: {eager_tasks: true}}\n"
            "tasks:\n  main: [yield]\n")
    with mock.patch.object(loader, "PYTHON", (3, 11)):
        scenario = load_text(text, "s.yaml")
        assert "asyncio" not in scenario.runtimes
        assert scenario.runtimes == ("gevent", "threads")
        assert "Python 3.12" in scenario.excluded["asyncio"]
        with pytest.raises(ScenarioError) as info:
            load_text(text, "s.yaml", runtime="asyncio")
        (problem,) = info.value.problems
        assert (problem.line, problem.col) == (2, 34), "at the option that rules it out"
        assert "asyncio (the chosen runtime)" in problem.message
    with mock.patch.object(loader, "PYTHON", (3, 12)):
        scenario = load_text(text, "s.yaml", runtime="asyncio")
        assert "asyncio" in scenario.runtimes and not scenario.excluded


def test_listing_a_runtime_its_options_rule_out_is_an_error() -> None:
    text = ("runtimes: [threads, asyncio]\noptions: {asyncio: {eager_tasks: true}}\n"
            "tasks:\n  main: [yield]\n")
    with mock.patch.object(loader, "PYTHON", (3, 11)), pytest.raises(ScenarioError) as info:
        load_text(text, "s.yaml")
    (problem,) = info.value.problems
    assert (problem.line, problem.col) == (1, 21)
    assert "`runtimes` lists asyncio" in problem.message and "3.12" in problem.message


def test_a_runtime_left_out_of_runtimes_is_refused_where_the_list_is() -> None:
    text = "runtimes: [asyncio]\ntasks:\n  main: [yield]\n"
    with pytest.raises(ScenarioError) as info:
        load_text(text, "s.yaml", runtime="gevent")
    (problem,) = info.value.problems
    assert (problem.line, problem.col) == (1, 12)
    assert "gevent (the chosen runtime) is not in `runtimes`" in problem.message


def test_a_file_that_does_not_load_on_its_own_runtime_loads_on_none() -> None:
    text = "runtime: asyncio\ntasks:\n  main: [{switch: w}]\n  w: [yield]\n"
    for runtime in (None, *RUNTIMES):
        with pytest.raises(ScenarioError):
            load_text(text, "s.yaml", runtime=runtime)
