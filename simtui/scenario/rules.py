"""The scenario format's rules: composed YAML nodes to checked values, tasks and steps.

Each value is read where it is written and checked on its own: its type, its bounds, its
name, the keys around it. What only the whole scenario shows (references between tasks,
cycles, counts, the runtimes it can run on) is `checks.py`'s. The rules the format
(scenario-format.md) leaves open are decided in `loader.py`'s docstring.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import yaml

from simtui import durations
from simtui.runtimespec import SPECS, OptionSpec
from simtui.scenario.grammar import (
    ANNOTATION,
    COMPARE_KEYS,
    COMPARE_TIME_SCALE,
    DEFAULT_MAIN,
    DEFAULT_TIME_SCALE,
    DEFAULT_TIMEOUT,
    EXAMPLE,
    FIELDS,
    MAX_DEPTH,
    MAX_INSTANCES,
    MAX_QUEUE_SIZE,
    MAX_REPEAT,
    MAX_TIME_SCALE,
    NAME_RE,
    OP_KEYS,
    OP_REQUIRED,
    PUT_ITEM_DEFAULT,
    QUEUE_KEYS,
    REF_RE,
    TASK_KEYS,
    TOP_KEYS,
)
from simtui.scenario.model import (
    ARGUMENTS,
    BARE_OPS,
    DURATION_OPS,
    MANY_REF_OPS,
    NAME_OPS,
    ONE_REF_OPS,
    OPS,
    RUNTIMES,
    CompareSpec,
    Instance,
    Options,
    OptionValue,
    Step,
    TaskDef,
    Varied,
    flat,
)
from simtui.scenario.yamlsource import (
    BOOL,
    FLOAT,
    INT,
    NULL,
    STR,
    Source,
    clip,
    is_null,
    kind_of,
)

_INT_RE = re.compile(r"[-+]?[0-9]+\Z")
_NUMBER_RE = re.compile(durations.NUMBER + r"\Z")
_TEMPLATE_RE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


@dataclass(frozen=True, slots=True)
class Written:
    """A scenario as its file writes it: every value read and checked on its own, with the
    nodes the whole-scenario checks report at."""

    name: str
    title: str
    description: str
    runtime: str | None
    """`runtime` as written (None: not given, or not a runtime)."""
    runtime_node: yaml.Node | None
    listed: tuple[tuple[str, yaml.Node], ...]
    """`runtimes` as written, each with its node."""
    main: str
    time_scale: float
    timeout: float
    options: Options
    option_nodes: Mapping[str, yaml.Node]
    """The value node of each option given: `asyncio.eager_tasks` → node."""
    queues: Mapping[str, int]
    queue_nodes: Mapping[str, yaml.Node]
    """The key node of every queue `queues` names, bounded or not."""
    tasks: Mapping[str, TaskDef]
    instances: Mapping[str, Instance]
    uses_item: yaml.Node | None
    """The first template that uses `{item}`, for the warning when nothing `get`s."""
    compare: CompareSpec | None = None
    compare_nodes: Mapping[str, yaml.Node] = field(default_factory=dict)
    """Where `compare:` writes each runtime (`runtimes.gevent`) and variant key
    (`vary.gevent.monkey_patch`): the whole-scenario checks report there."""


class FormatReader:
    """Reads the format from composed nodes once, reporting each problem where it is."""

    def __init__(self, src: Source) -> None:
        self.src = src
        self.raw_steps: dict[str, yaml.Node] = {}
        self.uses_item: yaml.Node | None = None
        self.task_names: set[str] = set()
        """Every task name written, including those of broken tasks (already reported)."""
        # The source's reporting and node reading, used by every rule below.
        self.err = src.err
        self.visit = src.visit
        self.mapping = src.mapping
        self.locate = src.locate
        self.did_you_mean = src.did_you_mean

    # -- typed values ------------------------------------------------------------------

    def check_keys(self, entries: dict[str, tuple[yaml.Node, yaml.Node]],
                   allowed: tuple[str, ...], what: str,
                   hint: Callable[[yaml.Node], str] | None = None) -> None:
        for name, (key, value) in entries.items():
            if name in allowed or name.startswith(ANNOTATION):
                continue
            extra = self.did_you_mean(name, allowed) or (hint(value) if hint else "")
            self.err(key, f"unknown key `{clip(name)}` in {what}{extra}")

    def scalar(self, node: yaml.Node, what: str, example: str = "") -> yaml.ScalarNode | None:
        if not self.visit(node):
            return None
        if isinstance(node, yaml.ScalarNode) and node.tag != NULL:
            return node
        self.err(node, f"{what} must be text, not {kind_of(node)}{example}")
        return None

    def text_value(self, node: yaml.Node, what: str, one_line: bool = False,
                   example: str = "") -> str | None:
        s = self.scalar(node, what, example)
        if s is None:
            return None
        value = str(s.value)
        if s.style in ("|", ">"):
            value = value.rstrip("\n")
        if one_line and ("\n" in value or "\r" in value):
            self.err(node, f"{what} must be one line")
            return None
        return value

    def boolean(self, node: yaml.Node, what: str) -> bool | None:
        if not self.visit(node):
            return None
        if isinstance(node, yaml.ScalarNode) and node.tag == BOOL:
            return node.value.lower() in ("true", "yes", "on")
        quoted = _quoted_hint(node, ("true", "false", "yes", "no", "on", "off"))
        self.err(node, f"{what} must be true or false, not {kind_of(node)}{quoted}")
        return None

    def integer(self, node: yaml.Node, what: str, low: int, high: int) -> int | None:
        if not self.visit(node):
            return None
        raw = node.value if isinstance(node, yaml.ScalarNode) else None
        if not (isinstance(raw, str) and node.tag == INT and _INT_RE.match(raw)):
            if isinstance(raw, str) and node.tag == INT:
                hint = "; write it in decimal digits, such as 10"
            elif isinstance(raw, str) and node.tag == STR and _INT_RE.match(raw.strip()):
                hint = " (remove the quotes)"
            else:
                hint = ""
            self.err(node, f"{what} must be a whole number, not {kind_of(node)}{hint}")
            return None
        digits = raw.lstrip("+-").lstrip("0")
        value = int(raw) if len(digits) <= 18 else (high + 1 if raw[0] != "-" else low - 1)
        if value < low:
            self.err(node, f"{what} must be at least {low:,}, not {clip(raw)}")
            return None
        if value > high:
            self.err(node, f"{what} must be at most {high:,}, not {clip(raw)}")
            return None
        return value

    def number(self, node: yaml.Node, what: str, high: float) -> float | None:
        """A positive finite number (`time_scale`)."""
        if not self.visit(node):
            return None
        value: float | None = None
        if isinstance(node, yaml.ScalarNode) and node.tag in (INT, FLOAT, STR):
            raw = node.value.strip()
            plain = not node.style or node.tag != STR
            if plain and _NUMBER_RE.match(raw):
                value = float(raw)
            elif plain and raw.lower().lstrip("+-") in (".inf", ".nan"):
                value = float(raw.replace(".", "", 1))
            elif _NUMBER_RE.match(raw):
                self.err(node, f"{what} must be a number, not {kind_of(node)} (remove the quotes)")
                return None
        if value is None:
            self.err(node, f"{what} must be a number, not {kind_of(node)}")
            return None
        if not math.isfinite(value) or value <= 0:
            self.err(node, f"{what} must be a positive number, not {clip(node.value)}")
            return None
        if value > high:
            self.err(node, f"{what} must be at most {high:,g}, not {clip(node.value)}")
            return None
        return value

    def duration(self, node: yaml.Node, what: str, positive: bool = False) -> float | None:
        """Seconds: a number or a string with a unit (`3`, `0.5`, "250ms", "50us", "2s")."""
        if not self.visit(node):
            return None
        example = " such as 3, 0.5 or \"250ms\""
        if not isinstance(node, yaml.ScalarNode) or node.tag in (NULL, BOOL):
            self.err(node, f"{what} needs a duration{example}, not {kind_of(node)}")
            return None
        raw = str(node.value)
        if node.tag == FLOAT and raw.strip().lower().lstrip("+-") in (".inf", ".nan"):
            self.err(node, f"{what} must be a finite duration, not `{raw}`")
            return None
        try:
            value = durations.parse(raw, what)
        except durations.DurationError as e:
            self.err(node, str(e))
            return None
        if positive and value == 0:
            self.err(node, f"{what} must be more than zero")
            return None
        return value

    def template(self, node: yaml.Node, what: str, example: str) -> str | None:
        text = self.text_value(node, what, example=example)
        if text is None or ("{" not in text and "}" not in text):
            return text
        ok = True
        for m in _TEMPLATE_RE.finditer(text):
            tok = m.group(0)
            if tok in ("{{", "}}"):
                continue
            name = m.group(1)
            if name in FIELDS:
                if name == "item" and self.uses_item is None:
                    self.uses_item = node
                continue
            where = self._inside(node, m.start()) if isinstance(node, yaml.ScalarNode) else node
            ok = False
            if tok in ("{", "}"):
                self.err(where, f"{what}: a lone `{tok}`; write `{tok}{tok}` for a literal brace")
                continue
            written = name.strip().split(":", 1)[0].split("!", 1)[0].strip()
            bare = {"index": "i", "idx": "i", "n": "i", "task": "name"}.get(written.lower(),
                                                                            written)
            if bare in FIELDS:
                hint = f"; write `{{{bare}}}`" + (" (no spaces or format specs)"
                                                  if bare == written else "")
            else:
                hint = self.did_you_mean(name, FIELDS) or ""
            self.err(where, f"{what}: unknown field `{clip(tok)}`{hint}; the fields are "
                            "{i}, {name} and {item} (`{{` and `}}` for literal braces)")
        return text if ok else None

    def _inside(self, node: yaml.ScalarNode, offset: int) -> yaml.Node | tuple[int, int]:
        """The position of character `offset` of a one-line scalar's value, else the node."""
        start, end = node.start_mark, node.end_mark
        raw = self.src.text[start.index:end.index]
        if start.line != end.line:
            return node
        if not node.style and raw == node.value:
            return start.line + 1, start.column + 1 + offset
        if node.style in ("'", '"') and raw[1:-1] == node.value:
            return start.line + 1, start.column + 2 + offset
        return node


    # -- the format --------------------------------------------------------------------

    def read(self, root: yaml.Node | None) -> Written:
        """The whole file, top-level keys first, then the tasks and, once every task name
        is known, their steps. Fails at once where nothing after can be read."""
        src = self.src
        if root is None:
            src.err(None, "the file is empty: a scenario needs at least `tasks:` with a "
                          "`main` task")
            raise src.fail()
        top = src.mapping(root, "the scenario")
        if top is None:
            raise src.fail()
        self.check_keys(top, TOP_KEYS, "the scenario", hint=lambda value: (
            " (tasks go under `tasks:`)" if isinstance(value, yaml.SequenceNode) else ""))

        def given(key: str) -> yaml.Node | None:
            """The value of an optional top-level key; None when absent or empty."""
            if key not in top:
                return None
            node = top[key][1]
            return None if is_null(node) and src.visit(node) else node

        stem = Path(src.source).stem if not src.source.startswith("<") else "scenario"
        node = given("name")
        name = self.text_value(node, "`name`", one_line=True) if node else stem
        if name is not None and not name.strip():
            src.err(node, "`name` is empty; leave it out to use the file name")
        node = given("title")
        title = self.text_value(node, "`title`", one_line=True) if node else None
        node = given("description")
        description = self.text_value(node, "`description`") if node else ""

        runtime_node = given("runtime")
        runtime: str | None = None
        if runtime_node is not None:
            value = self.text_value(runtime_node, "`runtime`")
            if value is not None:
                if value in RUNTIMES:
                    runtime = value
                else:
                    close = src.did_you_mean(value, RUNTIMES)
                    src.err(runtime_node, f"unknown runtime `{clip(value)}`; choose one of "
                                          f"{', '.join(RUNTIMES)}{close}")
        listed = self.runtimes(given("runtimes"))
        if runtime is not None and listed and runtime not in [rt for rt, _ in listed]:
            src.err(runtime_node, f"`runtime` {runtime} is not in `runtimes`; add it there, "
                                  "or choose one of them")

        main_node = given("main")
        main = DEFAULT_MAIN
        if main_node is not None:
            value = self.text_value(main_node, "`main`")
            if value is not None and not NAME_RE.match(value):
                src.err(main_node, f"`{clip(value)}` is not a valid task name")
            elif value is not None:
                main = value
        node = given("time_scale")
        time_scale = (self.number(node, "`time_scale`", MAX_TIME_SCALE) if node else None
                      ) or DEFAULT_TIME_SCALE
        node = given("timeout")
        timeout = (self.duration(node, "`timeout`", positive=True) if node else None
                   ) or DEFAULT_TIMEOUT
        options, option_nodes = self.options(top["options"][1]) if "options" in top else (
            Options(), {})
        queues, queue_nodes = self.queues(top["queues"][1]) if "queues" in top else ({}, {})
        compare, compare_nodes = (self.compare(top["compare"][1]) if "compare" in top
                                  else (None, {}))

        if "tasks" not in top:
            src.err(root, "the scenario has no `tasks`: add `tasks:` with at least a `main` "
                          "task")
            raise src.fail()
        tasks_key, tasks_node = top["tasks"]
        defs = self.tasks(tasks_node)
        total = sum(d.count or 1 for d in defs.values())
        if total > MAX_INSTANCES:
            src.err(tasks_key, f"{total:,} task instances after expanding `count`; the limit "
                               f"is {MAX_INSTANCES:,}")
            raise src.fail()
        if main not in defs:
            if main not in self.task_names and (defs or main_node is not None):
                src.err(main_node or tasks_key, f"no task named `{main}` to start the run"
                                                f"{src.did_you_mean(main, defs)}")
        elif defs[main].count is not None:
            src.err((defs[main].line, defs[main].col), f"the main task `{main}` cannot have "
                                                       "`count`: it is the one task that "
                                                       "starts the run")

        steps_by_def = {dname: self.task_steps(dname, defs) for dname in defs}
        final = {
            dname: TaskDef(dname, steps_by_def[dname], d.line, d.col, d.count,
                           sum(1 for _ in flat(steps_by_def[dname])))
            for dname, d in defs.items()
        }
        instances: dict[str, Instance] = {}
        for dname in ([main] if main in final else []) + [n for n in final if n != main]:
            d = final[dname]
            for k, iname in enumerate(d.instance_names()):
                instances[iname] = Instance(iname, dname, k)
        return Written(
            name=name or stem, title=title or name or stem, description=description or "",
            runtime=runtime, runtime_node=runtime_node, listed=tuple(listed), main=main,
            time_scale=time_scale, timeout=timeout, options=options,
            option_nodes=MappingProxyType(option_nodes), queues=MappingProxyType(queues),
            queue_nodes=MappingProxyType(queue_nodes), tasks=MappingProxyType(final),
            instances=MappingProxyType(instances), uses_item=self.uses_item,
            compare=compare, compare_nodes=MappingProxyType(compare_nodes),
        )

    def runtimes(self, node: yaml.Node | None, what: str = "`runtimes`"
                 ) -> list[tuple[str, yaml.Node]]:
        listed: list[tuple[str, yaml.Node]] = []
        if node is None or not self.visit(node):
            return listed
        if not isinstance(node, yaml.SequenceNode):
            self.err(node, f"{what} must be a list such as [asyncio, gevent], not "
                           f"{kind_of(node)}")
            return listed
        if not node.value:
            self.err(node, f"{what} is empty: list at least one runtime, or leave it out")
        seen: set[str] = set()
        for item in node.value:
            value = self.text_value(item, f"an entry of {what}")
            if value is None:
                continue
            if value not in RUNTIMES:
                self.err(item, f"unknown runtime `{clip(value)}`; choose from "
                               f"{', '.join(RUNTIMES)}{self.did_you_mean(value, RUNTIMES)}")
            elif value in seen:
                self.err(item, f"`{value}` is listed twice in {what}")
            else:
                seen.add(value)
                listed.append((value, item))
        return listed

    def options(self, node: yaml.Node) -> tuple[Options, dict[str, yaml.Node]]:
        """The options, and the value node of each one given (`asyncio.eager_tasks` → node).

        Which runtimes have options, their keys and kinds are the runtimes' specs.
        """
        entries = self.mapping(node, "`options`", optional=True)
        if entries is None:
            return Options(), {}
        self.check_keys(entries, tuple(rt for rt, spec in SPECS.items() if spec.options),
                        "`options`")
        given: dict[str, dict[str, OptionValue]] = {}
        nodes: dict[str, yaml.Node] = {}
        for rt, spec in SPECS.items():
            if rt not in entries or not spec.options:
                continue
            sub = self.mapping(entries[rt][1], f"`options.{rt}`", optional=True)
            if sub is None:
                continue
            self.check_keys(sub, tuple(o.key for o in spec.options), f"`options.{rt}`")
            for o in spec.options:
                if o.key not in sub:
                    continue
                value_node = sub[o.key][1]
                if is_null(value_node) and self.visit(value_node):
                    continue
                value = self.option(value_node, f"`options.{rt}.{o.key}`", o)
                if value is not None:
                    given.setdefault(rt, {})[o.key] = value
                    nodes[f"{rt}.{o.key}"] = value_node
        return Options(MappingProxyType({rt: MappingProxyType(values)
                                         for rt, values in given.items()})), nodes

    def option(self, node: yaml.Node, what: str, spec: OptionSpec) -> OptionValue | None:
        """One option's value, of the kind and within the bounds its spec gives."""
        if spec.kind == "bool":
            return self.boolean(node, what)
        low = spec.minimum
        value = self.duration(node, what, positive=low is not None and low > 0)
        if value is not None and low is not None and value < low:
            why = f", {spec.minimum_why}" if spec.minimum_why else ""
            self.err(node, f"{what} must be at least {durations.format(low)}{why}")
            return None
        return value

    def compare(self, node: yaml.Node) -> tuple[CompareSpec | None, dict[str, yaml.Node]]:
        """The comparison the scenario is for: `runtimes`, `vary` (each key as `--vary`
        writes it, with a list of values of the option's kind) and `expect`.

        Keys and kinds are the runtimes' specs, as for `--vary`; whether this Python can
        honour a value (`asyncio.eager_tasks: [true]` before 3.12) is asked only when the
        comparison is made, so the scenario still loads for the player.
        """
        entries = self.mapping(node, "`compare`", optional=True)
        if entries is None:
            return None, {}
        self.check_keys(entries, COMPARE_KEYS, "`compare`")
        nodes: dict[str, yaml.Node] = {}
        runtimes: list[str] = []
        if "runtimes" in entries and not (is_null(entries["runtimes"][1])
                                          and self.visit(entries["runtimes"][1])):
            for rt, item in self.runtimes(entries["runtimes"][1], "`compare.runtimes`"):
                runtimes.append(rt)
                nodes[f"runtimes.{rt}"] = item
        vary: list[Varied] = []
        if "vary" in entries:
            sub = self.mapping(entries["vary"][1], "`compare.vary`", optional=True) or {}
            for key, (key_node, value_node) in sub.items():
                if key.startswith(ANNOTATION):
                    continue
                values = self.variant(key, key_node, value_node)
                if values is not None:
                    line, col = self.locate(key_node)
                    vary.append(Varied(key, values, line, col))
                    nodes[f"vary.{key}"] = key_node
        expect: list[str] = []
        if "expect" in entries:
            expect = self.statuses(entries["expect"][1])
        return CompareSpec(tuple(runtimes), tuple(vary), tuple(expect)), nodes

    def variant(self, key: str, key_node: yaml.Node, node: yaml.Node
                ) -> tuple[OptionValue, ...] | None:
        """The values of one `compare.vary` key, each read by the option's kind."""
        what = f"`compare.vary.{clip(key)}`"
        reader: Callable[[yaml.Node, str], OptionValue | None]
        if key == COMPARE_TIME_SCALE:
            def reader(n: yaml.Node, w: str) -> OptionValue | None:
                return self.number(n, w, MAX_TIME_SCALE)
        else:
            runtime, dot, option = key.partition(".")
            spec = SPECS.get(runtime)
            if not dot or spec is None:
                examples = ", ".join([COMPARE_TIME_SCALE] + [f"{rt}.{o.key}" for rt, sp
                                                             in SPECS.items() for o in sp.options])
                self.err(key_node, f"{what} is neither `{COMPARE_TIME_SCALE}` nor "
                                   f"RUNTIME.OPTION; choose among {examples}")
                return None
            try:
                opt = spec.option(option)
            except KeyError:
                known = ", ".join(f"{runtime}.{o.key}" for o in spec.options) or "none"
                self.err(key_node, f"{runtime} has no option `{clip(option)}` (its options: "
                                   f"{known})")
                return None

            def reader(n: yaml.Node, w: str) -> OptionValue | None:
                return self.option(n, w, opt)
        if not self.visit(node):
            return None
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            self.err(node, f"{what} must be a list of the values to run with, such as "
                           f"[true, false], not {kind_of(node)}")
            return None
        values: list[OptionValue] = []
        for item in node.value:
            value = reader(item, f"a value of {what}")
            if value is None:
                continue
            if any(v == value and type(v) is type(value) for v in values):
                self.err(item, f"{what} lists the value {clip(str(item.value))} twice")
                continue
            values.append(value)
        return tuple(values) if len(values) == len(node.value) else None

    def statuses(self, node: yaml.Node) -> list[str]:
        """`compare.expect`: the statuses a run may end with."""
        from simtui.trace.events import END_STATUSES

        if not self.visit(node) or is_null(node):
            return []
        if not isinstance(node, yaml.SequenceNode) or not node.value:
            self.err(node, f"`compare.expect` must be a list of statuses such as [ok], not "
                           f"{kind_of(node)}")
            return []
        out: list[str] = []
        for item in node.value:
            value = self.text_value(item, "an entry of `compare.expect`")
            if value is None:
                continue
            if value not in END_STATUSES:
                self.err(item, f"`{clip(value)}` is not a status a run ends with; they are "
                               f"{', '.join(sorted(END_STATUSES))}"
                               f"{self.did_you_mean(value, sorted(END_STATUSES))}")
            elif value not in out:
                out.append(value)
        return out

    def queues(self, node: yaml.Node) -> tuple[dict[str, int], dict[str, yaml.Node]]:
        entries = self.mapping(node, "`queues`", optional=True)
        out: dict[str, int] = {}
        keys: dict[str, yaml.Node] = {}
        for qname, (key, value) in (entries or {}).items():
            if qname.startswith(ANNOTATION):
                continue
            if not NAME_RE.match(qname):
                self.err(key, f"`{clip(qname)}` is not a valid queue name: use letters, "
                              "digits, `_`, `.` and `-`, starting with a letter or `_`")
                continue
            keys[qname] = key
            sub = self.mapping(value, f"queue `{qname}`", optional=True)
            if sub is None:
                continue
            self.check_keys(sub, QUEUE_KEYS, f"queue `{qname}`")
            if "maxsize" not in sub or (is_null(sub["maxsize"][1])
                                        and self.visit(sub["maxsize"][1])):
                continue  # unbounded
            size = self.integer(sub["maxsize"][1], f"`queues.{qname}.maxsize`", 0,
                                MAX_QUEUE_SIZE)
            if size:
                out[qname] = size
        return out, keys

    def tasks(self, node: yaml.Node) -> dict[str, TaskDef]:
        if isinstance(node, yaml.SequenceNode) and self.visit(node):
            self.err(node, "`tasks` must be a mapping of task names to their steps, not a "
                           "list: write `main:` on its own line, its steps indented under it")
            raise self.src.fail()
        entries = self.mapping(node, "`tasks`")
        if entries is None:
            raise self.src.fail()
        defs: dict[str, TaskDef] = {}
        if not any(not n.startswith(ANNOTATION) for n in entries):
            self.err(node, "`tasks` is empty: add at least a `main` task")
        for tname, (key, value) in entries.items():
            if tname.startswith(ANNOTATION):
                continue
            self.task_names.add(tname)
            if not NAME_RE.match(tname):
                self.err(key, f"`{clip(tname)}` is not a valid task name: use letters, "
                              "digits, `_`, `.` and `-`, starting with a letter or `_`")
                continue
            count: int | None = None
            steps_node: yaml.Node | None = value
            if self.visit(value) and isinstance(value, yaml.MappingNode):
                what = f"task `{tname}`"
                sub = self.mapping(value, what) or {}
                ops = [k for k in sub if k in OPS]
                if ops and "steps" not in sub and "count" not in sub:
                    self.err(value, f"the steps of {what} must be a list: start each step "
                                    f"with `- `, such as `{EXAMPLE[ops[0]]}`")
                    continue
                unknown = len(self.src.problems)
                example = (f" (steps go in a list under `steps:`, such as "
                           f"`{EXAMPLE[ops[0]]}`)" if ops else "")
                self.check_keys(sub, TASK_KEYS, what, hint=_constant(example))
                if "count" in sub:
                    count = self.integer(sub["count"][1], f"`count` of task `{tname}`", 1,
                                         MAX_INSTANCES)
                steps_node = sub["steps"][1] if "steps" in sub else None
                if steps_node is None:
                    if len(self.src.problems) > unknown:  # a misspelt `steps`, reported
                        continue
                    self.err(key, f"task `{tname}` has no `steps`: add `steps:` with a list "
                                  "of steps")
                    continue
                if "count" in sub and count is None:
                    continue
            assert steps_node is not None
            self.raw_steps[tname] = steps_node
            line, col = self.locate(key)
            defs[tname] = TaskDef(tname, (), line, col, count)
        return defs


    # Steps are read in a second pass, once every task name is known.

    def task_steps(self, dname: str, defs: dict[str, TaskDef]) -> tuple[Step, ...]:
        return self.steps(self.raw_steps[dname], defs, [0], 1, f"task `{dname}`")

    def steps(self, node: yaml.Node, defs: dict[str, TaskDef], counter: list[int], depth: int,
              what: str) -> tuple[Step, ...]:
        if not self.visit(node):
            return ()
        if depth > MAX_DEPTH:
            self.err(node, f"steps are nested more than {MAX_DEPTH} levels deep")
            return ()
        if not isinstance(node, yaml.SequenceNode):
            hint = ""
            if isinstance(node, yaml.MappingNode):
                hint = "; start each step with `- `"
            self.err(node, f"the steps of {what} must be a list, one `- op: argument` per "
                           f"line, not {kind_of(node)}{hint}")
            return ()
        if not node.value:
            self.err(node, f"{what} has no steps; add one, such as `- print: \"hello\"`")
        out = []
        for item in node.value:
            step = self.step(item, defs, counter, depth)
            if step is not None:
                out.append(step)
        return tuple(out)

    def step(self, node: yaml.Node, defs: dict[str, TaskDef], counter: list[int],
             depth: int) -> Step | None:
        if not self.visit(node):
            return None
        index = counter[0]
        counter[0] += 1
        if isinstance(node, yaml.ScalarNode):
            return self.bare_step(node, index)
        if isinstance(node, yaml.SequenceNode):
            self.err(node, "a step must be `- op: argument`, not a list (one `-` too many?)")
            return None
        entries = self.mapping(node, "a step")
        if entries is None:
            return None
        keys = [k for k in entries if not k.startswith(ANNOTATION)]
        ops = [k for k in keys if k in OPS]
        if not keys:
            self.err(node, "a step needs an op, such as `- sleep: 1`")
            return None
        if len(ops) > 1:
            names = ", ".join(f"`{k}`" for k in ops)
            self.err(entries[ops[1]][0], f"a step has exactly one op; this one has {names}: "
                                         "start each op on its own `- ` line")
            return None
        others = [k for k in keys if k not in OPS]
        if others:
            if ops and ops[0] in OP_KEYS and is_null(entries[ops[0]][1]) and all(
                k in OP_KEYS[ops[0]] for k in others
            ):
                op = ops[0]
                self.err(entries[others[0]][0], f"`{others[0]}` belongs inside `{op}`: indent "
                                                f"it more than `{op}`, or write "
                                                f"`{EXAMPLE[op]}`")
                return None
            for k in others:
                if ops:
                    self.err(entries[k][0], f"unknown key `{clip(k)}` in a `{ops[0]}` step; a "
                                            "step is one op (keys starting with `x-` are "
                                            f"ignored){self.did_you_mean(k, OPS)}")
                else:
                    self.err(entries[k][0], f"unknown op `{clip(k)}`{self.did_you_mean(k, OPS)}")
            return None
        op = ops[0]
        key, arg = entries[op]
        line, col = self.locate(key)
        if op in BARE_OPS:
            if not (self.visit(arg) and is_null(arg)):
                self.err(arg, f"`{op}` takes no argument: write `- {op}`")
                return None
            return Step(op, line, col, index)
        if op == "print":
            text = self.template(arg, "`print`", example=": `- print: \"hello\"`")
            return None if text is None else Step(op, line, col, index, text=text)
        if op in DURATION_OPS:
            seconds = self.duration(arg, f"`{op}`")
            return None if seconds is None else Step(op, line, col, index, seconds=seconds)
        if op in MANY_REF_OPS or op in ONE_REF_OPS:
            refs = self.refs(arg, op, defs, key)
            if refs is None:
                return None
            if op in ONE_REF_OPS and len(refs) != 1:
                self.err(arg, f"`{op}` takes one task instance, not {len(refs):,}; name one, "
                              f"such as `{refs[0]}`")
                return None
            return Step(op, line, col, index, refs=tuple(refs))
        if op in NAME_OPS:
            name = self.object_name(arg, op, ARGUMENTS[op])
            return None if name is None else Step(op, line, col, index, name=name)
        if op == "put":
            return self.put_step(key, arg, line, col, index)
        return self.repeat_step(key, arg, defs, counter, depth, line, col, index)

    def bare_step(self, node: yaml.ScalarNode, index: int) -> Step | None:
        line, col = self.locate(node)
        if node.tag == NULL:
            self.err(node, "an empty step: write an op, such as `- sleep: 1`, or delete the `-`")
            return None
        op = str(node.value)
        if op in BARE_OPS:
            return Step(op, line, col, index)
        if op in OPS:
            self.err(node, f"`{op}` needs an argument: `{EXAMPLE[op]}`")
            return None
        first = op.strip().split(None, 1)
        if first and first[0].rstrip(":") in OPS and len(first) == 2:
            word = first[0].rstrip(":")
            self.err(node, f"`{clip(op)}` is text, not an op: write `- {word}: "
                           f"{clip(first[1].strip(), 30)}` (a colon and a space after the op)")
        else:
            self.err(node, f"unknown op `{clip(op)}`{self.did_you_mean(op, OPS)}")
        return None

    def object_name(self, node: yaml.Node, op: str, kind: str, what: str | None = None
                    ) -> str | None:
        """A lock, event or queue name; `what` names the value in messages (`put.queue`)."""
        name = self.text_value(node, what or f"`{op}`", example=f": `{EXAMPLE.get(op, '')}`")
        if name is None:
            return None
        if not NAME_RE.match(name):
            self.err(node, f"`{clip(name)}` is not a valid {kind} name: use letters, digits, "
                           "`_`, `.` and `-`, starting with a letter or `_`")
            return None
        return name

    def put_step(self, key: yaml.Node, arg: yaml.Node, line: int, col: int,
                 index: int) -> Step | None:
        example = EXAMPLE["put"]
        if not self.visit(arg):
            return None
        if not isinstance(arg, yaml.MappingNode):
            self.err(arg, f"`put` takes a mapping with `queue` and `item`: `{example}`")
            return None
        sub = self.mapping(arg, "`put`")
        if sub is None:
            return None
        self.check_keys(sub, OP_KEYS["put"], "`put`")
        if "queue" not in sub:
            self.err(key, f"`put` needs `queue`: `{example}`")
            return None
        qname = self.object_name(sub["queue"][1], "put", "queue", what="`put.queue`")
        item: str | None = PUT_ITEM_DEFAULT
        if "item" in sub:
            item = self.template(sub["item"][1], "`put.item`", example=f": `{example}`")
        if qname is None or item is None:
            return None
        return Step("put", line, col, index, name=qname, text=item)

    def repeat_step(self, key: yaml.Node, arg: yaml.Node, defs: dict[str, TaskDef],
                    counter: list[int], depth: int, line: int, col: int,
                    index: int) -> Step | None:
        example = EXAMPLE["repeat"]
        sub = self.mapping(arg, "`repeat`")
        if sub is None:
            return None
        self.check_keys(sub, OP_KEYS["repeat"], "`repeat`")
        missing = [k for k in OP_REQUIRED["repeat"] if k not in sub]
        if missing:
            self.err(key, f"`repeat` needs `{'` and `'.join(missing)}`: `{example}`")
        times = self.integer(sub["times"][1], "`repeat.times`", 0, MAX_REPEAT) if (
            "times" in sub) else None
        body = self.steps(sub["steps"][1], defs, counter, depth + 1, "`repeat`") if (
            "steps" in sub) else ()
        if times is None or missing:
            return None
        return Step("repeat", line, col, index, times=times, body=body)

    def refs(self, node: yaml.Node, op: str, defs: dict[str, TaskDef],
             key: yaml.Node) -> list[str] | None:
        if not self.visit(node):
            return None
        items: list[yaml.Node]
        if isinstance(node, yaml.SequenceNode):
            items = node.value
            if not items:
                self.err(node, f"`{op}` needs at least one task: `{EXAMPLE[op]}`")
                return None
        elif is_null(node):
            self.err(key, f"`{op}` needs a task: `{EXAMPLE[op]}`")
            return None
        else:
            items = [node]
        out: list[str] = []
        seen: dict[str, yaml.Node] = {}
        ok = True
        for item in items:
            if item is not node and not self.visit(item):
                ok = False
                continue
            if not isinstance(item, yaml.ScalarNode) or item.tag == NULL:
                self.err(item, f"a task reference of `{op}` must be a task name, not "
                               f"{kind_of(item)}")
                ok = False
                continue
            text = str(item.value)
            m = REF_RE.match(text)
            if not m:
                self.err(item, f"`{clip(text)}` is not a task reference: write a task name, "
                               "or `name[3]` for one instance of a task with `count`")
                ok = False
                continue
            tname, idx = m.group(1), m.group(2)
            d = defs.get(tname)
            if d is None:
                if tname not in self.task_names:  # else: the task is broken, reported
                    self.err(item, f"`{op}`: no task named `{tname}`"
                                   f"{self.did_you_mean(tname, defs)}")
                ok = False
                continue
            names: list[str]
            if idx is None:
                names = d.instance_names()
            elif d.count is None:
                self.err(item, f"`{tname}` has no `count`, so it has no instance [{clip(idx)}]; "
                               f"write `{tname}`")
                ok = False
                continue
            elif len(idx) > 9 or int(idx) >= d.count:
                self.err(item, f"`{tname}` has {d.count:,} instance{'s' if d.count > 1 else ''} "
                               f"(0 to {d.count - 1:,}); there is no [{clip(idx)}]")
                ok = False
                continue
            else:
                names = [f"{tname}[{int(idx)}]"]
            for iname in names:
                if iname in seen:
                    self.err(item, f"`{op}` names `{iname}` twice; name it once")
                    ok = False
                    break
                seen[iname] = item
            out.extend(names)
        return out if ok else None



def _constant(text: str) -> Callable[[yaml.Node], str]:
    return lambda _: text


def _quoted_hint(node: yaml.Node, words: tuple[str, ...]) -> str:
    if isinstance(node, yaml.ScalarNode) and node.tag == STR and node.value.lower() in words:
        return " (remove the quotes)"
    return ""

