"""`s` asks where to save the trace: a safe default in the current folder, never a path from data.

Names from a scenario or a replayed header (`../x`, `nodir/x`, an absolute path) must not
choose the folder; a folder that cannot be written shows the error and the app goes on.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import orjson
import pytest
from textual.widgets import Input, Label

from simtui.trace.reader import read_trace
from simtui.tui.app import SimtuiApp
from simtui.tui.screens.confirm import ConfirmScreen
from simtui.tui.screens.player import PlayerScreen
from simtui.tui.screens.save_trace import SaveTraceScreen
from tests.tui.conftest import SIZE, TRACES, wait_until

GATHER = TRACES / "gather10-asyncio.jsonl"


def _lines(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line]


def _files(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file())


async def _open_dialog(app: SimtuiApp, pilot) -> SaveTraceScreen:  # type: ignore[no-untyped-def]
    await pilot.press("s")
    await wait_until(pilot, lambda: isinstance(app.screen, SaveTraceScreen))
    assert isinstance(app.screen, SaveTraceScreen)
    return app.screen


def _typed(dialog: SaveTraceScreen) -> Input:
    return dialog.query_one("#save-path", Input)


def _error(dialog: SaveTraceScreen) -> str:
    label = dialog.query_one("#save-error", Label)
    return str(label.render()) if label.has_class("-error") else ""


@pytest.mark.parametrize(("name", "default"), [
    ("../x", "x-asyncio.trace.jsonl"),
    ("nodir/x", "x-asyncio.trace.jsonl"),
    ("\x1b[31mred", "31mred-asyncio.trace.jsonl"),
])
async def test_a_name_from_the_scenario_never_chooses_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, default: str
) -> None:
    here = tmp_path / "here"
    here.mkdir()
    scenario = tmp_path / "s.yaml"
    scenario.write_text(f"name: {orjson.dumps(name).decode()}\ntasks:\n  main: [yield]\n",
                        encoding="utf-8")
    monkeypatch.chdir(here)
    app = SimtuiApp(str(scenario), time_scale=0.01)
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        session = player.session
        await wait_until(pilot, lambda: session.live is None and session.trace.end is not None)
        dialog = await _open_dialog(app, pilot)
        assert _typed(dialog).value == default
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is player)
        assert player.last_saved == here / default
        assert app.is_running
    assert _files(tmp_path) == ["here/" + default, "s.yaml"], "nothing outside the folder"
    events = list(read_trace(here / default))
    assert events[0]["scenario"] == name and events[-1]["type"] == "end"


async def test_an_absolute_path_in_a_replayed_header_is_not_where_it_goes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    lines = _lines(GATHER)
    lines[0]["scenario"] = str(elsewhere / "evil")
    replayed = tmp_path / "replayed.jsonl"
    replayed.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in lines))
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    app = SimtuiApp(trace_path=str(replayed))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        dialog = await _open_dialog(app, pilot)
        assert _typed(dialog).value == "evil-asyncio.trace.jsonl"
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, PlayerScreen))
    assert list(elsewhere.iterdir()) == []
    saved = here / "evil-asyncio.trace.jsonl"
    assert _lines(saved) == lines, "the same trace, event for event"
    assert [p.name for p in here.iterdir()] == [saved.name], "no temporary file left"


async def test_the_user_may_type_a_folder_or_a_path_of_their_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "traces").mkdir()
    app = SimtuiApp(trace_path=str(GATHER))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        dialog = await _open_dialog(app, pilot)
        _typed(dialog).value = "traces"
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, PlayerScreen))
        assert app.player.last_saved == tmp_path / "traces" / "gather10-asyncio.trace.jsonl"
        dialog = await _open_dialog(app, pilot)
        _typed(dialog).value = "mine.jsonl"
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, PlayerScreen))
    assert (tmp_path / "mine.jsonl").read_bytes() == (
        tmp_path / "traces" / "gather10-asyncio.trace.jsonl").read_bytes()


async def test_the_default_name_is_free_and_an_existing_file_is_replaced_only_if_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    taken = tmp_path / "gather10-asyncio.trace.jsonl"
    taken.write_text("mine\n", encoding="utf-8")
    app = SimtuiApp(trace_path=str(GATHER))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        dialog = await _open_dialog(app, pilot)
        assert _typed(dialog).value == "gather10-asyncio-2.trace.jsonl"
        _typed(dialog).value = taken.name
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("enter")  # the default: keep the file
        await wait_until(pilot, lambda: app.screen is dialog)
        assert taken.read_text(encoding="utf-8") == "mine\n"
        assert "exists" in _error(dialog)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("left", "enter")  # now the user says: replace it
        await wait_until(pilot, lambda: isinstance(app.screen, PlayerScreen))
    assert _lines(taken) == _lines(GATHER)


async def test_a_folder_that_cannot_be_written_shows_the_error_and_the_app_lives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    locked = tmp_path / "locked"
    locked.mkdir()
    real_open = os.open

    def read_only_folder(path, flags, *args, **kwargs):  # type: ignore[no-untyped-def]
        # Root writes anywhere, so a read-only folder is what the OS says of this one.
        if flags & os.O_CREAT and Path(path).parent == locked:
            raise OSError(30, "Read-only file system", str(path))
        return real_open(path, flags, *args, **kwargs)

    app = SimtuiApp(trace_path=str(GATHER))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        dialog = await _open_dialog(app, pilot)
        monkeypatch.setattr(os, "open", read_only_folder)
        _typed(dialog).value = "locked/t.jsonl"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog and app.is_running
        assert "read-only file system" in _error(dialog)
        monkeypatch.setattr(os, "open", real_open)
        for typed, why in (("nodir/t.jsonl", "no such file"),
                           ("a-file/t.jsonl", "not a directory")):
            _typed(dialog).value = typed  # real errors from the OS, root or not
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen is dialog and why in _error(dialog), _error(dialog)
        _typed(dialog).value = "fine.jsonl"
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, PlayerScreen))
    assert _files(tmp_path) == ["a-file", "fine.jsonl"]


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root ignores file permissions (the test above simulates it)")
async def test_a_read_only_folder_for_real(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    locked = tmp_path / "locked"
    locked.mkdir()
    os.chmod(locked, stat.S_IRUSR | stat.S_IXUSR)
    try:
        app = SimtuiApp(trace_path=str(GATHER))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            dialog = await _open_dialog(app, pilot)
            _typed(dialog).value = "locked/t.jsonl"
            await pilot.press("enter")
            await pilot.pause()
            assert app.screen is dialog and "permission denied" in _error(dialog)
    finally:
        os.chmod(locked, stat.S_IRWXU)
