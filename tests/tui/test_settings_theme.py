"""The theme the user picks is kept across runs; a bad settings file is a notice, not a crash."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from simtui.tui import settings
from simtui.tui.app import SimtuiApp
from tests.tui.conftest import SIZE, TRACES, wait_until
from tests.tui.screentext import screen_lines

GATHER = str(TRACES / "gather10-asyncio.jsonl")


def _notes(app: SimtuiApp) -> list[str]:
    """What the app says in notifications, recorded as it says it."""
    seen: list[str] = []
    original = app.notify

    def notify(message: str, **kwargs: object) -> None:
        seen.append(str(message))
        original(message, **kwargs)  # type: ignore[arg-type]

    app.notify = notify  # type: ignore[method-assign]
    return seen


def _config() -> Path:
    return Path(os.environ["XDG_CONFIG_HOME"]) / "simtui" / "settings.json"


def test_settings_live_in_the_xdg_config_folder(tmp_path: Path) -> None:
    assert settings.settings_path({"XDG_CONFIG_HOME": str(tmp_path)}) == (
        tmp_path / "simtui" / "settings.json")
    home = Path.home() / ".config" / "simtui" / "settings.json"
    assert settings.settings_path({}) == home
    assert settings.settings_path({"XDG_CONFIG_HOME": "relative/dir"}) == home, \
        "a relative XDG_CONFIG_HOME is ignored, as the spec says"


async def test_the_theme_picked_is_the_theme_next_time() -> None:
    first = SimtuiApp(trace_path=GATHER)
    async with first.run_test(size=SIZE) as pilot:
        await pilot.pause()
        default = first.theme
        assert default != "textual-light"
        assert not _config().exists(), "nothing is written until the user picks a theme"
        first.theme = "textual-light"
        await wait_until(pilot, _config().exists)
    assert json.loads(_config().read_text(encoding="utf-8")) == {"theme": "textual-light"}
    assert [p.name for p in _config().parent.iterdir()] == ["settings.json"], "no temp file"

    second = SimtuiApp(trace_path=GATHER)
    async with second.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert second.theme == "textual-light"


async def test_keys_a_newer_version_wrote_are_kept() -> None:
    _config().parent.mkdir(parents=True)
    _config().write_text('{"theme": "nord", "future": [1, 2]}', encoding="utf-8")
    app = SimtuiApp(trace_path=GATHER)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "nord"
        app.theme = "gruvbox"
        await wait_until(pilot, lambda: "gruvbox" in _config().read_text(encoding="utf-8"))
    assert json.loads(_config().read_text(encoding="utf-8")) == {"theme": "gruvbox",
                                                                 "future": [1, 2]}


@pytest.mark.parametrize(("content", "says"), [
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "not a JSON object"),
    (b'{"theme": 7}', "`theme` is not a name"),
    (b'{"theme": "no-such-theme"}', "is not available"),
    (b"\xff\xfe", "not valid JSON"),
])
async def test_a_bad_settings_file_is_ignored_with_a_notice(content: bytes, says: str) -> None:
    _config().parent.mkdir(parents=True)
    _config().write_bytes(content)
    app = SimtuiApp(trace_path=GATHER)
    notes = _notes(app)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_until(pilot, lambda: any(says in note for note in notes))
        assert str(_config()) in " ".join(notes), "the notice names the file"
        assert app.theme == "textual-dark"
        assert app.player.view is not None, "the player runs as usual"
    assert _config().read_bytes() == content, "a file simtui did not understand is left alone"


async def test_an_unreadable_settings_file_is_a_notice() -> None:
    _config().mkdir(parents=True)  # a folder where the file should be: reading it fails
    app = SimtuiApp(trace_path=GATHER)
    notes = _notes(app)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_until(pilot, lambda: any("settings not read" in n for n in notes))
        app.theme = "textual-light"  # and saving there fails: said, not raised
        await wait_until(pilot, lambda: any("could not be saved" in n for n in notes))
        assert app.is_running
        await wait_until(pilot, lambda: "could not be saved" in " ".join(screen_lines(app)))
