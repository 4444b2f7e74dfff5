"""Load a scenario file: safe YAML → validated, frozen `Scenario`, or every problem located.

YAML is only *composed* (parsed into nodes with positions), never constructed: no tag can
build a Python object, and every value is checked against the format while its line and
column are still known. Aliases are followed with a budget, so alias bombs stay bounded.
"""

from __future__ import annotations

import difflib
import math
import re
import sys
from pathlib import Path
from typing import Any

import yaml

from simtui.scenario.errors import Problem, ScenarioError
from simtui.scenario.model import (
    BARE_OPS,
    DURATION_OPS,
    MANY_REF_OPS,
    NAME_OPS,
    ONE_REF_OPS,
    OPS,
    RUNTIMES,
    UNSUPPORTED,
    Instance,
    Options,
    Scenario,
    Step,
    TaskDef,
    supported_runtimes,
)

BUNDLED_DIR = Path(__file__).resolve().parent.parent / "scenarios"

MAX_FILE_BYTES = 1 << 20
MAX_INSTANCES = 100_000
MAX_DEPTH = 32
MAX_REPEAT = 10_000_000
MAX_NODES = 1_000_000
"""Node visits while reading one file; aliases that expand past this are refused."""

_SCALAR_TAGS = {
    "tag:yaml.org,2002:str": "string",
    "tag:yaml.org,2002:int": "integer",
    "tag:yaml.org,2002:float": "number",
    "tag:yaml.org,2002:bool": "boolean",
    "tag:yaml.org,2002:null": "null",
}
_PLAIN_TAGS = {*_SCALAR_TAGS, "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")
REF_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_.-]*)(?:\[(\d+)\])?\Z")
_DURATION_RE = re.compile(
    r"\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(ns|us|µs|ms|s|sec|m|min|h)?\s*\Z"
)
_UNIT = {None: 1.0, "s": 1.0, "sec": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9,
         "m": 60.0, "min": 60.0, "h": 3600.0}
_TEMPLATE_RE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_TOP_KEYS = ("name", "title", "description", "runtime", "runtimes", "main", "time_scale",
             "timeout", "options", "queues", "tasks")
_OPTION_KEYS = {
    "gevent": ("monkey_patch",),
    "threads": ("switch_interval",),
    "asyncio": ("eager_tasks", "debug"),
}

try:  # the C composer is much faster on big files; both are safe (no construction)
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _Loader = yaml.SafeLoader


def bundled_scenarios() -> list[Path]:
    """The scenarios shipped with simtui, by name."""
    return sorted(BUNDLED_DIR.glob("*.yaml"))


def resolve(name_or_path: str) -> Path | None:
    """A scenario file: the path itself if it exists, else a bundled scenario of that name."""
    path = Path(name_or_path)
    if path.exists():
        return path
    stem = name_or_path.removesuffix(".yaml").removesuffix(".yml")
    if NAME_RE.match(stem):
        bundled = BUNDLED_DIR / f"{stem}.yaml"
        if bundled.is_file():
            return bundled
    return None


def load_scenario(name_or_path: str, runtime: str | None = None) -> Scenario:
    """Load a scenario file or a bundled scenario by name.

    With `runtime`, also refuse ops that runtime cannot do. Raises `ScenarioError`.
    """
    path = resolve(name_or_path)
    if path is None:
        raise ScenarioError([Problem(name_or_path, 1, 1,
                                     "no such file, and no bundled scenario of that name "
                                     "(see `simtui list`)")])
    source = name_or_path if Path(name_or_path).exists() else str(path)
    try:
        with path.open("rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except IsADirectoryError:
        raise ScenarioError([Problem(source, 1, 1, "is a directory, not a scenario file")]) from None
    except OSError as e:
        raise ScenarioError([Problem(source, 1, 1, f"cannot read: {e.strerror or e}")]) from None
    return load_text(data, source, runtime=runtime)


def load_text(data: bytes | str, source: str = "<string>", runtime: str | None = None) -> Scenario:
    """Load a scenario from its text. Raises `ScenarioError` listing every problem found."""
    if isinstance(data, str):
        text = data
        if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
            raise ScenarioError([Problem(source, 1, 1, "file is larger than 1 MiB")])
    else:
        if len(data) > MAX_FILE_BYTES:
            raise ScenarioError([Problem(source, 1, 1, "file is larger than 1 MiB")])
        text = _decode(data, source)
    return _Reader(source, text, runtime).read()


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        before = data[: e.start]
        line = before.count(b"\n") + 1
        col = len(before) - (before.rfind(b"\n") + 1) + 1
        raise ScenarioError([Problem(source, line, col,
                                     f"not UTF-8 text (byte 0x{data[e.start]:02x})")]) from None


class _Reader:
    """Walks the composed YAML nodes once, collecting problems with their positions."""

    def __init__(self, source: str, text: str, runtime: str | None) -> None:
        self.source = source
        self.text = text
        self.runtime = runtime
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.visits = 0

    # -- reporting ---------------------------------------------------------------------

    def err(self, node: yaml.Node | None, message: str) -> None:
        if node is None:
            self.problems.append(Problem(self.source, 1, 1, message))
        else:
            mark = node.start_mark
            self.problems.append(Problem(self.source, mark.line + 1, mark.column + 1, message))

    def warn(self, node: yaml.Node, message: str) -> None:
        mark = node.start_mark
        self.warnings.append(Problem(self.source, mark.line + 1, mark.column + 1, message))

    def fail(self) -> ScenarioError:
        problems = sorted(set(self.problems), key=lambda p: (p.line, p.col, p.message))
        return ScenarioError(problems[:100])

    # -- YAML ------------------------------------------------------------------------

    def compose(self) -> yaml.Node | None:
        if "\x00" in self.text:
            before = self.text[: self.text.index("\x00")]
            self.problems.append(Problem(self.source, before.count("\n") + 1,
                                         len(before) - (before.rfind("\n") + 1) + 1,
                                         "not a text file (NUL character)"))
            raise self.fail()
        try:
            return yaml.compose(self.text, Loader=_Loader)  # type: ignore[no-any-return]
        except yaml.MarkedYAMLError as e:
            mark = e.problem_mark or e.context_mark
            line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            what = e.problem or e.context or "invalid YAML"
            if "expected a single document" in str(e.context):
                what = "only one YAML document is allowed (found a second `---`)"
            self.problems.append(Problem(self.source, line, col, f"invalid YAML: {what}"))
        except yaml.YAMLError as e:
            self.problems.append(Problem(self.source, 1, 1, f"invalid YAML: {e}"))
        except RecursionError:
            self.problems.append(Problem(self.source, 1, 1,
                                         f"invalid YAML: nested deeper than {MAX_DEPTH} levels"))
        raise self.fail()

    def visit(self, node: yaml.Node) -> bool:
        """Count a node visit; False once aliases have expanded past the budget."""
        self.visits += 1
        if self.visits > MAX_NODES:
            if self.visits == MAX_NODES + 1:
                self.err(node, "anchors and aliases expand to too many nodes "
                               f"(more than {MAX_NODES:,}); write the steps out or use `repeat`")
            return False
        if node.tag not in _PLAIN_TAGS:
            self.err(node, f"YAML tag `{node.tag.replace('tag:yaml.org,2002:', '!!')}` is not "
                           "allowed: scenarios are plain data")
            return False
        return True

    def kind(self, node: yaml.Node) -> str:
        if isinstance(node, yaml.MappingNode):
            return "a mapping"
        if isinstance(node, yaml.SequenceNode):
            return "a list"
        return f"{_SCALAR_TAGS.get(node.tag, 'a value')} `{_clip(node.value)}`"

    def mapping(self, node: yaml.Node, what: str) -> dict[str, tuple[yaml.Node, yaml.Node]] | None:
        """The entries of a mapping node by key, reporting duplicates and non-string keys."""
        if not self.visit(node):
            return None
        if not isinstance(node, yaml.MappingNode):
            self.err(node, f"{what} must be a mapping, not {self.kind(node)}")
            return None
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key, value in node.value:
            if not self.visit(key):
                continue
            if not isinstance(key, yaml.ScalarNode) or key.tag == "tag:yaml.org,2002:null":
                self.err(key, f"keys in {what} must be names, not {self.kind(key)}")
                continue
            name = key.value
            if name in out:
                first = out[name][0].start_mark
                self.err(key, f"`{name}` is given twice in {what} (first at line {first.line + 1})")
                continue
            out[name] = (key, value)
        return out

    def check_keys(self, entries: dict[str, tuple[yaml.Node, yaml.Node]], allowed: tuple[str, ...],
                   what: str) -> None:
        for name, (key, _) in entries.items():
            if name in allowed or name.startswith("x-"):
                continue
            hint = _did_you_mean(name, allowed)
            self.err(key, f"unknown key `{name}` in {what}{hint}")

    def string(self, node: yaml.Node, what: str) -> str | None:
        if not self.visit(node):
            return None
        if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null":
            self.err(node, f"{what} must be text, not {self.kind(node)}")
            return None
        return str(node.value)

    def boolean(self, node: yaml.Node, what: str) -> bool | None:
        if not self.visit(node):
            return None
        if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:bool":
            return bool(yaml.safe_load(node.value))
        self.err(node, f"{what} must be true or false, not {self.kind(node)}")
        return None

    def integer(self, node: yaml.Node, what: str, low: int, high: int) -> int | None:
        if not self.visit(node):
            return None
        if not (isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:int"):
            self.err(node, f"{what} must be a whole number, not {self.kind(node)}")
            return None
        try:
            value = int(yaml.safe_load(node.value))
        except (ValueError, yaml.YAMLError):
            self.err(node, f"{what} must be a whole number, not `{_clip(node.value)}`")
            return None
        if value < low:
            self.err(node, f"{what} must be at least {low:,}, not {value:,}")
            return None
        if value > high:
            self.err(node, f"{what} must be at most {high:,}, not {value:,}")
            return None
        return value

    def number(self, node: yaml.Node, what: str) -> float | None:
        """A positive finite number (time_scale)."""
        if not self.visit(node):
            return None
        value: float | None = None
        if isinstance(node, yaml.ScalarNode) and node.tag in (
            "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
        ):
            try:
                value = float(yaml.safe_load(node.value))
            except (ValueError, yaml.YAMLError):
                value = None
        if value is None:
            self.err(node, f"{what} must be a number, not {self.kind(node)}")
            return None
        if not math.isfinite(value) or value <= 0:
            self.err(node, f"{what} must be a positive number, not `{node.value}`")
            return None
        return value

    def duration(self, node: yaml.Node, what: str, positive: bool = False) -> float | None:
        """Seconds: a number or a string with a unit (`3`, `0.5`, "250ms", "50us", "2s")."""
        if not self.visit(node):
            return None
        if not isinstance(node, yaml.ScalarNode) or node.tag in (
            "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool"
        ):
            self.err(node, f"{what} must be a duration such as 3, 0.5 or \"250ms\", "
                           f"not {self.kind(node)}")
            return None
        raw = str(node.value)
        if node.tag == "tag:yaml.org,2002:float" and raw.lower().lstrip("+-") in (".inf", ".nan"):
            value = float(yaml.safe_load(raw))
        else:
            m = _DURATION_RE.match(raw)
            if not m:
                self.err(node, f"{what}: `{_clip(raw)}` is not a duration; write a number of "
                               "seconds or a number with a unit: ns, us, ms, s, min, h")
                return None
            value = float(m.group(1)) * _UNIT[m.group(2)]
        if math.isnan(value) or math.isinf(value):
            self.err(node, f"{what} must be finite, not `{raw}`")
            return None
        if value < 0:
            self.err(node, f"{what} cannot be negative (`{raw}`)")
            return None
        if positive and value == 0:
            self.err(node, f"{what} must be more than zero")
            return None
        return value

    # -- the format --------------------------------------------------------------------

    def read(self) -> Scenario:
        root = self.compose()
        if root is None:
            self.problems.append(Problem(self.source, 1, 1,
                                         "empty file: a scenario needs at least `tasks` with a "
                                         "`main` task"))
            raise self.fail()
        top = self.mapping(root, "the scenario")
        if top is None:
            raise self.fail()
        self.check_keys(top, _TOP_KEYS, "the scenario")
        get = top.get

        stem = Path(self.source).stem if self.source != "<string>" else "scenario"
        name = self.string(get("name")[1], "`name`") if get("name") else stem
        title = self.string(get("title")[1], "`title`") if get("title") else None
        description = self.string(get("description")[1], "`description`") if get("description") else ""

        runtime = "asyncio"
        runtime_node = get("runtime")[1] if get("runtime") else None
        if runtime_node is not None:
            value = self.string(runtime_node, "`runtime`")
            if value is not None:
                if value in RUNTIMES:
                    runtime = value
                else:
                    self.err(runtime_node, f"unknown runtime `{_clip(value)}`; choose one of "
                                           f"{', '.join(RUNTIMES)}{_did_you_mean(value, RUNTIMES)}")

        runtimes_listed: list[tuple[str, yaml.Node]] = []
        if get("runtimes"):
            node = get("runtimes")[1]
            if self.visit(node) and isinstance(node, yaml.SequenceNode):
                seen: set[str] = set()
                for item in node.value:
                    value = self.string(item, "an entry of `runtimes`")
                    if value is None:
                        continue
                    if value not in RUNTIMES:
                        self.err(item, f"unknown runtime `{_clip(value)}`; choose from "
                                       f"{', '.join(RUNTIMES)}{_did_you_mean(value, RUNTIMES)}")
                    elif value in seen:
                        self.err(item, f"`{value}` is listed twice in `runtimes`")
                    else:
                        seen.add(value)
                        runtimes_listed.append((value, item))
                if not node.value:
                    self.err(node, "`runtimes` must list at least one runtime")
            elif isinstance(node, yaml.ScalarNode) or isinstance(node, yaml.MappingNode):
                self.err(node, f"`runtimes` must be a list such as [asyncio, gevent], "
                               f"not {self.kind(node)}")

        main = "main"
        main_node = get("main")[1] if get("main") else None
        if main_node is not None:
            value = self.string(main_node, "`main`")
            if value is not None:
                main = value
        time_scale = 1.0
        if get("time_scale"):
            time_scale = self.number(get("time_scale")[1], "`time_scale`") or 1.0
        timeout = 60.0
        if get("timeout"):
            timeout = self.duration(get("timeout")[1], "`timeout`", positive=True) or 60.0
        options = self.options(get("options")[1]) if get("options") else Options()
        queues = self.queues(get("queues")[1]) if get("queues") else {}

        if not get("tasks"):
            self.err(root, "the scenario has no `tasks`: add `tasks:` with at least a `main` task")
            raise self.fail()
        tasks_key, tasks_node = get("tasks")
        defs = self.tasks(tasks_node)

        instances: dict[str, Instance] = {}
        total = sum(d.count or 1 for d in defs.values())
        if total > MAX_INSTANCES:
            self.err(tasks_node, f"{total:,} task instances after expanding `count`; "
                                 f"the limit is {MAX_INSTANCES:,}")
            raise self.fail()
        if main not in defs:
            where = main_node if main_node is not None else tasks_key
            self.err(where, f"no task named `{main}` to start the run"
                            f"{_did_you_mean(main, list(defs))}")
        elif defs[main].count is not None:
            self.err(main_node or tasks_key, f"the main task `{main}` cannot have `count`")
        order = [main] + [n for n in defs if n != main] if main in defs else list(defs)
        for dname in order:
            d = defs[dname]
            for k, iname in enumerate(d.instance_names()):
                instances[iname] = Instance(iname, dname, k if d.count is not None else 0)

        steps_by_def = {dname: self.resolve_steps(d, defs) for dname, d in self._raw_defs.items()}
        final_defs = {
            dname: TaskDef(dname, steps_by_def[dname], d.line, d.col, d.count, _count(steps_by_def[dname]))
            for dname, d in defs.items()
        }
        self.check_calls(final_defs)
        self.check_starts(final_defs, main)

        ops = frozenset(op for d in final_defs.values() for op in _ops(d.steps))
        supported = supported_runtimes(ops)
        self.check_runtime_ops(final_defs, runtime, runtime_node, runtimes_listed, supported)
        if options.asyncio_eager_tasks and sys.version_info < (3, 12) and (
            self.runtime in (None, "asyncio")
        ):
            node = top["options"][1]
            self.err(node, "`asyncio.eager_tasks` needs Python 3.12 or newer "
                           f"(this is {sys.version.split()[0]})")
        if self.problems:
            raise self.fail()
        runtimes = tuple(r for r, _ in runtimes_listed) or supported
        return Scenario(
            name=name or stem,
            title=title or name or stem,
            description=description or "",
            runtime=runtime,
            runtimes=runtimes,
            main=main,
            time_scale=time_scale,
            timeout=timeout,
            options=options,
            queues=queues,
            tasks=final_defs,
            instances=instances,
            source=self.source,
            text=self.text,
            warnings=tuple(self.warnings),
        )

    def options(self, node: yaml.Node) -> Options:
        entries = self.mapping(node, "`options`")
        if entries is None:
            return Options()
        self.check_keys(entries, tuple(_OPTION_KEYS), "`options`")
        values: dict[str, Any] = {}
        for rt, keys in _OPTION_KEYS.items():
            if rt not in entries:
                continue
            sub = self.mapping(entries[rt][1], f"`options.{rt}`")
            if sub is None:
                continue
            self.check_keys(sub, keys, f"`options.{rt}`")
            for key in keys:
                if key not in sub:
                    continue
                value_node = sub[key][1]
                what = f"`options.{rt}.{key}`"
                if key == "switch_interval":
                    values[f"{rt}_{key}"] = self.duration(value_node, what, positive=True)
                else:
                    value = self.boolean(value_node, what)
                    if value is not None:
                        values[f"{rt}_{key}"] = value
        return Options(**values)

    def queues(self, node: yaml.Node) -> dict[str, int]:
        entries = self.mapping(node, "`queues`")
        out: dict[str, int] = {}
        for qname, (key, value) in (entries or {}).items():
            if not NAME_RE.match(qname):
                self.err(key, f"`{_clip(qname)}` is not a valid queue name")
                continue
            sub = self.mapping(value, f"queue `{qname}`")
            if sub is None:
                continue
            self.check_keys(sub, ("maxsize",), f"queue `{qname}`")
            if "maxsize" not in sub:
                self.err(value, f"queue `{qname}` needs `maxsize`")
                continue
            size = self.integer(sub["maxsize"][1], "`maxsize`", 1, 10_000_000)
            if size is not None:
                out[qname] = size
        return out

    def tasks(self, node: yaml.Node) -> dict[str, TaskDef]:
        entries = self.mapping(node, "`tasks`")
        self._raw_defs: dict[str, TaskDef] = {}
        self._raw_steps: dict[str, yaml.Node] = {}
        if entries is None:
            raise self.fail()
        if not entries:
            self.err(node, "`tasks` is empty: add at least a `main` task")
        for tname, (key, value) in entries.items():
            if tname.startswith("x-"):
                continue
            if not NAME_RE.match(tname):
                self.err(key, f"`{_clip(tname)}` is not a valid task name: use letters, digits, "
                              "`_`, `.` and `-`, starting with a letter or `_`")
                continue
            count: int | None = None
            steps_node: yaml.Node | None = value
            if self.visit(value) and isinstance(value, yaml.MappingNode):
                sub = self.mapping(value, f"task `{tname}`") or {}
                self.check_keys(sub, ("steps", "count"), f"task `{tname}`")
                if "count" in sub:
                    count = self.integer(sub["count"][1], "`count`", 1, MAX_INSTANCES)
                    if count is None:
                        continue
                steps_node = sub["steps"][1] if "steps" in sub else None
                if steps_node is None:
                    self.err(value, f"task `{tname}` has no `steps`")
                    continue
            self._raw_steps[tname] = steps_node
            mark = key.start_mark
            self._raw_defs[tname] = TaskDef(tname, (), mark.line + 1, mark.column + 1, count)
        return self._raw_defs

    # Steps are read in a second pass, once every task name is known.

    def resolve_steps(self, d: TaskDef, defs: dict[str, TaskDef]) -> tuple[Step, ...]:
        counter = [0]
        return self.steps(self._raw_steps[d.name], defs, counter, 1, f"task `{d.name}`")

    def steps(self, node: yaml.Node, defs: dict[str, TaskDef], counter: list[int], depth: int,
              what: str) -> tuple[Step, ...]:
        if not self.visit(node):
            return ()
        if depth > MAX_DEPTH:
            self.err(node, f"steps are nested deeper than {MAX_DEPTH} levels")
            return ()
        if not isinstance(node, yaml.SequenceNode):
            self.err(node, f"the steps of {what} must be a list (`- op: argument` per line), "
                           f"not {self.kind(node)}")
            return ()
        if not node.value:
            self.err(node, f"{what} has no steps")
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
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        index = counter[0]
        counter[0] += 1
        if isinstance(node, yaml.ScalarNode):
            op = str(node.value)
            if op in BARE_OPS:
                return Step(op, line, col, index)
            if op in OPS:
                self.err(node, f"`{op}` needs an argument: `- {op}: ...`")
            else:
                self.err(node, f"unknown op `{_clip(op)}`{_did_you_mean(op, OPS)}")
            return None
        entries = self.mapping(node, "a step")
        if entries is None:
            return None
        ops = [(k, v) for k, v in entries.items() if not k.startswith("x-")]
        if len(ops) != 1:
            if not ops:
                self.err(node, "a step needs one op, such as `- sleep: 1`")
            else:
                names = ", ".join(f"`{k}`" for k, _ in ops)
                self.err(ops[1][1][0], f"a step has exactly one op; this one has {names} "
                                       "(start each op on its own `- ` line)")
            return None
        op, (key, arg) = ops[0]
        if op not in OPS:
            self.err(key, f"unknown op `{_clip(op)}`{_did_you_mean(op, OPS)}")
            return None
        line, col = key.start_mark.line + 1, key.start_mark.column + 1
        if op in BARE_OPS:
            if not (isinstance(arg, yaml.ScalarNode) and arg.tag == "tag:yaml.org,2002:null"):
                self.err(arg, f"`{op}` takes no argument: write `- {op}`")
                return None
            return Step(op, line, col, index)
        if op == "print":
            text = self.template(arg, "`print`")
            return None if text is None else Step(op, line, col, index, text=text)
        if op in DURATION_OPS:
            seconds = self.duration(arg, f"`{op}`")
            return None if seconds is None else Step(op, line, col, index, seconds=seconds)
        if op in MANY_REF_OPS or op in ONE_REF_OPS:
            refs = self.refs(arg, op, defs)
            if refs is None:
                return None
            if op in ONE_REF_OPS and len(refs) != 1:
                self.err(arg, f"`{op}` takes exactly one task instance, not {len(refs)}; "
                              "name one, such as `worker[0]`")
                return None
            return Step(op, line, col, index, refs=tuple(refs))
        if op in NAME_OPS:
            name = self.string(arg, f"`{op}`")
            if name is None:
                return None
            if not NAME_RE.match(name):
                self.err(arg, f"`{_clip(name)}` is not a valid {_OBJECT[op]} name")
                return None
            return Step(op, line, col, index, name=name)
        if op == "put":
            sub = self.mapping(arg, "`put`")
            if sub is None:
                return None
            self.check_keys(sub, ("queue", "item"), "`put`")
            if "queue" not in sub:
                self.err(arg, "`put` needs `queue`: `- put: {queue: jobs, item: \"job {i}\"}`")
                return None
            qname = self.string(sub["queue"][1], "`put.queue`")
            item = self.template(sub["item"][1], "`put.item`") if "item" in sub else "{name}"
            if qname is None or item is None:
                return None
            if not NAME_RE.match(qname):
                self.err(sub["queue"][1], f"`{_clip(qname)}` is not a valid queue name")
                return None
            return Step(op, line, col, index, name=qname, text=item)
        # repeat
        sub = self.mapping(arg, "`repeat`")
        if sub is None:
            return None
        self.check_keys(sub, ("times", "steps"), "`repeat`")
        if "times" not in sub or "steps" not in sub:
            self.err(arg, "`repeat` needs `times` and `steps`: "
                          "`- repeat: {times: 3, steps: [yield]}`")
            return None
        times = self.integer(sub["times"][1], "`repeat.times`", 0, MAX_REPEAT)
        body = self.steps(sub["steps"][1], defs, counter, depth + 1, "`repeat`")
        if times is None:
            return None
        return Step(op, line, col, index, times=times, body=body)

    def template(self, node: yaml.Node, what: str) -> str | None:
        if not self.visit(node):
            return None
        if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null":
            self.err(node, f"{what} must be text, not {self.kind(node)}")
            return None
        text = str(node.value)
        for m in _TEMPLATE_RE.finditer(text):
            tok = m.group(0)
            if tok in ("{{", "}}"):
                continue
            if m.group(1) in ("i", "name", "item"):
                continue
            if tok in ("{", "}"):
                self.err(node, f"{what}: a lone `{tok}`; write `{tok}{tok}` for a literal brace")
            else:
                self.err(node, f"{what}: unknown field `{_clip(tok)}`; the fields are {{i}}, "
                               "{name} and {item} (`{{` and `}}` for literal braces)")
            return None
        return text

    def refs(self, node: yaml.Node, op: str, defs: dict[str, TaskDef]) -> list[str] | None:
        items = node.value if isinstance(node, yaml.SequenceNode) else [node]
        if isinstance(node, yaml.SequenceNode):
            if not self.visit(node):
                return None
            if not items:
                self.err(node, f"`{op}` needs at least one task")
                return None
        out: list[str] = []
        ok = True
        for item in items:
            text = self.string(item, f"a task reference of `{op}`")
            if text is None:
                ok = False
                continue
            m = REF_RE.match(text.strip())
            if not m:
                self.err(item, f"`{_clip(text)}` is not a task reference: write a task name, "
                               "or `name[3]` for one instance")
                ok = False
                continue
            tname, idx = m.group(1), m.group(2)
            d = defs.get(tname)
            if d is None:
                self.err(item, f"`{op}`: no task named `{tname}`{_did_you_mean(tname, list(defs))}")
                ok = False
                continue
            if idx is None:
                out.extend(d.instance_names())
            elif d.count is None:
                self.err(item, f"`{tname}` has no `count`, so it has no instance [{idx}]; "
                               f"write `{tname}`")
                ok = False
            elif int(idx) >= d.count:
                self.err(item, f"`{tname}` has {d.count} instances (0 to {d.count - 1}); "
                               f"there is no [{idx}]")
                ok = False
            else:
                out.append(f"{tname}[{int(idx)}]")
        if not ok:
            return None
        if len(set(out)) != len(out):
            self.err(node, f"`{op}` names the same task instance twice")
            return None
        return out

    # -- whole-scenario checks ---------------------------------------------------------

    def check_calls(self, defs: dict[str, TaskDef]) -> None:
        """A `call` cycle would recurse forever: refuse it at the call that closes it."""
        graph: dict[str, list[tuple[str, Step]]] = {n: [] for n in defs}
        for dname, d in defs.items():
            for step in _flat(d.steps):
                if step.op == "call":
                    callee = step.refs[0].split("[", 1)[0]
                    graph[dname].append((callee, step))
        state: dict[str, int] = {}

        def visit(n: str, path: list[str]) -> None:
            state[n] = 1
            for callee, step in graph.get(n, ()):
                if state.get(callee) == 1:
                    cycle = " → ".join(path[path.index(callee):] + [callee])
                    self.problems.append(Problem(self.source, step.line, step.col,
                                                 f"`call` cycle: {cycle} would never end"))
                elif callee not in state:
                    visit(callee, path + [callee])
            state[n] = 2

        for n in defs:
            if n not in state:
                visit(n, [n])

    def check_starts(self, defs: dict[str, TaskDef], main: str) -> None:
        """Each instance is started at most once; never-referenced tasks are a warning."""
        started: dict[str, Step] = {}
        referenced: set[str] = {main}
        for d in defs.values():
            for step, multiplier in _flat_with_multiplier(d.steps, d.count or 1):
                for ref in step.refs:
                    referenced.add(ref.split("[", 1)[0])
                if step.op not in ("spawn", "gather"):
                    continue
                for ref in step.refs:
                    if ref == main:
                        self.problems.append(Problem(self.source, step.line, step.col,
                                                     f"`{main}` starts the run; it cannot be "
                                                     f"started again with `{step.op}`"))
                    elif ref in started or multiplier > 1:
                        first = started.get(ref, step)
                        self.problems.append(Problem(
                            self.source, step.line, step.col,
                            f"`{step.op}` would start `{ref}` more than once (also line "
                            f"{first.line}); each task instance runs once: use `count` "
                            "for more instances"))
                    else:
                        started[ref] = step
        for dname, d in defs.items():
            if dname not in referenced:
                self.warnings.append(Problem(self.source, d.line, d.col,
                                             f"task `{dname}` is never started, called or "
                                             "switched to"))

    def check_runtime_ops(self, defs: dict[str, TaskDef], runtime: str,
                          runtime_node: yaml.Node | None,
                          listed: list[tuple[str, yaml.Node]], supported: tuple[str, ...]) -> None:
        targets: list[tuple[str, str]] = []
        if self.runtime is not None:
            targets.append((self.runtime, "the chosen runtime"))
        else:
            targets.append((runtime, "this scenario's `runtime`"))
        for rt, what in targets:
            for d in defs.values():
                for step in _flat(d.steps):
                    hint = UNSUPPORTED[rt].get(step.op)
                    if hint:
                        self.problems.append(Problem(
                            self.source, step.line, step.col,
                            f"`{step.op}` cannot run on {rt} ({what}): {hint}"))
        for rt, node in listed:
            if rt not in supported and rt != (self.runtime or runtime):
                self.err(node, f"`runtimes` lists {rt}, which cannot run every op of this "
                               f"scenario (it can run on: {', '.join(supported) or 'none'})")


_OBJECT = {"acquire": "lock", "release": "lock", "wait": "event", "set": "event", "get": "queue"}


def _flat(steps: tuple[Step, ...]):
    for s in steps:
        yield s
        yield from _flat(s.body)


def _flat_with_multiplier(steps: tuple[Step, ...], mult: int):
    for s in steps:
        yield s, mult
        if s.body:
            yield from _flat_with_multiplier(s.body, mult * max(s.times, 1) if s.times > 1 else mult)


def _ops(steps: tuple[Step, ...]) -> set[str]:
    return {s.op for s in _flat(steps)}


def _count(steps: tuple[Step, ...]) -> int:
    return sum(1 for _ in _flat(steps))


def _clip(text: object, n: int = 40) -> str:
    s = str(text).replace("\n", "\\n")
    return s if len(s) <= n else s[: n - 1] + "…"


def _did_you_mean(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""
