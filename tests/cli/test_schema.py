"""`simtui schema`: the JSON Schema shipped next to the bundled scenarios, and what it says."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import pytest
import yaml

from simtui.scenario.loader import BUNDLED_DIR, bundled_scenarios, load_text
from simtui.scenario.model import OPS
from simtui.scenario.schema import json_schema

SCHEMA_FILE = BUNDLED_DIR / "scenario.schema.json"


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


def test_schema_covers_the_format() -> None:
    s = json_schema()
    assert s["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert s["required"] == ["tasks"]
    assert set(s["properties"]) == {"name", "title", "description", "runtime", "runtimes",
                                    "main", "time_scale", "timeout", "options", "queues",
                                    "tasks"}
    step = s["definitions"]["step"]["anyOf"][0]
    assert list(step["properties"]) == list(OPS)
    assert step["oneOf"] == [{"required": [op]} for op in OPS]


def _described(node: Any, path: str = "") -> list[str]:
    """Paths of properties that have no description (editors show it as hover help)."""
    missing = []
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            if "description" not in sub:
                missing.append(f"{path}/{name}")
        for key, sub in node.items():
            missing += _described(sub, f"{path}/{key}")
    elif isinstance(node, list):
        for k, sub in enumerate(node):
            missing += _described(sub, f"{path}/{k}")
    return missing


def test_every_property_has_a_description() -> None:
    assert _described(json_schema()) == []


# A small draft-07 validator for the keywords the schema uses (no new dependency).

def _valid(value: Any, schema: dict[str, Any], root: dict[str, Any]) -> bool:
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/definitions/")
        return _valid(value, root["definitions"][name], root)
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is(value, t) for t in types):
            return False
    if "enum" in schema and value not in schema["enum"]:
        return False
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"],
                                                                        value):
        return False
    if _is(value, "number"):
        if "minimum" in schema and value < schema["minimum"]:
            return False
        if "maximum" in schema and value > schema["maximum"]:
            return False
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            return False
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            return False
        if schema.get("uniqueItems") and len({json.dumps(v) for v in value}) != len(value):
            return False
        if "items" in schema and not all(_valid(v, schema["items"], root) for v in value):
            return False
    if isinstance(value, dict):
        if not all(k in value for k in schema.get("required", ())):
            return False
        if len(value) < schema.get("minProperties", 0):
            return False
        for k, v in value.items():
            matched = False
            if k in schema.get("properties", {}):
                matched = True
                if not _valid(v, schema["properties"][k], root):
                    return False
            for pattern, sub in schema.get("patternProperties", {}).items():
                if re.search(pattern, str(k)):
                    matched = True
                    if not _valid(v, sub, root):
                        return False
            if not matched and "additionalProperties" in schema:
                extra = schema["additionalProperties"]
                if extra is False or (extra is not True and not _valid(v, extra, root)):
                    return False
    if "allOf" in schema and not all(_valid(value, s, root) for s in schema["allOf"]):
        return False
    if "anyOf" in schema and not any(_valid(value, s, root) for s in schema["anyOf"]):
        return False
    return "oneOf" not in schema or sum(_valid(value, s, root) for s in schema["oneOf"]) == 1


def _is(value: Any, kind: str) -> bool:
    return {
        "object": isinstance(value, dict), "array": isinstance(value, list),
        "string": isinstance(value, str), "boolean": isinstance(value, bool),
        "null": value is None,
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
    }[kind]


def validate(text: str) -> bool:
    schema = json_schema()
    return _valid(yaml.safe_load(text), schema, schema)


@pytest.mark.parametrize("path", bundled_scenarios(), ids=lambda p: p.stem)
def test_every_bundled_scenario_satisfies_the_schema(path: Any) -> None:
    assert validate(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("text", [
    "tasks:\n  main: [yield]\n",
    "tasks:\n  main:\n    - sleep: 250ms\n    - {print: 'hi {i}', x-note: why}\n"
    "  w: {count: 3, steps: [{repeat: {times: 2, steps: [yield]}}]}\nx-mine: 1\n",
    "queues: {jobs: {maxsize: 2}}\noptions: {gevent: {monkey_patch: false}}\n"
    "tasks:\n  main: [{put: {queue: jobs, item: x}}, {get: jobs}]\n",
])
def test_schema_accepts_what_the_loader_accepts(text: str) -> None:
    load_text(text)
    assert validate(text)


@pytest.mark.parametrize("text", [
    "name: x\n",                                                  # no tasks
    "tasks:\n  main: [yield]\ntitel: x\n",                        # unknown key
    "tasks:\n  main: [{sleep: 1, print: x}]\n",                   # two ops
    "tasks:\n  main: [{sleep: -1}]\n",                            # negative duration
    "tasks:\n  main: [{sleep: 5 weeks}]\n",                       # unknown unit
    "tasks:\n  main: [slep]\n",                                   # unknown bare op
    "tasks:\n  main: [{spawn: 'w(1)'}]\n",                        # bad reference
    "tasks:\n  main: []\n",                                       # no steps
    "tasks:\n  w: {count: 0, steps: [yield]}\n",                  # count below 1
    "runtime: trio\ntasks:\n  main: [yield]\n",                   # unknown runtime
    "tasks:\n  main: [{repeat: {times: 3}}]\n",                   # repeat without steps
    "tasks:\n  main: [{put: {item: x}}]\n",                       # put without queue
])
def test_schema_refuses_what_the_loader_refuses(text: str) -> None:
    assert not validate(text)
