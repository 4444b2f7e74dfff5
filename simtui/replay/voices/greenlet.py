"""Raw greenlet's voice: no scheduler, no queue; control goes where `switch()` sends it.

A greenlet is a function with its own stack. Creating one runs nothing; `g.switch()`
starts or resumes `g` exactly there, suspending the caller inside its own `switch()`
call. Nothing ever decides for the program: when a greenlet returns, control goes to its
parent (the greenlet that was running when it was created), not to whoever switched to
it last. A blocking call simply blocks; with nothing else to run, that costs nothing but
time. When main returns the program ends, whatever is still suspended.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simtui.replay.state import TaskView
from simtui.replay.voices._words import Moment, names, wait_of
from simtui.replay.voices.neutral import Voice
from simtui.runtimespec import RuntimeSpec
from simtui.trace import labels

_OPS = {
    "sleep": "time.sleep; with no scheduler nothing else can run meanwhile",
    "cpu": "pure-Python work", "block": "time.sleep", "io": "a blocking socket request",
    "spawn": "a greenlet created but not started: only a switch starts it",
    "switch": "greenlet.switch(), which hands control exactly there",
}


class GreenletVoice(Voice):
    """The chapter with no scheduler in it."""

    def start(self, m: Moment) -> str:
        return ("Nothing has run yet: with raw greenlet there is no scheduler; main runs "
                "first, and control moves only where a switch() sends it, or to a finished "
                "greenlet's parent.")

    def create(self, m: Moment) -> str:
        task, parent = m.task, m.event.get("parent")
        if parent is None:
            return (f"{task} is the greenlet the program starts in; every greenlet it "
                    "creates gets it as parent.")
        return (f"{parent} created greenlet {task}, whose parent is {parent}; it does nothing "
                "until something switches to it.")

    def first_run(self, m: Moment, task: str) -> str:
        return f"{task} starts running: it is the greenlet the program began in."

    def left(self, m: Moment, came: str, task: str) -> str:
        v = m.view(came)
        if v is not None and v.status == "done":
            return f"{came} returned"
        return super().left(m, came, task)

    def waits(self, m: Moment, who: str, v: TaskView) -> str:
        if v.reason == "switch":
            return f"{who} called switch() to {wait_of(v).subject or 'another greenlet'}"
        return super().waits(m, who, v)

    def next(self, m: Moment, came: str, task: str) -> str:
        came_view = m.view(came)
        if came_view is not None and came_view.status == "done":
            left = [v.name for v in m.waiting()
                    if v.reason == "switch" and wait_of(v).subject == came and v.name != task]
            stays = (f"; {names(left)}, which switched to {came}, stays suspended"
                     if left else "")
            return (f"a finished greenlet's control goes to its parent, {task}, not to "
                    f"whoever switched to it{stays}")
        before = m.before(task)
        fresh = before is not None and before.status in ("new", "ready") and before.step is None
        start = "starts from its first step" if fresh else "resumes inside its own switch() call"
        return f"control goes exactly there, no scheduler decides: {task} {start}"

    def suspend(self, m: Moment) -> str:
        if m.event.get("reason") == "switch":
            target = labels.read_wait("switch", m.event.get("detail")).subject
            return (f"{m.task} calls switch() to {target or 'another greenlet'}: it stays "
                    "suspended at that call until some greenlet switches back to it.")
        return super().suspend(m)

    def block(self, m: Moment) -> str:
        asked, held = m.blocking()
        what = {"cpu": "runs pure-Python work", "io": "makes a blocking request",
                "sleep": "calls time.sleep", "block": "calls time.sleep"}.get(
                    str(m.event.get("reason") or ""), "makes a blocking call")
        return (f"{m.task} {what}{asked} and keeps control{held}: greenlet has no scheduler, "
                "so nothing else runs until it returns.")

    def done(self, m: Moment) -> str:
        task = m.task
        v = m.view(task)
        parent = v.parent if v is not None else None
        if parent:
            return (f"{task} returned: the greenlet is dead, and control passes to its "
                    f"parent, {parent}.")
        return (f"{task} returned: the program's main greenlet is done, so the run ends; a "
                "greenlet still suspended is simply abandoned.")

    def ended_ok(self, m: Moment, after: str, stuck: list[Mapping[str, Any]]) -> str:
        if not stuck:
            return super().ended_ok(m, after, stuck)
        left = [str(s.get("task")) for s in stuck if s.get("waiting_on") != labels.NEVER_STARTED]
        never = [str(s.get("task")) for s in stuck if s.get("waiting_on") == labels.NEVER_STARTED]
        parts = []
        if left:
            it = "it is" if len(left) == 1 else "they are"
            parts.append(f"{names(left)} never finished: nobody switched back to "
                         f"{'it' if len(left) == 1 else 'them'}, so {it} left suspended "
                         "forever and the program just ends")
        if never:
            parts.append(f"{names(never)} never started: nobody switched to "
                         f"{'it' if len(never) == 1 else 'them'}")
        return f"The run ended normally{after}. {'; '.join(parts)}."

    def queue_name(self) -> str:
        return "nothing (greenlet has no queue)"

    def op_means(self, op: str) -> str:
        means = _OPS.get(op)
        return f"on greenlet, {means}" if means else ""


def voice(spec: RuntimeSpec | None) -> Voice:
    return GreenletVoice(spec)
