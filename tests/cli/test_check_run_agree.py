"""`simtui check` and `simtui run -r R` agree, through the real command line, on this Python.

`check` prints the runtimes a scenario runs on; `run -r R` must accept exactly those, and
`check -r R` must refuse exactly what `run -r R` refuses.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from simtui.scenario.model import RUNTIMES

EAGER_ELSEWHERE = """\
runtime: threads
options:
  asyncio:
    eager_tasks: true
tasks:
  main: [yield]
"""
LISTED = "runtimes: [asyncio]\ntasks:\n  main: [yield]\n"
UNUSED_TASK_SWITCHES = "runtime: asyncio\ntasks:\n  main: [print: hi]\n  spare: [{switch: main}]\n"
SCENARIOS = {"eager-elsewhere": EAGER_ELSEWHERE, "listed": LISTED,
             "unused-task-switches": UNUSED_TASK_SWITCHES}


def simtui(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "simtui", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def runs_on(check_output: str) -> tuple[str, ...]:
    """The runtimes in `check`'s `ok (...; runs on A, B...)` line; empty when refused."""
    found = re.search(r": ok \(.*?; runs on ([a-z, ]+)", check_output)
    return tuple(found.group(1).split(", ")) if found else ()


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_run_accepts_exactly_the_runtimes_check_reports(tmp_path: Path, name: str) -> None:
    (tmp_path / "s.yaml").write_text(SCENARIOS[name], encoding="utf-8")
    offered = runs_on(simtui("check", "s.yaml", cwd=tmp_path).stdout)
    for runtime in RUNTIMES:
        check = simtui("check", "-r", runtime, "s.yaml", cwd=tmp_path)
        run = simtui("run", "-r", runtime, "--time-scale", "0.01", "s.yaml", cwd=tmp_path)
        assert "Traceback" not in check.stdout + check.stderr + run.stdout + run.stderr
        assert (check.returncode == 2) == (run.returncode == 2), (runtime, check, run)
        assert (run.returncode != 2) == (runtime in offered), (runtime, offered, run.stderr)
        if runtime in offered:
            assert run.returncode == 0, run.stderr


def test_check_says_why_a_runtime_is_missing_on_this_python(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(EAGER_ELSEWHERE, encoding="utf-8")
    proc = simtui("check", "s.yaml", cwd=tmp_path)
    assert proc.returncode == 0
    if sys.version_info >= (3, 12):
        assert proc.stdout == "s.yaml: ok (1 task; runs on asyncio, gevent, threads)\n"
    else:
        assert proc.stdout == (
            "s.yaml: ok (1 task; runs on gevent, threads; not on asyncio: "
            "`options.asyncio.eager_tasks` needs Python 3.12 or newer (this is Python 3.11))\n")
