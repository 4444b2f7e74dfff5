"""`simtui schema`: the JSON Schema generated from the loader's rules, checked by a real
validator against the bundled scenarios and the loader's broken-file corpus."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from simtui.runtimespec import NAMES, SPECS
from simtui.scenario.errors import ScenarioError
from simtui.scenario.grammar import MAX_NODES, TOP_KEYS
from simtui.scenario.loader import BUNDLED_DIR, bundled_scenarios, load_text
from simtui.scenario.model import OPS
from simtui.scenario.schema import json_schema

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = BUNDLED_DIR / "scenario.schema.json"
BROKEN = sorted((ROOT / "tests" / "unit" / "broken").glob("*.yaml"))
VALIDATOR = jsonschema.Draft7Validator(json_schema())


def test_schema_command_prints_the_shipped_file() -> None:
    proc = subprocess.run([sys.executable, "-m", "simtui", "schema"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    printed = json.loads(proc.stdout)
    assert printed == json_schema()
    # Regenerate with `simtui schema > simtui/scenarios/scenario.schema.json`.
    assert proc.stdout == SCHEMA_FILE.read_text(encoding="utf-8")


def test_bundled_scenarios_point_editors_at_the_schema() -> None:
    for path in bundled_scenarios():
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=./scenario.schema.json", path.name


def test_the_schema_is_a_valid_draft_07_schema() -> None:
    jsonschema.Draft7Validator.check_schema(json_schema())


def test_schema_covers_the_format_from_its_tables() -> None:
    s = json_schema()
    assert s["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert s["required"] == ["tasks"]
    assert tuple(s["properties"]) == TOP_KEYS
    assert s["properties"]["runtime"]["anyOf"][0]["enum"] == list(NAMES)
    step = s["definitions"]["step"]["anyOf"][0]
    assert list(step["properties"]) == list(OPS)
    assert step["oneOf"] == [{"required": [op]} for op in OPS]
    options = s["properties"]["options"]["properties"]
    assert list(options) == [name for name, spec in SPECS.items() if spec.options]
    for name, sub in options.items():
        assert list(sub["properties"]) == [o.key for o in SPECS[name].options]


def test_where_an_op_runs_is_said_from_the_specs() -> None:
    step = json_schema()["definitions"]["step"]["anyOf"][0]["properties"]
    assert step["switch"]["description"].endswith(" greenlet only.")
    assert step["join"]["description"].endswith(" Not on greenlet.")
    assert "Not on" not in step["sleep"]["description"]


def _patterns(node: Any) -> list[str]:
    """Every regular expression in a schema: `pattern` values and `patternProperties` keys."""
    found: list[str] = []
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            found.append(node["pattern"])
        found += list(node.get("patternProperties", {}))
        for sub in node.values():
            found += _patterns(sub)
    elif isinstance(node, list):
        for sub in node:
            found += _patterns(sub)
    return found


def test_patterns_are_in_the_regex_dialect_json_schema_uses() -> None:
    # ECMA-262 in Unicode mode (as editors' validators use it) allows a backslash only
    # before a syntax character or a known escape: Python's re.escape("-") is an error.
    patterns = _patterns(json_schema())
    assert len(patterns) > 5
    for pattern in patterns:
        re.compile(pattern)
        assert not re.search(r"\\[^\\^$.*+?()\[\]{}|/dDsSwWbBnrtfv0ux]", pattern), pattern


def _described(node: Any, path: str = "") -> list[str]:
    """Paths of properties that have no description (editors show it as hover help).

    Conditions (`if`, `then`, `else`, `not`) only restate properties described where
    they are declared, so they are not looked into.
    """
    missing = []
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            if "description" not in sub:
                missing.append(f"{path}/{name}")
        for key, sub in node.items():
            if key not in ("if", "then", "else", "not"):
                missing += _described(sub, f"{path}/{key}")
    elif isinstance(node, list):
        for k, sub in enumerate(node):
            missing += _described(sub, f"{path}/{k}")
    return missing


def test_every_property_has_a_description() -> None:
    assert _described(json_schema()) == []


def _judged(text: str) -> bool | None:
    """Whether the schema accepts the YAML `text`, as an editor's validator sees it: None
    when no validator can judge it (not YAML a parser reads into plain data, keys that are
    not text, an anchor used inside itself, aliases expanding past the loader's limit)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    sizes: dict[int, int] = {}

    def size(value: Any, path: frozenset[int]) -> int | None:
        if not isinstance(value, dict | list):
            return 1
        if id(value) in path:
            return None  # recursive
        if id(value) not in sizes:
            items = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
            if isinstance(value, dict) and not all(isinstance(k, str) for k, _ in items):
                return None
            total = 1
            for _, v in items:
                n = size(v, path | {id(value)})
                if n is None:
                    return None
                total += n
            sizes[id(value)] = total
        return sizes[id(value)]

    n = size(data, frozenset())
    if n is None or n > MAX_NODES:
        return None
    return VALIDATOR.is_valid(data)


def _loads(text: str) -> bool:
    try:
        load_text(text, "s.yaml")
    except ScenarioError:
        return False
    return True


@pytest.mark.parametrize("path", bundled_scenarios(), ids=lambda p: p.stem)
def test_every_bundled_scenario_satisfies_the_schema(path: Path) -> None:
    assert _judged(path.read_text(encoding="utf-8")) is True


@pytest.mark.parametrize("text", [
    "tasks:\n  main: [yield]\n",
    "tasks:\n  main:\n    - sleep: 250ms\n    - {print: 'hi {i} {{x}}', x-note: why}\n"
    "  w: {count: 3, steps: [{repeat: {times: 2, steps: [yield]}}]}\nx-mine: 1\n",
    "queues: {jobs: {maxsize: 2}, free: ~}\noptions: {gevent: {monkey_patch: false}}\n"
    "tasks:\n  main: [{put: {queue: jobs, item: x}}, {get: jobs}, {get: free}]\n",
    "title: |\n  one line\nname: 3\ntimeout: 1e-9\ntime_scale: 0.5\nruntime: gevent\n"
    "runtimes: [threads, gevent]\noptions: {threads: {switch_interval: 1ms}, asyncio: ~}\n"
    "tasks:\n  main: [{call: [w]}, {spawn: ' v [0] '}, {join: ['v[0]']}]\n  w: [print: 1]\n"
    "  v: {count: 1, steps: [print: '{name}']}\n",
    "main: start\ntasks:\n  start: [yield]\n",
    "compare:\n  runtimes: [asyncio, threads]\n  vary:\n    asyncio.debug: [true, false]\n"
    "    threads.switch_interval: [5ms, 0.0005]\n    time_scale: [1, 0.5]\n"
    "  expect: [ok, deadlock]\ntasks:\n  main: [yield]\n",
    "compare:\ntasks:\n  main: [yield]\n",
    "name:\ntitle:\nruntime:\nruntimes:\nmain:\ntime_scale:\ntimeout:\noptions:\nqueues:\n"
    "tasks:\n  main: [yield]\n",
])
def test_schema_accepts_what_the_loader_accepts(text: str) -> None:
    assert _loads(text)
    assert _judged(text) is True


@pytest.mark.parametrize("text", [
    "name: x\n",                                                  # no tasks
    "tasks:\n  main: [yield]\ntitel: x\n",                        # unknown key
    "tasks:\n  main: [{sleep: 1, print: x}]\n",                   # two ops
    "tasks:\n  main: [{sleep: -1}]\n",                            # negative duration
    "tasks:\n  main: [{sleep: '-2s'}]\n",                         # negative, with a unit
    "tasks:\n  main: [{sleep: 5 weeks}]\n",                       # unknown unit
    "tasks:\n  main: [slep]\n",                                   # unknown bare op
    "tasks:\n  main: [{spawn: 'w(1)'}]\n",                        # bad reference
    "tasks:\n  main: []\n",                                       # no steps
    "tasks:\n  w: {count: 0, steps: [yield]}\n",                  # count below 1
    "runtime: trio\ntasks:\n  main: [yield]\n",                   # unknown runtime
    "tasks:\n  main: [{repeat: {times: 3}}]\n",                   # repeat without steps
    "tasks:\n  main: [{put: {item: x}}]\n",                       # put without queue
    "timeout: 0\ntasks:\n  main: [yield]\n",                      # zero timeout
    "timeout: 0ms\ntasks:\n  main: [yield]\n",                    # zero timeout, with a unit
    "timeout: '0.0 s'\ntasks:\n  main: [yield]\n",
    "options: {threads: {switch_interval: 0s}}\ntasks:\n  main: [yield]\n",
    "title: \"two\\nlines\"\ntasks:\n  main: [yield]\n",           # a multi-line title
    "name: '  '\ntasks:\n  main: [yield]\n",                      # a blank name
    "tasks:\n  start: [yield]\n",                                 # no `main`
    "tasks:\n  main: {count: 2, steps: [yield]}\n",               # main with count
    "runtime: gevent\nruntimes: [threads]\ntasks:\n  main: [yield]\n",
    "tasks:\n  main: [{call: [a, b]}]\n  a: [yield]\n  b: [yield]\n",
    "tasks: {x-only: 1}\n",                                       # annotations alone
    "tasks:\n  main: [print: 'n={i:03}']\n",                      # a format spec
    "tasks:\n  main: [print: 'a { b']\n",                         # a lone brace
    "tasks:\n  main: [{put: {queue: q, item: '{id}'}}, {get: q}]\n",
    "options: {greenlet: {}}\ntasks:\n  main: [yield]\n",         # greenlet has no options
    "queues: {'a b': {maxsize: 1}}\ntasks:\n  main: [yield]\n",
    "compare: {runtime: [asyncio]}\ntasks:\n  main: [yield]\n",
    "compare: {vary: {gevent.monkey: [true]}}\ntasks:\n  main: [yield]\n",
    "compare: {vary: {gevent.monkey_patch: [yes, 3]}}\ntasks:\n  main: [yield]\n",
    "compare: {vary: {time_scale: []}}\ntasks:\n  main: [yield]\n",
    "compare: {vary: {time_scale: 0.5}}\ntasks:\n  main: [yield]\n",
    "compare: {expect: [fine]}\ntasks:\n  main: [yield]\n",
])
def test_schema_refuses_what_the_loader_refuses(text: str) -> None:
    assert not _loads(text)
    assert _judged(text) is False


# The broken files whose rule no JSON Schema can express, by the kind of rule: the
# README's format section lists the same kinds (`simtui check` judges them).
CANNOT: dict[str, list[str]] = {
    "the YAML itself": [
        "alias_bomb", "bad_indent", "control_char", "duplicate_task", "duplicate_top_key",
        "key_not_string", "merge_key", "null_key", "recursive_anchor", "tab_indent",
        "tag_local", "tag_python", "two_documents", "unclosed_quote", "undefined_alias",
    ],
    "how a value is written": ["duration_nan", "repeat_hex"],
    "the size of a duration": ["duration_huge"],
    "cross-references": [
        "call_many", "join_never_started", "main_key_missing_task", "ref_index_no_count",
        "ref_index_out_of_range", "ref_twice", "ref_undefined", "spawn_main",
    ],
    "cycles": ["call_cycle", "call_self"],
    "counts": ["instances_total", "nesting_depth", "spawn_in_repeat", "spawn_twice"],
    "runtime support": ["greenlet_yield", "runtimes_cannot", "switch_on_asyncio"],
}
UNJUDGED = {name for names in CANNOT.values() for name in names}
JUDGED = [p for p in BROKEN if p.stem not in UNJUDGED]


def test_the_corpus_has_files_on_both_sides() -> None:
    missing = UNJUDGED - {p.stem for p in BROKEN}
    assert not missing, missing
    assert len(JUDGED) >= 50


@pytest.mark.parametrize("path", JUDGED, ids=lambda p: p.stem)
def test_each_broken_file_a_schema_can_judge_is_refused_by_it(path: Path) -> None:
    assert _judged(path.read_text(encoding="utf-8")) is False


@pytest.mark.parametrize(("kind", "path"), [
    (kind, p) for p in BROKEN for kind, names in CANNOT.items() if p.stem in names
], ids=lambda v: v.stem if isinstance(v, Path) else v)
def test_the_broken_files_listed_as_beyond_a_schema_really_are(kind: str, path: Path) -> None:
    judged = _judged(path.read_text(encoding="utf-8"))
    if kind == "the YAML itself":
        assert judged is not False, "the schema refuses it: it is not beyond a schema"
    else:
        assert judged is True, "only `simtui check` refuses it"


def test_the_readme_lists_the_rules_a_schema_cannot_express() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("Rules a schema cannot express", 1)[1].split("\n#", 1)[0]
    for kind in CANNOT:
        assert f"**{kind}**" in section, kind
