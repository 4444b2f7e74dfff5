"""`simtui replay` refuses a file that is not a trace before any screen opens."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def _replay(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simtui", "replay", str(path)],
        capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("garbage\n", ":1: not JSON"),
        ("", "empty file"),
        ('{"type": "header", "format": "other", "version": 1}\n', ":1: format 'other'"),
        ('{"type": "header", "format": "simtui-trace", "version": 9}\n', "version 9"),
        ('{"seq": 0, "t": 0, "type": "run"}\n', "not a header"),
    ],
)
def test_a_file_that_is_not_a_trace_is_refused_with_its_location(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(content, encoding="utf-8")
    result = _replay(path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert "\x1b[" not in result.stdout  # no screen was drawn


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    result = _replay(tmp_path / "nope.jsonl")
    assert result.returncode == 2
    assert "no such file" in result.stderr
