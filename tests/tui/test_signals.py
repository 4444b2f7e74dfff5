"""SIGTERM and SIGHUP quit the TUI as `q` does: the terminal is restored, no worker is left.

The app runs as a real program on a pseudo-terminal; the test reads what it writes there.
"""

from __future__ import annotations

import fcntl
import os
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from pathlib import Path

import pytest

from tests.tui.conftest import ROOT

LEAVE_ALT_SCREEN = b"\x1b[?1049l"
SHOW_CURSOR = b"\x1b[?25h"
MOUSE_OFF = b"\x1b[?1000l"


class _Terminal:
    """`python -m simtui ARGS` on a 120x40 pseudo-terminal, its output collected."""

    def __init__(self, *args: str) -> None:
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        env = dict(os.environ, TERM="xterm-256color", TEXTUAL_ANIMATIONS="none")
        self.proc = subprocess.Popen([sys.executable, "-m", "simtui", *args], cwd=ROOT,
                                     stdin=slave, stdout=slave, stderr=slave, env=env,
                                     start_new_session=True)
        os.close(slave)
        self.out = bytearray()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 1 << 16)
            except OSError:  # EIO: the program ended and closed the terminal
                return
            if not data:
                return
            self.out += data

    def wait_for(self, predicate, what: str, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while not predicate():
            assert self.proc.poll() is None, f"the app ended early: {bytes(self.out)[-500:]!r}"
            assert time.monotonic() < deadline, f"no {what}: {bytes(self.out)[-500:]!r}"
            time.sleep(0.05)

    def children(self) -> list[int]:
        out: list[int] = []
        for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
            with open(task / "children") as f:
                out += [int(p) for p in f.read().split()]
        return out

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.reader.join(5)
        os.close(self.master)


def _group_gone(pgid: int) -> bool:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_restores_the_terminal_and_kills_the_worker(signum: int) -> None:
    # A long run, so that the worker is still going when the signal comes.
    term = _Terminal("gather10", "--time-scale", "5")
    try:
        term.wait_for(lambda: b"gather10" in term.out, "first frame")
        term.wait_for(term.children, "worker")
        workers = term.children()
        mark = len(term.out)
        term.proc.send_signal(signum)
        code = term.proc.wait(30)
        term.reader.join(5)
    finally:
        term.close()
    assert code == 128 + signum
    after = bytes(term.out[mark:])
    assert LEAVE_ALT_SCREEN in after
    assert SHOW_CURSOR in after
    assert MOUSE_OFF in after
    assert b"Traceback" not in after
    for pid in workers:
        assert _group_gone(pid), f"worker group {pid} outlived the app"


def test_a_signal_keeps_the_editors_unsaved_text_in_a_file_of_its_own(tmp_path: Path) -> None:
    # Nothing the user typed is lost, even when the app is told to end without asking:
    # the scenario stays as it was on disk, the typed text goes beside it, and the user
    # is told where once the terminal is theirs again.
    scenario = tmp_path / "mine.yaml"
    original = (ROOT / "scenarios" / "coroutine_basics.yaml").read_bytes()
    scenario.write_bytes(original)
    term = _Terminal(str(scenario), "--time-scale", "0.05")
    try:
        term.wait_for(lambda: b"coroutine_basics" in term.out, "first frame")
        os.write(term.master, b"e")
        term.wait_for(lambda: b"ctrl+s" in term.out, "the editor")
        time.sleep(0.5)
        os.write(term.master, b"# typed, never saved\r")
        term.wait_for(lambda: b"typed, never saved" in term.out, "the typed text")
        term.proc.send_signal(signal.SIGTERM)
        code = term.proc.wait(30)
        term.reader.join(5)
    finally:
        term.close()
    assert code == 128 + signal.SIGTERM
    assert scenario.read_bytes() == original
    kept = tmp_path / "mine.unsaved.yaml"
    assert b"# typed, never saved" in kept.read_bytes()
    assert b"were kept in " in term.out and b"mine.unsaved.yaml" in term.out
