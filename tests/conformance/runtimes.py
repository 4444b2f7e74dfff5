"""What each runtime is, in one table: every conformance case is generated from it.

A case is made only for the runtimes that can express it (the ops it uses, and the facts
it depends on); a runtime that cannot is left out, never skipped, and `test_facts.py`
checks that each left-out case really is one the loader refuses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pytest
import yaml

from simtui.scenario.model import OPS, UNSUPPORTED


def unsupported_ops(runtime: str) -> frozenset[str]:
    """The ops the loader refuses for `runtime`: the one place the suite learns them."""
    return frozenset(UNSUPPORTED[runtime])


def _never(options: Mapping[str, Any]) -> frozenset[str]:
    return frozenset()


@dataclass(frozen=True)
class RuntimeFacts:
    """What a runtime does, as far as a trace shows it."""

    name: str
    queue: Literal["fifo", "set", "none"]
    """The ready queue: first in, first out (asyncio's deque, gevent's callback queue), a
    set the OS picks from (threads waiting for the GIL), or none (greenlet has no
    scheduler)."""
    snapshots: bool
    """`--snapshots` reads the runtime's own ready queue into `queue` events."""
    preemptive: bool
    """The runtime takes control away from a task that does not give it up."""
    join_before_start: Literal["waits", "error"] | None
    """`join` of a task that has not been started yet: it waits until the task starts and
    ends, or it fails (as `Thread.join` does). None: the runtime has no `join`."""
    deadlock: Literal["at once", "polled"] | None
    """How a deadlock is found: the moment the scheduler runs out of work, or by a
    watcher that polls the blocked threads. None: nothing can wait on another task."""
    holding_ops: Callable[[Mapping[str, Any]], frozenset[str]] = _never
    """The ops that hold the whole scheduler while they last (nothing else runs), given
    the run's options as the trace header records them."""

    @property
    def ops(self) -> frozenset[str]:
        return frozenset(OPS) - unsupported_ops(self.name)

    def can_run(self, ops: Iterable[str]) -> bool:
        return set(ops) <= self.ops


FACTS: Mapping[str, RuntimeFacts] = {
    f.name: f
    for f in (
        RuntimeFacts(
            "asyncio", queue="fifo", snapshots=True, preemptive=False,
            join_before_start="waits", deadlock="at once",
            # `cpu` is a busy loop and `block` the real time.sleep: the loop waits for both.
            holding_ops=lambda options: frozenset({"cpu", "block"}),
        ),
        RuntimeFacts(
            "gevent", queue="fifo", snapshots=True, preemptive=False,
            join_before_start="waits", deadlock="at once",
            # Monkey patching makes time.sleep cooperative; unpatched, it blocks the hub.
            holding_ops=lambda options: frozenset(
                {"cpu"} if options["monkey_patch"] else {"cpu", "block"}
            ),
        ),
        RuntimeFacts(
            # Blocking calls release the GIL, and the interpreter takes it from a busy
            # thread at the switch interval: nothing holds the others off for long.
            "threads", queue="set", snapshots=False, preemptive=True,
            join_before_start="error", deadlock="polled",
        ),
        RuntimeFacts(
            # One thread, no scheduler: every wait is a real blocking call.
            "greenlet", queue="none", snapshots=False, preemptive=False,
            join_before_start=None, deadlock=None,
            holding_ops=lambda options: frozenset({"sleep", "block", "cpu", "io"}),
        ),
    )
}


def ops_of(text: str) -> frozenset[str]:
    """Every op a scenario's steps use, read from its YAML (not through the loader, so that
    the loader's own refusals can be checked against the table)."""
    ops: set[str] = set()

    def steps(items: list[Any]) -> None:
        for step in items:
            op = step if isinstance(step, str) else next(iter(step))
            ops.add(op)
            if op == "repeat":
                steps(step["repeat"]["steps"])

    for task in yaml.safe_load(text)["tasks"].values():
        steps(task["steps"] if isinstance(task, dict) else task)
    return frozenset(ops)


def runtimes_for(text: str) -> list[str]:
    """The runtimes that can run every op of `text`."""
    ops = ops_of(text)
    return [name for name, facts in FACTS.items() if facts.can_run(ops)]


def cases(
    table: Mapping[str, Any], marks: Callable[[str, str], Any] = lambda runtime, name: ()
) -> list[Any]:
    """`(runtime, name)` parameters for every entry of `table` on every runtime that can
    express it, with ids such as `asyncio-join_cycle`.

    An entry has the scenario's `text`, and may have a `when`: the facts a runtime needs,
    besides the ops, for the entry to describe what it does.
    """
    params = []
    for name, entry in table.items():
        when = getattr(entry, "when", None)
        for runtime in runtimes_for(entry.text):
            if when is None or when(FACTS[runtime]):
                params.append(
                    pytest.param(runtime, name, id=f"{runtime}-{name}", marks=marks(runtime, name))
                )
    return params
