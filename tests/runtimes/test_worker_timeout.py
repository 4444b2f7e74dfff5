"""Large monkey-patched gevent runs: the worker keeps the originals gevent replaces.

The flusher thread signals the main thread to write a large backlog; with gevent's
patched `_thread` it used to signal a greenlet's address instead, and hang.
"""

from __future__ import annotations

from simtui.trace.stream import WorkerProcess
from tests.tracehelp import scenario_from


def _run(text: str, runtime: str) -> tuple[list[dict], WorkerProcess]:
    worker = WorkerProcess(scenario_from(text), runtime).start()
    try:
        events = list(worker.events())
        worker.wait(30)
    finally:
        worker.kill()
        worker.wait(10)
    return events, worker


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
