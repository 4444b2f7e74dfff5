"""The JSON Schema (draft-07, what yaml-language-server supports) of the scenario format."""

from __future__ import annotations

from typing import Any

from simtui.scenario.grammar import MAX_INSTANCES, MAX_QUEUE_SIZE, MAX_REPEAT, MAX_TIME_SCALE
from simtui.scenario.model import OPS, RUNTIMES

_NAME = r"^[A-Za-z_][A-Za-z0-9_.-]*$"
_TASK_NAME = r"^(?!x-)[A-Za-z_][A-Za-z0-9_.-]*$"
_REF = r"^\s*[A-Za-z_][A-Za-z0-9_.-]*\s*(\[\s*[0-9]+\s*\])?\s*$"
_DURATION = (r"^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*"
             r"(ns|us|µs|μs|ms|s|min|h)?\s*$")
_X_KEYS = {"^x-": {"description": "Your own annotation: simtui ignores every key starting "
                                  "with `x-`."}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/definitions/{name}"}


def _doc(schema: dict[str, Any], description: str) -> dict[str, Any]:
    """`schema` with a description; a `$ref` is wrapped, since draft-07 ignores its siblings."""
    if "$ref" in schema:
        return {"description": description, "allOf": [schema]}
    return {**schema, "description": description}


def _object(properties: dict[str, Any], description: str, required: tuple[str, ...] = ()
            ) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "object",
        "description": description,
        "properties": properties,
        "patternProperties": _X_KEYS,
        "additionalProperties": False,
    }
    if required:
        out["required"] = list(required)
    return out


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional top-level value: leaving it empty means the default."""
    return {"description": schema["description"],
            "anyOf": [{k: v for k, v in schema.items() if k != "description"},
                      {"type": "null"}]}


_OP_DOC = {
    "print": ("Output a line (recorded as an `output` event, never written to the terminal). "
              "`{i}` is the instance index, `{name}` the instance name, `{item}` the last "
              "item taken with `get`; `{{` and `}}` are literal braces."),
    "sleep": ("Cooperative wait: the runtime's own sleep (asyncio.sleep, gevent.sleep; "
              "time.sleep on greenlet and threads)."),
    "yield": ("Give control back without waiting (`sleep` 0). Write it bare: `- yield`. "
              "Not on greenlet, which has no scheduler: use `switch`."),
    "cpu": ("A fixed amount of pure-Python work, calibrated to take this long when it runs "
            "alone. Never yields; threads contending for the GIL take longer."),
    "block": ("A blocking call to the standard library's time.sleep, as un-async-aware code "
              "does: it blocks the event loop or the gevent hub (unless monkey-patched)."),
    "io": "A real TCP request on loopback to simtui's delay server, answered after this long.",
    "spawn": "Start task(s) concurrently; do not wait for them.",
    "join": "Wait until task(s) started earlier finish. Not on greenlet.",
    "gather": "Start task(s) and wait for all of them. Not on greenlet.",
    "call": ("Run one task's steps inside the current task, like `await coro()` or a plain "
             "call: no new task."),
    "switch": ("greenlet only: greenlet.switch() to that task (the first switch starts it)."),
    "acquire": "Acquire a named lock (created on first mention). Not on greenlet.",
    "release": "Release a named lock. Not on greenlet.",
    "wait": "Wait until another task sets the named event. Not on greenlet.",
    "set": "Set a named event, waking every task waiting for it. Not on greenlet.",
    "put": ("Put an item into a named FIFO queue; waits while a bounded queue is full. "
            "Not on greenlet."),
    "get": ("Take the next item from a named queue (it becomes `{item}`); waits while it is "
            "empty. Not on greenlet."),
    "repeat": "Run the nested steps `times` times.",
}

_OP_ARG = {
    "print": _ref("text"), "sleep": _ref("duration"), "cpu": _ref("duration"),
    "block": _ref("duration"), "io": _ref("duration"), "spawn": _ref("taskRefs"),
    "join": _ref("taskRefs"), "gather": _ref("taskRefs"), "call": _ref("taskRef"),
    "switch": _ref("taskRef"), "acquire": _ref("objectName"), "release": _ref("objectName"),
    "wait": _ref("objectName"), "set": _ref("objectName"), "get": _ref("objectName"),
    "yield": {"type": "null"},
}


def _step() -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for op in OPS:
        if op == "put":
            arg = _object({
                "queue": _doc(_ref("objectName"), "The queue's name."),
                "item": _doc(_ref("text"), (
                    "The item, a text with the same `{i}`, `{name}`, `{item}` fields as "
                    "`print`. Default: `{name}`, the putting task's name.")),
            }, _OP_DOC[op], required=("queue",))
        elif op == "repeat":
            arg = _object({
                "times": {"type": "integer", "minimum": 0, "maximum": MAX_REPEAT,
                          "description": f"How many times (0 to {MAX_REPEAT:,})."},
                "steps": _doc(_ref("steps"), "The steps to repeat."),
            }, _OP_DOC[op], required=("times", "steps"))
        else:
            arg = dict(_OP_ARG[op])
        properties[op] = _doc(arg, _OP_DOC[op])
    mapping = {
        "type": "object",
        "description": "One op and its argument, such as `sleep: 1`.",
        "properties": properties,
        "patternProperties": _X_KEYS,
        "additionalProperties": False,
        "oneOf": [{"required": [op]} for op in OPS],
    }
    bare = {"type": "string", "enum": ["yield"], "description": _OP_DOC["yield"]}
    return {"description": "A step: a mapping with exactly one op key, or the bare op "
                           "`yield`.",
            "anyOf": [mapping, bare]}


def json_schema() -> dict[str, Any]:
    """The scenario format as a JSON Schema, with a description on every property."""
    runtime = {"type": "string", "enum": list(RUNTIMES),
               "description": "A runtime: asyncio, greenlet (no scheduler), gevent, or "
                              "threads (OS threads under the GIL)."}
    definitions: dict[str, Any] = {
        "duration": {
            "description": ("A duration: a number of seconds (3, 0.5) or a string with a unit "
                            "(\"250ms\", \"50us\", \"2s\"; units ns, us, ms, s, min, h). "
                            "Finite, not negative, at most 1,000,000 s."),
            "anyOf": [
                {"type": "number", "minimum": 0, "maximum": 1_000_000},
                {"type": "string", "pattern": _DURATION},
            ],
        },
        "text": {
            "description": "Text, taken as written (numbers and true/false too).",
            "type": ["string", "number", "boolean"],
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
        "objectName": {
            "description": ("The name of a lock, event or queue, created on first mention: "
                            "letters, digits, `_`, `.` and `-`."),
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
                _object({
                    "steps": _doc(_ref("steps"), "The task's steps."),
                    "count": {"type": "integer", "minimum": 1, "maximum": MAX_INSTANCES,
                              "description": ("Instantiate the task `count` times, as "
                                              "`name[0]` … `name[count-1]`; `{i}` is the "
                                              "index.")},
                }, "A task template: `steps`, and `count` instances of them.",
                    required=("steps",)),
            ],
        },
    }
    options = _object({
        "gevent": _object({
            "monkey_patch": {"type": ["boolean", "null"], "description": (
                "Call gevent's monkey.patch_all() before the run (default true). With false, "
                "`block` really blocks the hub.")},
        }, "Options for gevent."),
        "asyncio": _object({
            "eager_tasks": {"type": ["boolean", "null"], "description": (
                "Install asyncio.eager_task_factory (Python 3.12+; default false).")},
            "debug": {"type": ["boolean", "null"],
                      "description": "Run the event loop in debug mode (default false)."},
        }, "Options for asyncio."),
        "threads": _object({
            "switch_interval": {"description": (
                "sys.setswitchinterval: how long a thread may hold the GIL before it is asked "
                "to drop it (default the interpreter's, 5 ms)."),
                "anyOf": [_ref("duration"), {"type": "null"}]},
        }, "Options for threads."),
    }, "Per-runtime options.")
    for sub in options["properties"].values():
        sub["type"] = ["object", "null"]
    options["type"] = ["object", "null"]
    queue = _object({
        "maxsize": {"type": ["integer", "null"], "minimum": 0, "maximum": MAX_QUEUE_SIZE,
                    "description": ("At most this many items; `put` waits while the queue "
                                    "is full. 0 means unbounded.")},
    }, "A queue's bound.")
    queue["type"] = ["object", "null"]
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "simtui scenario",
        "description": ("A simtui scenario: tasks and the points where they yield, run on a "
                        "real Python runtime (asyncio, greenlet, gevent, threads)."),
        "type": "object",
        "required": ["tasks"],
        "properties": {
            "name": _nullable({"type": ["string", "number", "boolean"], "description": (
                "A short identifier (default: the file name without `.yaml`).")}),
            "title": _nullable({"type": ["string", "number", "boolean"], "description": (
                "One line shown in the UI header (default: `name`).")}),
            "description": _nullable({"type": ["string", "number", "boolean"], "description": (
                "What the scenario demonstrates; shown in the UI.")}),
            "runtime": _nullable({**runtime, "description": (
                "The runtime used when the user does not choose one (default: the first of "
                "`runtimes`, else asyncio when it can run every op, else the first runtime "
                "that can).")}),
            "runtimes": _nullable({"type": "array", "items": runtime, "minItems": 1,
                                   "uniqueItems": True, "description": (
                "The runtimes the UI offers (default: every runtime that can run all the "
                "ops used).")}),
            "main": _nullable({**definitions["taskName"], "description": (
                "The task that starts the run (default `main`).")}),
            "time_scale": _nullable({"type": "number", "exclusiveMinimum": 0,
                                     "maximum": MAX_TIME_SCALE, "description": (
                "Multiplies every duration: sleep, cpu, block, io (default 1).")}),
            "timeout": _nullable(_doc(_ref("duration"), (
                "Wall-clock limit of one run (default 60 s); then the run ends with status "
                "`timeout`."))),
            "options": options,
            "queues": {
                "type": ["object", "null"],
                "description": "Bounds for named queues: name → {maxsize: N}. A queue not "
                               "listed is unbounded.",
                "patternProperties": {**_X_KEYS, _TASK_NAME: queue},
                "additionalProperties": False,
            },
            "tasks": {
                "type": "object",
                "description": ("The tasks by name. `main` (or the task `main` names) starts "
                                "the run; every other task runs only when a step starts it."),
                "minProperties": 1,
                "patternProperties": {**_X_KEYS, _TASK_NAME: _ref("task")},
                "additionalProperties": False,
            },
        },
        "patternProperties": _X_KEYS,
        "additionalProperties": False,
        "definitions": definitions,
    }
