"""The JSON Schema (draft-07, what yaml-language-server supports) of the scenario format.

Generated from the tables the loader enforces — the ops and the kind of argument each
takes (`model.ARGUMENTS`), the keys, names, text fields and limits (`grammar`), the
runtimes and their options (`simtui.runtimespec`) and the duration grammar
(`simtui.durations`) — so it holds no copy of a rule of its own. What a schema cannot
express (references between tasks, cycles, counts, runtime support, how YAML wrote a
value…) only `simtui check` judges; the README lists it.
"""

from __future__ import annotations

import re
from typing import Any

from simtui import durations
from simtui.runtimespec import NAMES, SPECS, OptionSpec
from simtui.scenario.grammar import (
    ANNOTATION,
    COMPARE_TIME_SCALE,
    DEFAULT_MAIN,
    DEFAULT_TIME_SCALE,
    DEFAULT_TIMEOUT,
    FIELDS,
    LITERAL_BRACES,
    MAX_INSTANCES,
    MAX_QUEUE_SIZE,
    MAX_REPEAT,
    MAX_SECONDS,
    MAX_TIME_SCALE,
    NAME,
    OP_KEYS,
    OP_REQUIRED,
    PUT_ITEM_DEFAULT,
    QUEUE_KEYS,
    REF,
    TASK_KEYS,
    TOP_KEYS,
)
from simtui.scenario.model import ARGUMENTS, BARE_OPS, OPS, ArgumentKind

Schema = dict[str, Any]


def _literal(text: str) -> str:
    """`text` as a pattern matching itself, in the regex dialect JSON Schema uses (ECMA-262:
    only syntax characters are escaped, since `\\-` is an error in its Unicode mode)."""
    return re.sub(r"([\\^$.*+?()\[\]{}|/])", r"\\\1", text)


_ANNOTATION = "^" + _literal(ANNOTATION)
_NAME = f"^{NAME}$"
_OWN_NAME = f"^(?!{_literal(ANNOTATION)}){NAME}$"
"""A task or queue name that is not an annotation key."""
_REF = f"^{REF}$"
_TEMPLATE = ("^(?:[^{}]|" + "|".join(map(_literal, LITERAL_BRACES)) + r"|\{(?:"
             + "|".join(map(_literal, FIELDS)) + r")\})*$")
"""Text whose braces are all fields or literal braces, as the loader reads templates."""
_ONE_LINE = r"^[^\r\n]*\n*$"
"""One line; a block scalar's final line breaks are dropped, so they are allowed."""
_X_KEYS = {_ANNOTATION: {"description": f"Your own annotation: simtui ignores every key "
                                        f"starting with `{ANNOTATION}`."}}


def _ref(name: str) -> Schema:
    return {"$ref": f"#/definitions/{name}"}


def _doc(schema: Schema, description: str) -> Schema:
    """`schema` with a description; a `$ref` is wrapped, since draft-07 ignores its siblings."""
    if "$ref" in schema:
        return {"description": description, "allOf": [schema]}
    return {**schema, "description": description}


def _object(properties: Schema, description: str, required: tuple[str, ...] = (),
            nullable: bool = False) -> Schema:
    """A mapping with exactly these keys (and annotations); `nullable`: empty means none."""
    out: Schema = {
        "type": ["object", "null"] if nullable else "object",
        "description": description,
        "properties": properties,
        "patternProperties": _X_KEYS,
        "additionalProperties": False,
    }
    if required:
        out["required"] = list(required)
    return out


def _nullable(schema: Schema) -> Schema:
    """An optional value: leaving it empty (`timeout:`) means the default."""
    return {"description": schema["description"],
            "anyOf": [{k: v for k, v in schema.items() if k != "description"},
                      {"type": "null"}]}


def _positive(minimum: float = 0.0) -> Schema:
    """A duration more than zero and at least `minimum` seconds."""
    number: Schema = {"type": "number", "maximum": MAX_SECONDS}
    if minimum > 0:
        number["minimum"] = minimum
    else:
        number["exclusiveMinimum"] = 0
    # A string with a unit cannot be compared with `minimum`; it can be told from zero.
    return {"anyOf": [number, {"type": "string", "pattern": durations.PATTERN,
                               "not": {"pattern": durations.ZERO_PATTERN}}]}


def _where(op: str) -> str:
    """On which runtimes `op` runs, from their specs: `` or `Not on greenlet.`"""
    can = [name for name in NAMES if op not in SPECS[name].unsupported]
    if len(can) == len(NAMES):
        return ""
    if len(can) == 1:
        return f" {can[0]} only."
    return f" Not on {', '.join(n for n in NAMES if n not in can)}."


_OP_DOC = {
    "print": ("Output a line (recorded as an `output` event, never written to the terminal). "
              "`{i}` is the instance index, `{name}` the instance name, `{item}` the last "
              "item taken with `get`; `{{` and `}}` are literal braces."),
    "sleep": ("Cooperative wait: the runtime's own sleep (asyncio.sleep, gevent.sleep; "
              "time.sleep on greenlet and threads)."),
    "yield": "Give control back without waiting (`sleep` 0). Write it bare: `- yield`.",
    "cpu": ("A fixed amount of pure-Python work, calibrated to take this long when it runs "
            "alone. Never yields; threads contending for the GIL take longer."),
    "block": ("A blocking call to the standard library's time.sleep, as un-async-aware code "
              "does: it blocks the event loop or the gevent hub (unless monkey-patched)."),
    "io": "A real TCP request on loopback to simtui's delay server, answered after this long.",
    "spawn": "Start task(s) concurrently; do not wait for them.",
    "join": "Wait until task(s) started earlier finish.",
    "gather": "Start task(s) and wait for all of them.",
    "call": ("Run one task's steps inside the current task, like `await coro()` or a plain "
             "call: no new task."),
    "switch": "greenlet.switch() to that task (the first switch starts it).",
    "acquire": "Acquire a named lock (created on first mention).",
    "release": "Release a named lock.",
    "wait": "Wait until another task sets the named event.",
    "set": "Set a named event, waking every task waiting for it.",
    "put": "Put an item into a named FIFO queue; waits while a bounded queue is full.",
    "get": ("Take the next item from a named queue (it becomes `{item}`); waits while it is "
            "empty."),
    "repeat": "Run the nested steps `times` times.",
}
"""What each op does, for editors' hover help (where it runs is added from the specs)."""


def _argument(op: str, kind: ArgumentKind) -> Schema:
    if kind == "put":
        keys = OP_KEYS[op]
        described = {
            "queue": _doc(_ref("objectName"), "The queue's name."),
            "item": _doc(_ref("template"), (
                "The item, a text with the same `{i}`, `{name}`, `{item}` fields as `print`. "
                f"Default: `{PUT_ITEM_DEFAULT}`, the putting task's name.")),
        }
        return _object({k: described[k] for k in keys}, _OP_DOC[op], required=OP_REQUIRED[op])
    if kind == "repeat":
        described = {
            "times": {"type": "integer", "minimum": 0, "maximum": MAX_REPEAT,
                      "description": f"How many times (0 to {MAX_REPEAT:,})."},
            "steps": _doc(_ref("steps"), "The steps to repeat."),
        }
        return _object({k: described[k] for k in OP_KEYS[op]}, _OP_DOC[op],
                       required=OP_REQUIRED[op])
    return {
        "text": _ref("template"), "duration": _ref("duration"), "none": {"type": "null"},
        "refs": _ref("taskRefs"), "ref": _ref("oneTaskRef"), "lock": _ref("objectName"),
        "event": _ref("objectName"), "queue": _ref("objectName"),
    }[kind]


def _step() -> Schema:
    properties = {op: _doc(_argument(op, ARGUMENTS[op]), _OP_DOC[op] + _where(op))
                  for op in OPS}
    mapping = {
        "type": "object",
        "description": "One op and its argument, such as `sleep: 1`.",
        "properties": properties,
        "patternProperties": _X_KEYS,
        "additionalProperties": False,
        "oneOf": [{"required": [op]} for op in OPS],
    }
    bare_ops = [op for op in OPS if op in BARE_OPS]
    bare = {"type": "string", "enum": bare_ops,
            "description": " ".join(_OP_DOC[op] + _where(op) for op in bare_ops)}
    return {"description": "A step: a mapping with exactly one op key, or an op without "
                           f"argument written bare ({', '.join(bare_ops)}).",
            "anyOf": [mapping, bare]}


def _option(spec: OptionSpec) -> Schema:
    if spec.kind == "bool":
        value: Schema = {"type": "boolean"}
        default = "true" if spec.default else "false"
    else:
        # As the loader reads it: a minimum above zero makes zero an error too.
        low = spec.minimum
        value = _positive(low) if low is not None and low > 0 else _ref("duration")
        default = durations.format(spec.default) if isinstance(spec.default, float) else (
            "the interpreter's")
    bounds = (f"; at least {durations.format(spec.minimum)}"
              if spec.minimum is not None and spec.minimum > 0 else "")
    needs = (f"; Python {spec.needs_python[0]}.{spec.needs_python[1]} or newer"
             if spec.needs_python else "")
    return {"description": f"{spec.summary}. Default: {default}{bounds}{needs}.",
            "anyOf": [value, {"type": "null"}]}


def _options() -> Schema:
    return _object({
        name: _object({o.key: _option(o) for o in spec.options},
                      f"Options for {name}.", nullable=True)
        for name, spec in SPECS.items() if spec.options
    }, "Per-runtime options.", nullable=True)


def _compare(runtime: Schema) -> Schema:
    """`compare:`: the comparison the scenario is for, variant keys as `--vary` writes them."""
    from simtui.trace.events import END_STATUSES

    vary: Schema = {
        COMPARE_TIME_SCALE: {"type": "array", "minItems": 1, "uniqueItems": True,
                             "items": {"type": "number", "exclusiveMinimum": 0,
                                       "maximum": MAX_TIME_SCALE},
                             "description": "Time scales to run every runtime at (each "
                                            "multiplies the scenario's own)."},
    }
    for name, spec in SPECS.items():
        for o in spec.options:
            item = _option(o)
            vary[f"{name}.{o.key}"] = {
                "type": "array", "minItems": 1, "uniqueItems": True,
                "items": item["anyOf"][0],
                "description": f"Run {name} once per value: {item['description']}"}
    return _object({
        "runtimes": _nullable({"type": "array", "items": runtime, "minItems": 1,
                               "uniqueItems": True, "description": (
            "The runtimes to compare on, each one of the scenario's (default: all of "
            "them); `-r` replaces it.")}),
        "vary": _object(vary, "Options (and time scales) to run once per value, as "
                              "`--vary` takes them; a `--vary` of the same key replaces "
                              "its values.", nullable=True),
        "expect": _nullable({"type": "array", "minItems": 1, "uniqueItems": True,
                             "items": {"type": "string", "enum": sorted(END_STATUSES)},
                             "description": "How every run is expected to end (default: "
                                            "[ok]); `--expect` replaces it."}),
    }, "The comparison this scenario is for: what `simtui compare NAME` runs without flags.",
        nullable=True)


def _top_level(definitions: Schema) -> Schema:
    runtime = {"type": "string", "enum": list(NAMES),
               "description": "A runtime: " + "; ".join(
                   f"{name}, {spec.summary}" for name, spec in SPECS.items()) + "."}
    keys: Schema = {
        "name": _nullable(_doc(_ref("oneLineName"), (
            "A short identifier (default: the file name without `.yaml`)."))),
        "title": _nullable(_doc(_ref("oneLine"), "One line shown in the UI header "
                                                 "(default: `name`).")),
        "description": _nullable(_doc(_ref("text"), (
            "What the scenario demonstrates; shown in the UI."))),
        "runtime": _nullable({**runtime, "description": (
            "The runtime used when the user does not choose one (default: the first of "
            "`runtimes`, else the first runtime that can run every op, in the order "
            f"{', '.join(NAMES)}).")}),
        "runtimes": _nullable({"type": "array", "items": runtime, "minItems": 1,
                               "uniqueItems": True, "description": (
            "The runtimes the UI offers (default: every runtime that can run all the "
            "ops used).")}),
        "main": _nullable({**definitions["taskName"], "description": (
            f"The task that starts the run (default `{DEFAULT_MAIN}`).")}),
        "time_scale": _nullable({"type": "number", "exclusiveMinimum": 0,
                                 "maximum": MAX_TIME_SCALE, "description": (
            "Multiplies every duration: sleep, cpu, block, io "
            f"(default {DEFAULT_TIME_SCALE:g}).")}),
        "timeout": _nullable(_doc(_positive(), (
            f"Wall-clock limit of one run (default {durations.format(DEFAULT_TIMEOUT)}), "
            "more than zero; then the run ends with status `timeout`."))),
        "options": _options(),
        "queues": {
            "type": ["object", "null"],
            "description": "Bounds for named queues: name → {maxsize: N}. A queue not "
                           "listed is unbounded.",
            "patternProperties": {**_X_KEYS, _OWN_NAME: _object({k: {
                "maxsize": {"type": ["integer", "null"], "minimum": 0,
                            "maximum": MAX_QUEUE_SIZE, "description": (
                    "At most this many items; `put` waits while the queue is full. 0 means "
                    "unbounded.")},
            }[k] for k in QUEUE_KEYS}, "A queue's bound.", nullable=True)},
            "additionalProperties": False,
        },
        "compare": _compare(runtime),
        "tasks": {
            "type": "object",
            "description": (f"The tasks by name. `{DEFAULT_MAIN}` (or the task `main` names) "
                            "starts the run; every other task runs only when a step starts "
                            "it."),
            "patternProperties": {**_X_KEYS, _OWN_NAME: _ref("task")},
            "additionalProperties": False,
            # At least one task: a mapping of annotations alone is empty.
            "not": {"propertyNames": {"pattern": _ANNOTATION}},
        },
    }
    assert tuple(keys) == TOP_KEYS, "every top-level key of the format, in its order"
    return keys


def _whole() -> list[Schema]:
    """Rules across top-level keys that a schema can still say."""
    # Without `main`, the run starts at the task `main`, which is not a template.
    default_main = {
        "if": {"properties": {"main": {"type": "string"}}, "required": ["main"]},
        "else": {"properties": {"tasks": {
            "required": [DEFAULT_MAIN],
            "properties": {DEFAULT_MAIN: {"not": {"type": "object", "required": ["count"]}}},
        }}},
    }
    # An explicit `runtime` is one of `runtimes`, when both are given.
    listed = [{
        "if": {"properties": {"runtime": {"const": name}, "runtimes": {"type": "array"}},
               "required": ["runtime", "runtimes"]},
        "then": {"properties": {"runtimes": {"contains": {"const": name}}}},
    } for name in NAMES]
    return [default_main, *listed]


def json_schema() -> Schema:
    """The scenario format as a JSON Schema, with a description on every property."""
    text_types = ["string", "number", "boolean"]
    definitions: Schema = {
        "duration": {
            "description": (
                "A duration: a number of seconds (3, 0.5) or a string with a unit (\"250ms\", "
                f"\"50us\", \"2s\"; units {durations.UNIT_NAMES}). Finite, not negative, at "
                f"most {MAX_SECONDS:,.0f} s."),
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": MAX_SECONDS},
                {"type": "string", "pattern": durations.PATTERN},
            ],
        },
        "text": {
            "description": "Text, taken as written (numbers and true/false too).",
            "type": text_types,
        },
        "oneLine": {
            "description": "Text on one line.",
            "type": text_types, "pattern": _ONE_LINE,
        },
        "oneLineName": {
            "description": "Text on one line, not blank.",
            "type": text_types, "allOf": [{"pattern": _ONE_LINE}, {"pattern": r"\S"}],
        },
        "template": {
            "description": ("Text, taken as written; in it `{i}` is the instance index, "
                            "`{name}` the instance name, `{item}` the last item taken with "
                            "`get`, and `{{`, `}}` are literal braces. No other braces."),
            "type": text_types, "pattern": _TEMPLATE,
        },
        "taskName": {
            "description": "A task name: letters, digits, `_`, `.` and `-`, starting with a "
                           "letter or `_`.",
            "type": "string", "pattern": _NAME,
        },
        "taskRef": {
            "description": ("A task: its name (every instance when it has `count`), or one "
                            "instance, `name[3]`."),
            "type": "string", "pattern": _REF,
        },
        "taskRefs": {
            "description": "A task reference (`name` or `name[3]`), or a list of them.",
            "anyOf": [
                _ref("taskRef"),
                {"type": "array", "items": _ref("taskRef"), "minItems": 1,
                 "uniqueItems": True},
            ],
        },
        "oneTaskRef": {
            "description": "One task instance: `name` (a task without `count`) or `name[3]`.",
            "anyOf": [
                _ref("taskRef"),
                {"type": "array", "items": _ref("taskRef"), "minItems": 1, "maxItems": 1},
            ],
        },
        "objectName": {
            "description": ("The name of a lock, event or queue, created on first mention: "
                            "letters, digits, `_`, `.` and `-`, starting with a letter or "
                            "`_`."),
            "type": "string", "pattern": _NAME,
        },
        "steps": {
            "description": "The steps, run in order; one `- op: argument` per line.",
            "type": "array", "minItems": 1, "items": _ref("step"),
        },
        "step": _step(),
        "task": {
            "description": ("A task: a list of steps, or a mapping with `steps` and `count` "
                            "to make it a template instantiated `count` times."),
            "anyOf": [
                _ref("steps"),
                _object({k: {
                    "steps": _doc(_ref("steps"), "The task's steps."),
                    "count": {"type": "integer", "minimum": 1, "maximum": MAX_INSTANCES,
                              "description": ("Instantiate the task `count` times, as "
                                              "`name[0]` … `name[count-1]`; `{i}` is the "
                                              "index.")},
                }[k] for k in TASK_KEYS}, "A task template: `steps`, and `count` instances "
                                          "of them.", required=("steps",)),
            ],
        },
    }
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "simtui scenario",
        "description": ("A simtui scenario: tasks and the points where they yield, run on a "
                        f"real Python runtime ({', '.join(NAMES)})."),
        "type": "object",
        "required": ["tasks"],
        "properties": _top_level(definitions),
        "patternProperties": _X_KEYS,
        "additionalProperties": False,
        "allOf": _whole(),
        "definitions": definitions,
    }
