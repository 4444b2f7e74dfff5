"""`simtui run` through the real command line: exit codes, formats and output files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from simtui.trace.reader import read_trace
from tests.tracehelp import ROOT, validate


def simtui(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simtui", *args],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT,
    )


def test_run_ok_exits_0_and_text_shows_the_ten_coco_tasks() -> None:
    proc = simtui("run", "gather10", "--format", "text", "--time-scale", "0.01")
    assert proc.returncode == 0, proc.stderr
    for k in range(10):
        assert f"coco[{k}]" in proc.stdout
    assert "코루틴 9 종료" in proc.stdout
    assert "run ended: ok" in proc.stdout.strip().splitlines()[-1]


def test_run_deadlock_exits_1(tmp_path: Path) -> None:
    scenario = tmp_path / "stuck.yaml"
    scenario.write_text("tasks:\n  main: [{wait: never}]\n", encoding="utf-8")
    proc = simtui("run", str(scenario), "--format", "jsonl")
    assert proc.returncode == 1, proc.stderr
    last = json.loads(proc.stdout.strip().splitlines()[-1])
    assert last["status"] == "deadlock"
    assert last["stuck"] == [{"task": "main", "waiting_on": "event never"}]


def test_run_invalid_scenario_exits_2_with_a_location(tmp_path: Path) -> None:
    scenario = tmp_path / "bad.yaml"
    scenario.write_text("tasks:\n  main:\n    - sleeep: 1\n", encoding="utf-8")
    proc = simtui("run", str(scenario))
    assert proc.returncode == 2
    assert f"{scenario}:3:" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_run_switch_on_asyncio_is_refused_with_exit_2() -> None:
    proc = simtui("run", "greenlet_pingpong", "-r", "asyncio")
    assert proc.returncode == 2
    assert "switch" in proc.stderr and "Traceback" not in proc.stderr


def test_run_jsonl_to_a_file_is_a_valid_trace_with_snapshots(tmp_path: Path) -> None:
    out = tmp_path / "trace.jsonl"
    proc = simtui("run", "lock_contention", "--format", "jsonl", "-o", str(out),
                  "--time-scale", "0.01", "--snapshots")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""  # everything went to the file
    with out.open("rb") as f:
        events = list(read_trace(f.name))
    assert events[0]["type"] == "header" and events[0]["runtime"] == "asyncio"
    assert any(e["type"] == "queue" for e in events)
    assert validate(events) == []
    check = subprocess.run(
        [sys.executable, "-m", "simtui.trace.validate", str(out)],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )
    assert check.returncode == 0, check.stdout
    assert "trace ok" in check.stdout


def test_run_chrome_is_json_with_a_track_per_task(tmp_path: Path) -> None:
    out = tmp_path / "trace.json"
    proc = simtui("run", "gather10", "--format", "chrome", "-o", str(out), "--time-scale", "0.01")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    events = data["traceEvents"] if isinstance(data, dict) else data
    assert isinstance(events, list) and events
    tids = {
        e["args"]["name"]: e["tid"] for e in events
        if e.get("ph") == "M" and e.get("name") == "thread_name"
    }
    assert {"main", *(f"coco[{k}]" for k in range(10))} <= set(tids)
    with_slices = {e["tid"] for e in events if e.get("ph") == "X"}
    assert all(tids[f"coco[{k}]"] in with_slices for k in range(10))  # each ran at least once


def test_run_timeout_exits_1(tmp_path: Path) -> None:
    scenario = tmp_path / "slow.yaml"
    scenario.write_text("timeout: 0.5\ntasks:\n  main: [{sleep: 30}]\n", encoding="utf-8")
    proc = simtui("run", str(scenario), "--format", "jsonl")
    assert proc.returncode == 1
    assert json.loads(proc.stdout.strip().splitlines()[-1])["status"] == "timeout"


def test_run_scenario_error_exits_1(tmp_path: Path) -> None:
    scenario = tmp_path / "bad_release.yaml"
    scenario.write_text("tasks:\n  main: [{release: db}]\n", encoding="utf-8")
    proc = simtui("run", str(scenario), "--format", "text")
    assert proc.returncode == 1
    assert "release lock db" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_text_format_says_which_threads_events_were_inferred() -> None:
    proc = simtui("run", "threads_cpu", "--format", "text", "--time-scale", "0.05")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    preempts = [line for line in lines if "suspends: preempt" in line]
    assert preempts and all(line.endswith("suspends: preempt (inferred)") for line in preempts)
    # A thread's own observations are not marked.
    assert not [line for line in lines if " run " in line and "inferred" in line]
