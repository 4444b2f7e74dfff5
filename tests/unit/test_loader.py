"""The scenario loader: every rule's error message at its exact line and column."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from simtui.scenario.errors import ScenarioError
from simtui.scenario.loader import MAX_PROBLEMS, load_scenario, load_text

BROKEN = Path(__file__).parent / "broken"
ROOT = Path(__file__).resolve().parents[2]


def problems(text: str | bytes, runtime: str | None = None) -> list[tuple[int, int, str]]:
    with pytest.raises(ScenarioError) as info:
        load_text(text, "t.yaml", runtime=runtime)
    return [(p.line, p.col, p.message) for p in info.value.problems]


def only(text: str | bytes, runtime: str | None = None) -> tuple[int, int, str]:
    found = problems(text, runtime)
    assert len(found) == 1, found
    return found[0]


MAIN = "tasks:\n  main:\n    - "
"""A prefix whose first step starts at line 3, column 7."""

# (id, text, line, col, substring of the message)
RULES = [
    # top level
    ("unknown-top-key", "tasks: {main: [yield]}\nrunime: asyncio\n", 2, 1,
     "unknown key `runime` in the scenario (did you mean `runtime`?)"),
    ("duplicate-key", "tasks: {main: [yield]}\ntitle: a\ntitle: b\n", 3, 1,
     "`title` is given twice in the scenario (first on line 2)"),
    ("no-tasks", "name: x\n", 1, 1, "no `tasks`"),
    ("tasks-not-mapping", "tasks: 3\n", 1, 8, "`tasks` must be a mapping"),
    ("tasks-list", "tasks:\n  - main: [yield]\n", 2, 3, "not a list"),
    ("top-list", "- a\n", 1, 1, "the scenario must be a mapping"),
    ("top-scalar", "hello\n", 1, 1, 'not the text "hello"'),
    ("name-list", "name: [a]\ntasks: {main: [yield]}\n", 1, 7, "`name` must be text, not a list"),
    ("name-empty", "name: ''\ntasks: {main: [yield]}\n", 1, 7, "`name` is empty"),
    ("title-two-lines", "title: \"a\\nb\"\ntasks: {main: [yield]}\n", 1, 8, "one line"),
    ("runtime-unknown", "runtime: gevnet\ntasks: {main: [yield]}\n", 1, 10,
     "unknown runtime `gevnet`; choose one of asyncio, greenlet, gevent, threads "
     "(did you mean `gevent`?)"),
    ("runtimes-empty", "runtimes: []\ntasks: {main: [yield]}\n", 1, 11, "`runtimes` is empty"),
    ("runtimes-twice", "runtimes: [gevent, gevent]\ntasks: {main: [yield]}\n", 1, 20,
     "listed twice"),
    ("runtimes-unknown", "runtimes: [asyncio, curio]\ntasks: {main: [yield]}\n", 1, 21,
     "unknown runtime `curio`"),
    ("runtime-not-listed", "runtime: gevent\nruntimes: [asyncio]\ntasks: {main: [yield]}\n",
     1, 10, "`runtime` gevent is not in `runtimes`"),
    ("runtimes-unsupported", "runtimes: [greenlet]\ntasks: {main: [yield]}\n", 1, 12,
     "`runtimes` lists greenlet, which cannot run every op"),
    ("main-invalid", "main: 'a b'\ntasks: {main: [yield]}\n", 1, 7, "not a valid task name"),
    ("main-missing", "main: start\ntasks: {main: [yield]}\n", 1, 7,
     "no task named `start` to start the run"),
    ("main-default-missing", "tasks:\n  mian: [yield]\n", 1, 1, "(did you mean `mian`?)"),
    ("main-count", "tasks:\n  main: {count: 2, steps: [yield]}\n", 2, 3, "cannot have `count`"),
    ("time-scale-zero", "time_scale: 0\ntasks: {main: [yield]}\n", 1, 13, "positive number"),
    ("time-scale-quoted", "time_scale: '2'\ntasks: {main: [yield]}\n", 1, 13,
     "(remove the quotes)"),
    ("time-scale-inf", "time_scale: .inf\ntasks: {main: [yield]}\n", 1, 13, "positive number"),
    ("time-scale-huge", "time_scale: 5000\ntasks: {main: [yield]}\n", 1, 13,
     "at most 1,000"),
    ("timeout-zero", "timeout: 0ms\ntasks: {main: [yield]}\n", 1, 10, "more than zero"),
    ("timeout-word", "timeout: forever\ntasks: {main: [yield]}\n", 1, 10,
     "`forever` is not a duration"),
    # options and queues
    ("options-unknown", "options: {gevnt: {}}\ntasks: {main: [yield]}\n", 1, 11,
     "unknown key `gevnt` in `options` (did you mean `gevent`?)"),
    ("option-key-unknown", "options: {threads: {interval: 1}}\ntasks: {main: [yield]}\n",
     1, 21, "unknown key `interval` in `options.threads`"),
    ("option-bool", "options: {gevent: {monkey_patch: 1}}\ntasks: {main: [yield]}\n", 1, 34,
     "must be true or false, not the number 1"),
    ("switch-interval-negative",
     "options: {threads: {switch_interval: -1}}\ntasks: {main: [yield]}\n", 1, 38,
     "cannot be negative"),
    ("switch-interval-tiny",
     "options: {threads: {switch_interval: 1ns}}\ntasks: {main: [yield]}\n", 1, 38,
     "at least 1 µs"),
    ("options-list", "options: [gevent]\ntasks: {main: [yield]}\n", 1, 10,
     "`options` must be a mapping"),
    ("queue-name", "queues: {'a b': {maxsize: 1}}\ntasks: {main: [yield]}\n", 1, 10,
     "not a valid queue name"),
    ("queue-maxsize-float", "queues: {q: {maxsize: 1.5}}\ntasks: {main: [yield]}\n", 1, 23,
     "whole number"),
    ("queue-maxsize-huge", "queues: {q: {maxsize: 99999999999999999999999}}\n"
     "tasks: {main: [yield]}\n", 1, 23, "at most 10,000,000"),
    # tasks
    ("task-name", "tasks:\n  main: [yield]\n  'bad name': [yield]\n", 3, 3,
     "not a valid task name"),
    ("task-no-steps", "tasks:\n  main: [yield]\n  w: {count: 2}\n", 3, 3, "has no `steps`"),
    ("task-count-zero", "tasks:\n  main: [gather: w]\n  w: {count: 0, steps: [yield]}\n",
     3, 14, "at least 1"),
    ("task-count-huge", "tasks:\n  main: [gather: w]\n  w: {count: 100001, steps: [yield]}\n",
     3, 14, "at most 100,000"),
    ("task-count-bool", "tasks:\n  main: [gather: w]\n  w: {count: true, steps: [yield]}\n",
     3, 14, "whole number, not `true`"),
    ("instances-limit", "tasks:\n  main: [gather: [a, b]]\n  a: {count: 50000, steps: [yield]}\n"
     "  b: {count: 50000, steps: [yield]}\n", 1, 1, "100,001 task instances after expanding"),
    ("task-mapping-ops", "tasks:\n  main:\n    sleep: 1\n", 3, 5, "start each step with `- `"),
    ("steps-empty", "tasks:\n  main: []\n", 2, 9, "has no steps"),
    ("steps-scalar", "tasks:\n  main: sleep\n", 2, 9, "must be a list"),
    ("steps-null", "tasks:\n  main:\n", 2, 8, "must be a list"),
    # steps
    ("unknown-op", MAIN + "slep: 1\n", 3, 7, "unknown op `slep` (did you mean `sleep`?)"),
    ("unknown-bare-op", MAIN + "pass\n", 3, 7, "unknown op `pass`"),
    ("missing-colon", MAIN + "print hello\n", 3, 7, "write `- print: hello`"),
    ("two-ops", MAIN + "{sleep: 1, yield: }\n", 3, 18, "exactly one op"),
    ("op-and-junk", MAIN + "{sleep: 1, note: x}\n", 3, 18, "unknown key `note` in a `sleep`"),
    ("no-op", MAIN + "{x-note: 1}\n", 3, 7, "a step needs an op"),
    ("bare-needs-arg", MAIN + "gather\n", 3, 7, "`gather` needs an argument"),
    ("yield-arg", MAIN + "yield: now\n", 3, 14, "`yield` takes no argument"),
    ("step-list", MAIN + "[yield]\n", 3, 7, "not a list"),
    ("empty-step", "tasks:\n  main:\n    -\n    - yield\n", 3, 6, "an empty step"),
    ("put-indent", MAIN + "put:\n      queue: q\n", 4, 7, "`queue` belongs inside `put`"),
    # durations
    ("duration-word", MAIN + "sleep: long\n", 3, 14, "`long` is not a duration"),
    ("duration-unit", MAIN + "sleep: 3 weeks\n", 3, 14, "unknown unit `weeks`"),
    ("duration-unit-case", MAIN + "sleep: 3S\n", 3, 14, "(did you mean `s`?)"),
    ("duration-m", MAIN + "sleep: 2m\n", 3, 14, "`m` could mean minutes or milliseconds"),
    ("duration-negative", MAIN + "cpu: -1ms\n", 3, 12, "cannot be negative"),
    ("duration-nan", MAIN + "sleep: .NaN\n", 3, 14, "finite"),
    ("duration-inf-neg", MAIN + "sleep: -.inf\n", 3, 14, "finite"),
    ("duration-nan-text", MAIN + "sleep: nan\n", 3, 14, "`nan` is not a duration"),
    ("duration-huge", MAIN + "block: 2000000\n", 3, 14, "at most 1,000,000 s"),
    ("duration-huge-unit", MAIN + "io: 300h\n", 3, 11, "at most 1,000,000 s"),
    ("duration-sexagesimal", MAIN + "sleep: 1:30\n", 3, 14, "`1:30` is not a duration"),
    ("duration-null", MAIN + "sleep:\n", 3, 13, "needs a duration"),
    ("duration-list", MAIN + "sleep: [1]\n", 3, 14, "needs a duration"),
    # text and templates
    ("print-null", MAIN + "print:\n", 3, 13, "`print` must be text, not an empty value"),
    ("print-mapping", MAIN + "print: {a: 1}\n", 3, 14, "`print` must be text, not a mapping"),
    ("template-field", MAIN + "print: 'x {j} y'\n", 3, 17, "unknown field `{j}`"),
    ("template-field-plain", MAIN + "print: x {nam}\n", 3, 16,
     "unknown field `{nam}` (did you mean `name`?)"),
    ("template-field-spaces", MAIN + "print: '{ i }'\n", 3, 15, "write `{i}`"),
    ("template-lone-open", MAIN + "print: 'a {'\n", 3, 17, "a lone `{`"),
    ("template-lone-close", MAIN + "print: 'a } b'\n", 3, 17, "a lone `}`"),
    ("template-unclosed", MAIN + "print: 'n={i'\n", 3, 17, "a lone `{`"),
    ("template-index", MAIN + "print: 'n={0}'\n", 3, 17, "unknown field `{0}`"),
    ("template-put-item", MAIN + "put: {queue: q, item: '{x}'}\n    - get: q\n", 3, 30,
     "`put.item`: unknown field `{x}`"),
    # references
    ("ref-undefined", MAIN + "spawn: wrker\n  worker: [yield]\n", 3, 14,
     "`spawn`: no task named `wrker` (did you mean `worker`?)"),
    ("ref-syntax", MAIN + "spawn: 'w[x]'\n  w: {count: 2, steps: [yield]}\n", 3, 14,
     "is not a task reference"),
    ("ref-number", MAIN + "spawn: 3\n", 3, 14, "is not a task reference"),
    ("ref-index-range", MAIN + "spawn: 'w[2]'\n  w: {count: 2, steps: [yield]}\n", 3, 14,
     "`w` has 2 instances (0 to 1); there is no [2]"),
    ("ref-index-huge", MAIN + "spawn: 'w[" + "9" * 5000 + "]'\n  w: {count: 2, steps: [yield]}\n",
     3, 14, "there is no ["),
    ("ref-index-no-count", MAIN + "spawn: 'w[0]'\n  w: [yield]\n", 3, 14, "has no `count`"),
    ("ref-twice", MAIN + "spawn: [w, w]\n  w: [yield]\n", 3, 18, "names `w` twice"),
    ("ref-list-empty", MAIN + "join: []\n", 3, 13, "needs at least one task"),
    ("ref-null", MAIN + "spawn:\n", 3, 7, "`spawn` needs a task"),
    ("ref-mapping-item", MAIN + "spawn: [{a: 1}]\n", 3, 15, "must be a task name, not a mapping"),
    ("call-many", MAIN + "call: w\n  w: {count: 2, steps: [yield]}\n", 3, 13,
     "`call` takes one task instance, not 2"),
    ("switch-many", "runtime: greenlet\n" + MAIN + "switch: [a, b]\n  a: [print: a]\n"
     "  b: [print: b]\n", 4, 15, "`switch` takes one task instance, not 2"),
    # named objects
    ("lock-name", MAIN + "acquire: 'a lock'\n", 3, 16, "not a valid lock name"),
    ("event-name-list", MAIN + "wait: [a]\n", 3, 13, "`wait` must be text, not a list"),
    ("queue-name-get", MAIN + "get: '1q'\n", 3, 12, "not a valid queue name"),
    ("put-scalar", MAIN + "put: q\n", 3, 12, "`put` takes a mapping"),
    ("put-no-queue", MAIN + "put: {item: x}\n", 3, 7, "`put` needs `queue`"),
    ("put-unknown-key", MAIN + "put: {queue: q, itme: x}\n    - get: q\n", 3, 23,
     "unknown key `itme` in `put` (did you mean `item`?)"),
    # repeat
    ("repeat-missing", MAIN + "repeat: {steps: [yield]}\n", 3, 7, "`repeat` needs `times`"),
    ("repeat-missing-both", MAIN + "repeat: {}\n", 3, 7, "needs `times` and `steps`"),
    ("repeat-too-many", MAIN + "repeat: {times: 10000001, steps: [yield]}\n", 3, 23,
     "at most 10,000,000"),
    ("repeat-negative", MAIN + "repeat: {times: -1, steps: [yield]}\n", 3, 23, "at least 0"),
    ("repeat-float", MAIN + "repeat: {times: 2.0, steps: [yield]}\n", 3, 23, "whole number"),
    ("repeat-underscore", MAIN + "repeat: {times: 1_000, steps: [yield]}\n", 3, 23,
     "decimal digits"),
    ("repeat-scalar", MAIN + "repeat: 3\n", 3, 15, "`repeat` must be a mapping"),
    ("repeat-unknown", MAIN + "repeat: {times: 1, steps: [yield], each: 1}\n", 3, 42,
     "unknown key `each` in `repeat`"),
    # whole scenario
    ("call-cycle", "tasks:\n  main: [call: a]\n  a: [call: b]\n  b: [call: a]\n", 4, 7,
     "`call` cycle: a → b → a"),
    ("call-self", MAIN + "call: main\n", 3, 7, "`call` cycle: main → main"),
    ("start-twice", MAIN + "spawn: w\n    - spawn: w\n  w: [yield]\n", 4, 7,
     "starts `w` again (already started on line 3)"),
    ("start-in-repeat", MAIN + "repeat: {times: 2, steps: [spawn: w]}\n  w: [yield]\n", 3, 34,
     "runs 2 times (inside `repeat`)"),
    ("start-from-template", "tasks:\n  main: [gather: w]\n  w: {count: 3, steps: [spawn: v]}\n"
     "  v: [yield]\n", 3, 25, "runs 3 times (`w` has `count`)"),
    ("start-via-calls", "tasks:\n  main: [call: h, call: h]\n  h: [spawn: v]\n  v: [yield]\n",
     3, 7, "runs 2 times (`h` runs more than once)"),
    ("start-main", MAIN + "spawn: h\n  h: [gather: main]\n", 4, 7, "`main` starts the run"),
    ("join-unstarted", MAIN + "join: w\n  w: [yield]\n", 3, 7, "no step starts it"),
    ("join-main", MAIN + "spawn: h\n  h: [join: main]\n", 4, 7, "`join` cannot wait for `main`"),
    ("depth-repeat", "tasks:\n  main: " + "[{repeat: {times: 1, steps: " * 32 + "[yield]"
     + "}}]" * 32 + "\n", 2, 9 + 28 * 32, "nested more than 32 levels"),
    ("depth-calls", "tasks:\n  main: [call: t0]\n"
     + "".join(f"  t{k}: [call: t{k + 1}]\n" for k in range(40)) + "  t40: [yield]\n",
     11, 8, "nests steps 33 levels deep"),
    ("greenlet-yield", "runtime: greenlet\n" + MAIN + "yield\n", 4, 7,
     "`yield` cannot run on greenlet (this scenario's `runtime`)"),
    ("asyncio-switch", "runtime: asyncio\n" + MAIN + "switch: w\n  w: [print: x]\n", 4, 7,
     "`switch` cannot run on asyncio"),
    # YAML itself
    ("tag-python", "tasks: !!python/object/apply:os.system [ls]\n", 1, 8,
     "`!!python/object/apply:os.system` is not allowed"),
    ("tag-timestamp", MAIN + "print: !!timestamp 2001-12-14\n", 3, 14,
     "`!!timestamp` is not allowed"),
    ("tag-custom-key", "tasks: {main: [yield]}\n!k x: 1\n", 2, 1, "`!k` is not allowed"),
    ("merge-key", "tasks:\n  main: [yield]\n  w: {<<: {count: 2}, steps: [yield]}\n", 3, 7,
     "merge keys (`<<`) are not supported"),
    ("recursive-anchor", "tasks:\n  main: &s [{repeat: {times: 1, steps: *s}}]\n", 2, 9,
     "used inside itself"),
    ("undefined-alias", "tasks:\n  main: *s\n", 2, 9, "alias `*s` has no anchor `&s`"),
    ("duplicate-anchor", "x-a: &a 1\nx-b: &a 2\ntasks: {main: [yield]}\n", 2, 6,
     "anchor `&name` is defined twice"),
    ("second-document", "tasks: {main: [yield]}\n---\nx: 1\n", 2, 1, "only one YAML document"),
    ("tab", "tasks:\n\tmain: [yield]\n", 2, 1, "tab character"),
    ("unclosed-flow", "tasks: {main: [yield]\n", 1, 8, "this `{` is never closed"),
    ("unclosed-quote", MAIN + "print: 'abc\n", 3, 14, "end of stream"),
    ("bad-start-char", MAIN + "print: @x\n", 3, 14, "cannot start with `@`"),
    ("colon-in-value", MAIN + "print: a: b\n", 3, 15, "put text that contains `: ` in quotes"),
    ("null-key", "tasks: {main: [yield]}\n~: 1\n", 2, 1, "must be a name, not an empty value"),
    ("list-key", "tasks: {main: [yield]}\n? [a]\n: 1\n", 2, 3, "must be a name, not a list"),
    ("control-char", "tasks: {main: [yield]}\nx-a: \"\x01\"\n", 2, 7, "U+0001"),
    ("nul", "tasks: {main: [yield]}\x00\n", 1, 23, "NUL"),
    ("compare-key", "compare: {runtime: [asyncio]}\ntasks: {main: [yield]}\n", 1, 11,
     "unknown key `runtime` in `compare` (did you mean `runtimes`?)"),
    ("compare-runtime", "compare: {runtimes: [greenlet]}\ntasks: {main: [yield]}\n", 1, 22,
     "`compare.runtimes` lists greenlet, which this scenario does not run on"),
    ("compare-runtime-twice", "compare: {runtimes: [asyncio, asyncio]}\n"
     "tasks: {main: [yield]}\n", 1, 31, "`asyncio` is listed twice in `compare.runtimes`"),
    ("compare-vary-key", "compare: {vary: {monkey_patch: [true]}}\ntasks: {main: [yield]}\n",
     1, 18, "is neither `time_scale` nor RUNTIME.OPTION"),
    ("compare-vary-option", "compare: {vary: {gevent.monkey: [true]}}\n"
     "tasks: {main: [yield]}\n", 1, 18, "gevent has no option `monkey` (its options: "
     "gevent.monkey_patch)"),
    ("compare-vary-kind", "compare: {vary: {gevent.monkey_patch: [yes, 3]}}\n"
     "tasks: {main: [yield]}\n", 1, 45, "must be true or false"),
    ("compare-vary-bound", "compare: {vary: {threads.switch_interval: [0s]}}\n"
     "tasks: {main: [yield]}\n", 1, 44, "`compare.vary.threads.switch_interval`"),
    ("compare-vary-list", "compare: {vary: {time_scale: 0.5}}\ntasks: {main: [yield]}\n",
     1, 30, "must be a list of the values to run with"),
    ("compare-vary-twice", "compare: {vary: {time_scale: [1, 1.0]}}\ntasks: {main: [yield]}\n",
     1, 34, "lists the value 1.0 twice"),
    ("compare-vary-runtime", "compare: {runtimes: [asyncio], vary: {gevent.monkey_patch: "
     "[false]}}\ntasks: {main: [yield]}\n", 1, 39, "varies an option of gevent, which is "
     "not among the runtimes compared (asyncio)"),
    ("compare-expect", "compare: {expect: [fine]}\ntasks: {main: [yield]}\n", 1, 20,
     "`fine` is not a status a run ends with"),
    ("empty", "", 1, 1, "the file is empty"),
    ("comments", "# only\n# comments\n", 1, 1, "the file is empty"),
    # where the parser gives up depends on its depth limit: any position
    ("deep-flow", "tasks: " + "[" * 5000 + "]" * 5000 + "\n", 0, 0, "nested too deeply"),
]


@pytest.mark.parametrize(("text", "line", "col", "message"),
                         [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_each_rule_reports_its_message_at_its_position(text: str, line: int, col: int,
                                                       message: str) -> None:
    found = problems(text)
    hits = [(ln, c) for ln, c, m in found if message in m]
    assert hits, f"{message!r} not in {found}"
    if line:
        assert (line, col) in hits, found


def test_bytes_that_are_not_utf8_are_located() -> None:
    assert only(b"tasks:\n  main: [print: \"caf\xe9\"]\n") == (
        2, 21, "not UTF-8 text (byte 0xe9); save it as UTF-8")


def test_binary_and_utf16_files_are_refused() -> None:
    assert "not a text file" in only(bytes(range(256)) * 4)[2]
    assert "UTF-16" in only("tasks: {}".encode("utf-16"))[2]


def test_a_lone_surrogate_in_text_is_located() -> None:
    assert only("tasks:\n  main: [print: \"\ud800\"]\n")[:2] == (2, 18)


def test_files_larger_than_one_mebibyte_are_refused() -> None:
    text = "tasks: {main: [yield]}\n" + "# filler\n" * 120_000
    assert "larger than 1 MiB" in only(text)[2]
    assert "larger than 1 MiB" in only(text.encode())[2]


def test_crlf_and_bom_keep_positions_right() -> None:
    text = "tasks:\r\n  main:\r\n    - sleep: x\r\n"
    assert only(text)[:2] == (3, 14)
    assert only(b"\xef\xbb\xbf" + text.encode())[:2] == (3, 14)
    assert only("\ufeff" + text)[:2] == (3, 14)


def test_a_template_error_points_into_the_text() -> None:
    # Plain, single- and double-quoted one-line scalars: the column of the brace itself.
    assert only(MAIN + "print: ab {x}\n")[:2] == (3, 17)
    assert only(MAIN + "print: 'ab {x}'\n")[:2] == (3, 18)
    assert only(MAIN + 'print: "ab {x}"\n')[:2] == (3, 18)
    # An escape makes the offset unreliable: the value's start instead.
    assert only(MAIN + 'print: "\\tab {x}"\n')[:2] == (3, 14)


def test_several_problems_are_reported_at_once_in_file_order() -> None:
    text = ("titel: x\n"
            "tasks:\n"
            "  main:\n"
            "    - sleep: -1\n"
            "    - spawn: nobody\n"
            "    - print: '{j}'\n")
    found = problems(text)
    assert [(ln, c) for ln, c, _ in found] == [(1, 1), (4, 14), (5, 14), (6, 15)]


def test_problems_are_capped_with_a_count_of_the_rest() -> None:
    text = "tasks: {main: [yield]}\n" + "".join(f"k{k}: 1\n" for k in range(80))
    found = problems(text)
    assert len(found) == MAX_PROBLEMS + 1
    assert found[-1][2] == "... and 30 more problems from here on"
    assert found[-1][:2] == (2 + MAX_PROBLEMS, 1)


def test_the_chosen_runtime_refuses_ops_it_cannot_do() -> None:
    text = MAIN + "yield\n"
    load_text(text)  # fine on the default runtime
    line, col, message = only(text, runtime="greenlet")
    assert (line, col) == (3, 7)
    assert "`yield` cannot run on greenlet (the chosen runtime)" in message
    assert "switch" in message  # the hint
    assert "unknown runtime" in only(text, runtime="trio")[2]


def test_eager_tasks_needs_python_312_only_where_asyncio_runs() -> None:
    text = "options: {asyncio: {eager_tasks: true}}\n" + MAIN + "yield\n"
    elsewhere = "runtime: gevent\n" + text
    if sys.version_info >= (3, 12):
        assert load_text(text).options.flag("asyncio", "eager_tasks")
    else:
        assert only(text)[:2] == (1, 34)
        assert "3.12" in only(text)[2] and "asyncio is the default runtime" in only(text)[2]
        # Choosing another runtime does not mend the file: `check` would still refuse it.
        assert "3.12" in only(text, runtime="gevent")[2]
        assert "asyncio" not in load_text(elsewhere).runtimes
    assert load_text(elsewhere, runtime="gevent").options.flag("asyncio", "eager_tasks")


def test_missing_file_directory_and_bundled_name() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario("no/such/file.yaml")
    assert str(info.value.problems[0]).startswith("no/such/file.yaml:1:1: no such file")
    with pytest.raises(ScenarioError) as info:
        load_scenario(str(BROKEN))
    assert info.value.problems[0].message.startswith("not a regular file (a directory; ")
    assert load_scenario("gather10").name == "gather10"


def _expectation(path: Path) -> tuple[str, str]:
    first = path.read_bytes().decode("utf-8").splitlines()[0]
    assert first.startswith("# expect: "), path
    where, _, message = first.removeprefix("# expect: ").partition(": ")
    return where, message


BROKEN_FILES = sorted(BROKEN.glob("*.yaml"))


def test_there_are_at_least_fifty_broken_files() -> None:
    assert len(BROKEN_FILES) >= 50


@pytest.mark.parametrize("path", BROKEN_FILES, ids=[p.stem for p in BROKEN_FILES])
def test_each_broken_file_is_refused_with_its_located_message(path: Path) -> None:
    where, message = _expectation(path)
    with pytest.raises(ScenarioError) as info:
        load_scenario(str(path))
    located = [f"{p.line}:{p.col}" for p in info.value.problems if message in p.message]
    assert where in located, [str(p) for p in info.value.problems]


def test_simtui_check_refuses_every_broken_file_with_its_located_message() -> None:
    # One real CLI process for all the files: each is reported, none with a traceback.
    names = [str(p.relative_to(ROOT)) for p in BROKEN_FILES]
    proc = subprocess.run([sys.executable, "-m", "simtui", "check", *names], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert ": ok (" not in proc.stdout
    lines = proc.stdout.splitlines()
    for name, path in zip(names, BROKEN_FILES, strict=True):
        where, message = _expectation(path)
        expected = f"{name}:{where}: "
        assert any(ln.startswith(expected) and message in ln for ln in lines), (name, where)


def test_a_put_queue_that_is_not_a_name_is_reported_as_put_queue() -> None:
    text = "tasks:\n  main:\n    - put: {queue: {jobs}, item: x}\n"
    with pytest.raises(ScenarioError) as e:
        load_text(text, "s.yaml")
    (problem,) = e.value.problems
    assert (problem.line, problem.col) == (3, 20)  # the `{jobs}` value
    assert problem.message.startswith("`put.queue` must be text, not a mapping")
