"""What each runtime is, declared once: every layer asks this instead of testing a name.

A runtime is described here by what the rest of simtui needs to know about it — the ops
it cannot do (with the hint the loader gives), its options, how its ready queue is
ordered, whether it preempts, what its scheduler is called, whether it needs monkey
patching before anything is imported, how often the worker flushes its records, whether
the trace checker lets it switch to a woken task without queueing it, and where its code
(the module with `run(scenario, probe, ctx)`), its voice (the module that explains its
switches) and its `simtui bench` workload live. The loader, the schema, the CLI, the
worker, the trace checker, `simtui bench`, the replay model, the explanations and the TUI
read these fields; only a runtime's own modules know more about it. This module imports
nothing of simtui, so anything may import it.

Adding a runtime is an entry in `SPECS`, a runtime module and a voice module (and, for
`simtui bench` to measure it, a bench module).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

QueueDiscipline = Literal["fifo", "set", "none"]
"""How a runtime's ready queue is ordered: a FIFO the runtime really keeps (asyncio's
ready deque, gevent's callback queue), an unordered set the OS picks from (threads under
the GIL), or no queue at all (raw greenlet: control goes where `switch` says)."""

OptionKind = Literal["bool", "duration"]


@dataclass(frozen=True, slots=True)
class OptionSpec:
    """One per-runtime option of the scenario format (`options.RUNTIME.KEY`)."""

    key: str
    kind: OptionKind
    default: bool | float | None
    """The value when the scenario sets none; None: the interpreter's own (it is read at
    run time and recorded in the trace header)."""
    summary: str
    needs_python: tuple[int, int] | None = None
    """The oldest Python on which a true value (or any value) can work."""
    minimum: float | None = None
    """For durations: the smallest value accepted, in seconds (above 0: zero is refused)."""
    minimum_why: str = ""
    """Why nothing smaller works, for the loader's message: `the interpreter's resolution`."""
    interpreter_default: Callable[[], bool | float] | None = None
    """With `default` None: reads the value in force when the scenario sets none, at run
    time, so that the trace header records what the run really used."""

    def available(self, version: tuple[int, int] | None = None) -> bool:
        """Whether this Python (or `version`) can honour the option."""
        have = version or sys.version_info[:2]
        return self.needs_python is None or have >= self.needs_python


@dataclass(frozen=True, slots=True)
class BenchSpec:
    """How `simtui bench` measures one switch of a runtime, with no recording at all."""

    module: str
    """The module whose `switch() -> float` runs the workload: seconds per switch."""
    what: str
    """The workload, as `simtui bench` prints it beside the figure."""
    baseline: bool = False
    """The switch every other runtime's is shown as a multiple of (one runtime has it)."""


@dataclass(frozen=True, slots=True)
class RuntimeSpec:
    """A runtime, as the rest of simtui knows it."""

    name: str
    """As written in scenarios, on the command line and in trace headers."""
    summary: str
    """One line for pickers, `simtui list` and help."""
    module: str
    """The module that runs a scenario on it: `run(scenario, probe, ctx) -> Outcome`."""
    voice: str
    """The module that explains its switches in its own terms."""
    queue: QueueDiscipline
    preemptive: bool
    """Whether the runtime takes control away from a running task by itself (the GIL's
    switch interval) rather than only where the task gives it up."""
    scheduler: str
    """What decides who runs next, as a noun phrase: `the event loop`, `the hub`."""
    task_noun: str
    """What one scenario task is on this runtime: `Task`, `greenlet`, `thread`."""
    unsupported: Mapping[str, str] = field(default_factory=dict)
    """Ops the runtime cannot do, each with the hint the loader gives."""
    options: tuple[OptionSpec, ...] = ()
    patch_option: str | None = None
    """The bool option that asks for monkey patching before the runtime is imported."""
    flush_interval: float = 0.03
    """Seconds between two writes of the worker's recorded events. Runtimes whose schedule
    a flush perturbs (threads contend with the flusher for the GIL) flush less often."""
    snapshots: bool = False
    """Whether `--snapshots` can read the runtime's real ready queue."""
    direct_wake: bool = False
    """Whether a woken task may be switched to straight from a timer or an I/O watcher,
    never entering the ready queue (gevent's hub does; the trace checker allows it)."""
    bench: BenchSpec | None = None
    """How `simtui bench` measures its switch; None: it is not measured."""

    def option(self, key: str) -> OptionSpec:
        for o in self.options:
            if o.key == key:
                return o
        raise KeyError(f"{self.name} has no option {key!r}")

    def can_run(self, ops: frozenset[str] | set[str]) -> bool:
        return not (set(ops) & self.unsupported.keys())


_NO_SCHEDULER = "greenlet has no scheduler: hand control over explicitly with `switch: TASK`"


def _frozen(d: dict[str, str]) -> Mapping[str, str]:
    return MappingProxyType(d)


ASYNCIO = RuntimeSpec(
    name="asyncio",
    summary="one event loop runs coroutines as Tasks; they switch only at `await`",
    module="simtui.runtimes.asyncio_rt",
    voice="simtui.replay.voices.asyncio",
    queue="fifo",
    preemptive=False,
    scheduler="the event loop",
    task_noun="Task",
    unsupported=_frozen({
        "switch": "`switch` is greenlet only; on asyncio use `yield`, `spawn` or `gather`",
    }),
    options=(
        OptionSpec("eager_tasks", "bool", False,
                   "install asyncio.eager_task_factory: a new Task's first step runs at once",
                   needs_python=(3, 12)),
        OptionSpec("debug", "bool", False, "run the loop in asyncio's debug mode"),
    ),
    snapshots=True,
    bench=BenchSpec("simtui.bench.asyncio", "await asyncio.sleep(0), 100 tasks, via the loop"),
)

GREENLET = RuntimeSpec(
    name="greenlet",
    summary="raw greenlets with no scheduler: control goes exactly where `switch` sends it",
    module="simtui.runtimes.greenlet_rt",
    voice="simtui.replay.voices.greenlet",
    queue="none",
    preemptive=False,
    scheduler="no scheduler",
    task_noun="greenlet",
    unsupported=_frozen({
        "yield": _NO_SCHEDULER,
        "join": _NO_SCHEDULER,
        "gather": _NO_SCHEDULER + " (or `spawn` then `switch` to each)",
        "acquire": _NO_SCHEDULER + "; locks need one",
        "release": _NO_SCHEDULER + "; locks need one",
        "wait": _NO_SCHEDULER + "; events need one",
        "set": _NO_SCHEDULER + "; events need one",
        "put": _NO_SCHEDULER + "; queues need one",
        "get": _NO_SCHEDULER + "; queues need one",
    }),
    bench=BenchSpec("simtui.bench.greenlet", "greenlet.switch() between two greenlets",
                    baseline=True),
)

GEVENT = RuntimeSpec(
    name="gevent",
    summary="greenlets scheduled by gevent's hub, with monkey patching",
    module="simtui.runtimes.gevent_rt",
    voice="simtui.replay.voices.gevent",
    queue="fifo",
    preemptive=False,
    scheduler="the hub",
    task_noun="greenlet",
    unsupported=_frozen({
        "switch": "`switch` is greenlet only; on gevent use `yield` (gevent.sleep(0)) or `spawn`",
    }),
    options=(
        OptionSpec("monkey_patch", "bool", True,
                   "monkey.patch_all() before the run: blocking calls become cooperative"),
    ),
    patch_option="monkey_patch",
    snapshots=True,
    direct_wake=True,
    bench=BenchSpec("simtui.bench.gevent", "gevent.sleep(0), 100 greenlets, via the hub"),
)

THREADS = RuntimeSpec(
    name="threads",
    summary="real OS threads sharing one GIL: the interpreter preempts, the OS picks",
    module="simtui.runtimes.threads_rt",
    voice="simtui.replay.voices.threads",
    queue="set",
    preemptive=True,
    scheduler="the OS, through the GIL",
    task_noun="thread",
    unsupported=_frozen({
        "switch": "`switch` is greenlet only; threads are switched by the interpreter",
    }),
    options=(
        OptionSpec("switch_interval", "duration", None,
                   "sys.setswitchinterval: how long a thread may hold the GIL while "
                   "another waits for it (the interpreter's default is 5 ms)",
                   minimum=1e-6, minimum_why="the interpreter's resolution",
                   interpreter_default=sys.getswitchinterval),
    ),
    flush_interval=0.1,
    bench=BenchSpec("simtui.bench.threads", "threading.Event handoff between two threads"),
)

SPECS: Mapping[str, RuntimeSpec] = MappingProxyType(
    {spec.name: spec for spec in (ASYNCIO, GREENLET, GEVENT, THREADS)}
)
"""Every runtime, in the order simtui offers them."""

NAMES: tuple[str, ...] = tuple(SPECS)


def get(name: str) -> RuntimeSpec:
    """The spec of runtime `name`; KeyError with the known names if there is none."""
    try:
        return SPECS[name]
    except KeyError:
        raise KeyError(f"unknown runtime {name!r}; simtui knows {', '.join(NAMES)}") from None


def runtimes_for(ops: frozenset[str] | set[str]) -> tuple[str, ...]:
    """Every runtime that can do all of `ops`, in `SPECS` order."""
    return tuple(name for name, spec in SPECS.items() if spec.can_run(ops))
