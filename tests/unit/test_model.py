"""What a valid scenario loads to: defaults, values, references, warnings, and `walk`."""

from __future__ import annotations

import sys

import pytest

from simtui.runtimespec import SPECS
from simtui.scenario.loader import bundled_scenarios, load_scenario, load_text
from simtui.scenario.model import RUNTIMES, Scenario, render_text, walk


def load(text: str, runtime: str | None = None) -> Scenario:
    return load_text(text, "dir/my_scenario.yaml", runtime=runtime)


def test_defaults_follow_the_spec() -> None:
    s = load("tasks:\n  main: [yield]\n")
    assert (s.name, s.title, s.description) == ("my_scenario", "my_scenario", "")
    assert (s.runtime, s.main, s.time_scale, s.timeout) == ("asyncio", "main", 1.0, 60.0)
    assert s.runtimes == ("asyncio", "gevent", "threads")  # every runtime that can `yield`
    assert s.options.flag("gevent", "monkey_patch") is True
    assert s.options.seconds("threads", "switch_interval") is None
    assert dict(s.queues) == {}
    assert s.warnings == ()


def test_empty_optional_values_mean_the_default() -> None:
    s = load("name:\ntitle:\ndescription:\nruntime:\nruntimes:\nmain:\ntime_scale:\n"
             "timeout:\noptions:\nqueues:\ntasks:\n  main: [yield]\n")
    assert (s.name, s.runtime, s.timeout, s.time_scale) == ("my_scenario", "asyncio", 60.0, 1.0)


@pytest.mark.parametrize(("written", "seconds"), [
    ("3", 3.0), ("0.5", 0.5), (".25", 0.25), ("0", 0.0), ("-0", 0.0), ("1e-3", 1e-3),
    ('"250ms"', 0.25), ('"50us"', 50e-6), ('"50µs"', 50e-6), ('"2s"', 2.0),
    ('"1.5 min"', 90.0), ('"1h"', 3600.0), ('"10ns"', 10e-9), ("'3'", 3.0), ("2 ms", 2e-3),
])
def test_duration_forms(written: str, seconds: float) -> None:
    s = load(f"tasks:\n  main:\n    - sleep: {written}\n")
    assert s.tasks["main"].steps[0].seconds == pytest.approx(seconds)


def test_every_value_is_read() -> None:
    s = load(
        "name: demo\ntitle: A demo\ndescription: |\n  Line one.\n  Line two.\n"
        "runtime: gevent\nruntimes: [gevent, threads]\nmain: start\ntime_scale: 0.5\n"
        "timeout: 2min\n"
        "options:\n  gevent: {monkey_patch: no}\n  threads: {switch_interval: 1ms}\n"
        "  asyncio: {debug: yes}\n"
        "queues:\n  jobs: {maxsize: 2}\n  free: {maxsize: 0}\n"
        "tasks:\n  start:\n    - put: {queue: jobs}\n    - put: {queue: free, item: x}\n"
        "    - get: jobs\n    - get: free\n")
    assert (s.name, s.title, s.description) == ("demo", "A demo", "Line one.\nLine two.")
    assert (s.runtime, s.runtimes, s.main) == ("gevent", ("gevent", "threads"), "start")
    assert (s.time_scale, s.timeout) == (0.5, 120.0)
    assert s.options.flag("gevent", "monkey_patch") is False
    assert s.options.seconds("threads", "switch_interval") == pytest.approx(1e-3)
    assert s.options.flag("asyncio", "debug") is True
    assert dict(s.queues) == {"jobs": 2}  # maxsize 0 is unbounded, as in Python
    put = s.tasks["start"].steps[0]
    assert (put.name, put.text) == ("jobs", "{name}")  # the default item


@pytest.mark.parametrize(("ops", "runtimes", "expected"), [
    ("[yield]", "", "asyncio"),
    ("[yield]", "runtimes: [threads, gevent]\n", "threads"),
    ("[spawn: b, switch: b]", "", "greenlet"),  # only greenlet can `switch`
])
def test_the_default_runtime(ops: str, runtimes: str, expected: str) -> None:
    s = load(f"{runtimes}tasks:\n  main: {ops}\n  b: [print: b]\n")
    assert s.runtime == expected


def test_references_expand_to_instances() -> None:
    s = load("tasks:\n  main:\n    - spawn: ' w[1] '\n    - gather: [v, 'w[0]']\n"
             "    - join: 'w[1]'\n    - call: one\n"
             "  w: {count: 2, steps: [yield]}\n  v: {count: 3, steps: [yield]}\n"
             "  one: {count: 1, steps: [yield]}\n")
    steps = s.tasks["main"].steps
    assert steps[0].refs == ("w[1]",)
    assert steps[1].refs == ("v[0]", "v[1]", "v[2]", "w[0]")
    assert steps[3].refs == ("one[0]",)  # `call` of a task with count 1 names its one instance
    assert list(s.instances)[0] == "main"
    assert [i.index for i in s.instances.values()] == [0, 0, 1, 0, 1, 2, 0]


def test_steps_are_located_and_numbered_in_preorder() -> None:
    s = load("tasks:\n  main:\n    - print: a\n    - repeat:\n        times: 2\n"
             "        steps:\n          - yield\n          - sleep: 1\n    - print: b\n")
    main = s.tasks["main"]
    assert main.nsteps == 5
    rep = main.steps[1]
    assert [(x.op, x.line, x.col, x.index) for x in (main.steps[0], rep, *rep.body,
                                                       main.steps[2])] == [
        ("print", 3, 7, 0), ("repeat", 4, 7, 1), ("yield", 7, 13, 2), ("sleep", 8, 13, 3),
        ("print", 9, 7, 4)]
    assert (main.line, main.col) == (2, 3)


def test_x_keys_are_ignored_everywhere() -> None:
    s = load("x-top: 1\noptions: {x-o: 1, gevent: {x-g: 1}}\nqueues: {x-q: 1}\n"
             "tasks:\n  x-t: not a task\n  main:\n    - {sleep: 1, x-why: because}\n"
             "    - put: {queue: q, x-p: 1}\n    - repeat: {times: 1, steps: [yield], x-r: 1}\n"
             "    - get: q\n  w: {count: 1, steps: [yield], x-w: 1}\n")
    assert set(s.tasks) == {"main", "w"}


def test_aliases_reuse_steps_and_core_tags_are_plain_data() -> None:
    s = load("x-common: &common\n  - print: !!str 3\n  - sleep: !!float 0.5\n"
             "tasks:\n  main: *common\n  w: {count: !!int 2, steps: *common}\n"
             "  v: [print: 2024-01-01, print: '=']\n")
    assert [x.text for x in s.tasks["main"].steps if x.op == "print"] == ["3"]
    assert s.tasks["w"].count == 2
    assert [x.text for x in s.tasks["v"].steps] == ["2024-01-01", "="]


def test_text_is_taken_as_written() -> None:
    s = load("tasks:\n  main:\n    - print: 3.10\n    - print: yes\n    - print: |\n"
             "        block\n    - print: '{{i}} {i}'\n")
    texts = [x.text for x in s.tasks["main"].steps]
    assert texts == ["3.10", "yes", "block", "{{i}} {i}"]


@pytest.mark.parametrize(("text", "needle"), [
    ("tasks:\n  main: [yield]\n  lonely: [yield]\n", "task `lonely` is never started"),
    ("tasks:\n  main: [print: '{item}']\n", "`{item}` is always empty"),
    ("queues: {q: {maxsize: 1}}\ntasks:\n  main: [yield]\n", "queue `q` is never used"),
])
def test_warnings_do_not_stop_loading(text: str, needle: str) -> None:
    s = load(text)
    assert [w.message for w in s.warnings if needle in w.message]


def test_crlf_bom_and_tabs_inside_values_load() -> None:
    text = "tasks:\r\n  main:\r\n    - print: \"a\tb\"\r\n"
    assert load("\ufeff" + text).tasks["main"].steps[0].text == "a\tb"
    assert load_text(b"\xef\xbb\xbf" + text.encode(), "x.yaml").tasks["main"].steps[0].line == 3


def test_walk_expands_repeat_and_call_with_the_callee_frame() -> None:
    s = load("tasks:\n  main:\n    - repeat: {times: 2, steps: [print: 'm {i}']}\n"
             "    - call: 'h[1]'\n  h: {count: 2, steps: [print: '{name} {i}']}\n")
    out = [(step.op, render_text(step.text, f.index, f.name, "")) for step, f in
           walk(s, "main")]
    assert out == [("repeat", ""), ("print", "m 0"), ("print", "m 0"), ("call", ""),
                   ("print", "h[1] 1")]


def test_render_text_fills_fields_and_literal_braces() -> None:
    assert render_text("{{{i}}} {name}/{item}", 3, "w[3]", "job") == "{3} w[3]/job"


def test_every_bundled_scenario_loads_on_each_of_its_runtimes() -> None:
    paths = bundled_scenarios()
    assert paths
    for path in paths:
        s = load_scenario(str(path))
        assert s.name == path.stem
        assert s.runtime in s.runtimes
        assert not s.warnings, [str(w) for w in s.warnings]
        for rt in s.runtimes:
            assert rt in RUNTIMES
            load_scenario(str(path), runtime=rt)


def test_an_option_not_set_reads_as_its_spec_default() -> None:
    s = load("options: {asyncio: {debug: true}}\ntasks:\n  main: [yield]\n")
    for name, spec in SPECS.items():
        for o in spec.options:
            expected = True if (name, o.key) == ("asyncio", "debug") else o.default
            assert s.options.get(name, o.key) == expected, (name, o.key)
    assert dict(s.options.given) == {"asyncio": {"debug": True}}  # only what was written


def test_reading_an_option_a_runtime_does_not_have_is_an_error() -> None:
    options = load("tasks:\n  main: [yield]\n").options
    with pytest.raises(KeyError, match="greenlet has no option 'monkey_patch'"):
        options.flag("greenlet", "monkey_patch")
    with pytest.raises(KeyError):
        options.get("asyncio", "eager_task")


def test_the_header_options_are_every_option_of_the_runtime_with_its_value() -> None:
    s = load("options: {gevent: {monkey_patch: false}}\ntasks:\n  main: [yield]\n")
    assert s.options_for("gevent") == {"monkey_patch": False}
    assert s.options_for("asyncio") == {"eager_tasks": False, "debug": False}
    assert s.options_for("greenlet") == {}
    # No switch interval set: the interpreter's, read when the header is written.
    assert s.options_for("threads") == {"switch_interval": sys.getswitchinterval()}
    set_ = load("options: {threads: {switch_interval: 2ms}}\ntasks:\n  main: [yield]\n")
    assert set_.options_for("threads") == {"switch_interval": pytest.approx(2e-3)}
    for name, spec in SPECS.items():
        assert list(s.options_for(name)) == [o.key for o in spec.options]
