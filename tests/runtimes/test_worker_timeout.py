"""The worker's own timeout ends every kind of runaway run, on every runtime, with `timeout`.

Each scenario here would run far longer than its `timeout`; the worker (not the parent's
backstop) must end it with `end.status == "timeout"`, and large monkey-patched gevent runs,
whose backlog the worker writes from its main thread, must end `ok`.
"""

from __future__ import annotations

import pytest

from simtui.trace.stream import WorkerProcess
from simtui.trace.wire import Batch
from tests.tracehelp import scenario_from

TIMEOUT = 2.0

LOOP = "- repeat: {times: 10000000, steps: [{print: x}]}"
"""A task that never gives control away: ten million prints, not one yield."""

CASES = {
    "asyncio-loop": ("asyncio", "", [LOOP]),
    "asyncio-cpu": ("asyncio", "", ["- cpu: 60"]),
    "asyncio-block": ("asyncio", "", ["- block: 60"]),
    "greenlet-loop": ("greenlet", "", [LOOP]),
    "greenlet-block": ("greenlet", "", ["- block: 60"]),
    "gevent-loop-unpatched": ("gevent", "monkey_patch: false", [LOOP]),
    "gevent-loop-patched": ("gevent", "monkey_patch: true", [LOOP]),
    "gevent-cpu": ("gevent", "monkey_patch: true", ["- cpu: 60"]),
    "gevent-block-unpatched": ("gevent", "monkey_patch: false", ["- block: 60"]),
    "gevent-block-patched": ("gevent", "monkey_patch: true", ["- block: 60"]),
    "threads-loop": ("threads", "", [LOOP]),
    "threads-many-cpu": ("threads", "", ["- gather: w", "- cpu: 60"]),
    "threads-block": ("threads", "", ["- block: 60"]),
}


def _scenario(runtime: str, option: str, steps: list[str]) -> str:
    options = f"options: {{{runtime}: {{{option}}}}}\n" if option else ""
    main = "".join(f"    {s}\n" for s in steps)
    # `gather: w` starts 20 threads that burn CPU for a minute: the worker's flusher has
    # to win the GIL against all of them.
    workers = ("  w:\n    count: 20\n    steps:\n      - cpu: 60\n"
               if "gather: w" in main else "")
    return f"runtime: {runtime}\ntimeout: {TIMEOUT}\n{options}tasks:\n  main:\n{main}{workers}"


def _run(text: str, runtime: str) -> tuple[list[dict], WorkerProcess]:
    worker = WorkerProcess(scenario_from(text), runtime).start()
    try:
        events = list(worker.events())
        worker.wait(30)
    finally:
        worker.kill()
        worker.wait(10)
    return events, worker


def _check_numbering(events: list[dict]) -> None:
    assert events[0]["type"] == "header"
    body = events[1:]
    assert [e["seq"] for e in body] == list(range(len(body)))
    times = [e["t"] for e in body]
    assert times == sorted(times)
    assert [e["type"] for e in body].count("end") == 1


@pytest.mark.parametrize("case", list(CASES))
def test_the_worker_ends_a_runaway_run_with_timeout(case: str) -> None:
    runtime, option, steps = CASES[case]
    events, worker = _run(_scenario(runtime, option, steps), runtime)
    assert events, worker.error_text
    last = events[-1]
    assert last["type"] == "end", f"no end; the worker said:\n{worker.error_text}"
    assert last["status"] == "timeout", last
    assert not worker.killed  # the worker ended itself: no backstop was needed
    # `elapsed` is the trace's clock when the timeout fired: at the timeout, not seconds
    # later (the bound is loose on purpose: it only catches a timeout that did not fire).
    assert TIMEOUT <= last["elapsed"] < TIMEOUT + 2
    _check_numbering(events)


LARGE_PATCHED = """
runtime: gevent
timeout: 30
options: {gevent: {monkey_patch: true}}
tasks:
  main:
    - gather: w
  w:
    count: 3
    steps:
      - repeat: {times: 60000, steps: [yield]}
"""


def test_large_monkey_patched_gevent_runs_end_ok_every_time() -> None:
    # 720,000 events: the flusher falls past its backlog limit and signals the main
    # thread to write, which must work with gevent's patched `threading` and `_thread`.
    for attempt in range(3):
        events, worker = _run(LARGE_PATCHED, "gevent")
        assert events and events[-1]["type"] == "end", (attempt, worker.error_text)
        assert events[-1]["status"] == "ok", (attempt, events[-1])
        assert not worker.killed
        assert len(events) > 700_000


CAPTURED = {
    "_start_thread": ("_thread", "start_new_thread"),
    "_allocate_lock": ("_thread", "allocate_lock"),
    "_get_ident": ("_thread", "get_ident"),
    "_real_sleep": ("time", "sleep"),
    "_set_handler": ("signal", "signal"),
}

PATCH_AND_COMPARE = f"""
import sys
from simtui.runtimes import worker
from gevent import monkey
monkey.patch_all()
import _thread, time, signal
bad = []
for name, (module, attr) in {CAPTURED!r}.items():
    if getattr(worker, name) is not monkey.get_original(module, attr):
        bad.append(name)
    if getattr(sys.modules[module], attr) is getattr(worker, name):
        bad.append(name + " (not patched at all?)")
if worker._get_ident() != monkey.get_original("_thread", "get_ident")():
    bad.append("ident")
print(bad)
"""


def test_the_worker_keeps_the_originals_that_monkey_patching_replaces() -> None:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", PATCH_AND_COMPARE], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_a_run_that_ended_before_its_timeout_stays_ok_while_its_trace_is_written() -> None:
    import threading
    import time

    # 40,000 records, then the run ends at ~0.3 s, well before its 1 s timeout; the reader
    # stalls on the first batch for 2 s, so the worker is still writing at the timeout.
    text = ("timeout: 1\ntasks:\n  main:\n"
            "    - repeat: {times: 20000, steps: [{print: x}]}\n    - sleep: 0.3\n")
    events: list[dict] = []
    done = threading.Event()

    def on_events(batch: Batch) -> None:
        if not events:
            time.sleep(2.0)
        events.extend(batch.events())

    worker = WorkerProcess(scenario_from(text), "asyncio", on_events=on_events,
                           on_exit=lambda w: done.set()).start()
    try:
        assert done.wait(60)
    finally:
        worker.kill()
        worker.wait(10)
    assert events[-1]["type"] == "end"
    assert events[-1]["status"] == "ok", events[-1]
    assert len([e for e in events if e["type"] == "output"]) == 20000
