"""What a comparison runs: `--vary` read by the runtimes' specs, the lanes, the variant files."""

from __future__ import annotations

import pytest

from simtui import runtimespec
from simtui.compare.comparison import (
    CompareError,
    Comparison,
    Vary,
    lanes,
    parse_expect,
    parse_runtimes,
    parse_vary,
)
from simtui.compare.variant import with_options
from simtui.scenario.loader import load_scenario, load_text
from simtui.scenario.model import flat


def test_a_bool_option_is_read_as_its_spec_says() -> None:
    assert parse_vary("gevent.monkey_patch=true,FALSE") == Vary(
        "gevent", "monkey_patch", (True, False))


def test_a_duration_option_takes_durations_as_scenarios_write_them() -> None:
    v = parse_vary("threads.switch_interval=5ms, 0.0005 ,50us")
    assert v.values == (0.005, 0.0005, pytest.approx(5e-5))


def test_time_scale_is_a_variant_of_every_runtime() -> None:
    assert parse_vary("time_scale=1,0.1") == Vary(None, "time_scale", (1.0, 0.1))


@pytest.mark.parametrize(("text", "words"), [
    ("gevent.monkey_patch", "KEY=V1,V2"),
    ("gevent.monkey_patch=", "KEY=V1,V2"),
    ("gevent.monkey_patch=true,,false", "an empty value"),
    ("gevent.monkey_patch=maybe", "`maybe` is not true or false"),
    ("gevent.monkey_patch=true,true", "given twice"),
    ("monkey_patch=true", "neither time_scale nor RUNTIME.OPTION"),
    ("trio.strict=true", "unknown runtime `trio`"),
    ("gevent.patch=true", "gevent has no option `patch` (its options: gevent.monkey_patch)"),
    ("greenlet.x=1", "its options: none"),
    ("threads.switch_interval=5m", "`m` could mean minutes or milliseconds"),
    ("threads.switch_interval=0", "at least 1 µs (the interpreter's resolution)"),
    ("time_scale=0", "more than 0 and at most 1000"),
    ("time_scale=fast", "`fast` is not a number"),
    ("time_scale=nan", "more than 0"),
])
def test_a_bad_vary_is_refused_with_what_to_write(text: str, words: str) -> None:
    with pytest.raises(CompareError) as e:
        parse_vary(text)
    assert words in str(e.value) and str(e.value).startswith(f"--vary {text}:")


def test_an_option_this_python_cannot_honour_is_refused_by_its_spec() -> None:
    eager = runtimespec.get("asyncio").option("eager_tasks")
    if eager.available():
        assert parse_vary("asyncio.eager_tasks=true,false").values == (True, False)
    else:
        with pytest.raises(CompareError, match=r"eager_tasks=true needs Python 3\.12"):
            parse_vary("asyncio.eager_tasks=true,false")
        assert parse_vary("asyncio.eager_tasks=false").values == (False,)


def test_runtimes_and_statuses_are_checked() -> None:
    assert parse_runtimes("threads,asyncio") == ("threads", "asyncio")
    with pytest.raises(CompareError, match="unknown runtime `trio`"):
        parse_runtimes("asyncio,trio")
    with pytest.raises(CompareError, match="given twice"):
        parse_runtimes("asyncio,asyncio")
    assert parse_expect("ok,deadlock") == frozenset({"ok", "deadlock"})
    with pytest.raises(CompareError, match="`fine` is not a status"):
        parse_expect("fine")


def test_each_scenario_runs_on_its_own_runtimes_by_default() -> None:
    runs = lanes(Comparison((load_scenario("gather10"),)))
    assert [(r.runtime, r.label) for r in runs] == [
        ("asyncio", "asyncio"), ("gevent", "gevent"), ("threads", "threads")]
    assert [r.index for r in runs] == [0, 1, 2]


def test_a_variant_multiplies_the_runs_of_its_runtime_only() -> None:
    c = Comparison((load_scenario("gevent_monkey"),),
                   variants=(parse_vary("gevent.monkey_patch=true,false"),))
    runs = lanes(c)
    assert [r.label for r in runs] == [
        "gevent monkey_patch=true", "gevent monkey_patch=false", "threads"]
    assert [r.scenario.options.flag("gevent", "monkey_patch") for r in runs] == [
        True, False, True]
    assert dict(runs[1].settings) == {"gevent.monkey_patch": False}
    assert dict(runs[2].settings) == {}


def test_variants_multiply_out_and_time_scale_multiplies_the_comparisons() -> None:
    c = Comparison((load_scenario("threads_cpu"),), runtimes=("threads",), time_scale=0.5,
                   variants=(parse_vary("threads.switch_interval=5ms,20ms"),
                             parse_vary("time_scale=1,0.1")))
    runs = lanes(c)
    assert [r.label for r in runs] == [
        "threads switch_interval=5ms time_scale=1",
        "threads switch_interval=5ms time_scale=0.1",
        "threads switch_interval=20ms time_scale=1",
        "threads switch_interval=20ms time_scale=0.1",
    ]
    assert [r.time_scale for r in runs] == [0.5, pytest.approx(0.05), 0.5, pytest.approx(0.05)]
    assert [r.scenario.options.seconds("threads", "switch_interval") for r in runs] == [
        0.005, 0.005, 0.02, 0.02]


def test_several_scenarios_are_named_in_the_labels() -> None:
    c = Comparison((load_scenario("gather10"), load_scenario("gather10_blocking")),
                   runtimes=("asyncio",))
    assert [r.label for r in lanes(c)] == ["gather10 asyncio", "gather10_blocking asyncio"]


def test_a_runtime_a_scenario_cannot_run_on_is_refused() -> None:
    c = Comparison((load_scenario("gather10"), load_scenario("gevent_unpatched")),
                   runtimes=("asyncio",))
    with pytest.raises(CompareError, match="gevent_unpatched: does not run on asyncio; "
                                           "it runs on gevent"):
        lanes(c)


def test_a_variant_of_a_runtime_not_compared_says_how_to_add_it() -> None:
    c = Comparison((load_scenario("gather10"),), runtimes=("asyncio", "threads"),
                   variants=(parse_vary("gevent.monkey_patch=true,false"),))
    with pytest.raises(CompareError) as e:
        lanes(c)
    assert str(e.value) == ("--vary gevent.monkey_patch: gevent is not among the runtimes "
                            "compared (asyncio, threads); add it with -r "
                            "asyncio,threads,gevent")
    alone = Comparison((load_scenario("gevent_unpatched"),),
                       variants=(parse_vary("threads.switch_interval=1ms"),))
    with pytest.raises(CompareError, match="no scenario compared runs on it"):
        lanes(alone)


def test_the_same_key_or_scenario_twice_is_refused() -> None:
    v = parse_vary("time_scale=1,2")
    with pytest.raises(CompareError, match="given twice"):
        lanes(Comparison((load_scenario("gather10"),), variants=(v, v)))
    with pytest.raises(CompareError, match="gather10: given twice; name each scenario once"):
        lanes(Comparison((load_scenario("gather10"), load_scenario("gather10"))))


def _step_places(text: str) -> list[tuple[str, int, int]]:
    s = load_text(text, "<t>")
    return [(st.op, st.line, st.col) for t in s.tasks.values() for st in flat(t.steps)]


@pytest.mark.parametrize("name", ["gevent_monkey", "gather10", "threads_cpu", "locust_users"])
def test_a_variant_file_keeps_every_step_on_its_line_and_column(name: str) -> None:
    scenario = load_scenario(name)
    runtime = "threads"
    varied = with_options(scenario, runtime, {"switch_interval": 0.0005})
    assert varied.options.seconds("threads", "switch_interval") == 0.0005
    assert _step_places(varied.text) == _step_places(scenario.text)
    assert varied.source == scenario.source
    # The scenario's own options for other runtimes are kept.
    for rt, opts in scenario.options.given.items():
        if rt != runtime:
            assert dict(varied.options.given[rt]) == dict(opts)


def test_a_variant_keeps_crlf_line_ends_and_the_other_options() -> None:
    text = ("tasks:\r\n  main:\r\n    - sleep: 1\r\noptions:\r\n  threads:\r\n"
            "    switch_interval: 2ms   # a comment\r\n  gevent: {monkey_patch: false}\r\n"
            "runtimes: [gevent, threads]\r\n")
    scenario = load_text(text, "<t>")
    varied = with_options(scenario, "gevent", {"monkey_patch": True})
    assert varied.options.flag("gevent", "monkey_patch") is True
    assert varied.options.seconds("threads", "switch_interval") == 0.002
    assert varied.text.count("\r\n") == text.count("\r\n") and "\n" not in varied.text.replace(
        "\r\n", "")
    assert varied.runtimes == ("gevent", "threads")


def test_a_variant_of_options_written_through_an_alias_is_refused() -> None:
    text = ("x-opts: &o {gevent: {monkey_patch: true}}\nruntime: gevent\noptions: *o\n"
            "tasks:\n  main: [{sleep: 1}]\n")
    scenario = load_text(text, "<t>")
    with pytest.raises(CompareError, match="<t>: cannot set gevent.monkey_patch in this file"):
        with_options(scenario, "gevent", {"monkey_patch": False})
