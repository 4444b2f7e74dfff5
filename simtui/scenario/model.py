"""The scenario model: frozen dataclasses the loader builds and the runtimes execute."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from simtui import durations, runtimespec
from simtui.runtimespec import NAMES, SPECS
from simtui.scenario.errors import Problem

RUNTIMES: tuple[str, ...] = NAMES

ArgumentKind = Literal["text", "duration", "none", "refs", "ref", "lock", "event", "queue",
                       "put", "repeat"]
"""What an op takes: a text template, a duration, nothing (`- yield`), task references (one
or more, or exactly one), the name of a lock, event or queue, or a mapping (`put`,
`repeat`)."""

ARGUMENTS: Mapping[str, ArgumentKind] = MappingProxyType({
    "print": "text", "sleep": "duration", "yield": "none", "cpu": "duration",
    "block": "duration", "io": "duration", "spawn": "refs", "join": "refs", "gather": "refs",
    "call": "ref", "switch": "ref", "acquire": "lock", "release": "lock", "wait": "event",
    "set": "event", "put": "put", "get": "queue", "repeat": "repeat",
})
"""Every op and the kind of argument it takes, in the order the format lists them."""

OPS: tuple[str, ...] = tuple(ARGUMENTS)


def _taking(*kinds: ArgumentKind) -> frozenset[str]:
    return frozenset(op for op, kind in ARGUMENTS.items() if kind in kinds)


DURATION_OPS = _taking("duration")
MANY_REF_OPS = _taking("refs")
ONE_REF_OPS = _taking("ref")
NAME_OPS = _taking("lock", "event", "queue")
BARE_OPS = _taking("none")

# Ops a runtime cannot do, with the hint the loader gives: declared in its spec.
UNSUPPORTED: Mapping[str, Mapping[str, str]] = {
    name: spec.unsupported for name, spec in SPECS.items()
}


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a task: an op with its argument, located in the source file."""

    op: str
    line: int
    col: int
    index: int
    """Pre-order position of the step in its task definition (nested steps included)."""
    text: str = ""
    """`print` text or `put` item: a template with `{i}`, `{name}`, `{item}`."""
    seconds: float = 0.0
    """Duration of `sleep`, `cpu`, `block`, `io`, as written (before any time scale)."""
    refs: tuple[str, ...] = ()
    """Task instance names of `spawn`, `join`, `gather`, `call` and `switch`."""
    name: str = ""
    """Lock, event or queue name."""
    times: int = 0
    """`repeat` count."""
    body: tuple[Step, ...] = ()
    """`repeat` steps."""

    def describe(self) -> str:
        """The step as a user wrote it, shortly: `sleep 3`, `gather coco`, `put jobs`."""
        if self.op in DURATION_OPS:
            return f"{self.op} {durations.format(self.seconds)}"
        if self.op == "print":
            return f"print {self.text!r}"
        if self.refs:
            refs = ", ".join(self.refs)
            return f"{self.op} {refs if len(refs) <= 40 else refs[:37] + '...'}"
        if self.op == "put":
            return f"put {self.name} {self.text!r}"
        if self.name:
            return f"{self.op} {self.name}"
        if self.op == "repeat":
            return f"repeat ×{self.times}"
        return self.op


@dataclass(frozen=True, slots=True)
class TaskDef:
    """A task as written: a list of steps, possibly a template instantiated `count` times."""

    name: str
    steps: tuple[Step, ...]
    line: int
    col: int
    count: int | None = None
    nsteps: int = 0
    """Number of steps including nested ones: the `n` of "step i/n"."""

    def instance_names(self) -> list[str]:
        if self.count is None:
            return [self.name]
        return [f"{self.name}[{k}]" for k in range(self.count)]


@dataclass(frozen=True, slots=True)
class Instance:
    """One task instance: `coco[3]` is instance 3 of the definition `coco`."""

    name: str
    definition: str
    index: int


OptionValue = bool | float
"""What an option holds: a flag, or a duration in seconds."""

_NOTHING: Mapping[str, OptionValue] = MappingProxyType({})
_DEFAULTS: Mapping[tuple[str, str], OptionValue | None] = {
    (name, o.key): o.default for name, spec in SPECS.items() for o in spec.options
}


@dataclass(frozen=True, slots=True)
class Options:
    """Per-runtime options as the scenario writes them (scenario-format.md, `options`).

    Only what the scenario sets is held, as runtime → option → value; what a runtime's
    options are, their kinds and their defaults is its spec's (`simtui.runtimespec`), so a
    new runtime's options need no change here. Read them with `get`, `flag` or `seconds`.
    """

    given: Mapping[str, Mapping[str, OptionValue]] = field(default_factory=dict)

    def get(self, runtime: str, key: str) -> OptionValue | None:
        """`runtime`'s option `key`: as the scenario sets it, else its spec's default
        (None: the interpreter's own, read at run time). KeyError for an option the
        runtime does not have: a misspelt read fails rather than reads a default."""
        value = self.given.get(runtime, _NOTHING).get(key)
        if value is not None:
            return value
        try:
            return _DEFAULTS[runtime, key]
        except KeyError:
            raise KeyError(f"{runtime} has no option {key!r}") from None

    def flag(self, runtime: str, key: str) -> bool:
        """A bool option (`options.gevent.monkey_patch`)."""
        return bool(self.get(runtime, key))

    def seconds(self, runtime: str, key: str) -> float | None:
        """A duration option in seconds; None when it is the interpreter's own."""
        value = self.get(runtime, key)
        return None if value is None else float(value)


@dataclass(frozen=True, slots=True)
class Varied:
    """One variant a scenario's `compare:` declares: a key as `--vary` writes it
    (`gevent.monkey_patch`, `time_scale`) and its values, with where the key is written."""

    key: str
    values: tuple[OptionValue, ...]
    line: int
    col: int


@dataclass(frozen=True, slots=True)
class CompareSpec:
    """The comparison a scenario is for (its `compare:` key): what `simtui compare NAME`
    and the compare screen run when nothing else is said. Flags override each part."""

    runtimes: tuple[str, ...] = ()
    """The runtimes to compare on; empty: the scenario's own."""
    vary: tuple[Varied, ...] = ()
    expect: tuple[str, ...] = ()
    """The statuses every run is expected to end with; empty: `ok`."""


@dataclass(frozen=True, slots=True)
class Scenario:
    """A loaded, validated scenario."""

    name: str
    title: str
    description: str
    runtime: str
    runtimes: tuple[str, ...]
    main: str
    time_scale: float
    timeout: float
    options: Options
    queues: Mapping[str, int]
    """Bounded queues: name → maxsize."""
    tasks: Mapping[str, TaskDef]
    instances: Mapping[str, Instance]
    """Every instance in definition order, `main` first."""
    source: str
    """The path or bundled scenario name as the user gave it (or `<string>`)."""
    text: str
    """The file's text, for the source pane."""
    warnings: tuple[Problem, ...] = field(default=())
    excluded: Mapping[str, str] = field(default_factory=dict)
    """Runtimes that can do every op but not this scenario's options on this Python → why
    (`asyncio.eager_tasks` before 3.12); they are not in `runtimes`."""
    compare: CompareSpec | None = None
    """The comparison the scenario declares (`compare:`); None when it declares none."""

    def ops_used(self) -> frozenset[str]:
        found: set[str] = set()
        stack = [s for t in self.tasks.values() for s in t.steps]
        while stack:
            s = stack.pop()
            found.add(s.op)
            stack.extend(s.body)
        return frozenset(found)

    def options_for(self, runtime: str) -> dict[str, OptionValue | None]:
        """Every option of `runtime` with the value the run uses, for the trace header.

        A default that is the interpreter's own is read now (the worker's, when the scenario
        sets none), so a replay can tell, say, how often the GIL was taken away.
        """
        out: dict[str, OptionValue | None] = {}
        for o in runtimespec.get(runtime).options:
            value = self.options.get(runtime, o.key)
            if value is None and o.interpreter_default is not None:
                value = o.interpreter_default()
            out[o.key] = value
        return out


def flat(steps: tuple[Step, ...]) -> Iterator[Step]:
    """Every step of `steps`, the steps nested in `repeat` included, in pre-order."""
    for s in steps:
        yield s
        if s.body:
            yield from flat(s.body)


_FIELD = re.compile(r"\{\{|\}\}|\{(i|name|item)\}")


def render_text(template: str, index: int, name: str, item: str) -> str:
    """Fill `{i}`, `{name}` and `{item}` in a `print` or `put` template (validated at load)."""
    if "{" not in template and "}" not in template:
        return template

    def sub(m: re.Match[str]) -> str:
        tok = m.group(0)
        if tok == "{{":
            return "{"
        if tok == "}}":
            return "}"
        key = m.group(1)
        return str(index) if key == "i" else name if key == "name" else item

    return _FIELD.sub(sub, template)


@dataclass(frozen=True, slots=True)
class Frame:
    """Whose steps are being executed: `{i}`/`{name}` of a `call`ed task are the callee's."""

    index: int
    name: str


def walk(scenario: Scenario, instance: str) -> Iterator[tuple[Step, Frame]]:
    """Every step an instance executes, in order: `repeat` and `call` expanded lazily.

    `repeat` and `call` steps are yielded themselves before what they expand to, so a
    runtime records a `step` event for them too. Nothing here runs or waits: the runtime
    does each op.
    """
    inst = scenario.instances[instance]
    yield from _walk(scenario, scenario.tasks[inst.definition].steps, Frame(inst.index, inst.name))


def _walk(
    scenario: Scenario, steps: tuple[Step, ...], frame: Frame
) -> Iterator[tuple[Step, Frame]]:
    for step in steps:
        yield step, frame
        if step.op == "repeat":
            for _ in range(step.times):
                yield from _walk(scenario, step.body, frame)
        elif step.op == "call":
            callee = scenario.instances[step.refs[0]]
            yield from _walk(
                scenario, scenario.tasks[callee.definition].steps, Frame(callee.index, callee.name)
            )
