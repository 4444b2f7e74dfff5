"""The scenario format's tables: its keys, names, text fields and limits, in one place.

The loader's rules (`rules.py`, `checks.py`) enforce them and the JSON Schema
(`schema.py`) is generated from them, so the two cannot drift apart; the ops and the kind
of argument each takes are in `model.py`, the per-runtime options in `simtui.runtimespec`
and durations in `simtui.durations`. Imports no YAML: printing the schema needs none.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from simtui import durations

TOP_KEYS: tuple[str, ...] = ("name", "title", "description", "runtime", "runtimes", "main",
                             "time_scale", "timeout", "options", "queues", "compare",
                             "tasks")
TASK_KEYS: tuple[str, ...] = ("steps", "count")
"""The keys of a task written as a mapping (a template when it has `count`)."""
QUEUE_KEYS: tuple[str, ...] = ("maxsize",)
COMPARE_KEYS: tuple[str, ...] = ("runtimes", "vary", "expect")
"""The keys of `compare:`, the comparison a scenario is for."""
COMPARE_TIME_SCALE = "time_scale"
"""The `compare.vary` key that scales time for every runtime (as `--vary time_scale=…`)."""
OP_KEYS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "put": ("queue", "item"),
    "repeat": ("times", "steps"),
})
"""The keys of the ops whose argument is a mapping, the required ones first."""
OP_REQUIRED: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "put": ("queue",),
    "repeat": ("times", "steps"),
})
PUT_ITEM_DEFAULT = "{name}"
"""What `put` puts when `item` is left out: the putting task's name."""

ANNOTATION = "x-"
"""Keys starting with this are the user's own annotations: ignored everywhere."""

NAME = r"[A-Za-z_][A-Za-z0-9_.-]*"
"""A task, lock, event or queue name."""
NAME_RE = re.compile(NAME + r"\Z")
REF = r"\s*(" + NAME + r")\s*(?:\[\s*([0-9]+)\s*\])?\s*"
"""A task reference: a task name, or one instance, `name[3]` (spaces around are ignored)."""
REF_RE = re.compile(REF + r"\Z")

FIELDS: tuple[str, ...] = ("i", "name", "item")
"""The fields of a `print` or `put.item` template: `{i}`, `{name}`, `{item}`."""
LITERAL_BRACES: tuple[str, ...] = ("{{", "}}")

DEFAULT_MAIN = "main"
DEFAULT_TIMEOUT = 60.0
DEFAULT_TIME_SCALE = 1.0

MAX_FILE_BYTES = 1 << 20
MAX_INSTANCES = 100_000
MAX_DEPTH = 32
MAX_REPEAT = 10_000_000
MAX_QUEUE_SIZE = 10_000_000
MAX_SECONDS = durations.MAX_SECONDS
MAX_TIME_SCALE = 1_000.0
MAX_NODES = 500_000
"""Nodes a file may expand to through aliases; more is refused before reading any of it."""
MAX_PROBLEMS = 50
"""Problems listed for one file; one more line says how many more there are."""

EXAMPLE: Mapping[str, str] = MappingProxyType({
    "print": '- print: "hello {i}"', "sleep": "- sleep: 1", "cpu": '- cpu: "200ms"',
    "block": "- block: 0.5", "io": '- io: "100ms"', "spawn": "- spawn: worker",
    "join": "- join: worker", "gather": "- gather: worker", "call": "- call: helper",
    "switch": "- switch: other", "acquire": "- acquire: lock", "release": "- release: lock",
    "wait": "- wait: ready", "set": "- set: ready", "get": "- get: jobs",
    "put": '- put: {queue: jobs, item: "job {i}"}',
    "repeat": "- repeat: {times: 3, steps: [yield]}",
    "yield": "- yield",
})
"""Each op as a user would write it: the hint of a message about that op."""
