"""`simtui export`: a saved JSONL trace converted to Chrome/Perfetto JSON or to readable text."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tracehelp import ROOT


def simtui(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "simtui", *args], cwd=cwd, timeout=60,
                          capture_output=True, text=True, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("traces")
    for runtime in ("asyncio", "gevent"):
        proc = simtui("run", "gather10", "-r", runtime, "--format", "jsonl", "-o",
                      str(folder / f"{runtime}.jsonl"), "--time-scale", "0.01")
        assert proc.returncode == 0, proc.stderr
    return folder


def test_export_chrome_of_a_saved_trace_has_the_callbacks_on_the_scheduler_track(
        saved: Path, tmp_path: Path) -> None:
    out = tmp_path / "g.json"
    proc = simtui("export", str(saved / "asyncio.jsonl"), "--format", "chrome", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    doc = json.loads(out.read_text(encoding="utf-8"))
    tracks = {e["tid"]: e["args"]["name"] for e in doc["traceEvents"]
              if e["ph"] == "M" and e["name"] == "thread_name"}
    callbacks = [e for e in doc["traceEvents"] if e["ph"] == "X" and e["cat"] == "callback"]
    assert len(callbacks) == 21 and {tracks[e["tid"]] for e in callbacks} == {"scheduler"}
    assert doc["otherData"]["runtime"] == "asyncio" and doc["otherData"]["status"] == "ok"


def test_export_of_several_traces_is_a_process_each(saved: Path) -> None:
    proc = simtui("export", str(saved / "asyncio.jsonl"), str(saved / "gevent.jsonl"),
                  "--format", "chrome")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    names = [e["args"]["name"] for e in doc["traceEvents"]
             if e["ph"] == "M" and e["name"] == "process_name"]
    assert names == ["gather10 on asyncio", "gather10 on gevent"]


def test_export_text_is_a_line_per_event(saved: Path) -> None:
    trace = saved / "gevent.jsonl"
    proc = simtui("export", str(trace), "--format", "text")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    events = trace.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(events)
    assert lines[0].startswith("# gather10 on gevent (Python ")
    assert "runs (from coco[3])" in proc.stdout
    assert "run ended: ok" in lines[-1]


@pytest.mark.parametrize(("content", "message"), [
    (None, "nothing.jsonl: no such file"),
    ("", "empty file: not a simtui trace"),
    ('{"type": "header", "format": "other"}\n', "t.jsonl:1: format 'other'"),
    ("not json\n", "t.jsonl:1: "),
])
def test_a_file_that_is_not_a_trace_exits_2_with_its_line(
        tmp_path: Path, content: str | None, message: str) -> None:
    name = "nothing.jsonl" if content is None else "t.jsonl"
    if content is not None:
        (tmp_path / name).write_text(content, encoding="utf-8")
    proc = simtui("export", name, "--format", "chrome", cwd=tmp_path)
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_a_format_is_required_and_the_output_must_be_writable(saved: Path,
                                                              tmp_path: Path) -> None:
    trace = str(saved / "asyncio.jsonl")
    proc = simtui("export", trace)
    assert proc.returncode == 2 and "--format" in proc.stderr
    proc = simtui("export", trace, "--format", "text", "-o", str(tmp_path))
    assert proc.returncode == 2 and "cannot write: a directory" in proc.stderr


def test_a_directory_given_as_a_trace_is_refused(tmp_path: Path) -> None:
    proc = simtui("export", str(tmp_path), "--format", "text")
    assert proc.returncode == 2 and "not a regular file" in proc.stderr
