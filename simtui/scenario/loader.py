"""Load a scenario file: safe YAML → validated, frozen `Scenario`, or every problem located.

Three layers, each in its own module: the YAML mechanics (`yamlsource`: decoding, safe
composing, alias expansion, tags, positions), the format's rules (`rules`: each value,
key, task and step where it is written) and the whole-scenario checks (`checks`:
references, cycles, counts, runtimes). This module finds the file and runs them in turn.

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
- `runtime` defaults to the first entry of `runtimes` when that is given, else to the first
  runtime, in the order simtui offers them (asyncio first), that can run every op (a
  scenario that uses `switch` runs on greenlet without saying so). An explicit `runtime`
  must be in `runtimes`. Which ops a runtime cannot do, and which options need which
  Python, are the runtimes' specs (`simtui.runtimespec`).
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

import os
import sys
from pathlib import Path

from simtui.files import NotRegularFile, open_regular, reason
from simtui.scenario import checks
from simtui.scenario.errors import Problem, ScenarioError
from simtui.scenario.grammar import MAX_DEPTH, MAX_FILE_BYTES, MAX_PROBLEMS, NAME_RE
from simtui.scenario.model import RUNTIMES, Scenario
from simtui.scenario.rules import FormatReader
from simtui.scenario.yamlsource import Abort, Source, clip, decode, position

__all__ = ["BUNDLED_DIR", "MAX_FILE_BYTES", "MAX_PROBLEMS", "PYTHON", "bundled_scenarios",
           "load_scenario", "load_text", "resolve"]

BUNDLED_DIR = Path(__file__).resolve().parent.parent / "scenarios"

PYTHON = sys.version_info[:2]
"""The Python the scenario will run on (the worker is started with this interpreter)."""


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
    # As the user gave it: a bundled scenario's name, which `resolve` finds again, rather
    # than where simtui is installed (it goes into every trace header).
    source = name_or_path
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
            line, col = position(text, e.start)
            raise ScenarioError([Problem(source, line, col,
                                         "not valid Unicode text (a lone surrogate)")]) from None
        text = text.removeprefix("\ufeff")
    else:
        size = len(data)
        text = "" if size > MAX_FILE_BYTES else decode(data, source)
    if size > MAX_FILE_BYTES:
        raise ScenarioError([Problem(source, 1, 1, f"the file is larger than 1 MiB "
                                                   f"({MAX_FILE_BYTES:,} bytes); make it smaller")])
    return _read(Source(source, text), runtime)



def _read(src: Source, chosen: str | None) -> Scenario:
    """The scenario in `src`, or the ScenarioError listing every problem in it."""
    try:
        if chosen is not None and chosen not in RUNTIMES:
            src.err(None, f"unknown runtime `{clip(chosen)}`; choose one of "
                          f"{', '.join(RUNTIMES)}")
            raise src.fail()
        root = src.compose()
        if root is not None:
            src.check_expansion(root)
        written = FormatReader(src).read(root)
        verdict = checks.check(src, written, chosen, PYTHON)
    except Abort:
        raise src.fail() from None
    except RecursionError:  # pathological input the checks above did not foresee
        src.err(None, f"the scenario is nested too deeply (more than {MAX_DEPTH} levels)")
        raise src.fail() from None
    if src.problems:
        raise src.fail()
    return Scenario(
        name=written.name,
        title=written.title,
        description=written.description,
        runtime=verdict.runtime,
        runtimes=verdict.runtimes,
        main=written.main,
        time_scale=written.time_scale,
        timeout=written.timeout,
        options=written.options,
        queues=written.queues,
        tasks=written.tasks,
        instances=written.instances,
        source=src.source,
        text=src.text,
        warnings=tuple(sorted(set(src.warnings), key=lambda p: (p.line, p.col))),
        excluded=verdict.excluded,
        compare=written.compare,
    )
