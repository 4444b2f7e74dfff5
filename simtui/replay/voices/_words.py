"""Wording every runtime's voice shares: names, durations, waits, and the end of a run.

A sentence only states what the trace shows: the facts are read from the replay `State`
(statuses, and the reasons and details the runtimes wrote, through `simtui.trace.labels`),
never guessed from names. `Moment` is what one sentence is made from; the end-of-run
words (the summary, a deadlock's cycle) are the same for every runtime but its nouns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from simtui import durations
from simtui.replay.state import RunSummary, State, TaskView
from simtui.runtimespec import RuntimeSpec
from simtui.trace import labels

DEFAULT_SWITCH_INTERVAL = 0.005
"""The interpreter's own switch interval, when the trace does not give the run's."""

TIMED = frozenset({"sleep", "io"})
"""Wait reasons the scheduler ends by itself (a timer, I/O), not another task."""


# -- small words ----------------------------------------------------------------------------


def seconds(s: float) -> str:
    """A length of time: `3 s`, `60 ms`, `2.98 s`."""
    return durations.format(s, 3)


def at(t: float) -> str:
    """A point on the trace's clock, as the header shows it: `t = 3.0004 s`."""
    return f"t = {t:.4f} s"


def names(items: Sequence[str]) -> str:
    """`a`, `a and b`, `a, b and c`, `a, b and 8 others`."""
    if len(items) <= 2:
        return " and ".join(items)
    if len(items) == 3:
        return f"{items[0]}, {items[1]} and {items[2]}"
    return f"{items[0]}, {items[1]} and {len(items) - 2} others"


def span(items: Sequence[str]) -> str:
    """`a, b and c`, or `w[0] … w[9]` for a longer run of names in order."""
    return names(items) if len(items) <= 3 else f"{items[0]} … {items[-1]}"


def sockets_of(tasks: Sequence[TaskView]) -> str:
    """`fetch[0]'s socket`, `the sockets of a, b and 8 others`."""
    if len(tasks) == 1:
        return f"{tasks[0].name}'s socket"
    return f"the sockets of {names([v.name for v in tasks])}"


def count(n: int, noun: str, plural: str | None = None) -> str:
    """`1 sleep`, `10 sleeps`, `3 network waits`."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def article(phrase: str) -> str:
    """`a 3 s sleep`, `an 8 ms sleep`, `an 11 s sleep`: "a" or "an" before a duration."""
    spoken = phrase.split(" ", 1)[0]
    vowel = spoken.startswith("8") or spoken in ("11", "18") or spoken.startswith(("11.", "18."))
    return ("an " if vowel else "a ") + phrase


def paren(text: str) -> str:
    return f" ({text})" if text else ""


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def position(state: State, name: str, callback: bool = False) -> str:
    """` (position 2 of 5)` in the ready queue, or nothing when it is not there."""
    for k, entry in enumerate(state.ready):
        if entry.name == name and entry.callback == callback:
            return f" (position {k + 1} of {len(state.ready)})"
    return ""


def wait_of(view: TaskView | None) -> labels.Wait:
    """What a waiting task waits on, read through the trace's vocabulary."""
    if view is None:
        return labels.Wait("")
    return labels.read_wait(view.reason, view.detail)


def last_wait_of(view: TaskView | None) -> labels.Wait:
    """What a task that is ready or running again last waited on."""
    if view is None or view.waited is None:
        return labels.Wait("")
    return labels.read_wait(view.waited, view.waited_detail)


def scaled(written: float | None, real: float | None) -> str:
    """` (60 ms at this run's time scale)` when a timer is not the length written."""
    if written is None or real is None or written <= 0 or real < 0:
        return ""
    if abs(real - written) <= 0.2 * written:
        return ""
    return f" ({seconds(real)} at this run's time scale)"


def sleep_length(view: TaskView | None, event: Mapping[str, Any] | None = None) -> str:
    """A sleep's length as written (`3 s`), else from its timer's due time."""
    wait = wait_of(view) if event is None else labels.read_wait(
        event.get("reason"), event.get("detail"))
    if wait.seconds is not None:
        return seconds(wait.seconds)
    until = event.get("until") if event is not None else view.until if view else None
    since = event.get("t") if event is not None else view.since if view else None
    if isinstance(until, int | float) and isinstance(since, int | float) and until >= since:
        return seconds(float(until) - float(since))
    return ""


# -- what a moment is made of ---------------------------------------------------------------


class Moment:
    """The facts one explanation is built from: the state at the cursor, and the one an
    event earlier (what a task was doing just before)."""

    __slots__ = ("event", "interval", "prev", "spec", "state")

    def __init__(self, spec: RuntimeSpec | None, state: State, prev: State | None,
                 interval: float | None) -> None:
        self.spec = spec
        self.state = state
        self.prev = prev
        self.interval = interval
        self.event: Mapping[str, Any] = state.event or {}

    @property
    def kind(self) -> str:
        return str(self.event.get("type", ""))

    @property
    def task(self) -> str:
        return str(self.event.get("task") or "?")

    @property
    def t(self) -> float:
        t = self.event.get("t")
        return float(t) if isinstance(t, int | float) else self.state.t

    def view(self, name: str | None) -> TaskView | None:
        return self.state.tasks.get(name) if name else None

    def before(self, name: str | None) -> TaskView | None:
        """The task one event earlier, when that state is known."""
        if not name or self.prev is None:
            return None
        return self.prev.tasks.get(name)

    def sentence(self, text: str) -> str:
        """`text` with a capital first letter, unless it starts with a task's name (names
        are data: `worker[0]` is never `Worker[0]`)."""
        first = text.split(" ", 1)[0].split("'")[0].rstrip(",:;")
        return text if first in self.state.tasks else cap(text)

    def switch_interval(self) -> str:
        """The interpreter's switch interval, as this run had it."""
        if self.interval:
            return f"the switch interval ({seconds(self.interval)} in this run)"
        return f"the switch interval ({seconds(DEFAULT_SWITCH_INTERVAL)} by default)"

    def blocking(self) -> tuple[str, str]:
        """For a `block` event: its length as asked (`` (60 ms)``) while the next event has
        not come, and then how long it really held the scheduler (`` for 60.1 ms``)."""
        held = self.state.held
        if held is not None and held.seconds is not None:
            return "", f" for {seconds(held.seconds)}"
        duration = self.event.get("duration")
        return (paren(seconds(float(duration))) if isinstance(duration, int | float) else ""), ""

    def waiting(self) -> list[TaskView]:
        """The waiting tasks that nothing has woken yet, in the order they began to wait."""
        out = []
        for name in self.state.waiting:
            v = self.state.tasks.get(name)
            if v is not None and v.status == "waiting" and not v.woken:
                out.append(v)
        return out

    def next_timer(self) -> TaskView | None:
        """The waiting task whose timer is due first, if any waits on one."""
        timed = [v for v in self.waiting() if v.until is not None]
        return min(timed, key=lambda v: v.until or 0.0) if timed else None

    def io_waiters(self) -> list[TaskView]:
        return [v for v in self.waiting() if v.reason == "io"]

    def longest_waiter(self, task: str) -> tuple[bool, list[str]]:
        """Whether `task`, just woken from a wait on some lock, event or queue, had waited
        longer than every task still waiting on it; and those still waiting."""
        v = self.view(task)
        mine = last_wait_of(v)
        since = v.waited_since if v is not None else None
        others = [v for v in self.waiting()
                  if v.reason == mine.reason and wait_of(v).subject == mine.subject]
        longest = since is not None and all(v.since >= since for v in others)
        return longest, [v.name for v in others]


# -- the end of a run, from its trace -------------------------------------------------------


def summary_sentence(s: RunSummary, scheduler: str,
                     blocking_call: Callable[[str], str]) -> str:
    """`3 s in all for 30 s of sleeps: they overlapped.` and the like, from the measures."""
    elapsed = s.elapsed
    if elapsed <= 0:
        return ""
    scale = f" (time scale {s.time_scale:g})" if s.time_scale != 1 else ""
    whole = f"{cap(seconds(elapsed))} in all{scale}"
    blocked = s.blocked()
    if blocked.count >= 2 and blocked.seconds >= 0.5 * elapsed:
        kinds = sorted(s.blocks, key=lambda r: -s.blocks[r].seconds)
        calls = " and ".join(f"{count(s.blocks[r].count, 'call')} of {blocking_call(r)}"
                             for r in kinds)
        return (f"{whole}, {seconds(blocked.seconds)} of it in {calls}, one after another: "
                f"each held {scheduler}, so nothing overlapped them.")
    sleeps, io = s.waited("sleep"), s.waited("io")
    timed = s.waited("sleep", "io")
    what = (f"{count(sleeps.count, 'sleep')}" if not io.count else
            "network waits" if not sleeps.count else "sleeps and network waits")
    contention = _contention(s)
    if s.preempts:
        every = seconds(elapsed / s.preempts)
        interval = seconds(s.switch_interval or DEFAULT_SWITCH_INTERVAL)
        return (f"{whole}: the threads took turns on the one GIL, never running Python at "
                f"the same time; it changed hands {count(s.preempts, 'time')} by preemption, "
                f"about once every {every} for a {interval} switch interval, which is a "
                f"minimum, not a period{contention}.")
    if timed.count and timed.seconds > 1.5 * elapsed:
        return f"{whole} for {seconds(timed.seconds)} of {what}: they overlapped{contention}."
    if timed.count >= 2:
        return (f"{whole} for {seconds(timed.seconds)} of {what}: they did not overlap"
                f"{contention}.")
    if contention:
        return f"{whole}{contention}."
    return ""


def _contention(s: RunSummary) -> str:
    """`; tasks waited 1.5 s in all for lock db`, when they waited on one another."""
    parts = []
    locks = s.waited("lock")
    if locks.count:
        on = f"lock {names(list(s.locks))}" if s.locks else "a lock"
        parts.append(f"{seconds(locks.seconds)} in all for {on}")
    queues = s.waited("queue")
    if queues.count:
        parts.append(f"{seconds(queues.seconds)} on queues (full or empty)")
    return f"; tasks waited {' and '.join(parts)}" if parts else ""


def stuck_phrase(entry: Mapping[str, Any]) -> str:
    """`b waits for lock db, held by a`, `main is still running`, `x never started`."""
    task = str(entry.get("task") or "?")
    on = str(entry.get("waiting_on") or "")
    if on in ("running", "ready", "runnable"):
        return f"{task} is still {on}"
    if on == labels.NEVER_STARTED:
        return f"{task} never started"
    wait = labels.read_waiting_on(on)
    return f"{task} {waits_for(wait)}"


def waits_for(wait: labels.Wait) -> str:
    """`waits for lock y, held by b`, `waits for a to finish` (a predicate)."""
    r, subject = wait.reason, wait.subject
    if r == "lock":
        return f"waits for lock {subject}" + (f", held by {wait.holder}" if wait.holder else "")
    if r in ("join", "gather"):
        later = ", which was never started" if wait.has(labels.NOT_STARTED) else ""
        return f"waits for {joined(wait)} to finish{later}"
    if r == "event":
        if wait.started_thread is not None:
            return f"waits until {wait.started_thread} has started"
        return f"waits for event {subject} to be set"
    if r == "queue":
        return f"waits on queue {subject}" + paren(", ".join(wait.notes))
    if r == "switch":
        return "is suspended in a switch"
    if r == "sleep":
        return "is asleep" + paren(", ".join((subject, *wait.notes)) if subject else "")
    if r == "io":
        return "waits on the network" + paren(", ".join((subject, *wait.notes)))
    if r in ("cpu", "block"):
        return f"is in a `{r}` step" + paren(", ".join(x for x in (subject, *wait.notes) if x))
    if r == "yield":
        return "has yielded and is ready"
    return f"waits on {wait.text() or 'something'}"


def joined(wait: labels.Wait) -> str:
    """`a and b`, `w[0] … w[9]`: the tasks a join or gather waits for."""
    tasks = wait.joined
    if tasks is None:
        return wait.subject
    return names(tasks) if tasks else "its tasks"


def deadlock(stuck: Iterable[Mapping[str, Any]]) -> str:
    """Who waits on whom at a deadlock; a cycle of lock holders or joins named as one."""
    waits = {str(s.get("task")): labels.read_waiting_on(str(s.get("waiting_on") or ""))
             for s in stuck if s.get("task")}
    if not waits:
        return "every remaining task waits and nothing can ever wake them"
    cycle = find_cycle(waits)
    if cycle:
        text = cycle_text(cycle, waits)
        rest = [t for t in waits if t not in cycle]
        tail = f" (and {'; '.join(f'{t} {waits_for(waits[t])}' for t in rest)})" if rest else ""
        return f"{text}: a cycle, so none of them can ever go on{tail}"
    listed = "; ".join(f"{t} {waits_for(w)}" for t, w in waits.items())
    return f"nothing can ever wake the waiting tasks: {listed}"


def find_cycle(waits: Mapping[str, labels.Wait]) -> list[str]:
    """The first cycle of tasks each waiting on the next (a lock's holder, a joined task)."""
    def successor(task: str) -> str | None:
        w = waits.get(task)
        if w is None:
            return None
        if w.reason == "lock":
            return w.holder
        if w.reason == "join" and w.subject in waits:
            return w.subject
        return None

    for start in waits:
        path: list[str] = []
        node: str | None = start
        while node is not None and node not in path:
            path.append(node)
            node = successor(node)
        if node is not None and node in path:
            return path[path.index(node):]
    return []


def cycle_text(cycle: Sequence[str], waits: Mapping[str, labels.Wait]) -> str:
    """`a waits for lock y held by b, which waits for lock x held by a`."""
    parts = []
    for k, task in enumerate(cycle):
        w = waits[task]
        nxt = cycle[(k + 1) % len(cycle)]
        what = (f"lock {w.subject} held by {nxt}" if w.reason == "lock"
                else f"{nxt} to finish")
        parts.append(f"{task if k == 0 else 'which'} waits for {what}")
    return ", ".join(parts)
