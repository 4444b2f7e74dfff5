"""Load a scenario file: safe YAML → validated, frozen `Scenario`, or every problem located.

YAML is only *composed* (parsed into nodes with positions), never constructed: no tag can
build a Python object, and every value is checked against the format while its line and
column are still known. The tree that anchors and aliases stand for is sized before any of
it is read, in time linear in the file, so alias bombs are refused quickly and in bounded
memory.

Rules the format (scenario-format.md) leaves open, decided the way a person writing these
files by hand would expect:

- The file is UTF-8 (a BOM is fine; UTF-16 is refused with a hint), LF, CRLF or CR line
  ends. Lines are counted as `str.splitlines` counts them and columns in characters, so a
  position matches what an editor shows; every position lies inside the text.
- One YAML document per file (a leading `---` is fine). Anchors and aliases are allowed
  (`steps: *common`), as long as they expand to at most 500,000 nodes and no anchor is used
  inside itself; merge keys (`<<`) are not. Explicit tags are refused anywhere, even under
  `x-` keys, except the core ones (`!!str`, `!!int`, `!!float`, `!!bool`, `!!null`,
  `!!map`, `!!seq`), which build nothing. A plain value such as `2024-01-01` or `=` is text.
- Keys are names: a number or `true` as a key is taken as written, an empty or a complex
  (list, mapping) key is an error.
- Text (`name`, `title`, `description`, `print`, `put.item`) is any scalar, taken as
  written: `print: 3` prints `3`, `print: yes` prints `yes`. Block scalars (`|`, `>`) lose
  their final line break. `name` and `title` are one line.
- An empty value (`timeout:` with nothing after it) on an optional top-level key, in
  `options` or in a `queues` entry means "not given": the default applies. An empty step
  argument is an error (`- sleep:`), except for `- yield:`.
- Whole numbers (`count`, `repeat.times`, `maxsize`) are plain decimal digits: `0x10`,
  `1_000`, `1:30` and quoted numbers are refused rather than read in YAML 1.1's surprising
  ways. `time_scale` is a plain number; `1e-3` is accepted although YAML 1.1 calls it text.
- Durations are a number of seconds or a string `NUMBER UNIT` with the unit one of `ns`,
  `us`, `µs`, `ms`, `s`, `min`, `h` (a space between is allowed; `m` is refused as ambiguous).
  They must be finite, at least 0 and at most 1,000,000 s (so that a scaled duration never
  overflows the runtimes' sleeps); `timeout` must be more than 0, `switch_interval` at
  least 1 µs (the interpreter's resolution).
  `time_scale` is at most 1,000.
- `runtime` defaults to the first entry of `runtimes` when that is given, else to asyncio
  when asyncio can run every op, else to the first runtime that can (a scenario that uses
  `switch` runs on greenlet without saying so). An explicit `runtime` must be in `runtimes`.
- A runtime an option rules out on this Python (`asyncio.eager_tasks` before 3.12) is not
  among the scenario's runtimes (`Scenario.excluded` says why); listing it in `runtimes`,
  or having it as the scenario's own (or default) runtime, is an error.
- The scenario is always checked on its own runtime; choosing one (`-r`) then only adds
  that it must be one of the scenario's runtimes. So a file loads for runtime R exactly
  when it loads and lists (or defaults to) R: `check` and `run -r R` never disagree.
- `put.item` may be left out; it then defaults to `{name}`, the putting task's name.
  `queues.NAME.maxsize` 0 means unbounded, as in Python.
- A reference `name` means every instance of the task; `name[3]` one instance (decimal
  index, spaces around the reference are ignored). One step may not name an instance twice.
  `call` and `switch` take exactly one instance (`name` is fine when the task has no
  `count` or `count: 1`).
- Each instance is started (`spawn`, `gather`) at most once over the whole run, counting
  `repeat`, `count` and `call`: a `spawn` inside `repeat: {times: 3}` is an error. `main`
  is never started or joined by another task. `join` needs some step that starts the task.
- "Nesting depth 32" counts `repeat` levels and `call` levels together (a call runs the
  callee's steps one level deeper), since both nest the runtime's own stack.
- An empty `steps` list is an error (a task must do something; `- print: ""` if not).
- Warnings (printed, exit status 0): a task nothing starts, calls, joins or switches to;
  `{item}` in a scenario without any `get`; a bounded queue no step uses.
- `put` always takes a mapping (`put: jobs` is refused with the right form as the hint).
- At most 50 problems are listed, then one line says how many more there are.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from simtui import durations
from simtui.files import NotRegularFile, open_regular, reason
from simtui.runtimespec import NAMES, SPECS, OptionSpec, runtimes_for
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
    OptionValue,
    Scenario,
    Step,
    TaskDef,
)

BUNDLED_DIR = Path(__file__).resolve().parent.parent / "scenarios"

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
PYTHON = sys.version_info[:2]
"""The Python the scenario will run on (the worker is started with this interpreter)."""

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_CORE_TAGS = frozenset({_STR, _INT, _FLOAT, _BOOL, _NULL,
                        "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})

NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")
REF_RE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*(?:\[\s*([0-9]+)\s*\])?\s*\Z")
_INT_RE = re.compile(r"[-+]?[0-9]+\Z")
_NUMBER_RE = re.compile(durations.NUMBER + r"\Z")
_TEMPLATE_RE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_FIELDS = ("i", "name", "item")
_TOP_KEYS = ("name", "title", "description", "runtime", "runtimes", "main", "time_scale",
             "timeout", "options", "queues", "tasks")
_OP_KEYS = {"put": ("queue", "item"), "repeat": ("times", "steps")}
_OBJECT = {"acquire": "lock", "release": "lock", "wait": "event", "set": "event", "get": "queue"}
_EXAMPLE = {
    "print": '- print: "hello {i}"', "sleep": "- sleep: 1", "cpu": '- cpu: "200ms"',
    "block": "- block: 0.5", "io": '- io: "100ms"', "spawn": "- spawn: worker",
    "join": "- join: worker", "gather": "- gather: worker", "call": "- call: helper",
    "switch": "- switch: other", "acquire": "- acquire: lock", "release": "- release: lock",
    "wait": "- wait: ready", "set": "- set: ready", "get": "- get: jobs",
    "put": '- put: {queue: jobs, item: "job {i}"}',
    "repeat": "- repeat: {times: 3, steps: [yield]}",
    "yield": "- yield",
}


def _make_loader(base: Any) -> Any:
    """`base` resolving only null, bool, int and float implicitly.

    YAML 1.1 would also turn `2024-01-01` into a timestamp, `<<` into a merge and `=` into
    a value tag; here they stay text, so a refused tag is always one the user wrote.
    """
    keep = {_NULL, _BOOL, _INT, _FLOAT}
    resolvers = {
        first: [(tag, regexp) for tag, regexp in entries if tag in keep]
        for first, entries in base.yaml_implicit_resolvers.items()
    }
    return type("ScenarioYAMLLoader", (base,), {"yaml_implicit_resolvers": resolvers})


try:  # the C composer is much faster on big files; both are safe (no construction)
    _Loader: Any = _make_loader(yaml.CSafeLoader)
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _Loader = _make_loader(yaml.SafeLoader)


def bundled_scenarios() -> list[Path]:
    """The scenarios shipped with simtui, by name."""
    return sorted(BUNDLED_DIR.glob("*.yaml"))


def resolve(name_or_path: str) -> Path | None:
    """A scenario file: the path itself if there is something there, else a bundled scenario
    of that name; None when neither exists.

    A path that cannot even be looked up (a name too long, a folder without permission)
    is returned as it is, so that reading it says why rather than "no such file".
    """
    path = Path(name_or_path)
    try:
        os.stat(path)
        return path
    except (FileNotFoundError, NotADirectoryError):
        pass
    except OSError:
        return path
    except ValueError:  # a NUL in the name: no file can have it
        return None
    stem = name_or_path.removesuffix(".yaml").removesuffix(".yml")
    if NAME_RE.match(stem):
        bundled = BUNDLED_DIR / f"{stem}.yaml"
        if bundled.is_file():
            return bundled
    return None


def load_scenario(name_or_path: str, runtime: str | None = None) -> Scenario:
    """Load a scenario file or a bundled scenario by name.

    With `runtime`, also refuse it unless it is one of the scenario's runtimes. Only a
    regular file is read: a FIFO, a device or a directory is refused before it is opened.
    Raises `ScenarioError`.
    """
    path = resolve(name_or_path)
    if path is None:
        raise ScenarioError([Problem(name_or_path, 1, 1,
                                     "no such file, and no bundled scenario of that name "
                                     "(see `simtui list`)")])
    source = name_or_path if path == Path(name_or_path) else str(path)
    try:
        with open_regular(path) as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except NotRegularFile as e:
        hint = ("; `simtui check DIR` checks the *.yaml files in it"
                if e.kind == "a directory" else "")
        raise ScenarioError([Problem(source, 1, 1,
                                     f"not a regular file ({e.kind}{hint})")]) from None
    except OSError as e:
        raise ScenarioError([Problem(source, 1, 1, f"cannot read: {reason(e)}")]) from None
    return load_text(data, source, runtime=runtime)


def load_text(data: bytes | str, source: str = "<string>", runtime: str | None = None) -> Scenario:
    """Load a scenario from its text. Raises `ScenarioError` listing every problem found."""
    if isinstance(data, str):
        text = data
        try:
            size = len(text.encode("utf-8"))
        except UnicodeEncodeError as e:  # lone surrogates, e.g. from a broken paste
            line, col = _position(text, e.start)
            raise ScenarioError([Problem(source, line, col,
                                         "not valid Unicode text (a lone surrogate)")]) from None
        text = text.removeprefix("\ufeff")
    else:
        size = len(data)
        text = "" if size > MAX_FILE_BYTES else _decode(data, source)
    if size > MAX_FILE_BYTES:
        raise ScenarioError([Problem(source, 1, 1, f"the file is larger than 1 MiB "
                                                   f"({MAX_FILE_BYTES:,} bytes); make it smaller")])
    return _Reader(source, text, runtime).read()


def _decode(data: bytes, source: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ScenarioError([Problem(source, 1, 1, "the file is UTF-16 text; save it as UTF-8")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        good = data[: e.start].decode("utf-8-sig")
        line, col = _position(good, len(good))
        what = "not a text file" if b"\x00" in data else "not UTF-8 text"
        raise ScenarioError([Problem(source, line, col,
                                     f"{what} (byte 0x{data[e.start]:02x}); save it as UTF-8")]
                            ) from None


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of `text[index]`, counting lines as `str.splitlines` does."""
    lines = text[:index].splitlines(keepends=True)
    if not lines:
        return 1, 1
    last = lines[-1]
    if last.splitlines()[0] != last:  # ends with a line break: the next line starts here
        return len(lines) + 1, 1
    return len(lines), len(last) + 1


class _Abort(Exception):
    """Stop reading: the problem is recorded and nothing after it can be trusted."""


class _Reader:
    """Walks the composed YAML nodes once, collecting problems with their positions."""

    def __init__(self, source: str, text: str, runtime: str | None) -> None:
        self.source = source
        self.text = text
        self.runtime = runtime
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.visits = 0
        self._lines: list[str] | None = None
        self.raw_steps: dict[str, yaml.Node] = {}
        self.uses_item: yaml.Node | None = None
        self.task_names: set[str] = set()
        """Every task name written, including those of broken tasks (already reported)."""

    # -- reporting ---------------------------------------------------------------------

    def locate(self, where: yaml.Node | yaml.Mark | tuple[int, int] | None) -> tuple[int, int]:
        """1-based (line, col) of a node or mark, kept inside the text."""
        if where is None:
            return 1, 1
        if isinstance(where, tuple):
            line, col = where
        else:
            mark = where.start_mark if isinstance(where, yaml.Node) else where
            line, col = mark.line + 1, mark.column + 1
        if self._lines is None:
            self._lines = self.text.splitlines() or [""]
        if line > len(self._lines):  # a mark at the very end of the text
            line = len(self._lines)
            col = len(self._lines[-1]) + 1
        return max(line, 1), max(1, min(col, len(self._lines[line - 1]) + 1))

    def err(self, where: yaml.Node | yaml.Mark | tuple[int, int] | None, message: str) -> None:
        line, col = self.locate(where)
        self.problems.append(Problem(self.source, line, col, message))

    def warn(self, where: yaml.Node | tuple[int, int], message: str) -> None:
        line, col = self.locate(where)
        self.warnings.append(Problem(self.source, line, col, message))

    def fail(self) -> ScenarioError:
        problems = sorted(set(self.problems), key=lambda p: (p.line, p.col, p.message))
        if len(problems) > MAX_PROBLEMS:
            more = problems[MAX_PROBLEMS]
            rest = len(problems) - MAX_PROBLEMS
            problems = problems[:MAX_PROBLEMS] + [
                Problem(self.source, more.line, more.col,
                        f"... and {rest:,} more problem{'s' if rest > 1 else ''} from here on")
            ]
        return ScenarioError(problems)

    # -- YAML ------------------------------------------------------------------------

    def compose(self) -> yaml.Node | None:
        nul = self.text.find("\x00")
        if nul >= 0:
            self.err(_position(self.text, nul), "not a text file (NUL character)")
            raise self.fail()
        try:
            return yaml.compose(self.text, Loader=_Loader)  # type: ignore[no-any-return]
        except yaml.reader.ReaderError as e:
            # Its position is a byte offset in the C parser and a character offset in
            # the Python one: find the character instead.
            ch = chr(e.character) if isinstance(e.character, int) else str(e.character)
            at = self.text.find(ch) if ch else -1
            self.err(_position(self.text, max(at, 0)),
                     f"character U+{ord(ch[:1] or ' '):04X} is not allowed in YAML "
                     "(a control character); delete it")
        except yaml.MarkedYAMLError as e:
            self._yaml_problem(e)
        except yaml.YAMLError as e:
            self.err(None, f"invalid YAML: {_clip(str(e), 120)}")
        except RecursionError:  # the pure-Python composer recurses per nesting level
            self.err(None, "invalid YAML: nested too deeply")
        raise self.fail()

    def _yaml_problem(self, e: yaml.MarkedYAMLError) -> None:
        problem = (e.problem or "").strip()
        context = (e.context or "").strip()
        mark = e.problem_mark or e.context_mark
        char = self._char_at(mark)
        if "end of stream" in problem and e.context_mark is not None:
            mark = e.context_mark  # "found unexpected end of stream": the opening quote
        if "expected a single document" in context:
            what = "only one YAML document is allowed per file (found a second `---`)"
        elif "undefined alias" in problem:
            name = re.match(r"\*?([^\s,\]}]*)", self.text[mark.index:] if mark else "")
            alias = name.group(1) if name else ""
            what = (f"alias `*{_clip(alias)}` has no anchor `&{_clip(alias)}` before it; "
                    "define the anchor first")
        elif "duplicate anchor" in context:
            what = "the same anchor `&name` is defined twice; rename one"
        elif "tab" in problem or char == "\t":
            what = "a tab character where YAML needs spaces; indent with spaces only"
        elif "nesting depth" in problem:
            what = "nested too deeply"
        elif problem.startswith("did not find expected ','") and e.context_mark is not None:
            mark = e.context_mark
            what = (f"this `{self._char_at(mark) or '['}` is never closed; add the closing "
                    "bracket, or a `,` between items")
        elif "cannot start any token" in problem and char:
            what = (f"a value cannot start with `{char}`; put the value in quotes")
        elif "mapping values are not allowed" in problem:
            what = ("a `:` where a mapping cannot start; put text that contains `: ` in "
                    "quotes, or check the indentation")
        elif "could not find expected ':'" in problem:
            what = "expected `key: value` here; check the indentation and quotes"
        elif "did not find expected" in problem or "expected <block end>" in problem:
            what = f"{problem}; check the indentation (and that quotes are closed)"
        elif problem:
            what = f"{problem}" + (f" ({context})" if context else "")
        else:
            what = context or "invalid YAML"
        self.err(mark, f"invalid YAML: {what}")

    def _char_at(self, mark: yaml.Mark | None) -> str:
        if mark is None or not 0 <= mark.index < len(self.text):
            return ""
        return self.text[mark.index]

    def check_expansion(self, root: yaml.Node) -> None:
        """Refuse alias bombs, recursive anchors and tags anywhere, before reading anything.

        Composed YAML shares one node per anchor, so the size of the tree the aliases stand
        for is computed once per distinct node, in time linear in the file. `x-` entries
        do not count towards the size (nothing reads them), but a tag there is refused too.
        """
        size: dict[int, int] = {}
        open_: set[int] = set()
        shared = False
        tags = False
        stack: list[tuple[yaml.Node, list[yaml.Node] | None]] = [(root, None)]
        while stack:
            node, kids = stack.pop()
            nid = id(node)
            if kids is not None:
                total = 1 + sum(size[id(c)] for c in _children(node))
                open_.discard(nid)
                if total > MAX_NODES and shared:
                    self.err(node, f"anchors and aliases here expand to more than "
                                   f"{MAX_NODES:,} nodes; write the steps out or use `repeat`")
                    raise self.fail()
                size[nid] = min(total, MAX_NODES + 1)
                continue
            if nid in size:
                shared = True
                continue
            if nid in open_:
                self.err(node, "this anchor is used inside itself (`*name` within `&name`), "
                               "which never ends; use `repeat` instead")
                raise self.fail()
            if node.tag not in _CORE_TAGS:
                tags = True
                self.visit(node)  # reports the tag
            if isinstance(node, yaml.ScalarNode):
                size[nid] = 1
                continue
            open_.add(nid)
            kids = _all_children(node)
            stack.append((node, kids))
            stack.extend((c, None) for c in kids)
        if tags:
            raise self.fail()

    def visit(self, node: yaml.Node) -> bool:
        """Count a node visit and refuse tags; False when the node must be skipped."""
        self.visits += 1
        if self.visits > 4 * MAX_NODES:  # a safety net: check_expansion bounds this first
            self.err(node, f"anchors and aliases expand to too many nodes (more than "
                           f"{MAX_NODES:,}); write the steps out or use `repeat`")
            raise _Abort
        if node.tag not in _CORE_TAGS:
            tag = node.tag.replace("tag:yaml.org,2002:", "!!")
            self.err(node, f"the YAML tag `{_clip(tag)}` is not allowed: a scenario is plain "
                           "data; remove the tag")
            return False
        return True

    # -- typed values ------------------------------------------------------------------

    def mapping(self, node: yaml.Node, what: str, optional: bool = False
                ) -> dict[str, tuple[yaml.Node, yaml.Node]] | None:
        """The entries of a mapping node by key, reporting duplicates and odd keys.

        With `optional`, an empty value is an empty mapping.
        """
        if not self.visit(node):
            return None
        if optional and _is_null(node):
            return {}
        if not isinstance(node, yaml.MappingNode):
            self.err(node, f"{what} must be a mapping (`key: value` lines), not {_kind(node)}")
            return None
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key, value in node.value:
            if not self.visit(key):
                continue
            if not isinstance(key, yaml.ScalarNode) or key.tag == _NULL:
                self.err(key, f"a key in {what} must be a name, not {_kind(key)}")
                continue
            name = key.value
            if name == "<<" and not key.style:
                self.err(key, "merge keys (`<<`) are not supported: write the keys out, or "
                              "reuse a whole list of steps with an alias (`steps: *name`)")
                continue
            if name in out:
                first = self.locate(out[name][0])[0]
                self.err(key, f"`{_clip(name)}` is given twice in {what} (first on line "
                              f"{first}); keep one")
                continue
            out[name] = (key, value)
        return out

    def check_keys(self, entries: dict[str, tuple[yaml.Node, yaml.Node]],
                   allowed: tuple[str, ...], what: str,
                   hint: Callable[[yaml.Node], str] | None = None) -> None:
        for name, (key, value) in entries.items():
            if name in allowed or name.startswith("x-"):
                continue
            extra = self.did_you_mean(name, allowed) or (hint(value) if hint else "")
            self.err(key, f"unknown key `{_clip(name)}` in {what}{extra}")

    def did_you_mean(self, word: str, choices: Any) -> str:
        """A close match, while it is cheap: few choices, and few problems so far."""
        if len(self.problems) > 4 * MAX_PROBLEMS or len(choices) > 1000:
            return ""
        return _did_you_mean(word, choices)

    def scalar(self, node: yaml.Node, what: str, example: str = "") -> yaml.ScalarNode | None:
        if not self.visit(node):
            return None
        if isinstance(node, yaml.ScalarNode) and node.tag != _NULL:
            return node
        self.err(node, f"{what} must be text, not {_kind(node)}{example}")
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
        if isinstance(node, yaml.ScalarNode) and node.tag == _BOOL:
            return node.value.lower() in ("true", "yes", "on")
        quoted = _quoted_hint(node, ("true", "false", "yes", "no", "on", "off"))
        self.err(node, f"{what} must be true or false, not {_kind(node)}{quoted}")
        return None

    def integer(self, node: yaml.Node, what: str, low: int, high: int) -> int | None:
        if not self.visit(node):
            return None
        raw = node.value if isinstance(node, yaml.ScalarNode) else None
        if not (isinstance(raw, str) and node.tag == _INT and _INT_RE.match(raw)):
            if isinstance(raw, str) and node.tag == _INT:
                hint = "; write it in decimal digits, such as 10"
            elif isinstance(raw, str) and node.tag == _STR and _INT_RE.match(raw.strip()):
                hint = " (remove the quotes)"
            else:
                hint = ""
            self.err(node, f"{what} must be a whole number, not {_kind(node)}{hint}")
            return None
        digits = raw.lstrip("+-").lstrip("0")
        value = int(raw) if len(digits) <= 18 else (high + 1 if raw[0] != "-" else low - 1)
        if value < low:
            self.err(node, f"{what} must be at least {low:,}, not {_clip(raw)}")
            return None
        if value > high:
            self.err(node, f"{what} must be at most {high:,}, not {_clip(raw)}")
            return None
        return value

    def number(self, node: yaml.Node, what: str, high: float) -> float | None:
        """A positive finite number (`time_scale`)."""
        if not self.visit(node):
            return None
        value: float | None = None
        if isinstance(node, yaml.ScalarNode) and node.tag in (_INT, _FLOAT, _STR):
            raw = node.value.strip()
            plain = not node.style or node.tag != _STR
            if plain and _NUMBER_RE.match(raw):
                value = float(raw)
            elif plain and raw.lower().lstrip("+-") in (".inf", ".nan"):
                value = float(raw.replace(".", "", 1))
            elif _NUMBER_RE.match(raw):
                self.err(node, f"{what} must be a number, not {_kind(node)} (remove the quotes)")
                return None
        if value is None:
            self.err(node, f"{what} must be a number, not {_kind(node)}")
            return None
        if not math.isfinite(value) or value <= 0:
            self.err(node, f"{what} must be a positive number, not {_clip(node.value)}")
            return None
        if value > high:
            self.err(node, f"{what} must be at most {high:,g}, not {_clip(node.value)}")
            return None
        return value

    def duration(self, node: yaml.Node, what: str, positive: bool = False) -> float | None:
        """Seconds: a number or a string with a unit (`3`, `0.5`, "250ms", "50us", "2s")."""
        if not self.visit(node):
            return None
        example = " such as 3, 0.5 or \"250ms\""
        if not isinstance(node, yaml.ScalarNode) or node.tag in (_NULL, _BOOL):
            self.err(node, f"{what} needs a duration{example}, not {_kind(node)}")
            return None
        raw = str(node.value)
        if node.tag == _FLOAT and raw.strip().lower().lstrip("+-") in (".inf", ".nan"):
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
            if name in _FIELDS:
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
            if bare in _FIELDS:
                hint = f"; write `{{{bare}}}`" + (" (no spaces or format specs)"
                                                  if bare == written else "")
            else:
                hint = self.did_you_mean(name, _FIELDS) or ""
            self.err(where, f"{what}: unknown field `{_clip(tok)}`{hint}; the fields are "
                            "{i}, {name} and {item} (`{{` and `}}` for literal braces)")
        return text if ok else None

    def _inside(self, node: yaml.ScalarNode, offset: int) -> yaml.Node | tuple[int, int]:
        """The position of character `offset` of a one-line scalar's value, else the node."""
        start, end = node.start_mark, node.end_mark
        raw = self.text[start.index:end.index]
        if start.line != end.line:
            return node
        if not node.style and raw == node.value:
            return start.line + 1, start.column + 1 + offset
        if node.style in ("'", '"') and raw[1:-1] == node.value:
            return start.line + 1, start.column + 2 + offset
        return node

    # -- the format --------------------------------------------------------------------

    def read(self) -> Scenario:
        try:
            return self._read()
        except _Abort:
            raise self.fail() from None
        except RecursionError:  # pathological input the checks above did not foresee
            self.err(None, f"the scenario is nested too deeply (more than {MAX_DEPTH} levels)")
            raise self.fail() from None

    def _read(self) -> Scenario:
        if self.runtime is not None and self.runtime not in RUNTIMES:
            self.err(None, f"unknown runtime `{_clip(self.runtime)}`; choose one of "
                           f"{', '.join(RUNTIMES)}")
            raise self.fail()
        root = self.compose()
        if root is not None:
            self.check_expansion(root)
        if root is None:
            self.err(None, "the file is empty: a scenario needs at least `tasks:` with a "
                           "`main` task")
            raise self.fail()
        top = self.mapping(root, "the scenario")
        if top is None:
            raise self.fail()
        self.check_keys(top, _TOP_KEYS, "the scenario", hint=lambda value: (
            " (tasks go under `tasks:`)" if isinstance(value, yaml.SequenceNode) else ""))

        def given(key: str) -> yaml.Node | None:
            """The value of an optional top-level key; None when absent or empty."""
            if key not in top:
                return None
            node = top[key][1]
            return None if _is_null(node) and self.visit(node) else node

        stem = Path(self.source).stem if not self.source.startswith("<") else "scenario"
        node = given("name")
        name = self.text_value(node, "`name`", one_line=True) if node else stem
        if name is not None and not name.strip():
            self.err(node, "`name` is empty; leave it out to use the file name")
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
                    close = self.did_you_mean(value, RUNTIMES)
                    self.err(runtime_node, f"unknown runtime `{_clip(value)}`; choose one of "
                                           f"{', '.join(RUNTIMES)}{close}")
        listed = self.runtimes(given("runtimes"))
        if runtime is not None and listed and runtime not in [rt for rt, _ in listed]:
            self.err(runtime_node, f"`runtime` {runtime} is not in `runtimes`; add it there, "
                                   "or choose one of them")

        main_node = given("main")
        main = "main"
        if main_node is not None:
            value = self.text_value(main_node, "`main`")
            if value is not None and not NAME_RE.match(value):
                self.err(main_node, f"`{_clip(value)}` is not a valid task name")
            elif value is not None:
                main = value
        node = given("time_scale")
        time_scale = (self.number(node, "`time_scale`", MAX_TIME_SCALE) if node else None) or 1.0
        node = given("timeout")
        timeout = (self.duration(node, "`timeout`", positive=True) if node else None) or 60.0
        options, option_nodes = self.options(top["options"][1]) if "options" in top else (
            Options(), {})
        queues, queue_nodes = self.queues(top["queues"][1]) if "queues" in top else ({}, {})

        if "tasks" not in top:
            self.err(root, "the scenario has no `tasks`: add `tasks:` with at least a `main` "
                           "task")
            raise self.fail()
        tasks_key, tasks_node = top["tasks"]
        defs = self.tasks(tasks_node)
        total = sum(d.count or 1 for d in defs.values())
        if total > MAX_INSTANCES:
            self.err(tasks_key, f"{total:,} task instances after expanding `count`; the limit "
                                f"is {MAX_INSTANCES:,}")
            raise self.fail()
        if main not in defs:
            if main not in self.task_names and (defs or main_node is not None):
                self.err(main_node or tasks_key, f"no task named `{main}` to start the run"
                                                 f"{self.did_you_mean(main, defs)}")
        elif defs[main].count is not None:
            self.err((defs[main].line, defs[main].col), f"the main task `{main}` cannot have "
                                                        "`count`: it is the one task that starts "
                                                        "the run")

        steps_by_def = {dname: self.task_steps(dname, defs) for dname in defs}
        final = {
            dname: TaskDef(dname, steps_by_def[dname], d.line, d.col, d.count,
                           sum(1 for _ in _flat(steps_by_def[dname])))
            for dname, d in defs.items()
        }
        instances: dict[str, Instance] = {}
        for dname in ([main] if main in final else []) + [n for n in final if n != main]:
            d = final[dname]
            for k, iname in enumerate(d.instance_names()):
                instances[iname] = Instance(iname, dname, k)

        graph_ok = self.check_calls(final)
        if graph_ok:
            self.check_depth(final)
            self.check_starts(final, main)
        self.check_references(final, main)
        ops = frozenset(op for d in final.values() for op in _ops(d.steps))
        supported = runtimes_for(ops)
        if runtime is None:
            # The first listed; else the first runtime simtui offers that can run every op;
            # else the first it offers, so that the problems say what stops each op there.
            runtime = listed[0][0] if listed else (supported or NAMES)[0]
        ruled_out = self.ruled_out_by_options(options, option_nodes)
        runtimes = self.check_runtimes(final, runtime, runtime_node is not None, listed,
                                       supported, ruled_out)
        self.check_warnings(final, queue_nodes)
        if self.problems:
            raise self.fail()
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
            tasks=final,
            instances=instances,
            source=self.source,
            text=self.text,
            warnings=tuple(sorted(set(self.warnings), key=lambda p: (p.line, p.col))),
            excluded={rt: why for rt, (_, why) in ruled_out.items() if rt in supported
                      and not listed},
        )

    def runtimes(self, node: yaml.Node | None) -> list[tuple[str, yaml.Node]]:
        listed: list[tuple[str, yaml.Node]] = []
        if node is None or not self.visit(node):
            return listed
        if not isinstance(node, yaml.SequenceNode):
            self.err(node, f"`runtimes` must be a list such as [asyncio, gevent], not "
                           f"{_kind(node)}")
            return listed
        if not node.value:
            self.err(node, "`runtimes` is empty: list at least one runtime, or leave it out")
        seen: set[str] = set()
        for item in node.value:
            value = self.text_value(item, "an entry of `runtimes`")
            if value is None:
                continue
            if value not in RUNTIMES:
                self.err(item, f"unknown runtime `{_clip(value)}`; choose from "
                               f"{', '.join(RUNTIMES)}{self.did_you_mean(value, RUNTIMES)}")
            elif value in seen:
                self.err(item, f"`{value}` is listed twice in `runtimes`")
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
                if _is_null(value_node) and self.visit(value_node):
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

    def queues(self, node: yaml.Node) -> tuple[dict[str, int], dict[str, yaml.Node]]:
        entries = self.mapping(node, "`queues`", optional=True)
        out: dict[str, int] = {}
        keys: dict[str, yaml.Node] = {}
        for qname, (key, value) in (entries or {}).items():
            if qname.startswith("x-"):
                continue
            if not NAME_RE.match(qname):
                self.err(key, f"`{_clip(qname)}` is not a valid queue name: use letters, "
                              "digits, `_`, `.` and `-`, starting with a letter or `_`")
                continue
            keys[qname] = key
            sub = self.mapping(value, f"queue `{qname}`", optional=True)
            if sub is None:
                continue
            self.check_keys(sub, ("maxsize",), f"queue `{qname}`")
            if "maxsize" not in sub or (_is_null(sub["maxsize"][1])
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
            raise self.fail()
        entries = self.mapping(node, "`tasks`")
        if entries is None:
            raise self.fail()
        defs: dict[str, TaskDef] = {}
        if not any(not n.startswith("x-") for n in entries):
            self.err(node, "`tasks` is empty: add at least a `main` task")
        for tname, (key, value) in entries.items():
            if tname.startswith("x-"):
                continue
            self.task_names.add(tname)
            if not NAME_RE.match(tname):
                self.err(key, f"`{_clip(tname)}` is not a valid task name: use letters, "
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
                                    f"with `- `, such as `{_EXAMPLE[ops[0]]}`")
                    continue
                unknown = len(self.problems)
                example = (f" (steps go in a list under `steps:`, such as "
                           f"`{_EXAMPLE[ops[0]]}`)" if ops else "")
                self.check_keys(sub, ("steps", "count"), what, hint=_constant(example))
                if "count" in sub:
                    count = self.integer(sub["count"][1], f"`count` of task `{tname}`", 1,
                                         MAX_INSTANCES)
                steps_node = sub["steps"][1] if "steps" in sub else None
                if steps_node is None:
                    if len(self.problems) > unknown:  # a misspelt `steps`, reported
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
                           f"line, not {_kind(node)}{hint}")
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
        keys = [k for k in entries if not k.startswith("x-")]
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
            if ops and ops[0] in _OP_KEYS and _is_null(entries[ops[0]][1]) and all(
                k in _OP_KEYS[ops[0]] for k in others
            ):
                op = ops[0]
                self.err(entries[others[0]][0], f"`{others[0]}` belongs inside `{op}`: indent "
                                                f"it more than `{op}`, or write "
                                                f"`{_EXAMPLE[op]}`")
                return None
            for k in others:
                if ops:
                    self.err(entries[k][0], f"unknown key `{_clip(k)}` in a `{ops[0]}` step; a "
                                            "step is one op (keys starting with `x-` are "
                                            f"ignored){self.did_you_mean(k, OPS)}")
                else:
                    self.err(entries[k][0], f"unknown op `{_clip(k)}`{self.did_you_mean(k, OPS)}")
            return None
        op = ops[0]
        key, arg = entries[op]
        line, col = self.locate(key)
        if op in BARE_OPS:
            if not (self.visit(arg) and _is_null(arg)):
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
            name = self.object_name(arg, op, _OBJECT[op])
            return None if name is None else Step(op, line, col, index, name=name)
        if op == "put":
            return self.put_step(key, arg, line, col, index)
        return self.repeat_step(key, arg, defs, counter, depth, line, col, index)

    def bare_step(self, node: yaml.ScalarNode, index: int) -> Step | None:
        line, col = self.locate(node)
        if node.tag == _NULL:
            self.err(node, "an empty step: write an op, such as `- sleep: 1`, or delete the `-`")
            return None
        op = str(node.value)
        if op in BARE_OPS:
            return Step(op, line, col, index)
        if op in OPS:
            self.err(node, f"`{op}` needs an argument: `{_EXAMPLE[op]}`")
            return None
        first = op.strip().split(None, 1)
        if first and first[0].rstrip(":") in OPS and len(first) == 2:
            word = first[0].rstrip(":")
            self.err(node, f"`{_clip(op)}` is text, not an op: write `- {word}: "
                           f"{_clip(first[1].strip(), 30)}` (a colon and a space after the op)")
        else:
            self.err(node, f"unknown op `{_clip(op)}`{self.did_you_mean(op, OPS)}")
        return None

    def object_name(self, node: yaml.Node, op: str, kind: str, what: str | None = None
                    ) -> str | None:
        """A lock, event or queue name; `what` names the value in messages (`put.queue`)."""
        name = self.text_value(node, what or f"`{op}`", example=f": `{_EXAMPLE.get(op, '')}`")
        if name is None:
            return None
        if not NAME_RE.match(name):
            self.err(node, f"`{_clip(name)}` is not a valid {kind} name: use letters, digits, "
                           "`_`, `.` and `-`, starting with a letter or `_`")
            return None
        return name

    def put_step(self, key: yaml.Node, arg: yaml.Node, line: int, col: int,
                 index: int) -> Step | None:
        example = _EXAMPLE["put"]
        if not self.visit(arg):
            return None
        if not isinstance(arg, yaml.MappingNode):
            self.err(arg, f"`put` takes a mapping with `queue` and `item`: `{example}`")
            return None
        sub = self.mapping(arg, "`put`")
        if sub is None:
            return None
        self.check_keys(sub, _OP_KEYS["put"], "`put`")
        if "queue" not in sub:
            self.err(key, f"`put` needs `queue`: `{example}`")
            return None
        qname = self.object_name(sub["queue"][1], "put", "queue", what="`put.queue`")
        item: str | None = "{name}"
        if "item" in sub:
            item = self.template(sub["item"][1], "`put.item`", example=f": `{example}`")
        if qname is None or item is None:
            return None
        return Step("put", line, col, index, name=qname, text=item)

    def repeat_step(self, key: yaml.Node, arg: yaml.Node, defs: dict[str, TaskDef],
                    counter: list[int], depth: int, line: int, col: int,
                    index: int) -> Step | None:
        example = _EXAMPLE["repeat"]
        sub = self.mapping(arg, "`repeat`")
        if sub is None:
            return None
        self.check_keys(sub, _OP_KEYS["repeat"], "`repeat`")
        missing = [k for k in _OP_KEYS["repeat"] if k not in sub]
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
                self.err(node, f"`{op}` needs at least one task: `{_EXAMPLE[op]}`")
                return None
        elif _is_null(node):
            self.err(key, f"`{op}` needs a task: `{_EXAMPLE[op]}`")
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
            if not isinstance(item, yaml.ScalarNode) or item.tag == _NULL:
                self.err(item, f"a task reference of `{op}` must be a task name, not "
                               f"{_kind(item)}")
                ok = False
                continue
            text = str(item.value)
            m = REF_RE.match(text)
            if not m:
                self.err(item, f"`{_clip(text)}` is not a task reference: write a task name, "
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
                self.err(item, f"`{tname}` has no `count`, so it has no instance [{_clip(idx)}]; "
                               f"write `{tname}`")
                ok = False
                continue
            elif len(idx) > 9 or int(idx) >= d.count:
                self.err(item, f"`{tname}` has {d.count:,} instance{'s' if d.count > 1 else ''} "
                               f"(0 to {d.count - 1:,}); there is no [{_clip(idx)}]")
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

    # -- whole-scenario checks ---------------------------------------------------------

    def check_calls(self, defs: dict[str, TaskDef]) -> bool:
        """A `call` cycle would recurse forever: refuse it at the call that closes it.

        Iterative, so that a chain of thousands of tasks cannot exhaust Python's stack.
        """
        graph = _call_graph(defs)
        state: dict[str, int] = {}  # 1: on the current path, 2: done
        ok = True
        for start in defs:
            if start in state:
                continue
            path = [start]
            iters = [iter(graph[start])]
            state[start] = 1
            while iters:
                edge = next(iters[-1], None)
                if edge is None:
                    state[path.pop()] = 2
                    iters.pop()
                    continue
                callee, step, _ = edge
                if state.get(callee) == 1:
                    cycle = " → ".join(path[path.index(callee):] + [callee])
                    self.err((step.line, step.col), f"`call` cycle: {cycle} would never end; "
                                                    "a task cannot call itself, directly or not")
                    ok = False
                elif callee not in state:
                    state[callee] = 1
                    path.append(callee)
                    iters.append(iter(graph[callee]))
        return ok

    def check_depth(self, defs: dict[str, TaskDef]) -> None:
        """`repeat` and `call` levels together stay within MAX_DEPTH (calls form a DAG here)."""
        depth: dict[str, int] = {}
        for dname in _callees_first(defs):
            deepest = 0
            for step, level in _flat_levels(defs[dname].steps):
                here = level
                if step.op == "call":
                    callee = defs_name(step.refs[0])
                    here = level + depth[callee]
                    if here > MAX_DEPTH >= depth[callee]:
                        self.err((step.line, step.col),
                                 f"this `call` nests steps {here} levels deep (`repeat` and "
                                 f"`call` levels together; the limit is {MAX_DEPTH})")
                deepest = max(deepest, here)
            depth[dname] = deepest

    def check_starts(self, defs: dict[str, TaskDef], main: str) -> None:
        """Each instance is started at most once over the whole run."""
        started_by_ref: set[str] = set()
        for d in defs.values():
            for step in _flat(d.steps):
                if step.op in ("spawn", "gather", "switch"):
                    started_by_ref.update(step.refs)
        # How many times each definition's steps run: its started instances, plus calls.
        runs: dict[str, int] = {n: 0 for n in defs}
        for iname in started_by_ref - {main}:
            runs[defs_name(iname)] += 1
        if main in defs:
            runs[main] += 1
        for dname in reversed(_callees_first(defs)):  # callers before callees
            for step, mult in _flat_mult(defs[dname].steps):
                if step.op == "call" and runs[dname]:
                    runs[defs_name(step.refs[0])] += runs[dname] * mult
        first: dict[str, Step] = {}
        for dname, d in defs.items():
            if not runs[dname]:
                continue
            for step, mult in _flat_mult(d.steps):
                if step.op not in ("spawn", "gather"):
                    continue
                times = runs[dname] * mult
                for ref in step.refs:
                    if ref == main:
                        self.err((step.line, step.col),
                                 f"`{main}` starts the run; it cannot be started again with "
                                 f"`{step.op}`")
                    elif ref in first:
                        self.err((step.line, step.col),
                                 f"`{step.op}` starts `{ref}` again (already started on line "
                                 f"{first[ref].line}); each task instance runs once: give "
                                 "the task a `count` for more instances")
                        break
                    elif times > 1:
                        why = ("inside `repeat`" if mult > 1 else f"`{dname}` has `count`"
                               if (d.count or 1) > 1 else f"`{dname}` runs more than once")
                        self.err((step.line, step.col),
                                 f"this `{step.op}` runs {times:,} times ({why}), so it would "
                                 f"start `{ref}` more than once; each task instance runs "
                                 "once: give the task a `count` for more instances")
                        break
                    else:
                        first[ref] = step

    def check_references(self, defs: dict[str, TaskDef], main: str) -> None:
        """`join` waits for something started; never-referenced tasks are a warning."""
        started: set[str] = set()
        referenced: set[str] = {main}
        for d in defs.values():
            for step in _flat(d.steps):
                if step.op in ("spawn", "gather", "switch"):
                    started.update(step.refs)
                referenced.update(defs_name(r) for r in step.refs)
        for d in defs.values():
            for step in _flat(d.steps):
                if step.op != "join":
                    continue
                for ref in step.refs:
                    if ref == main:
                        self.err((step.line, step.col),
                                 f"`join` cannot wait for `{main}`: it starts the run and "
                                 "outlives every other task")
                        break
                    if ref not in started:
                        self.err((step.line, step.col),
                                 f"`join` waits for `{ref}`, but no step starts it: "
                                 f"`spawn: {defs_name(ref)}` first")
                        break
        for dname, d in defs.items():
            if dname not in referenced:
                self.warn((d.line, d.col), f"task `{dname}` is never started, called or "
                                           "switched to, so it never runs")

    def ruled_out_by_options(self, options: Options, nodes: dict[str, yaml.Node]
                             ) -> dict[str, tuple[yaml.Node | None, str]]:
        """Runtimes an option turned on rules out on this Python → (the option's node, why).

        Which options need which Python is their spec's (`OptionSpec.needs_python`).
        """
        out: dict[str, tuple[yaml.Node | None, str]] = {}
        for rt, spec in SPECS.items():
            for o in spec.options:
                needs = o.needs_python
                if (needs is None or rt in out or o.available(PYTHON)
                        or not options.given.get(rt, {}).get(o.key)):
                    continue
                out[rt] = (nodes.get(f"{rt}.{o.key}"),
                           f"`options.{rt}.{o.key}` needs Python {needs[0]}.{needs[1]} or "
                           f"newer (this is Python {PYTHON[0]}.{PYTHON[1]})")
        return out

    def check_runtimes(self, defs: dict[str, TaskDef], runtime: str, explicit: bool,
                       listed: list[tuple[str, yaml.Node]], supported: tuple[str, ...],
                       ruled_out: dict[str, tuple[yaml.Node | None, str]]) -> tuple[str, ...]:
        """The scenario's runtimes; every way its own runtime, a listed one or the chosen
        one (`-r`) cannot run it is a problem.

        The scenario is checked on its own runtime whatever runtime is chosen, so that a
        file loads for runtime R exactly when it loads and R is one of its runtimes:
        `check` and `run -r R` can never disagree.
        """
        what = "this scenario's `runtime`" if explicit else "the default runtime"
        self.refuse_ops(defs, runtime, what)
        if runtime in ruled_out:
            node, why = ruled_out[runtime]
            self.err(node, f"{why}, and {runtime} is {what}: remove the option, use a newer "
                           "Python, or choose another `runtime`")
        for name, node in listed:
            if name not in supported:
                self.err(node, f"`runtimes` lists {name}, which cannot run every op of this "
                               f"scenario (it can run on: {', '.join(supported) or 'none'})")
            elif name in ruled_out and name != runtime:
                self.err(node, f"`runtimes` lists {name}, but {ruled_out[name][1]}: remove "
                               f"{name} from the list or the option")
        runtimes = (tuple(rt for rt, _ in listed) if listed
                    else tuple(rt for rt in supported if rt not in ruled_out))
        chosen = self.runtime
        if chosen is not None and chosen != runtime and chosen not in runtimes:
            # Say why the chosen runtime is not one of them, where the reason is written.
            if chosen not in supported:
                self.refuse_ops(defs, chosen, "the chosen runtime")
            elif chosen in ruled_out:
                node, why = ruled_out[chosen]
                self.err(node, f"{why}, so this scenario cannot run on {chosen} (the chosen "
                               "runtime)")
            else:
                self.err(listed[0][1] if listed else None,
                         f"{chosen} (the chosen runtime) is not in `runtimes` "
                         f"({', '.join(runtimes)}); add it there to run this scenario on it")
        return runtimes

    def refuse_ops(self, defs: dict[str, TaskDef], runtime: str, what: str) -> None:
        """Every step `runtime` cannot do is a problem, at the step."""
        for d in defs.values():
            for step in _flat(d.steps):
                hint = UNSUPPORTED[runtime].get(step.op)
                if hint:
                    self.err((step.line, step.col),
                             f"`{step.op}` cannot run on {runtime} ({what}): {hint}")

    def check_warnings(self, defs: dict[str, TaskDef], queue_nodes: dict[str, yaml.Node]) -> None:
        ops = {s.op for d in defs.values() for s in _flat(d.steps)}
        if self.uses_item is not None and "get" not in ops:
            self.warn(self.uses_item, "`{item}` is always empty: no step takes an item with "
                                      "`get`")
        used = {s.name for d in defs.values() for s in _flat(d.steps) if s.op in ("put", "get")}
        for qname, key in queue_nodes.items():
            if qname not in used:
                self.warn(key, f"queue `{qname}` is never used by a `put` or `get`")


def defs_name(instance: str) -> str:
    """The definition an instance name belongs to: `coco[3]` → `coco`."""
    return instance.split("[", 1)[0]


def _children(node: yaml.Node) -> Iterator[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        yield from node.value
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if not (isinstance(key, yaml.ScalarNode) and str(key.value).startswith("x-")):
                yield key
                yield value


def _constant(text: str) -> Callable[[yaml.Node], str]:
    return lambda _: text


def _all_children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return list(node.value)


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == _NULL


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag == _NULL:
        return "an empty value"
    value = _clip(node.value)
    if node.tag == _BOOL:
        return f"`{value}`"
    if node.tag in (_INT, _FLOAT):
        return f"the number {value}"
    if node.tag == _STR:
        return f'the text "{value}"'
    return f"`{value}`"


def _quoted_hint(node: yaml.Node, words: tuple[str, ...]) -> str:
    if isinstance(node, yaml.ScalarNode) and node.tag == _STR and node.value.lower() in words:
        return " (remove the quotes)"
    return ""


def _call_graph(defs: dict[str, TaskDef]) -> dict[str, list[tuple[str, Step, int]]]:
    """Caller → [(callee, call step, repeat multiplier of the step)]."""
    graph: dict[str, list[tuple[str, Step, int]]] = {n: [] for n in defs}
    for dname, d in defs.items():
        for step, mult in _flat_mult(d.steps):
            if step.op == "call":
                graph[dname].append((defs_name(step.refs[0]), step, mult))
    return graph


def _callees_first(defs: dict[str, TaskDef]) -> list[str]:
    """Definitions ordered so that every callee comes before its callers (no cycles)."""
    graph = _call_graph(defs)
    order: list[str] = []
    done: set[str] = set()
    for start in defs:
        if start in done:
            continue
        done.add(start)
        stack = [(start, iter(graph[start]))]
        while stack:
            node, it = stack[-1]
            edge = next(it, None)
            if edge is None:
                order.append(node)
                stack.pop()
            elif edge[0] not in done:
                done.add(edge[0])
                stack.append((edge[0], iter(graph[edge[0]])))
    return order


def _flat(steps: tuple[Step, ...]) -> Iterator[Step]:
    for s in steps:
        yield s
        if s.body:
            yield from _flat(s.body)


def _flat_levels(steps: tuple[Step, ...], level: int = 1) -> Iterator[tuple[Step, int]]:
    for s in steps:
        yield s, level
        if s.body:
            yield from _flat_levels(s.body, level + 1)


def _flat_mult(steps: tuple[Step, ...], mult: int = 1) -> Iterator[tuple[Step, int]]:
    """Each step with how many times it runs per run of its task (`repeat`s multiplied)."""
    for s in steps:
        yield s, mult
        if s.body:
            yield from _flat_mult(s.body, mult * s.times)


def _ops(steps: tuple[Step, ...]) -> set[str]:
    return {s.op for s in _flat(steps)}


def _clip(text: object, n: int = 40) -> str:
    s = str(text).replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")
    return s if len(s) <= n else s[: n - 1] + "…"


def _did_you_mean(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(str(word)[:100], list(choices), n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else ""
