"""The file watcher: every outside change is handled, and no failure in one ends the watch."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest

from simtui.tui.app import SimtuiApp
from simtui.tui.screens.player import PlayerScreen
from simtui.tui.session import Session
from tests.tui.conftest import SIZE, wait_until

GOOD = "name: watched\ntasks:\n  main:\n    - print: first\n    - sleep: 1ms\n"
MARKUP = 'name: watched\n"[/]": 1\n"[bold]x[/bold]": 2\ntasks:\n  main:\n    - print: "[/]"\n'
FIXED = GOOD.replace("first", "fixed")


def _ended(player: PlayerScreen) -> bool:
    return player.session.live is None and player.session.trace.end is not None


def _outputs(player: PlayerScreen) -> list[str]:
    return [text for _, _, _, text in player.session.replay.outputs]


def _write(path: Path, data: bytes) -> None:
    """Write as another editor would: the whole file, in place."""
    path.write_bytes(data)


class Notes:
    """Records what the app shows as notifications (the text and its severity)."""

    def __init__(self, app: SimtuiApp) -> None:
        self.seen: list[tuple[str, str]] = []
        original = app.notify

        def notify(message: str, **kwargs: Any) -> None:
            self.seen.append((str(message), str(kwargs.get("severity", "information"))))
            original(message, **kwargs)

        app.notify = notify  # type: ignore[method-assign]


async def test_a_markup_laden_error_then_a_fix_reruns_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "watched.yaml"
    path.write_text(GOOD, encoding="utf-8")
    app = SimtuiApp(str(path), time_scale=0.01)
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        await wait_until(pilot, lambda: _ended(player) and _outputs(player) == ["first"])
        await pilot.pause(0.5)  # the watcher is up
        reloads = player.session.last_reload
        _write(path, MARKUP.encode())
        await wait_until(pilot, lambda: player.session.last_reload > reloads)
        assert "[/]" in player.session.error, "the broken edit is reported"
        assert _outputs(player) == ["first"], "the last good run stays on screen"
        first = player.session.run_id
        _write(path, FIXED.encode())
        await wait_until(pilot, lambda: player.session.run_id > first and _ended(player))
        assert _outputs(player) == ["fixed"]
        assert player.session.error == ""


async def test_a_change_whose_handling_fails_is_reported_and_the_watch_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "watched.yaml"
    path.write_text(GOOD, encoding="utf-8")
    app = SimtuiApp(str(path), time_scale=0.01)
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        notes = Notes(app)
        await wait_until(pilot, lambda: _ended(player))
        await pilot.pause(0.5)
        real_reload = Session.reload
        failures = []

        def reload_once_broken(self: Session, *args: Any, **kwargs: Any) -> bool:
            if not failures:
                failures.append(1)
                raise RuntimeError("a bug while handling the change")
            return real_reload(self, *args, **kwargs)

        monkeypatch.setattr(Session, "reload", reload_once_broken)
        _write(path, GOOD.replace("first", "second").encode())
        await wait_until(pilot, lambda: any("a bug while handling" in m for m, _ in notes.seen))
        assert ("error" in {s for m, s in notes.seen if "a bug while handling" in m})
        first = player.session.run_id
        _write(path, FIXED.encode())
        await wait_until(pilot, lambda: player.session.run_id > first and _ended(player))
        assert _outputs(player) == ["fixed"]


async def test_an_outside_edit_that_is_not_utf8_is_reported_not_ignored(tmp_path: Path) -> None:
    path = tmp_path / "watched.yaml"
    path.write_text(GOOD, encoding="utf-8")
    app = SimtuiApp(str(path), time_scale=0.01)
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        await wait_until(pilot, lambda: _ended(player))
        await pilot.pause(0.5)
        _write(path, GOOD.replace("first", "caf\xe9").encode("latin-1"))
        await wait_until(pilot, lambda: "UTF-8" in player.session.error)
        assert player.session.error.startswith("4:"), "located: the line of the bad byte"
        assert _outputs(player) == ["first"]


class FifoGuard:
    """Lets a reader blocked on a FIFO go after `seconds` (by opening it to write), and says so.

    A blocked reader on the app's loop would freeze the app and the test's own timeouts
    with it; this runs on a thread of its own.
    """

    def __init__(self, path: Path, seconds: float = 10.0) -> None:
        self.path = path
        self.unblocked = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, args=(seconds,), daemon=True)

    def _watch(self, seconds: float) -> None:
        while not self._done.wait(seconds):
            try:
                os.close(os.open(self.path, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                continue  # no reader on it
            self.unblocked = True

    def __enter__(self) -> FifoGuard:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()


async def test_a_scenario_replaced_by_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    path = tmp_path / "watched.yaml"
    path.write_text(GOOD, encoding="utf-8")
    app = SimtuiApp(str(path), time_scale=0.01)
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        await wait_until(pilot, lambda: _ended(player))
        await pilot.pause(0.5)
        path.unlink()
        os.mkfifo(path)
        with FifoGuard(path) as guard:
            await wait_until(pilot, lambda: "not a regular file" in player.session.error
                             or guard.unblocked, timeout=30)
            await pilot.press("e")  # the editor does not open a FIFO either
            await pilot.pause()
            assert app.screen is player
        assert not guard.unblocked, "a reader blocked on the FIFO"
        assert "not a regular file (a FIFO)" in player.session.error
        path.unlink()
        path.write_text(FIXED, encoding="utf-8")
        await wait_until(pilot, lambda: _outputs(player) == ["fixed"] and _ended(player))


async def test_the_watch_survives_its_folder_being_deleted_and_restored(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "work"
    folder.mkdir()
    path = folder / "watched.yaml"
    path.write_text(GOOD, encoding="utf-8")
    app = SimtuiApp(str(path), time_scale=0.01)
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        await wait_until(pilot, lambda: _ended(player))
        await pilot.pause(0.5)
        shutil.rmtree(folder)
        await pilot.pause(0.5)
        folder.mkdir()
        path.write_text(FIXED, encoding="utf-8")
        await wait_until(pilot, lambda: _outputs(player) == ["fixed"] and _ended(player))
