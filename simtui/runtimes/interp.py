"""The step interpreter every runtime shares: a scenario compiled once, steps run in order.

`compile_scenario` turns each task definition into a `Program`: its steps as `Instr`s,
each made once with what the hot paths need (an op code to branch on, the declaration of
its `step` event, its output when the text is fixed). `Program.steps()` iterates them in
execution order with `repeat` expanded by `itertools` (a loop of C-level iterators, not a
chain of generators: no Python frame is resumed per step). A `call` is an instruction of
its own, carrying the callee's program: each runtime runs it its own way (asyncio awaits
a real coroutine, the others make a plain call), and the steps of the callee run inside
the caller's task as on the real runtime.

`Run` holds what every runtime keeps the same way: the scenario's locks, events and
queues (made up front from the names the scenario uses, by the runtime's own
constructors), what each task is waiting on, who holds each lock, and the stuck list
built from them. A runtime keeps only what differs: how it does each op and how it
observes its scheduler.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from simtui.runtimes.probe import Probe
from simtui.scenario.model import Frame, Scenario, Step, render_text
from simtui.trace import labels, layout

# Op codes: small ints a step loop branches on (an `is` test against a constant).
(PRINT, SLEEP, YIELD, CPU, BLOCK, IO, SPAWN, JOIN, GATHER, CALL, SWITCH, ACQUIRE, RELEASE,
 WAIT, SET, PUT, GET, REPEAT) = range(18)
CODES: dict[str, int] = {
    "print": PRINT, "sleep": SLEEP, "yield": YIELD, "cpu": CPU, "block": BLOCK, "io": IO,
    "spawn": SPAWN, "join": JOIN, "gather": GATHER, "call": CALL, "switch": SWITCH,
    "acquire": ACQUIRE, "release": RELEASE, "wait": WAIT, "set": SET, "put": PUT, "get": GET,
    "repeat": REPEAT,
}


class Instr:
    """One step, compiled: what running it needs, made once for every time it runs."""

    __slots__ = ("op", "step", "frame", "x", "xw", "text", "out", "callee", "aux")

    def __init__(self, step: Step, frame: Frame | None, probe: Probe) -> None:
        self.op = CODES[step.op]
        self.step = step
        self.frame = frame
        """Whose `{i}`/`{name}` the step's text uses; None: the running task's own."""
        self.x = probe.x((step.index, step.op, step.line, step.col))
        """The declaration of this step's `step` event."""
        self.xw = layout.x_word(self.x)
        fixed = step.text if "{" not in step.text and "}" not in step.text else None
        self.text = fixed
        """The step's text when it has no placeholder (it reads the same in every task)."""
        self.out = layout.x_word(probe.x((fixed,))) if fixed is not None and step.op == "print" \
            else 0
        """For a `print` of fixed text: the x half of its `output` record."""
        self.callee: Program | None = None
        self.aux = 0
        """A word the runtime makes once for this step (e.g. its `suspend`'s x half)."""


class Program:
    """The steps of one task definition (or of a called instance), in execution order."""

    __slots__ = ("pieces", "instrs")

    def __init__(self, pieces: list[Any], instrs: list[Instr]) -> None:
        self.pieces = pieces
        """Tuples of instructions, and loops (`_Loop`)."""
        self.instrs = instrs
        """Every instruction, once each (nested ones included)."""

    def steps(self) -> Iterator[Instr]:
        """Every instruction as it runs, `repeat` expanded (the callee of a `call` is not:
        the runtime runs it)."""
        return itertools.chain.from_iterable(map(_expand, self.pieces))

    def flat(self) -> tuple[Instr, ...] | None:
        """The whole program as one tuple, when it has no loop."""
        if not self.pieces:
            return ()
        if len(self.pieces) == 1 and type(self.pieces[0]) is tuple:
            return self.pieces[0]  # type: ignore[no-any-return]
        return None


class _Loop:
    """A `repeat`: its body's program, run `times` over."""

    __slots__ = ("times", "body")

    def __init__(self, times: int, body: Program) -> None:
        self.times = times
        self.body = body


def _expand(piece: Any) -> Iterable[Instr]:
    if type(piece) is tuple:
        return piece  # type: ignore[no-any-return]
    times, body = piece.times, piece.body
    flat = body.flat()
    if flat is not None:  # C all the way down: the body's tuple, `times` over
        return itertools.chain.from_iterable(itertools.repeat(flat, times))
    return itertools.chain.from_iterable(map(Program.steps, itertools.repeat(body, times)))


def _compile(scenario: Scenario, steps: tuple[Step, ...], frame: Frame | None, probe: Probe,
             calls: dict[str, Program], instrs: list[Instr]) -> Program:
    pieces: list[Any] = []
    run: list[Instr] = []
    for step in steps:
        ins = Instr(step, frame, probe)
        instrs.append(ins)
        run.append(ins)
        if step.op == "repeat":
            body = _compile(scenario, step.body, frame, probe, calls, instrs)
            if run:
                pieces.append(tuple(run))
                run = []
            pieces.append(_Loop(step.times, body))
        elif step.op == "call":
            ins.callee = callee_program(scenario, step.refs[0], probe, calls)
    if run:
        pieces.append(tuple(run))
    return Program(pieces, instrs)


def callee_program(scenario: Scenario, instance: str, probe: Probe,
                   calls: dict[str, Program]) -> Program:
    """The program of a `call`ed instance: its definition's steps with its own frame."""
    found = calls.get(instance)
    if found is None:
        inst = scenario.instances[instance]
        frame = Frame(inst.index, inst.name)
        steps = scenario.tasks[inst.definition].steps
        # Registered before compiling: call nesting is bounded by the loader, cycles are
        # refused there, and a callee called twice is compiled once.
        found = calls[instance] = Program([], [])
        compiled = _compile(scenario, steps, frame, probe, calls, [])
        found.pieces, found.instrs = compiled.pieces, compiled.instrs
    return found


def compile_scenario(scenario: Scenario, probe: Probe) -> dict[str, Program]:
    """Every task definition's program, by definition name (instances share theirs)."""
    calls: dict[str, Program] = {}
    return {
        name: _compile(scenario, task.steps, None, probe, calls, [])
        for name, task in scenario.tasks.items()
    }


def names_used(scenario: Scenario) -> tuple[set[str], set[str], set[str]]:
    """Every lock, event and queue name the scenario's steps mention."""
    locks: set[str] = set()
    events: set[str] = set()
    queues: set[str] = set()
    stack = [s for t in scenario.tasks.values() for s in t.steps]
    while stack:
        s = stack.pop()
        if s.op in ("acquire", "release"):
            locks.add(s.name)
        elif s.op in ("wait", "set"):
            events.add(s.name)
        elif s.op in ("put", "get"):
            queues.add(s.name)
        stack.extend(s.body)
    return locks, events, queues


class Run:
    """What a run on any runtime keeps: programs, primitives, waits, lock holders."""

    def __init__(self, scenario: Scenario, probe: Probe) -> None:
        self.scenario = scenario
        self.probe = probe
        self.programs = compile_scenario(scenario, probe)
        self.locks: dict[str, Any] = {}
        self.events: dict[str, Any] = {}
        self.queues: dict[str, Any] = {}
        self.waiting: dict[str, tuple[str, str | None]] = {}
        """Task → (reason, detail) while it waits inside an op."""
        self.holders: dict[str, str] = {}
        """Lock name → the task holding it, to say whom a waiter waits for."""
        self.frames = {name: Frame(inst.index, inst.name)
                       for name, inst in scenario.instances.items()}
        self.tasks = probe.tasks
        """Task name → id."""
        self.task_words = [layout.task_word(i) for i in range(len(probe.tasks))]
        """Per task id: the task half of word 1 of its records."""
        self.offsets = probe.offsets

    def primitives(self, make_lock: Callable[[], Any], make_event: Callable[[], Any],
                   make_queue: Callable[[int], Any]) -> None:
        """Make every lock, event and queue the scenario uses, with the runtime's own
        constructors (once the runtime can make them: gevent's need its hub)."""
        locks, events, queues = names_used(self.scenario)
        self.locks = {name: make_lock() for name in sorted(locks)}
        self.events = {name: make_event() for name in sorted(events)}
        sizes = self.scenario.queues
        self.queues = {name: make_queue(sizes.get(name, 0)) for name in sorted(queues)}

    def program(self, task: str) -> Program:
        return self.programs[self.scenario.instances[task].definition]

    def text(self, ins: Instr, task: str, item: str) -> str:
        """The text of a `print` or `put` as `task` runs it."""
        step = ins.step
        if ins.text is not None:
            return ins.text
        frame = ins.frame or self.frames[task]
        return render_text(step.text, frame.index, frame.name, item)

    def wait_entry(self, task: str, reason: str, detail: str | None) -> dict[str, str]:
        """A stuck-list entry for a task waiting with (reason, detail), lock holders current."""
        wait = labels.read_wait(reason, detail)
        if wait.reason == "lock":  # whoever holds it now, not when the wait began
            holder = self.holders.get(wait.subject)
            wait = labels.read_wait("lock", labels.lock(wait.subject, holder))
        entry = {"task": task, "waiting_on": wait.text()}
        if wait.holder is not None:
            entry["held_by"] = wait.holder
        return entry
