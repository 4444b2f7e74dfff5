"""`simtui run` when the run does not end by itself: Ctrl-C, a closed pipe, a killed worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from simtui.trace.reader import read_trace
from tests.tracehelp import ROOT

ENDLESS = """
timeout: 60
tasks:
  main:
    - repeat: {times: 10000000, steps: [{print: "line {i}"}]}
"""

SLEEPER = """
timeout: 60
tasks:
  main:
    - print: started
    - sleep: 60
"""


def _start(*args: str, stdout: int | None = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "simtui", *args], cwd=ROOT,
                            stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.PIPE)


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text()
        out += [int(p) for p in text.split()]
    return out


def _worker_of(proc: subprocess.Popen[bytes]) -> int:
    """The pid of the worker that `simtui run` started (waits until there is one)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        kids = _children(proc.pid)
        if kids:
            return kids[0]
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        time.sleep(0.02)
    raise AssertionError("no worker started")


def _group_gone(pgid: int) -> bool:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def _whole(path: Path) -> list[dict]:
    with path.open("rb") as f:
        events = list(read_trace(f.name))
    assert events[0]["type"] == "header"
    body = events[1:]
    assert [e["seq"] for e in body] == list(range(len(body)))
    assert [e["t"] for e in body] == sorted(e["t"] for e in body)
    assert [e["type"] for e in body].count("end") == 1 and body[-1]["type"] == "end"
    return events


def test_ctrl_c_during_run_to_a_file_ends_the_file_with_killed_and_exits_130(
    tmp_path: Path,
) -> None:
    scenario = tmp_path / "sleeper.yaml"
    scenario.write_text(SLEEPER, encoding="utf-8")
    out = tmp_path / "trace.jsonl"
    proc = _start("run", str(scenario), "--format", "jsonl", "-o", str(out))
    worker = _worker_of(proc)
    time.sleep(1.0)  # let it start the run (the test holds either way)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert b"Traceback" not in err
    last = _whole(out)[-1]
    assert last["status"] == "killed" and "interrupted" in last["message"]
    assert _group_gone(worker)


def test_sigterm_during_run_ends_the_file_too(tmp_path: Path) -> None:
    scenario = tmp_path / "endless.yaml"
    scenario.write_text(ENDLESS, encoding="utf-8")
    out = tmp_path / "trace.jsonl"
    proc = _start("run", str(scenario), "--format", "jsonl", "-o", str(out))
    worker = _worker_of(proc)
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    events = _whole(out)
    assert len(events) > 100  # a runaway was going on
    assert events[-1]["status"] == "killed" and "SIGTERM" in events[-1]["message"]
    assert _group_gone(worker)


def test_a_closed_pipe_ends_the_run_quietly_with_141(tmp_path: Path) -> None:
    # `simtui run … | head -1`: the reader goes away after one line.
    scenario = tmp_path / "endless.yaml"
    scenario.write_text(ENDLESS, encoding="utf-8")
    proc = _start("run", str(scenario), "--format", "text", stdout=subprocess.PIPE)
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first.startswith(b"# endless on asyncio")
    worker = _worker_of(proc)
    proc.stdout.close()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 141, err
    assert err == b""
    assert _group_gone(worker)


def test_a_closed_pipe_with_jsonl_is_quiet_too() -> None:
    proc = _start("run", "gather10", "--format", "jsonl", stdout=subprocess.PIPE)
    assert proc.stdout is not None
    assert b'"type":"header"' in proc.stdout.readline()
    proc.stdout.close()
    _, err = proc.communicate(timeout=60)
    # The rest of the trace comes after the coroutines' 3 s sleep: the pipe is closed by then.
    assert proc.returncode == 141, err
    assert err == b""


def test_a_worker_killed_from_outside_exits_3_and_the_file_is_whole(tmp_path: Path) -> None:
    scenario = tmp_path / "sleeper.yaml"
    scenario.write_text(SLEEPER, encoding="utf-8")
    out = tmp_path / "trace.jsonl"
    proc = _start("run", str(scenario), "--format", "jsonl", "-o", str(out))
    worker = _worker_of(proc)
    time.sleep(1.0)
    os.kill(worker, signal.SIGKILL)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 3, err
    assert b"did not finish" in err and b"SIGKILL" in err
    assert b"Traceback" not in err
    last = _whole(out)[-1]
    assert last["status"] == "killed" and "SIGKILL" in last["message"]
