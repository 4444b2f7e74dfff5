"""The teaching voice: one or two sentences on why the trace is where it is, in its runtime's words.

`explain(runtime, state, prev)` hands the replay `State` at the cursor (and the one an
event earlier) to the voice of the trace's runtime: the module its spec names
(`runtimespec.RuntimeSpec.voice`, in `simtui.replay.voices`). A runtime simtui does not
know, in a replayed trace, gets the neutral voice. `Narrator` gives the same sentences
for a trace that arrives event by event, at each of its stops (`simtui run --explain`).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Mapping
from typing import Any, cast

from simtui import runtimespec
from simtui.replay.model import Replay
from simtui.replay.state import State, TaskView
from simtui.replay.voices._words import Moment, wait_of, waits_for
from simtui.replay.voices.neutral import Voice
from simtui.trace import labels
from simtui.trace.model import Trace

__all__ = ["Narrator", "explain", "gloss", "voice_for", "waits"]


@functools.cache
def voice_for(runtime: str) -> Voice:
    """The voice of `runtime`: its spec's voice module, or the neutral voice."""
    spec = runtimespec.SPECS.get(runtime)
    if spec is None:
        return Voice(None)
    module = importlib.import_module(spec.voice)
    make = cast(Callable[[runtimespec.RuntimeSpec], Voice], module.voice)
    return make(spec)


def explain(
    runtime: str, state: State, prev: State | None = None, switch_interval: float | None = None
) -> str:
    """Why the trace is where it is at `state`, in one sentence (two at most).

    `runtime` is the trace's runtime; `prev` is the state one event earlier, when known:
    it tells what a task was doing just before (the reason it was woken, say).
    `switch_interval` is the run's (threads: the trace header's options), when known.
    """
    voice = voice_for(runtime)
    return voice.explain(Moment(voice.spec, state, prev, switch_interval))


def gloss(runtime: str | None, item: str | None) -> str:
    """What a queued callback does, in plain words and in `runtime`'s voice: for a pane
    beside the callback's internal name (`AsyncResult.notify_links`)."""
    return voice_for(runtime or "").gloss(labels.read_item(item))


def waits(view: TaskView) -> str:
    """What a waiting task waits for, as the Waiting pane and a deadlock's list can say it
    beside its name: `waits for lock y, held by b`, `waits for a and b to finish`."""
    return waits_for(wait_of(view))


def switch_interval(header: Mapping[str, Any]) -> float | None:
    """The run's switch interval, from the trace header's options, if it has one."""
    options = header.get("options")
    value = options.get("switch_interval") if isinstance(options, Mapping) else None
    return float(value) if isinstance(value, int | float) and value > 0 else None


class Narrator:
    """The Why sentence at each stop of a trace that arrives one event at a time.

    Whether an event is a stop can depend on the event after it (a callback's run is an
    idle stop only if the scheduler then waits), so `feed` hands events back one behind:
    each with its sentence when it is a stop, else None. `close` hands back the last.
    """

    def __init__(self) -> None:
        self.trace = Trace()
        self.replay = Replay(self.trace)
        self.runtime = ""
        self.interval: float | None = None
        self._held: Mapping[str, Any] | None = None
        self._index = 0
        """The index of the event held back."""
        self._prev: State | None = None

    def feed(self, event: Mapping[str, Any]) -> list[tuple[Mapping[str, Any], str | None]]:
        if event.get("type") == "header":
            self.trace.extend([dict(event)])
            self.runtime = str(event.get("runtime") or "")
            self.interval = switch_interval(event)
            return [(event, None)]
        self.trace.extend([dict(event)])
        self.replay.sync()
        out = self._release()  # the event before this one is settled now
        self._held = event
        if event.get("type") == "end":
            out += self._release()
        return out

    def close(self) -> list[tuple[Mapping[str, Any], str | None]]:
        """The event still held back (a trace that stopped without its `end`)."""
        return self._release()

    def _release(self) -> list[tuple[Mapping[str, Any], str | None]]:
        event, self._held = self._held, None
        if event is None:
            return []
        index = self._index
        self._index += 1
        state = self.replay.state(index)
        prev, self._prev = self._prev, state
        if state.stop is None:
            return [(event, None)]
        return [(event, explain(self.runtime, state, prev, self.interval))]
