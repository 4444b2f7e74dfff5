"""The greenlet and gevent runtimes chain to a greenlet tracer already set, and restore it."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.tracehelp import ROOT

# Run in a child interpreter: gevent's hub and greenlet's tracer are per-thread state
# that must not leak into the test process.
SCRIPT = r"""
import json, sys
import greenlet
from simtui.runtimes import gevent_rt, greenlet_rt
from simtui.runtimes.base import RunContext
from simtui.runtimes.probe import Probe
from simtui.scenario.loader import load_text
from tests.tracehelp import recorded

seen = []
def earlier(event, args):
    seen.append(event)
greenlet.settrace(earlier)
result = {}
for runtime, text in [
    ("greenlet", "tasks:\n  main:\n    - spawn: a\n    - switch: a\n  a:\n    - switch: main\n"),
    ("gevent", "tasks:\n  main:\n    - spawn: a\n    - join: a\n  a:\n    - yield\n"),
]:
    before = len(seen)
    scenario = load_text(text, "<t>", runtime=runtime)
    probe = Probe(list(scenario.instances))
    module = greenlet_rt if runtime == "greenlet" else gevent_rt
    outcome = module.run(scenario, probe, RunContext(scale=1.0))
    result[runtime] = {
        "status": outcome.status,
        "chained": len(seen) - before,
        "restored": greenlet.gettrace() is earlier,
        "runs": sum(1 for e in recorded(probe) if e["type"] == "run" and e["task"]),
    }
print(json.dumps(result))
"""


def test_runtimes_chain_to_an_earlier_tracer_and_put_it_back() -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    for runtime in ("greenlet", "gevent"):
        r = result[runtime]
        assert r["status"] == "ok"
        assert r["runs"] >= 3  # main, a, main again: recorded by our tracer...
        assert r["chained"] >= r["runs"]  # ...while the earlier one saw every switch too
        assert r["restored"] is True
