"""Reading only regular files (never blocking on a FIFO) and replacing files atomically."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from simtui.files import NotRegularFile, atomic_write, check_regular, read_regular, reason


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.yaml"
    os.mkfifo(pipe)
    outcome: list[BaseException | bytes] = []

    def read() -> None:
        try:
            outcome.append(read_regular(pipe))
        except BaseException as e:  # noqa: BLE001 - handed to the test thread
            outcome.append(e)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(10)
    if reader.is_alive():  # unblock the reader so that the thread can end, then fail
        os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("reading a FIFO blocked")
    assert isinstance(outcome[0], NotRegularFile)
    assert reason(outcome[0]) == "not a regular file (a FIFO)"


def test_a_directory_and_a_long_name_are_oserrors_with_a_reason(tmp_path: Path) -> None:
    with pytest.raises(NotRegularFile) as info:
        check_regular(tmp_path)
    assert info.value.kind == "a directory"
    with pytest.raises(OSError) as too_long:
        read_regular(tmp_path / ("a" * 300))
    assert reason(too_long.value) == "file name too long"
    with pytest.raises(OSError) as missing:
        read_regular(tmp_path / "nope")
    assert reason(missing.value) == "no such file"


def test_a_regular_file_is_read_whole_or_up_to_a_limit(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"caf\xe9\r\n")
    assert read_regular(path) == b"caf\xe9\r\n"
    assert read_regular(path, 3) == b"caf"
    link = tmp_path / "link"
    link.symlink_to(path)
    assert read_regular(link) == b"caf\xe9\r\n", "a symlink to a file is that file"


def test_atomic_write_replaces_through_symlink_and_keeps_mode(tmp_path: Path) -> None:
    real = tmp_path / "real.yaml"
    real.write_text("old", encoding="utf-8")
    os.chmod(real, 0o600)
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    written = atomic_write(link, "new ✓".encode())
    assert written == real.resolve()
    assert link.is_symlink(), "the link itself is kept"
    assert real.read_text(encoding="utf-8") == "new ✓"
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert leftovers(tmp_path) == []


def test_atomic_write_failure_leaves_the_old_file(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("old", encoding="utf-8")

    def broken_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="No space"):
        atomic_write(path, b"new")
    assert path.read_text(encoding="utf-8") == "old"
    assert leftovers(tmp_path) == [], "the temporary file is removed on failure"


def test_atomic_write_without_overwrite_never_replaces_a_file(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    assert atomic_write(path, b"first", overwrite=False) == path
    with pytest.raises(FileExistsError):
        atomic_write(path, b"second", overwrite=False)
    assert path.read_bytes() == b"first"
    assert leftovers(tmp_path) == []


def test_atomic_write_without_overwrite_loses_a_race_safely(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.jsonl"
    real_fsync = os.fsync

    def fsync_then_someone_else_writes(fd: int) -> None:
        real_fsync(fd)
        if not path.exists():
            path.write_bytes(b"theirs")  # appears between the check and the rename

    monkeypatch.setattr(os, "fsync", fsync_then_someone_else_writes)
    with pytest.raises(FileExistsError):
        atomic_write(path, b"mine", overwrite=False)
    assert path.read_bytes() == b"theirs"
    assert leftovers(tmp_path) == []
