"""Hostile text through the real command line: every control character reaches the terminal
escaped, on stdout and on stderr."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from tests.tracehelp import ROOT

HOSTILE = r"""name: "n\e]0;NAME\a"
title: "t\e[2J \x9b2J \u202eRTL"
description: "d\e]52;c;aGk=\a"
tasks:
  main:
    - print: "P\e]0;X\a \x9b2J \u202eabc"
    - spawn: worker
    - put: {queue: jobs, item: "I\e]52;c;aGk=\a"}
    - join: worker
  worker:
    - get: jobs
    - print: "got {item}"
"""

# C0 except newline (and tab, where noted), DEL, C1 as UTF-8, and the bidi controls as UTF-8.
_RAW = re.compile(rb"[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\x8e\x8f\xaa-\xae\xa8\xa9]"
                  rb"|\xe2\x81[\xa6-\xa9]|\xd8\x9c")


def simtui(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "simtui", *args], cwd=cwd,
                          capture_output=True, timeout=60, stdin=subprocess.DEVNULL)


def assert_clean(proc: subprocess.CompletedProcess[bytes]) -> tuple[str, str]:
    """stdout and stderr, decoded, after checking that neither holds a raw control byte."""
    for name, data in (("stdout", proc.stdout), ("stderr", proc.stderr)):
        found = _RAW.findall(data)
        assert not found, f"raw control characters on {name}: {found}\n{data!r}"
    out, err = proc.stdout.decode(), proc.stderr.decode()
    assert "Traceback" not in out + err
    return out, err


def test_run_text_format_escapes_the_header_and_every_event(tmp_path: Path) -> None:
    (tmp_path / "hostile.yaml").write_text(HOSTILE, encoding="utf-8")
    proc = simtui("run", "hostile.yaml", "--format", "text", "--time-scale", "0.05",
                  cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out, _ = assert_clean(proc)
    assert out.startswith(r"# n\x1b]0;NAME\x07 on asyncio")
    assert r"P\x1b]0;X\x07 \x9b2J \u202eabc" in out
    assert r"got I\x1b]52;c;aGk=\x07" in out


@pytest.mark.parametrize("fmt", ["jsonl", "chrome"])
def test_run_json_formats_keep_the_text_as_data_and_escape_it(tmp_path: Path, fmt: str) -> None:
    (tmp_path / "hostile.yaml").write_text(HOSTILE, encoding="utf-8")
    proc = simtui("run", "hostile.yaml", "--format", fmt, "--time-scale", "0.05", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert not _RAW.findall(proc.stdout), "a trace piped to a terminal must not act on it"
    if fmt == "jsonl":
        events = [orjson.loads(line) for line in proc.stdout.splitlines()]
        texts = [e["text"] for e in events if e["type"] == "output"]
        assert events[0]["scenario"] == "n\x1b]0;NAME\x07", "JSON carries the exact text"
    else:
        doc = orjson.loads(proc.stdout)
        texts = [e["name"] for e in doc["traceEvents"] if e.get("cat") == "output"]
    assert texts[0] == "P\x1b]0;X\x07 \x9b2J \u202eabc"
    assert texts[1] == "got I\x1b]52;c;aGk=\x07"


BROKEN = 'tasks:\n  main:\n    - print: hi\n"k\\e]0;KEY\\a\\x9b": 1\n'


@pytest.mark.parametrize("command", ["check", "run", ""])
def test_a_message_quoting_hostile_text_is_escaped(tmp_path: Path, command: str) -> None:
    (tmp_path / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    proc = simtui(*([command] if command else []), "broken.yaml", cwd=tmp_path)
    assert proc.returncode == 2
    out, err = assert_clean(proc)
    assert r"broken.yaml:4:1: unknown key `k\x1b]0;KEY\x07\u009b`" in out + err


def test_check_escapes_a_hostile_file_name_in_ok_warning_and_error_lines(
    tmp_path: Path,
) -> None:
    good = tmp_path / "good\x1b]0;G\x07.yaml"
    good.write_text("tasks:\n  main: [yield]\n  unused: [yield]\n", encoding="utf-8")
    bad = tmp_path / "bad\x9b2J.yaml"
    bad.write_text("tasks:\n  main: [{sleep: -1}]\n", encoding="utf-8")
    empty = tmp_path / "dir\u202e"
    empty.mkdir()
    proc = simtui("check", good.name, bad.name, empty.name, cwd=tmp_path)
    assert proc.returncode == 2
    out, _ = assert_clean(proc)
    assert out.splitlines() == [
        r"good\x1b]0;G\x07.yaml:3:3: warning: task `unused` is never started, called or "
        "switched to, so it never runs",
        r"good\x1b]0;G\x07.yaml: ok (2 tasks; runs on asyncio, gevent, threads)",
        r"bad\u009b2J.yaml:2:18: `sleep` cannot be negative (`-1`)",
        r"dir\u202e:1:1: no scenario files (*.yaml) in this directory",
    ]


def test_run_errors_on_stderr_escape_the_names_they_quote(tmp_path: Path) -> None:
    proc = simtui("run", "missing\x1b]0;M\x07.yaml", cwd=tmp_path)
    assert proc.returncode == 2
    _, err = assert_clean(proc)
    assert r"missing\x1b]0;M\x07.yaml:1:1: no such file" in err
    (tmp_path / "ok.yaml").write_text("tasks:\n  main: [yield]\n", encoding="utf-8")
    proc = simtui("run", "ok.yaml", "-o", "gone\x1b[2J/out.txt", cwd=tmp_path)
    assert proc.returncode == 2
    _, err = assert_clean(proc)
    assert r"gone\x1b[2J/out.txt: cannot write" in err


def test_replay_errors_escape_the_file_name(tmp_path: Path) -> None:
    proc = simtui("replay", "none\x1b]0;N\x07.jsonl", cwd=tmp_path)
    assert proc.returncode == 2
    _, err = assert_clean(proc)
    assert r"none\x1b]0;N\x07.jsonl: no such file" in err
    (tmp_path / "bad\x9b.jsonl").write_text("garbage\n", encoding="utf-8")
    proc = simtui("replay", "bad\x9b.jsonl", cwd=tmp_path)
    assert proc.returncode == 2
    _, err = assert_clean(proc)
    assert r"bad\u009b.jsonl:1: not JSON" in err
    (tmp_path / "empty\u202e.jsonl").write_text("", encoding="utf-8")
    proc = simtui("replay", "empty\u202e.jsonl", cwd=tmp_path)
    assert proc.returncode == 2
    _, err = assert_clean(proc)
    assert r"empty\u202e.jsonl: empty file" in err
