"""The editor inside the real app: ctrl+s saves and the player re-runs; quitting asks first."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from simtui.tui.app import SimtuiApp
from simtui.tui.screens.confirm import ConfirmScreen
from simtui.tui.screens.editor import EditorScreen
from tests.tui.conftest import SIZE, wait_until


async def test_save_reruns_the_player_and_quit_asks_over_unsaved_text(
    scenario_copy: Callable[[str], Path],
) -> None:
    path = scenario_copy("gather10")
    app = SimtuiApp(str(path), time_scale=0.01)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.player.session.scenario is not None)
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, EditorScreen))
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        editor.text_area.move_cursor((0, 0))
        await pilot.press(*"# note", "enter", "ctrl+s")
        assert path.read_text(encoding="utf-8").startswith("# note\n")
        await wait_until(pilot, lambda: app.player.session.scenario is not None
                         and app.player.session.scenario.text.startswith("# note\n"))
        assert app.screen is editor, "the editor stays open while the player re-runs"

        await pilot.press("x", "ctrl+q")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert app.is_running, "unsaved text: the app does not quit at once"
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is editor)
        assert editor.text.startswith("# note\nx"), "the typed text is still there"
