"""Raw greenlet runtime: no scheduler, control goes exactly where each `switch` sends it.

Layout, chosen so the library's own rule holds unchanged: the runner is the thread's root
greenlet; `main` runs in a greenlet created by the root (so its parent is the root), and
every other task's greenlet is created by `spawn` in whichever task is current, which
becomes its parent — exactly `greenlet(fn)` in the library. A greenlet that finishes
returns control to its parent; when `main` finishes the root gets control back and the
run is over (`ok`), whatever other greenlets are left suspended, as a real program ends.

How switches are recorded, with no tracer: inline, where the interpreter switches. A
`switch` to a live greenlet gives it control, as greenlet guarantees, so the switching
task records its `step`, its `suspend` and the target's `run` at one clock reading. Any
other switch passes the switching task's id as its value (`g.switch(me)`), and a finished
task's body returns its own id, which greenlet hands to the parent it returns to: the
greenlet that gets control then learns from the library who gave it, as the value its
`switch()` (or its body) receives, and records its own `run` — so a switch to a dead
greenlet, which goes to its parent, shows the parent running. A task that finishes
records `done`. There is no ready queue, hence no `ready`
event. `sleep`, `block`, `cpu` and `io` hold the one thread (nothing else can run: there
is no scheduler to run it) and are recorded as `block` events.

A run never touches greenlet's tracer: one set before it (a debugger's, gevent's monitor)
stays in place and sees every switch.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import greenlet

from simtui.runtimes.base import Outcome, RunContext, io_request_blocking
from simtui.runtimes.interp import BLOCK, CALL, CPU, IO, PRINT, SLEEP, SPAWN, SWITCH, Program, Run
from simtui.runtimes.probe import Probe, pack, pack2, pack3
from simtui.scenario.model import Scenario
from simtui.trace import labels
from simtui.trace.layout import NONE, OUTPUT, RUN, STEP, SUSPEND, x_word

RECORDED = -2
"""Passed by a switch whose `run` the switching task recorded itself (its target alive)."""


class GreenletRun:
    """One run of a scenario on raw greenlets."""

    def __init__(self, scenario: Scenario, probe: Probe, ctx: RunContext):
        self.scenario = scenario
        self.probe = probe
        self.ctx = ctx
        self.record = probe.recording
        self.shared = Run(scenario, probe)  # greenlet has no locks, events or queues
        # The runtime keeps its greenlets (it must, to switch to them).
        self.greenlets: dict[str, greenlet.greenlet] = {}
        self.names = list(probe.tasks)
        """Task id → name."""
        self.busy: dict[str, str] = {}
        """Task → the blocking op it is in (for `end.stuck` if the run times out there)."""
        self.running = NONE
        """The task that has control (its id): it recorded its `run` last."""
        self.failed = False
        self.from_words = [x_word(probe.x((name, None))) for name in self.names]
        self.from_words.append(x_word(probe.x((None, None))))  # [-1]: from the root

    # -- tasks ------------------------------------------------------------------------------

    def _create(self, name: str, parent: str | None) -> greenlet.greenlet:
        # Created in the current greenlet, so that greenlet is its parent, as in the library.
        g = greenlet.greenlet(self._body(name))
        self.greenlets[name] = g
        self.probe.create(name, parent)
        return g

    def _body(self, name: str) -> Callable[[int], int]:
        tid = self.probe.tasks[name]

        def body(came: int) -> int:
            self.running = tid
            if came != RECORDED:
                self._ran(tid, came)
            try:
                self.steps(name, self.shared.program(name))
            except greenlet.GreenletExit:
                return NONE  # collected after the run ended: nothing to record
            except Exception as e:  # a scenario-level failure (e.g. the io server refused)
                self.failed = True
                self.probe.error(name, f"{type(e).__name__}: {e}")
            self.probe.done(name)
            return tid  # what greenlet hands the parent it returns to: who came back

        return body

    def _ran(self, tid: int, came: int) -> None:
        """Task `tid` has control, given to it by task `came` (NONE: the root)."""
        if self.record:
            self.probe.put(pack(self.probe.clock() - self.probe.offsets[RUN],
                                self.shared.task_words[tid] | self.from_words[came]))

    def steps(self, name: str, program: Program) -> None:
        """Run `program`'s steps in task `name`; a `call` is a plain call of this."""
        probe = self.probe
        scale = self.ctx.scale
        record = self.record
        clock, put = probe.clock, probe.put
        offsets = probe.offsets
        step_at, suspend_at, output_at, run_at = (
            offsets[STEP], offsets[SUSPEND], offsets[OUTPUT], offsets[RUN])
        tid = probe.tasks[name]
        task_words = self.shared.task_words
        tw = task_words[tid]
        from_words = self.from_words
        greenlets = self.greenlets
        for ins in program.steps():
            op = ins.op
            if op is SWITCH:
                target = ins.step.refs[0]
                g = greenlets.get(target)
                if g is None:  # first mention: create it here, like `greenlet(fn)` would
                    g = self._create(target, name)
                if not record:
                    g.switch(tid)
                    self.running = tid
                    continue
                if not ins.aux:
                    ins.aux = x_word(probe.x(("switch", target, None)))
                t = clock()
                if g.dead:  # greenlet gives control to its parent: that one says so
                    put(pack2(t - step_at, tw | ins.xw, t - suspend_at, tw | ins.aux))
                    came = g.switch(tid)
                else:  # one instant: the step, giving control away, and `g` taking it
                    put(pack3(t - step_at, tw | ins.xw, t - suspend_at, tw | ins.aux,
                              t - run_at, task_words[probe.tasks[target]] | from_words[tid]))
                    came = g.switch(RECORDED)
                # Back: whoever switched here (or returned here, finishing) said who it is.
                self.running = tid
                if came != RECORDED:
                    put(pack(clock() - run_at, tw | from_words[came]))
                continue
            if op is PRINT:
                if record:
                    out = ins.out or x_word(probe.x((self.shared.text(ins, name, ""),)))
                    t = clock()
                    put(pack2(t - step_at, tw | ins.xw, t - output_at, tw | out))
                continue
            if record:
                put(pack(clock() - step_at, tw | ins.xw))
            if op is CALL:
                assert ins.callee is not None
                self.steps(name, ins.callee)
            elif op is SPAWN:
                for ref in ins.step.refs:
                    if ref in self.greenlets:
                        raise RuntimeError(f"{ref} was already created")
                    self._create(ref, name)
            elif op is SLEEP or op is BLOCK or op is CPU or op is IO:
                # The only thread is held: with no scheduler, nothing else can run meanwhile.
                step = ins.step
                seconds = step.seconds * scale
                probe.block(name, step.op, seconds)
                self.busy[name] = f"{step.op} (holds the thread)"
                if op is CPU:
                    self.ctx.cpu.burn(seconds)
                elif op is IO:
                    if self.ctx.io_port is None:
                        raise RuntimeError("no delay server for `io`")
                    io_request_blocking(self.ctx.io_port, seconds)
                else:
                    time.sleep(seconds)  # time.sleep: the one thread waits
                del self.busy[name]
            # `repeat` only records its step (the program expands it); every other op is
            # refused for greenlet by the loader before anything runs.

    # -- the run -----------------------------------------------------------------------------

    def stuck(self) -> list[dict[str, str]]:
        """Greenlets that are not dead: running, suspended in a switch, or never switched
        to. Also called at a timeout, from another thread: who runs is what the run
        recorded last, not that thread's current greenlet."""
        running = self.names[self.running] if self.running >= 0 else None
        out = []
        for name, g in list(self.greenlets.items()):
            if g.dead:
                continue
            on = self.busy.get(name) or (
                "running" if name == running else "switch" if g else labels.NEVER_STARTED)
            out.append({"task": name, "waiting_on": on})
        return out

    def run(self) -> Outcome:
        self.probe.stuck_provider = self.stuck
        g = self._create(self.scenario.main, None)
        g.switch(NONE)  # returns when `main` finishes (or a task switches back to the root)
        self.running = NONE
        stuck = self.stuck()
        status = "error" if self.failed else "ok"
        return Outcome(status, stuck or None)


def run(scenario: Scenario, probe: Probe, ctx: RunContext) -> Outcome:
    """Run every instance of `scenario` on raw greenlets, reporting to `probe`."""
    return GreenletRun(scenario, probe, ctx).run()
