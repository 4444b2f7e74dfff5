"""The trace's words: what a task waits on and what a queued callback is, written and read here.

Runtimes write two kinds of free text into a trace: a `suspend` event's `detail` (what the
task waits on, beside its `reason`) and the `item` of a `ready`/`run` event that is not a
task's own step (a fired timer, gather's done-callback, gevent's link notifier). The
replay, the panes and the explanations read them back. Both directions live in this one
module, so a word is never written one way and parsed another.

A detail is a *subject* — a task, a lock, event or queue name, or a duration as the scenario
wrote it — optionally followed by notes, separated by ", ": `db, held by worker[0]`,
`jobs, full`, `1 s, connect`. Subjects never contain ", " (scenario names cannot), so the
split is exact. The detail never repeats the reason: the Waiting pane shows
`lock db, held by worker[0]` from reason `lock` and detail `db, held by worker[0]`.
"""

from __future__ import annotations

from dataclasses import dataclass

from simtui import durations

# -- what a task waits on (suspend `detail`) ---------------------------------------------

HELD_BY = "held by "
NOT_STARTED = "not started yet"
FULL, EMPTY = "full", "empty"
CONNECT, REPLY = "connect", "reply"
"""The two phases of an `io` step: the TCP connection to the delay server, then the wait
for its answer, which comes after the step's duration."""
PATCHED = "time.sleep patched to gevent.sleep"
"""A `block` step under gevent's monkey patching: a cooperative sleep in disguise."""
THREAD_START = "Thread.start of "
"""Threads: `Thread.start()` waits on an internal event until the new thread runs."""
_SEP = ", "
_ELLIPSIS = "…"


def sleep(written: float, patched: bool = False) -> str:
    """A timed wait: its duration as the scenario wrote it (before any time scale)."""
    text = durations.format(written)
    return f"{text}{_SEP}{PATCHED}" if patched else text


def join(task: str, started: bool = True) -> str:
    return task if started else f"{task}{_SEP}{NOT_STARTED}"


def gather(tasks: tuple[str, ...] | list[str]) -> str:
    """The gathered tasks, shortened when there are many: `a b c`, `w[0] … w[9], 10 tasks`."""
    if len(tasks) <= 3:
        return " ".join(tasks)
    return f"{tasks[0]} {_ELLIPSIS} {tasks[-1]}{_SEP}{len(tasks)} tasks"


def lock(name: str, holder: str | None = None) -> str:
    return f"{name}{_SEP}{HELD_BY}{holder}" if holder else name


def event(name: str) -> str:
    return name


def thread_start(task: str) -> str:
    return f"{THREAD_START}{task}"


def queue(name: str, full: bool) -> str:
    """A queue wait: `put` on a full bounded queue, or `get` on an empty one."""
    return f"{name}{_SEP}{FULL if full else EMPTY}"


def io(written: float, phase: str) -> str:
    """One phase of an `io` step (CONNECT or REPLY) and the step's duration as written."""
    return f"{durations.format(written)}{_SEP}{phase}"


@dataclass(frozen=True, slots=True)
class Wait:
    """A suspend's reason and detail, read back into their parts."""

    reason: str
    subject: str = ""
    """The task, lock, event or queue waited on; for `sleep` and `io` the written duration."""
    notes: tuple[str, ...] = ()

    @property
    def holder(self) -> str | None:
        """Who holds the lock waited for, when the runtime knew."""
        for note in self.notes:
            if note.startswith(HELD_BY):
                return note[len(HELD_BY):]
        return None

    @property
    def seconds(self) -> float | None:
        """The written duration of a `sleep` or `io` wait."""
        if self.reason not in ("sleep", "io") or not self.subject:
            return None
        try:
            return durations.parse(self.subject)
        except durations.DurationError:
            return None

    @property
    def phase(self) -> str | None:
        """CONNECT or REPLY for an `io` wait."""
        return next((n for n in self.notes if n in (CONNECT, REPLY)), None)

    @property
    def started_thread(self) -> str | None:
        """The thread a `Thread.start()` waits for (an `event` wait on threads)."""
        if self.subject.startswith(THREAD_START):
            return self.subject[len(THREAD_START):]
        return None

    @property
    def joined(self) -> tuple[str, ...] | None:
        """The tasks a `join` or `gather` wait names; None when `gather` shortened the
        list (`w[0] … w[9], 10 tasks`)."""
        if self.reason not in ("join", "gather") or not self.subject:
            return ()
        names = self.subject.split(" ")
        return None if _ELLIPSIS in names else tuple(names)

    def has(self, note: str) -> bool:
        return note in self.notes

    def text(self) -> str:
        """`lock db, held by w[0]`: the reason and what it is about, as a person reads it."""
        detail = _SEP.join((self.subject, *self.notes)) if self.subject else _SEP.join(self.notes)
        return f"{self.reason} {detail}" if detail else self.reason


def read_wait(reason: str | None, detail: str | None) -> Wait:
    """A suspend's `reason` and `detail`, split into subject and notes."""
    if not detail:
        return Wait(reason or "")
    subject, *notes = detail.split(_SEP)
    return Wait(reason or "", subject, tuple(notes))


def read_waiting_on(text: str) -> Wait:
    """An `end.stuck` entry's `waiting_on` (`lock db, held by w[0]`), read back: the
    inverse of `waiting_on`."""
    reason, _, detail = text.partition(" ")
    return read_wait(reason, detail or None)


NEVER_STARTED = "never started"
"""`waiting_on` of a task created but never run (a greenlet nobody switched to, a spawned
task whose start was still queued when the run ended)."""


# -- queued callbacks (`item` of ready/run with a null task) --------------------------------

TIMER = "timer "
GATHER_DONE = ("gather: ", " done")
STOP_LOOP = "run_until_complete: stop the loop"
CANCELLED = "cancelled"
IO = "io "


def timer(task: str) -> str:
    """asyncio: the fired timer of `task`'s sleep, moved from the heap to the ready queue."""
    return f"{TIMER}{task}"


def gather_done(child: str | None) -> str:
    """asyncio: gather's done-callback for one finished child."""
    return f"{GATHER_DONE[0]}{child or 'child'}{GATHER_DONE[1]}"


def io_callback(name: str) -> str:
    """asyncio: a callback of the loop's own socket and stream machinery."""
    return f"{IO}{name}"


OWNER_KINDS = ("lock", "event", "queue")


def owner(kind: str, name: str) -> str:
    """gevent: how a scenario's lock, event or queue is named in its hub callbacks: `lock db`."""
    return f"{kind} {name}"


def notifier(owner: str, method: str) -> str:
    """gevent: a hub callback of an object (a greenlet, a lock, a queue): `w[0].notify_links`."""
    return f"{owner}.{method.lstrip('_')}"


@dataclass(frozen=True, slots=True)
class Item:
    """A queued callback, read back: its kind and what it is about."""

    kind: str
    """`timer`, `gather_done`, `stop_loop`, `cancelled`, `io` (asyncio), `notify` (gevent
    `owner.method`), or `other`."""
    subject: str = ""
    """The task or object it concerns (`coco[0]`, `lock db`), or the callback's name."""
    method: str = ""
    """For `notify`: the method the hub calls (`notify_links`, `unlock`)."""
    raw: str = ""

    @property
    def owner(self) -> tuple[str, str] | None:
        """For `notify` of a scenario's lock, event or queue: (`lock`, `db`)."""
        kind, _, name = self.subject.partition(" ")
        if self.kind == "notify" and kind in OWNER_KINDS and name:
            return kind, name
        return None


def read_item(item: str | None) -> Item:
    text = item or ""
    if text.startswith(TIMER):
        return Item("timer", text[len(TIMER):], raw=text)
    start, end = GATHER_DONE
    if text.startswith(start) and text.endswith(end):
        return Item("gather_done", text[len(start): -len(end)], raw=text)
    if text == STOP_LOOP:
        return Item("stop_loop", raw=text)
    if text in (CANCELLED, "NoneType"):  # "NoneType": traces written before the word existed
        return Item("cancelled", raw=text)
    if text.startswith(IO):
        return Item("io", text[len(IO):], raw=text)
    owner, dot, method = text.rpartition(".")
    if dot and owner and method.isidentifier():
        return Item("notify", owner, method, raw=text)
    return Item("other", text, raw=text)
