"""`simtui compare` through the real command line: the table, the sentences, JSON, Chrome, exits."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.cli.test_untrusted_output import assert_clean
from tests.tracehelp import ROOT


def simtui(*args: str, cwd: Path = ROOT, timeout: float = 120
           ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "simtui", *args], cwd=cwd, timeout=timeout,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)


def test_compare_gather10_prints_a_row_per_runtime_the_sentences_and_the_verdict() -> None:
    proc = simtui("compare", "gather10", "--time-scale", "0.05")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "gather10: 3 runs at time scale 0.05"
    head = lines[2].split()
    assert head[:4] == ["run", "status", "elapsed", "switches"]
    rows = {line.split()[0]: line.split() for line in lines[3:6]}
    assert set(rows) == {"asyncio", "gevent", "threads"}
    assert all(row[1] == "ok" for row in rows.values())
    assert rows["asyncio"][-1] == "(first)"
    assert any(line.startswith("There were ") and "the event loop running its own callbacks"
               in line for line in lines)
    assert lines[-1] == "All 3 runs ended ok, as expected."
    assert proc.stderr == ""  # no progress lines when stderr is not a terminal


def test_compare_gevent_monkey_varies_the_option_and_says_what_blocked() -> None:
    proc = simtui("compare", "gevent_monkey", "--vary", "gevent.monkey_patch=true,false",
                  "--time-scale", "0.1")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "gevent monkey_patch=true " in out and "gevent monkey_patch=false " in out
    (step,) = [line for line in out.splitlines() if "`block: 1`" in line]
    assert "with monkey_patch=false, they blocked the hub, one after another" in step
    assert "overlapped" in step


def test_compare_json_is_the_same_data() -> None:
    proc = simtui("compare", "gevent_monkey", "--vary", "gevent.monkey_patch=true,false",
                  "--time-scale", "0.1", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["comparison"] == {"scenarios": ["gevent_monkey"], "runtimes": ["gevent", "threads"],
                                 "vary": {"gevent.monkey_patch": [True, False]},
                                 "time_scale": 0.1, "expect": ["ok"]}
    runs = {r["run"]: r for r in doc["runs"]}
    assert list(runs) == ["gevent monkey_patch=true", "gevent monkey_patch=false", "threads"]
    unpatched = runs["gevent monkey_patch=false"]
    assert unpatched["settings"] == {"gevent.monkey_patch": False}
    assert unpatched["options"] == {"monkey_patch": False}
    assert unpatched["blocked"] == pytest.approx(0.3)
    assert unpatched["elapsed"] >= 0.3 and unpatched["expected"] is True
    assert unpatched["output_differs_at"] == 2 and runs["threads"]["time_scale"] == 0.1
    assert [s["op"] for s in unpatched["steps"]] == ["block"]
    assert doc["as_expected"] is True
    assert any("blocked the hub" in s for s in doc["sentences"])


def test_compare_two_scenarios_names_each_run_by_its_scenario() -> None:
    proc = simtui("compare", "gather10", "gather10_blocking", "-r", "asyncio",
                  "--time-scale", "0.02")
    assert proc.returncode == 0, proc.stderr
    assert "gather10 asyncio " in proc.stdout and "gather10_blocking asyncio " in proc.stdout
    assert "in gather10_blocking, the ten `block: 3` steps" in proc.stdout
    assert proc.stdout.splitlines()[-1] == "Both runs ended ok, as expected."


STUCK = "runtimes: [asyncio, threads]\ntasks:\n  main: [{wait: never}]\n"


def test_a_run_that_does_not_end_as_expected_exits_1_and_says_which(tmp_path: Path) -> None:
    (tmp_path / "stuck.yaml").write_text(STUCK, encoding="utf-8")
    proc = simtui("compare", "stuck.yaml", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines()[-1].startswith(
        "2 of 2 runs did not end ok as expected: asyncio ended deadlock")
    expected = simtui("compare", "stuck.yaml", "--expect", "deadlock", cwd=tmp_path)
    assert expected.returncode == 0, expected.stdout + expected.stderr
    assert expected.stdout.splitlines()[-1] == "Both runs ended deadlock, as expected."


@pytest.mark.parametrize(("args", "message"), [
    (["gather10", "--vary", "gevent.monkey_patch=maybe"],
     "simtui compare: --vary gevent.monkey_patch=maybe: `maybe` is not true or false"),
    (["gather10", "-r", "asyncio", "--vary", "gevent.monkey_patch=true,false"],
     "gevent is not among the runtimes compared (asyncio); add it with -r asyncio,gevent"),
    (["gevent_unpatched", "-r", "asyncio"],
     "gevent_unpatched: does not run on asyncio; it runs on gevent"),
    (["gather10", "-r", "asyncio,trio"], "-r: unknown runtime `trio`"),
    (["gather10", "--expect", "fine"], "--expect: `fine` is not a status"),
    (["no_such_scenario"], "no_such_scenario:1:1: no such file, and no bundled scenario"),
    (["gather10", "-o", "missing/dir/out.txt"], "missing/dir/out.txt: cannot write: no such "
                                                "directory"),
])
def test_invalid_input_exits_2_with_a_message_and_runs_nothing(
        args: list[str], message: str) -> None:
    proc = simtui("compare", *args)
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_a_broken_scenario_is_located(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("tasks:\n  main:\n    - sleeep: 1\n", encoding="utf-8")
    proc = simtui("compare", "gather10", "bad.yaml", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.startswith("bad.yaml:3:")


def test_compare_to_chrome_is_one_file_with_a_process_per_run(tmp_path: Path) -> None:
    out = tmp_path / "cmp.json"
    proc = simtui("compare", "gather10", "--vary", "time_scale=0.01,0.02", "--format",
                  "chrome", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    doc = json.loads(out.read_text(encoding="utf-8"))
    names = {e["pid"]: e["args"]["name"] for e in doc["traceEvents"]
             if e["ph"] == "M" and e["name"] == "process_name"}
    assert list(names.values()) == [
        "asyncio time_scale=0.01", "asyncio time_scale=0.02", "gevent time_scale=0.01",
        "gevent time_scale=0.02", "threads time_scale=0.01", "threads time_scale=0.02"]
    assert {e["pid"] for e in doc["traceEvents"] if e["ph"] == "X"} == set(names)
    assert [r["status"] for r in doc["otherData"]["runs"]] == ["ok"] * 6


TWO_LINES = r"""name: "n\e]0;NAME\a"
tasks:
  main:
    - print: "{first}"
    - print: "{second}"
"""
P, Q = r"P\e]0;X\a \x9b2J \u202eabc", r"Q\e]52;c;aGk=\a"


def test_compare_escapes_hostile_names_and_printed_text(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(TWO_LINES.format(first=P, second=Q), encoding="utf-8")
    (tmp_path / "b.yaml").write_text(TWO_LINES.format(first=Q, second=P), encoding="utf-8")
    args = [sys.executable, "-m", "simtui", "compare", "a.yaml", "b.yaml", "-r", "asyncio"]
    proc = subprocess.run(args, cwd=tmp_path, timeout=120, capture_output=True,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    out, _ = assert_clean(proc)
    assert out.startswith(r"a.yaml and b.yaml: 2 runs")  # one name: the paths tell them apart
    assert (r"The output differs from line 1 on: `Q\x1b]52;c;aGk=\x07` in b.yaml, "
            r"`P\x1b]0;X\x07 \u009b2J \u202eabc` in a.yaml") in out
    as_json = subprocess.run([*args, "--format", "json"], cwd=tmp_path, timeout=120,
                             capture_output=True, stdin=subprocess.DEVNULL)
    assert as_json.returncode == 0, as_json.stderr
    assert_clean(as_json)  # the characters a terminal acts on are JSON escapes
    doc = json.loads(as_json.stdout)
    assert doc["runs"][1]["scenario"] == "n\x1b]0;NAME\x07", "JSON carries the exact text"
    assert any("`Q\x1b]52;c;aGk=\x07`" in s for s in doc["sentences"])


SLEEPER = "timeout: 60\nruntimes: [asyncio, threads]\ntasks:\n  main: [{sleep: 60}]\n"


def _descendants(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        out += [int(p) for p in (task / "children").read_text().split()]
    return out


def test_ctrl_c_kills_every_run_and_exits_130(tmp_path: Path) -> None:
    (tmp_path / "sleeper.yaml").write_text(SLEEPER, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "simtui", "compare", "sleeper.yaml"],
                            cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    workers: list[int] = []
    while len(workers) < 2 and time.monotonic() < deadline:
        assert proc.poll() is None
        workers = _descendants(proc.pid)
        time.sleep(0.05)
    assert len(workers) == 2, "both runs wait at once"
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert b"Traceback" not in err and out == b""
    for pid in workers:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            raise AssertionError(f"worker {pid} outlived the comparison")


def test_progress_goes_to_stderr_only_when_it_is_a_terminal() -> None:
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "simtui", "compare", "gather10",
                             "--time-scale", "0.02"], cwd=ROOT, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    out, _ = proc.communicate(timeout=120)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the terminal's other end is closed: everything was read
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    assert proc.returncode == 0
    lines = seen.decode().splitlines()
    assert lines[0].startswith("simtui compare: 3 runs, in parallel, one per core for those "
                               "that compute")
    steps = [line.split(":")[0].split(" ", 1) for line in lines[1:]]
    assert [k for k, _ in steps] == ["[1/3]", "[2/3]", "[3/3]"]  # as each run ends
    assert {label for _, label in steps} == {"asyncio", "gevent", "threads"}
    assert all(" ok in " in line for line in lines[1:])
    assert out.decode().startswith("gather10: 3 runs")  # the table is on stdout, as always


def test_a_scenario_declares_its_comparison_and_flags_override_each_part() -> None:
    # gevent_monkey's `compare:` runs gevent patched and unpatched, and threads.
    proc = simtui("compare", "gevent_monkey", "--time-scale", "0.1", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["comparison"]["vary"] == {"gevent.monkey_patch": [True, False]}
    runs = {r["run"]: r for r in doc["runs"]}
    assert list(runs) == ["gevent monkey_patch=true", "gevent monkey_patch=false", "threads"]
    assert runs["gevent monkey_patch=false"]["elapsed"] > 2.5 * runs[
        "gevent monkey_patch=true"]["elapsed"]  # ≈ 3 s against ≈ 1 s, scaled
    # -r replaces the runtimes; the declared variant of gevent, no longer compared, goes.
    proc = simtui("compare", "gevent_monkey", "-r", "threads", "--time-scale", "0.05",
                  "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert [r["run"] for r in json.loads(proc.stdout)["runs"]] == ["threads"]
    # A --vary of the same key replaces the declared values.
    proc = simtui("compare", "gevent_monkey", "--vary", "gevent.monkey_patch=false",
                  "--time-scale", "0.05", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert [r["run"] for r in json.loads(proc.stdout)["runs"]] == [
        "gevent monkey_patch=false", "threads"]


def test_a_declared_expect_is_the_verdict_and_expect_on_the_command_line_replaces_it(
        tmp_path: Path) -> None:
    path = tmp_path / "stuck.yaml"
    path.write_text("compare:\n  runtimes: [asyncio]\n  expect: [deadlock]\n"
                    "tasks:\n  main:\n    - wait: never\n", encoding="utf-8")
    proc = simtui("compare", str(path), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["comparison"]["expect"] == ["deadlock"] and doc["as_expected"]
    proc = simtui("compare", str(path), "--expect", "ok")
    assert proc.returncode == 1, proc.stderr


def test_a_broken_compare_key_is_located_and_runs_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("compare:\n  runtimes: [greenlet]\n  vary:\n    gevent.monkey: [true]\n"
                    "tasks:\n  main: [yield]\n", encoding="utf-8")
    proc = simtui("compare", str(path))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines() == [
        f"{path}:2:14: `compare.runtimes` lists greenlet, which this scenario does not run "
        "on; it runs on asyncio, gevent, threads",
        f"{path}:4:5: gevent has no option `monkey` (its options: gevent.monkey_patch)",
    ]


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="eager tasks exist from 3.12 on")
def test_a_declared_variant_this_python_cannot_run_is_located_when_compared(
        tmp_path: Path) -> None:
    path = tmp_path / "eager.yaml"
    path.write_text("compare:\n  vary:\n    asyncio.eager_tasks: [true, false]\n"
                    "tasks:\n  main: [yield]\n", encoding="utf-8")
    assert simtui("check", str(path)).returncode == 0  # it still loads for the player
    proc = simtui("compare", str(path))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith(f"simtui compare: {path}:3:5: compare.vary "
                                  "asyncio.eager_tasks needs Python 3.12 or later")
