"""The explanation over real traces of every bundled scenario on every runtime it offers."""

from __future__ import annotations

import re
from functools import cache

import pytest

from simtui.scenario.loader import bundled_scenarios, load_scenario
from tests.tracehelp import Event, run_trace

TIME_SCALE = 0.02
"""Real sleeps, shortened: a 3 s sleep takes 60 ms."""

CASES = [(path.stem, rt)
         for path in bundled_scenarios() for rt in load_scenario(str(path)).runtimes]


@cache
def _trace(name: str, runtime: str) -> tuple[Event, ...]:
    return tuple(run_trace(name, runtime, time_scale=TIME_SCALE))


@cache
def sentences(name: str, runtime: str) -> tuple[str, ...]:
    """The sentence at every cursor position of a real run, from before the first event."""
    from simtui.replay.explain import explain
    from simtui.replay.model import Replay
    from simtui.trace.model import Trace

    events = _trace(name, runtime)
    replay = Replay(Trace.from_events(list(events)))
    out, prev = [], None
    for i in range(-1, len(replay)):
        state = replay.state(i)
        out.append(explain(runtime, state, prev))
        prev = state
    return tuple(out)


@pytest.mark.parametrize(("name", "runtime"), CASES, ids=[f"{n}-{r}" for n, r in CASES])
def test_every_position_of_a_real_run_has_a_sentence(name: str, runtime: str) -> None:
    texts = sentences(name, runtime)
    assert len(texts) >= 3
    for i, text in enumerate(texts):
        assert text.strip(), f"empty sentence at event {i - 1}"
        assert "{" not in text and not re.search(r"\bNone\b", text), (
            f"unfilled text at event {i - 1}: {text}")


def _has(name: str, runtime: str, *needles: str) -> bool:
    return any(all(n in t for n in needles) for t in sentences(name, runtime))


def _need(name: str, runtime: str) -> None:
    assert (name, runtime) in CASES, f"no bundled scenario {name} on {runtime}"


def test_gather10_on_asyncio_explains_the_sleep_switch() -> None:
    _need("gather10", "asyncio")
    assert _has("gather10", "asyncio", "coco[3] awaited a 3 s sleep", "timer",
                "the loop runs the next ready entry, coco[4]")
    assert _has("gather10", "asyncio", "gather's done-callback for coco[9]", "main")


def test_pingpong_on_greenlet_explains_the_return_to_the_parent() -> None:
    _need("greenlet_pingpong", "greenlet")
    assert _has("greenlet_pingpong", "greenlet", "task_a returned", "its parent, main",
                "task_b", "stays suspended")
    assert _has("greenlet_pingpong", "greenlet", "task_b never finished")


def test_unpatched_gevent_explains_the_blocked_hub() -> None:
    _need("gevent_unpatched", "gevent")
    assert _has("gevent_unpatched", "gevent", "without monkey patching", "blocks the hub")


def test_patched_gevent_explains_the_cooperative_sleep() -> None:
    _need("gevent_monkey", "gevent")
    assert _has("gevent_monkey", "gevent", "gevent.sleep in disguise")


def test_cpu_threads_explain_the_gil_handoff() -> None:
    _need("threads_cpu", "threads")
    assert _has("threads_cpu", "threads", "lost the GIL", "switch interval", "up to the OS")


def test_queue_snapshots_do_not_hide_a_direct_switch_from_the_hub() -> None:
    """With --snapshots a `queue` event sits before each `run`: the sentence must not change."""
    _need("gevent_monkey", "gevent")
    from simtui.replay.explain import explain
    from simtui.replay.model import Replay
    from simtui.trace.model import Trace

    events = run_trace("gevent_monkey", "gevent", time_scale=TIME_SCALE, snapshots=True)
    replay = Replay(Trace.from_events(events))
    texts, prev = [], None
    for i in range(-1, len(replay)):
        state = replay.state(i)
        texts.append(explain("gevent", state, prev))
        prev = state
    assert any("snapshot of the hub's callback queue" in t for t in texts)
    assert any("switches straight into it" in t for t in texts)
