"""The TUI commands need a terminal: without one they refuse at once, with exit 2."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.tracehelp import ROOT

MESSAGE = "simtui needs a terminal; `simtui run` writes the trace headless"
TRACE = ROOT / "tests" / "tui" / "traces" / "gather10-asyncio.jsonl"

COMMANDS = {
    "default": [],
    "scenario": ["gather10"],
    "replay": ["replay", str(TRACE)],
}


def _simtui(args: list[str], stdin: int, stdout: int) -> subprocess.CompletedProcess[bytes]:
    # A TUI that opened anyway would never end by itself: the timeout fails the test.
    return subprocess.run([sys.executable, "-m", "simtui", *args], cwd=ROOT, stdin=stdin,
                          stdout=stdout, stderr=subprocess.PIPE, timeout=30)


@pytest.mark.parametrize("command", list(COMMANDS))
def test_without_a_terminal_the_tui_refuses_with_exit_2(command: str) -> None:
    assert TRACE.is_file()
    result = _simtui(COMMANDS[command], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert result.returncode == 2
    assert result.stderr.decode().strip() == MESSAGE
    assert result.stdout == b""  # no screen was drawn into the pipe


@pytest.mark.parametrize("which", ["stdin", "stdout"])
def test_one_side_not_a_terminal_is_enough_to_refuse(which: str) -> None:
    master, slave = os.openpty()
    try:
        if which == "stdin":  # stdout is a terminal, stdin is not
            result = _simtui(["gather10"], stdin=subprocess.DEVNULL, stdout=slave)
        else:
            result = _simtui(["gather10"], stdin=slave, stdout=subprocess.PIPE)
    finally:
        os.close(slave)
        os.close(master)
    assert result.returncode == 2
    assert result.stderr.decode().strip() == MESSAGE
