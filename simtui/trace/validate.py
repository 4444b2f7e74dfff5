"""The trace checker: does a JSONL trace keep every promise of the trace format, version 1?

`simtui replay` and the reader only need a trace they can show; this checks everything the
format promises, including what a runtime's instrumentation could get wrong: that the
ready queue derived from the `ready` and `run` events is ordered as the runtime's real one
is, and equal to every `queue` snapshot read from the runtime itself. The tests hold every
trace a real run writes to it.

    python -m simtui.trace.validate TRACE.jsonl ...   (or - for standard input)

prints `FILE:LINE: message` per problem (exit 1) or one `FILE: trace ok: ...` line (exit 0);
exit 2 when a file cannot be read.
"""

from __future__ import annotations

import math
import sys
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

import orjson

from simtui import runtimespec
from simtui.safe import printable
from simtui.trace.events import (
    END_STATUSES,
    FORMAT,
    QUEUE_DISCIPLINES,
    SUSPEND_REASONS,
    TYPES,
    VERSION,
)
from simtui.trace.reader import REQUIRED

CLOCKS = frozenset({"real", "virtual"})


@dataclass(frozen=True, slots=True)
class Rules:
    """How a runtime's ready queue behaves, which decides what its `ready`/`run` events may do."""

    queue: str
    """`fifo`: entries run in the order they were queued; `set`: any ready entry may run next
    (the OS picks the thread that takes the GIL); `none`: there is no ready queue at all."""
    direct_wake: bool = False
    """A woken task may be switched to straight from a timer or I/O watcher, never queued."""



def rules_for(runtime: str, queue: str | None) -> Rules | None:
    """The rules a trace of `runtime` is checked against; None when nothing says them.

    A header's own `queue` field, when present, decides the discipline; the runtime's spec
    is the fallback for traces whose header has none (written before every runtime wrote
    it), and the only source of `direct_wake`, which the trace header does not carry.
    """
    spec = runtimespec.SPECS.get(runtime)
    if spec is None:
        return Rules(queue) if queue is not None else None
    return Rules(queue or spec.queue, spec.direct_wake)

# What each extra field of an event, required (REQUIRED) or optional, must hold.
_NAME, _TEXT, _NUMBER, _COUNT, _POSITION, _LIST = "name", "text", "number", "count", "pos", "list"
FIELD_KINDS: dict[str, str] = {
    "parent": _NAME, "from": _NAME, "item": _TEXT, "reason": _TEXT, "detail": _TEXT,
    "until": _NUMBER, "index": _COUNT, "op": _TEXT, "line": _POSITION, "col": _POSITION,
    "text": _TEXT, "duration": _NUMBER, "message": _TEXT, "ready": _LIST, "status": _TEXT,
    "elapsed": _NUMBER, "stuck": _LIST,
}
# Only these may have a null `task`: the scheduler running or queueing a callback (with
# `item`), a scenario-level failure, and the scheduler's own records.
NULL_TASK_OK = frozenset({"ready", "run", "error", "queue", "end"})
# Events of the scheduler, not of a task: they neither need nor follow a task's `create`.
SCHEDULER_TYPES = frozenset({"queue", "end"})
MAX_PROBLEMS = 1000
"""Problems kept in a report (the rest are only counted): one systematic fault in a
million-event trace must not turn into a million messages in memory."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One way a trace breaks the format, at a line of the file (1 is the header)."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class Report:
    """What checking a trace found; `ok` when nothing."""

    problems: tuple[Problem, ...]
    more: int
    """Problems found beyond the MAX_PROBLEMS kept."""
    events: int
    tasks: int
    status: str | None
    """The `end` status, or None when the trace has no `end`."""
    queue: str | None
    """The ready-queue discipline the trace was checked against."""

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def messages(self) -> list[str]:
        return [str(p) for p in self.problems]


def _show(value: Any, limit: int = 60) -> str:
    """A value from the trace, quoted and cut short, for a message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_count(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


class _Checker:
    """Follows a trace line by line, keeping only what later lines are checked against."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.more = 0
        self.line = 0
        self.header_ok = False
        self.stopped = False  # line 1 is not a trace header: the rest is not checked
        self.rules = Rules("fifo")
        self.header_tasks: frozenset[str] | None = None
        self.seq = 0
        self.events = 0
        self.last_t = 0.0
        self.created: set[str] = set()
        self.finished: dict[str, int] = {}  # task → line of its `done`
        self.running: str | None = None  # the task that ran last (callbacks do not change it)
        self.current: str | None = None  # the task running now: it ran and has not given up
        self.woken: set[str] = set()  # woken since they last ran (a direct switch may follow)
        self.fifo: deque[tuple[str, str]] = deque()  # ("task" | "item", name), head first
        self.members: Counter[tuple[str, str]] = Counter()
        self.end_line: int | None = None
        self.status: str | None = None

    def problem(self, message: str, line: int | None = None) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(self.line if line is None else line, message))
        else:
            self.more += 1

    # -- lines -------------------------------------------------------------------------

    def feed(self, raw: str | bytes) -> None:
        self.line += 1
        if self.stopped:
            return
        if not raw.strip():
            if self.line == 1:
                self.problem("empty first line: not a simtui trace (expected the header)")
                self.stopped = True
            return  # a blank line carries no event (a final newline leaves one)
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError as e:
            self.problem(f"not JSON: {e}")
            if self.line == 1:
                self.stopped = True
            return
        if self.line == 1:
            self.header(obj)
        else:
            self.event(obj)

    def header(self, h: Any) -> None:
        if not isinstance(h, dict) or h.get("type") != "header":
            self.problem("not a simtui trace: the first line is not a header")
            self.stopped = True
            return
        if h.get("format") != FORMAT:
            self.problem(f"format {_show(h.get('format'))}, expected {FORMAT!r}")
            self.stopped = True
            return
        version = h.get("version")
        if isinstance(version, bool) or version != VERSION:
            self.problem(f"format version {_show(version)}: this checker knows version {VERSION}")
            self.stopped = True
            return
        self.header_ok = True
        runtime = h.get("runtime")
        queue = h.get("queue")
        if "queue" in h and queue not in QUEUE_DISCIPLINES:
            self.problem(f"header queue {_show(queue)} is not one of fifo, set, none")
            queue = None
        if not isinstance(runtime, str) or not runtime:
            self.problem(f"header runtime {_show(runtime)} is not a runtime's name")
        rules = rules_for(runtime, queue) if isinstance(runtime, str) else None
        if rules is None and isinstance(runtime, str) and runtime:
            self.problem(
                f"unknown runtime {_show(runtime)} and no header queue field: "
                "its ready queue cannot be checked"
            )
        self.rules = rules or Rules(queue or "fifo")  # still checked, as a FIFO
        for name in ("scenario", "source", "python", "simtui", "title"):
            if name in h and not isinstance(h[name], str):
                self.problem(f"header {name} {_show(h[name])} is not text")
        if "time_scale" in h and not (_is_number(h["time_scale"]) and h["time_scale"] > 0):
            self.problem(f"header time_scale {_show(h['time_scale'])} is not a positive number")
        if "options" in h and not isinstance(h["options"], dict):
            self.problem(f"header options {_show(h['options'])} is not an object")
        if "clock" in h and h["clock"] not in CLOCKS:
            self.problem(f"header clock {_show(h['clock'])} is not one of real, virtual")
        if "tasks" in h:
            tasks = h["tasks"]
            if isinstance(tasks, list) and all(isinstance(x, str) for x in tasks):
                self.header_tasks = frozenset(tasks)
            else:
                self.problem(f"header tasks {_show(tasks)} is not a list of task names")

    # -- events ------------------------------------------------------------------------

    def event(self, ev: Any) -> None:
        if not isinstance(ev, dict):
            self.problem(f"{_show(ev)} is not a JSON object")
            return
        self.events += 1
        if self.end_line is not None:
            self.problem(f"event after the end (line {self.end_line})")
        seq = ev.get("seq")
        if isinstance(seq, bool) or not isinstance(seq, int):
            self.problem(f"seq {_show(seq)} is not a whole number (expected {self.seq})")
            self.seq += 1
        else:
            if seq != self.seq:
                self.problem(f"seq {seq}, expected {self.seq}")
            self.seq = seq + 1  # one problem per gap, not one for every later event
        t = ev.get("t")
        if not _is_number(t):
            self.problem(f"t {_show(t)} is not a number")
        elif t < self.last_t:
            self.problem(f"t {t} goes back in time (the previous event was at {self.last_t})")
        elif t < 0:
            self.problem(f"t {t} is before the run started")
        else:
            self.last_t = t
        kind = ev.get("type")
        if kind not in TYPES:
            self.problem(f"unknown event type {_show(kind)}")
            return
        if "task" not in ev:
            self.problem(f"{kind} without 'task'")
            return
        task = ev["task"]
        if task is not None and not isinstance(task, str):
            self.problem(f"{kind}: task {_show(task)} is neither a name nor null")
            return
        if "inferred" in ev and not isinstance(ev["inferred"], bool):
            self.problem(f"{kind}: inferred {_show(ev['inferred'])} is not true or false")
        # The order is checked even when a field is missing or wrong (treated as absent),
        # so that one bad field is one problem, not one for every later event of its task.
        self.order(kind, task, self.fields(kind, ev))

    def fields(self, kind: str, ev: dict[str, Any]) -> dict[str, Any]:
        """Report missing required fields and known fields of the wrong type; the event
        without the wrong ones."""
        for name in REQUIRED.get(kind, ()):
            if name not in ev:
                self.problem(f"{kind} without '{name}'")
        wrong: list[str] = []
        for name, value in ev.items():
            what = FIELD_KINDS.get(name)
            if what is None:
                continue
            if what == _NAME:
                bad = value is not None and not isinstance(value, str)
                expected = "a task name or null"
            elif what == _TEXT:
                bad = not isinstance(value, str)
                expected = "text"
            elif what == _NUMBER:
                bad = not _is_number(value) or value < 0
                expected = "a number ≥ 0"
            elif what == _COUNT:
                bad = not _is_count(value)
                expected = "a whole number ≥ 0"
            elif what == _POSITION:
                bad = not _is_count(value) or value < 1
                expected = "a line or column number ≥ 1"
            else:
                bad = not isinstance(value, list)
                expected = "a list"
            if bad:
                self.problem(f"{kind}: {name} {_show(value)} is not {expected}")
                wrong.append(name)
        if not wrong:
            return ev
        return {k: v for k, v in ev.items() if k not in wrong}

    def order(self, kind: str, task: str | None, ev: dict[str, Any]) -> None:
        """What depends on the events before: creation, the ready queue, done, the end."""
        if task is None:
            if kind not in NULL_TASK_OK:
                self.problem(f"{kind} with a null task: only a task can do that")
                return
            if kind in ("ready", "run") and "item" not in ev:
                self.problem(f"{kind} with a null task and no 'item' naming the callback")
                return
        elif kind == "create":
            if task in self.created:
                self.problem(f"{task} created twice")
            elif self.header_tasks is not None and task not in self.header_tasks:
                self.problem(f"{task} is not among the header's tasks")
            parent = ev.get("parent")
            if parent is not None and parent not in self.created:
                self.problem(f"{task} created by {parent}, which does not exist yet")
            self.created.add(task)
        elif kind not in SCHEDULER_TYPES:
            if task not in self.created:
                self.problem(f"{kind} of {task} before its create")
            elif task in self.finished:
                again = "done twice" if kind == "done" else f"{kind} of {task} after it was done"
                self.problem(f"{again} (done on line {self.finished[task]})")
        if kind == "ready":
            self.ready(task, ev)
        elif kind == "run":
            self.run(task, ev)
        elif kind == "suspend":
            if "reason" in ev and ev["reason"] not in SUSPEND_REASONS:
                self.problem(f"unknown suspend reason {_show(ev['reason'])}")
            # `until` may already be past: the timer is armed before the suspend is
            # recorded, and a pause between the two (the worker writing its backlog, the
            # OS) moves only the latter.
            if task == self.current:
                self.current = None
        elif kind == "wake":
            if task is not None:
                self.woken.add(task)
        elif kind == "queue":
            if "ready" in ev:
                self.snapshot(ev["ready"])
        elif kind in ("done", "error"):
            if task == self.current and task is not None:
                self.current = None
            if kind == "done" and task is not None and task not in self.finished:
                self.finished[task] = self.line
        elif kind == "end":
            self.end(ev)

    def ready(self, task: str | None, ev: dict[str, Any]) -> None:
        if self.rules.queue == "none":
            self.problem("ready event, but this runtime has no ready queue")
            return
        entry = ("task", task) if task is not None else ("item", str(ev["item"]))
        if self.rules.queue == "fifo":
            self.fifo.append(entry)
        self.members[entry] += 1
        if task is not None:
            self.woken.discard(task)

    def run(self, task: str | None, ev: dict[str, Any]) -> None:
        came_from = ev.get("from", self.running)  # a missing `from` is reported already
        if came_from != self.running:
            self.problem(
                f"run from {_show(came_from)}, but the task that ran before is "
                f"{_show(self.running)}"
            )
        entry = ("task", task) if task is not None else ("item", str(ev["item"]))
        name = entry[1]
        if self.current is not None and self.current != task:
            # Every switch is recorded, a preemption too (`suspend preempt`, perhaps
            # inferred): a task does not lose control without a suspend, done or error.
            self.problem(f"{name} runs while {self.current} still runs (it never gave up)")
        self.current = task
        queue = self.rules.queue
        if queue != "none":
            if self.members[entry]:
                if queue == "fifo":
                    if self.fifo[0] != entry:
                        self.problem(
                            f"{name} runs out of FIFO order: the head of the ready queue "
                            f"is {self.fifo[0][1]}"
                        )
                        self.fifo.remove(entry)
                    else:
                        self.fifo.popleft()
                self.members[entry] -= 1
                if not self.members[entry]:
                    del self.members[entry]
            elif task is not None and task in self.woken and self.rules.direct_wake:
                pass  # a timer or I/O watcher switched to it straight from the hub
            elif task is None:
                self.problem(f"callback {name} runs but was never queued")
            else:
                self.problem(f"{name} runs but was never made ready")
        if task is not None:
            self.woken.discard(task)
            self.running = task

    def snapshot(self, ready: list[Any]) -> None:
        if not all(isinstance(x, str) for x in ready):
            self.problem(f"queue snapshot {_show(ready)} is not a list of names")
            return
        queue = self.rules.queue
        if queue == "fifo":
            derived = [name for _, name in self.fifo]
            if ready != derived:
                self.problem(
                    f"queue snapshot {_show(ready, 200)} differs from the ready queue "
                    f"the events describe, {_show(derived, 200)}"
                )
        elif queue == "set":
            have = Counter(name for _, name in self.members.elements())
            if Counter(ready) != have:
                self.problem(
                    f"queue snapshot {_show(sorted(ready), 200)} differs from the ready set "
                    f"the events describe, {_show(sorted(have.elements()), 200)}"
                )
        elif ready:
            self.problem(f"queue snapshot {_show(ready)}, but this runtime has no ready queue")

    def end(self, ev: dict[str, Any]) -> None:
        if self.end_line is not None:
            return  # already reported as an event after the end
        self.end_line = self.line
        status = ev.get("status")
        if "status" in ev and status not in END_STATUSES:
            self.problem(f"unknown end status {_show(status)}")
        else:
            self.status = status
        stuck = ev.get("stuck")
        if stuck is not None:
            for entry in stuck:
                if not (
                    isinstance(entry, dict)
                    and isinstance(entry.get("task"), str)
                    and isinstance(entry.get("waiting_on"), str)
                ):
                    self.problem(f"stuck entry {_show(entry)} is not {{task, waiting_on}}")
        if status == "deadlock" and not stuck:
            self.problem("deadlock without the stuck tasks")
        if status == "killed" and "message" not in ev:
            self.problem("killed without a message saying why")

    def finish(self) -> Report:
        if self.line == 0:
            self.problem("empty: not a simtui trace (no header)", line=1)
        elif self.header_ok and self.end_line is None:
            self.problem("the trace stops without its end event", line=self.line)
        return Report(
            problems=tuple(self.problems),
            more=self.more,
            events=self.events,
            tasks=len(self.created),
            status=self.status,
            queue=self.rules.queue if self.header_ok else None,
        )


def check_lines(lines: Iterable[str | bytes]) -> Report:
    """Check a trace given as its lines (split on newline only), the header first."""
    checker = _Checker()
    for raw in lines:
        checker.feed(raw)
    return checker.finish()


def check_events(objects: Iterable[Any]) -> Report:
    """Check a trace given as parsed objects, the header first (object k is line k + 1)."""
    return check_lines(orjson.dumps(obj) for obj in objects)


def check_file(path: str | Path) -> Report:
    """Check a trace file; OSError when it cannot be read."""
    # A binary file splits on b"\n" only, as JSON Lines must: U+2028 and the other line
    # separators are legal inside JSON strings.
    with open(path, "rb") as f:
        return check_lines(f)


def main(argv: list[str] | None = None) -> int:
    """`python -m simtui.trace.validate TRACE...`: exit 0 all valid, 1 problems, 2 unreadable."""
    args = sys.argv[1:] if argv is None else argv
    if not args or any(a in ("-h", "--help") for a in args):
        print((__doc__ or "").strip())
        return 0 if args else 2
    worst = 0
    for arg in args:
        shown = printable("<stdin>" if arg == "-" else arg)
        try:
            report = check_lines(sys.stdin.buffer) if arg == "-" else check_file(arg)
        except OSError as e:
            print(f"{shown}: cannot read: {printable(e.strerror or str(e))}", file=sys.stderr)
            worst = 2
            continue
        for p in report.problems:
            print(f"{shown}:{p.line}: {printable(p.message)}")
        if report.more:
            print(f"{shown}: … and {report.more} more problems")
        if report.ok:
            print(f"{shown}: trace ok: {report.events} events, {report.tasks} tasks, "
                  f"{report.queue} ready queue, status {report.status}")
        else:
            worst = max(worst, 1)
    return worst


if __name__ == "__main__":
    sys.exit(main())
