"""The stories a comparison tells, on real runs: which runtime, and why it behaves differently.

Each story runs real workers through the comparison's own runner and asserts behaviour —
elapsed against what the story expects (the longest wait when the waits overlap, their sum
when they cannot), which run blocked its scheduler, which took turns under the GIL, the
orders — never speed. Time scales keep each story under a second or two.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from simtui.compare.comparison import Comparison, declared, lanes, parse_vary
from simtui.compare.metrics import StepGroup
from simtui.compare.runner import WAITING_PER_CORE, Runner, RunResult, computes, cores
from simtui.compare.wording import Run, manner, sentences
from simtui.scenario.loader import load_scenario, load_text
from tests.tracehelp import validate


def compare(*names: str, runtimes: tuple[str, ...] = (), vary: Sequence[str] = (),
            time_scale: float = 1.0) -> dict[str, RunResult]:
    # As `simtui compare` makes it: a scenario compared alone brings its `compare:` key.
    c = declared(tuple(load_scenario(n) for n in names), runtimes=runtimes,
                 variants=tuple(parse_vary(v) for v in vary), time_scale=time_scale)
    results = Runner(lanes(c)).run()
    for r in results:
        assert r.problem is None, r.problem
        events = [r.trace.header, *(r.trace[i] for i in range(len(r.trace)))]
        assert not validate(events), validate(events)[:5]
    return {r.lane.label: r for r in results}


def group(r: RunResult, op: str) -> StepGroup:
    (g,) = [g for g in r.metrics.groups if g.op == op]
    return g


def said(runs: dict[str, RunResult]) -> list[str]:
    return sentences([Run(r.lane, r.metrics) for r in runs.values()])


def test_gather10_takes_the_longest_sleep_everywhere_with_different_switch_counts() -> None:
    scale = 0.1
    runs = compare("gather10", time_scale=scale)
    assert list(runs) == ["asyncio", "gevent", "threads"]
    longest = 3 * scale
    for r in runs.values():
        m = r.metrics
        assert m.status == "ok"
        assert 0.95 <= m.elapsed / longest < 1.5, (r.lane.label, m.elapsed)
        assert m.blocked == 0
        assert m.overlap > 8  # the ten sleeps waited at the same time
        assert manner(group(r, "sleep"), r.lane) == "overlapped"
    callbacks = {label: r.metrics.callbacks for label, r in runs.items()}
    # asyncio: 10 timers, 10 gather done-callbacks, the loop's stop; gevent: each
    # greenlet's notify_links; threads: none, the OS wakes each thread.
    assert callbacks == {"asyncio": 21, "gevent": 11, "threads": 0}
    assert len({r.metrics.switches for r in runs.values()}) > 1
    text = said(runs)
    assert not [s for s in text if "`sleep: 3`" in s]  # nothing to tell: they all overlapped
    (switches,) = [s for s in text if s.startswith("There were")]
    assert "21 of them the event loop running its own callbacks" in switches
    assert "11 of them the hub running its own callbacks" in switches


def test_gather10_against_gather10_blocking_shows_the_loop_blocked_for_each_sleep() -> None:
    scale = 0.05
    runs = compare("gather10", "gather10_blocking", runtimes=("asyncio",), time_scale=scale)
    ok, blocking = runs["gather10 asyncio"].metrics, runs["gather10_blocking asyncio"].metrics
    assert 0.95 <= ok.elapsed / (3 * scale) < 1.5
    assert 0.95 <= blocking.elapsed / (30 * scale) < 1.5  # the sum: one after another
    assert ok.blocked == 0 and blocking.blocked == pytest.approx(30 * scale)
    assert manner(group(runs["gather10_blocking asyncio"], "block"),
                  runs["gather10_blocking asyncio"].lane) == "blocked"
    # Strictly sequential: each coroutine prints its end before the next one starts.
    starts = [f"코루틴 {k} 대기" for k in range(10)]
    ends = [f"코루틴 {k} 종료" for k in range(10)]
    assert blocking.outputs[2:22] == tuple(x for pair in zip(starts, ends, strict=True)
                                           for x in pair)
    (step,) = [s for s in said(runs) if "`block: 3`" in s]
    assert step.startswith("In gather10, the ten `sleep: 3` steps overlapped")
    assert "in gather10_blocking, the ten `block: 3` steps (`time.sleep`) blocked the event " \
           "loop, one after another" in step


def test_monkey_patching_makes_the_three_sleeps_overlap_and_without_it_the_hub_blocks() -> None:
    scale = 0.2
    runs = compare("gevent_monkey", time_scale=scale)  # the variant is the scenario's own
    assert list(runs) == ["gevent monkey_patch=true", "gevent monkey_patch=false", "threads"]
    patched = runs["gevent monkey_patch=true"].metrics
    unpatched = runs["gevent monkey_patch=false"].metrics
    assert 0.95 <= patched.elapsed / scale < 1.5          # ≈ 1 s: the longest
    assert 0.95 <= unpatched.elapsed / (3 * scale) < 1.5  # ≈ 3 s: the sum
    assert patched.blocked == 0 and unpatched.blocked == pytest.approx(3 * scale)
    assert unpatched.outputs == tuple(
        line for k in range(3) for line in (f"worker {k}: time.sleep(1)", f"worker {k}: done"))
    assert patched.outputs[:3] == tuple(f"worker {k}: time.sleep(1)" for k in range(3))
    threads = runs["threads"].metrics  # time.sleep releases the GIL: they overlap too
    assert 0.95 <= threads.elapsed / scale < 1.5 and threads.blocked == 0
    (step,) = [s for s in said(runs) if "`block: 1`" in s]
    assert "on gevent with monkey_patch=false, they blocked the hub, one after another" in step
    assert step.startswith("On gevent with monkey_patch=true and on threads, the three "
                           "`block: 1` steps (`time.sleep`) overlapped")


def test_threads_cpu_takes_the_sum_on_threads_and_on_asyncio_for_different_reasons() -> None:
    scale = 0.2
    runs = compare("threads_cpu", time_scale=scale)  # threads and asyncio: its `compare:`
    assert list(runs) == ["threads", "asyncio"]
    threads, aio = runs["threads"], runs["asyncio"]
    one, total = 1 * scale, 3 * scale
    for r in (threads, aio):
        # The sum, not the longest: the three never compute at the same time. `cpu` work is
        # calibrated when the worker starts, and on a loaded machine that can be off by a
        # few tens of percent either way: the bound sits halfway (on a log scale) between
        # the longest step alone (a third of the sum) and the sum.
        assert r.metrics.elapsed >= 0.6 * total > 1.5 * one, (r.lane.label, r.metrics.elapsed)
    # Threads: the interpreter takes the GIL away at the switch interval; nothing blocks.
    assert threads.metrics.preemptions > 10 and threads.metrics.blocked == 0
    assert manner(group(threads, "cpu"), threads.lane) == "turns"
    # asyncio: nothing preempts; each `cpu` step holds the loop until it ends.
    assert aio.metrics.preemptions == 0 and aio.metrics.blocked == pytest.approx(total)
    assert manner(group(aio, "cpu"), aio.lane) == "blocked"
    (step,) = [s for s in said(runs) if "`cpu: 1`" in s]
    assert step.startswith("On threads, the three `cpu: 1` steps took turns, one running at "
                           "a time")
    assert "on asyncio, they blocked the event loop, one after another" in step


def test_locust_users_overlap_their_requests_on_gevent_threads_and_asyncio() -> None:
    runs = compare("locust_users")  # gevent, threads and asyncio: its `compare:`
    assert list(runs) == ["gevent", "threads", "asyncio"]
    chain = 3 * (0.3 + 0.2)  # one user's requests and waits, one after another
    for r in runs.values():
        m = r.metrics
        assert m.status == "ok" and m.blocked == 0
        # About one user's chain, nowhere near 100 of them in a row.
        assert 0.95 <= m.elapsed / chain < 3, (r.lane.label, m.elapsed)
        assert m.overlap > 20, (r.lane.label, m.overlap)
        assert len(m.finish_order) == 101
        for op in ("io", "sleep"):
            g = group(r, op)
            assert g.count == 300 and manner(g, r.lane) == "overlapped"
    assert runs["gevent"].metrics.longest_queue == pytest.approx(100, abs=5)


def test_the_runner_runs_waiting_lanes_at_once_and_computing_ones_a_core_each() -> None:
    assert computes(load_scenario("threads_cpu")) and not computes(load_scenario("gather10"))
    busy = load_text("tasks:\n  main:\n    - repeat: {times: 30000, steps: [yield]}\n", "<t>")
    assert computes(busy)
    waiting = lanes(Comparison((load_scenario("gather10"),),
                               variants=(parse_vary("time_scale=0.01,0.02"),)))
    runner = Runner(waiting)
    assert [r.metrics.status for r in runner.run()] == ["ok"] * 6
    assert runner.peak == min(6, WAITING_PER_CORE * cores()) and runner.peak_computing == 0
    computing = lanes(Comparison((load_scenario("threads_cpu"),), time_scale=0.02,
                                 variants=(parse_vary("time_scale=1,0.5"),)))
    runner = Runner(computing)
    assert [r.metrics.status for r in runner.run()] == ["ok"] * 6
    assert runner.peak_computing == min(cores(), 6) and runner.peak <= cores()
    runner = Runner(waiting, jobs=1)
    assert len(runner.run()) == 6 and runner.peak == 1
