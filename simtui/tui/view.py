"""The value the player screen hands down to its panes: one immutable snapshot per cursor move."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from simtui.replay.state import State
from simtui.scenario.model import Scenario, Step

if TYPE_CHECKING:
    from simtui.replay.model import Replay
    from simtui.trace.model import Trace


@dataclass(frozen=True, slots=True)
class Source:
    """The scenario file as the source pane shows it, and where a load failed in it."""

    name: str
    """The path as the user gave it (the pane's title)."""
    text: str
    error_line: int | None = None
    """The line of the first problem when the file on disk does not load."""


@dataclass(frozen=True, slots=True)
class PlayerView:
    """Everything the panes render at one cursor position of one run."""

    trace: Trace
    """The run's events (the raw event log reads them)."""
    replay: Replay
    """The run's replay model (it grows while the run is live; use `length`, not len())."""
    state: State
    prev: State | None
    """The state one event earlier (what the explanation compares against)."""
    runtime: str
    length: int
    """Events known when this view was made."""
    total_switches: int
    start_t: float
    """The trace time of the first event: the timeline's left edge."""
    end_t: float
    """The trace time of the last known event: the timeline's right edge."""
    live: bool
    """The worker is still producing events."""
    scenario: Scenario | None
    source: Source | None
    run_id: int = 0
    """Increments with each new run: panes drop their caches when it changes."""
    steps: Mapping[tuple[str, int], Step] = field(default_factory=dict)
    """(task definition, step index) → Step, for "step i/n  op arg"."""

    def step_of(self, task: str) -> tuple[Step | None, int]:
        """The Step a task is at, and its definition's step count (0 when unknown)."""
        view = self.state.tasks.get(task)
        scenario = self.scenario
        if view is None or scenario is None or view.step is None:
            return None, 0
        inst = scenario.instances.get(task)
        if inst is None:
            return None, 0
        definition = scenario.tasks[inst.definition]
        return self.steps.get((inst.definition, view.step)), definition.nsteps

    @property
    def event(self) -> Mapping[str, Any] | None:
        return self.state.event


def step_table(scenario: Scenario | None) -> dict[tuple[str, int], Step]:
    """Every step of every task definition by its pre-order index."""
    table: dict[tuple[str, int], Step] = {}
    if scenario is None:
        return table
    for name, definition in scenario.tasks.items():
        stack = list(reversed(definition.steps))
        while stack:
            step = stack.pop()
            table[(name, step.index)] = step
            stack.extend(reversed(step.body))
    return table
