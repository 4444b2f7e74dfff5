"""FIFOs, devices, directories and over-long names as scenario or trace: a message, exit 2, at once.

Each command runs with a timeout: a FIFO that blocks the reader must fail the test, not
hang the suite.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 20
"""Seconds: far more than a refusal takes even on a loaded machine, far less than a hang."""
LONG = "a" * 252 + ".yaml"
"""257 characters: longer than any file system allows for one name (ENAMETOOLONG)."""


def simtui(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run([sys.executable, "-m", "simtui", *args], cwd=cwd,
                              capture_output=True, text=True, timeout=TIMEOUT,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`simtui {' '.join(args)[:80]}` hung (a reader blocked on a special file?)")


def fifo(directory: Path) -> str:
    os.mkfifo(directory / "pipe.yaml")
    return "pipe.yaml"


def device(directory: Path) -> str:
    """A character device like /dev/null, made here when allowed, else /dev/null itself.

    Nothing is read from it once the fix is in: it is only looked at with `stat`.
    """
    try:
        os.mknod(directory / "null.yaml", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except OSError:
        return os.devnull
    return "null.yaml"


def directory(parent: Path) -> str:
    (parent / "folder.yaml").mkdir()
    return "folder.yaml"


def long_name(_: Path) -> str:
    return LONG


KINDS: dict[str, tuple[Callable[[Path], str], str]] = {
    "fifo": (fifo, "not a regular file"),
    "device": (device, "not a regular file"),
    "directory": (directory, "not a regular file"),
    "long name": (long_name, "file name too long"),
}


def _assert_refused(proc: subprocess.CompletedProcess[str], name: str, message: str,
                    stream: str = "stderr") -> None:
    out = proc.stdout if stream == "stdout" else proc.stderr
    assert proc.returncode == 2, (proc.returncode, proc.stdout[-500:], proc.stderr[-500:])
    assert "Traceback" not in proc.stdout + proc.stderr
    assert out.startswith(f"{name}:"), out[:300]
    assert message in out.lower(), out[:300]
    assert "\x1b[" not in proc.stdout, "no screen was drawn"


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "directory"])
def test_check_refuses_special_files_and_long_names(tmp_path: Path, kind: str) -> None:
    make, message = KINDS[kind]
    name = make(tmp_path)
    _assert_refused(simtui("check", name, cwd=tmp_path), name, message, stream="stdout")


def test_check_still_expands_a_directory_to_its_scenarios(tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    (folder / "a.yaml").write_text("tasks: {main: [yield]}\n", encoding="utf-8")
    os.mkfifo(folder / "b.yaml")  # a FIFO among the scenarios is refused, not read
    proc = simtui("check", "many", cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("many/a.yaml: ok")
    assert lines[1].startswith("many/b.yaml:") and "not a regular file" in lines[1]


@pytest.mark.parametrize("kind", list(KINDS))
def test_run_refuses_special_files_and_long_names(tmp_path: Path, kind: str) -> None:
    make, message = KINDS[kind]
    name = make(tmp_path)
    _assert_refused(simtui("run", name, cwd=tmp_path), name, message)


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_tui_refuses_special_files_before_the_screen_opens(tmp_path: Path,
                                                               kind: str) -> None:
    make, message = KINDS[kind]
    name = make(tmp_path)
    _assert_refused(simtui(name, cwd=tmp_path), name, message)


@pytest.mark.parametrize("kind", list(KINDS))
def test_replay_refuses_special_files_and_long_names(tmp_path: Path, kind: str) -> None:
    make, message = KINDS[kind]
    name = make(tmp_path)
    _assert_refused(simtui("replay", name, cwd=tmp_path), name, message)
