"""Raw greenlet runtime: no scheduler, control goes exactly where each `switch` sends it.

Layout, chosen so the library's own rule holds unchanged: the runner is the thread's root
greenlet; `main` runs in a greenlet created by the root (so its parent is the root), and
every other task's greenlet is created by `spawn` in whichever task is current, which
becomes its parent — exactly `greenlet(fn)` in the library. A greenlet that finishes
returns control to its parent; when `main` finishes the root gets control back and the
run is over (`ok`), whatever other greenlets are left suspended, as a real program ends.

Switches are observed with `greenlet.settrace`, never inferred from the scenario: each
observed switch gives `suspend(origin, 'switch')` + `run(target)`, a dead origin gives
`done`. There is no ready queue, hence no `ready` event. `sleep`, `block`, `cpu` and `io`
hold the one thread (nothing else can run: there is no scheduler to run it) and are
recorded as `block` events.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

import greenlet

from simtui.runtimes.base import Outcome, RunContext, io_request_blocking
from simtui.runtimes.probe import Probe
from simtui.scenario.model import Scenario, render_text, walk
from simtui.trace import labels
from simtui.trace.layout import DONE, RUN, SUSPEND

Tracer = Callable[[str, tuple[Any, Any]], None]


class GreenletRun:
    """One run of a scenario on raw greenlets."""

    def __init__(self, scenario: Scenario, probe: Probe, ctx: RunContext):
        self.scenario = scenario
        self.probe = probe
        self.ctx = ctx
        self.record = probe.recording
        # The runtime keeps its greenlets (it must, to switch to them); the tracer only
        # sees ids, so it never keeps a greenlet alive on its own (runtime-instrumentation §3.1).
        self.greenlets: dict[str, greenlet.greenlet] = {}
        self.names: dict[int, str] = {}
        self.name_of = self.names.get
        self.busy: dict[str, str] = {}
        """Task → the blocking op it is in (for `end.stuck` if the run times out there)."""
        self.failed = False
        self._previous: Tracer | None = None

    # -- the tracer -----------------------------------------------------------------------

    def _tracer(self) -> Tracer:
        """The greenlet tracer: a closure over what it needs, as it runs on every switch.

        It appends the Probe's records directly (the very tuples Probe.suspend, .run and
        .done build): a Python call per event would be a third of its cost.
        """
        name_of, previous, probe = self.name_of, self._previous, self.probe
        clock = probe.clock

        def trace(event: str, args: tuple[Any, Any]) -> None:
            try:
                origin, target = args
                came = name_of(id(origin))
                to = name_of(id(target))
                now = clock()  # one instant: both records describe the same switch
                if came is not None:
                    if origin.dead:
                        probe.emit(DONE, probe.key(came), t=now)
                    else:
                        probe.emit(SUSPEND, probe.key(came), probe.x(("switch", to, None)), now)
                if to is not None:
                    probe.emit(RUN, probe.key(to), probe.x((came, None)), now)
            except Exception:  # a tracer that raises is uninstalled by greenlet: never raise
                pass
            if previous is not None:
                with contextlib.suppress(Exception):
                    previous(event, args)

        return trace

    # -- tasks ------------------------------------------------------------------------------

    def _create(self, name: str, parent: str | None) -> greenlet.greenlet:
        # Created in the current greenlet, so that greenlet is its parent, as in the library.
        g = greenlet.greenlet(self._body(name))
        self.greenlets[name] = g
        self.names[id(g)] = name
        self.probe.create(name, parent)
        return g

    def _body(self, name: str) -> Callable[[], None]:
        def body() -> None:
            try:
                self._steps(name)
            except greenlet.GreenletExit:
                return  # collected after the run ended: nothing to record
            except Exception as e:  # a scenario-level failure (e.g. the io server refused)
                self.failed = True
                self.probe.error(name, f"{type(e).__name__}: {e}")

        return body

    def _steps(self, name: str) -> None:
        probe = self.probe
        scale = self.ctx.scale
        record = self.record
        for step, frame in walk(self.scenario, name):
            if record:  # Probe.step's record, appended directly: once per step
                probe.step(name, step.index, step.op, step.line, step.col)
            op = step.op
            if op == "switch":
                target = step.refs[0]
                g = self.greenlets.get(target)
                if g is None:  # first mention: create it here, like `greenlet(fn)` would
                    g = self._create(target, name)
                g.switch()
            elif op == "print":
                probe.output(name, render_text(step.text, frame.index, frame.name, ""))
            elif op == "spawn":
                for ref in step.refs:
                    if ref in self.greenlets:
                        raise RuntimeError(f"{ref} was already created")
                    self._create(ref, name)
            elif op in ("sleep", "block", "cpu", "io"):
                # The only thread is held: with no scheduler, nothing else can run meanwhile.
                seconds = step.seconds * scale
                probe.block(name, op, seconds)
                self.busy[name] = f"{op} (holds the thread)"
                if op == "cpu":
                    self.ctx.cpu.burn(seconds)
                elif op == "io":
                    if self.ctx.io_port is None:
                        raise RuntimeError("no delay server for `io`")
                    io_request_blocking(self.ctx.io_port, seconds)
                else:
                    time.sleep(seconds)  # time.sleep: the one thread waits
                del self.busy[name]
            # `call` and `repeat` are expanded by walk(); every other op is refused for
            # greenlet by the loader (model.UNSUPPORTED) before anything runs.

    # -- the run -----------------------------------------------------------------------------

    def stuck(self) -> list[dict[str, str]]:
        """Greenlets that are not dead: suspended in a switch, or never switched to."""
        out = []
        for name, g in list(self.greenlets.items()):
            if g.dead:
                continue
            on = self.busy.get(name) or ("switch" if g else labels.NEVER_STARTED)
            out.append({"task": name, "waiting_on": on})
        return out

    def run(self) -> Outcome:
        main = self.scenario.main
        self.probe.stuck_provider = self.stuck
        if self.record:
            self._previous = greenlet.gettrace()
            greenlet.settrace(self._tracer())
        try:
            g = self._create(main, None)
            g.switch()  # returns when `main` finishes (or a task switches back to the root)
        finally:
            if self.record:
                greenlet.settrace(self._previous)
        stuck = self.stuck()
        status = "error" if self.failed else "ok"
        return Outcome(status, stuck or None)


def run(scenario: Scenario, probe: Probe, ctx: RunContext) -> Outcome:
    """Run every instance of `scenario` on raw greenlets, reporting to `probe`."""
    return GreenletRun(scenario, probe, ctx).run()
