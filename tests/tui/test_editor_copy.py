"""Editing a bundled scenario: where the copy goes is said before and after, its modeline
finds the schema, and the editor wears the app's theme."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simtui.scenario.loader import BUNDLED_DIR
from simtui.tui import yaml_syntax
from simtui.tui.app import SimtuiApp
from simtui.tui.screens.editor import EditorScreen, relink_modeline
from tests.tui.conftest import SIZE, wait_until
from tests.tui.screentext import screen_lines

MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$")


async def _edit_bundled(app: SimtuiApp, pilot) -> EditorScreen:  # type: ignore[no-untyped-def]
    await wait_until(pilot, lambda: app.player.session.scenario is not None)
    await pilot.press("e")
    await wait_until(pilot, lambda: isinstance(app.screen, EditorScreen))
    editor = app.screen
    assert isinstance(editor, EditorScreen)
    return editor


async def test_saving_a_bundled_scenario_says_where_the_copy_goes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "gather10.yaml"
    app = SimtuiApp("gather10", time_scale=0.01)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        editor = await _edit_bundled(app, pilot)
        await pilot.pause()
        before = screen_lines(app)
        assert "saves a copy as ./gather10.yaml" in before[0], "the header says where"
        status = str(app.screen.query_one("#editor-status").render())
        assert f"saves a copy as {target}." in status, "and the status line in full"
        assert any(str(target) in line for line in before), "all of it on screen"
        editor.text_area.move_cursor((editor.text_area.document.line_count - 1, 0))
        await pilot.press(*"# mine", "ctrl+s")
        await wait_until(pilot, target.exists)
        after = "\n".join(screen_lines(app))
        assert f"saved a copy as {target}" in after.replace("\n", " ") or str(target) in after
        title = str(app.screen.query_one("#editor-title").render())
        assert str(target) in title, "the editor's header shows where it now saves"
        await wait_until(pilot, lambda: app.player.session.scenario_path == str(target))
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.player)
        header = screen_lines(app)[0]
        assert "./gather10.yaml" in header, "the player's header names the copy"
    assert (BUNDLED_DIR / "gather10.yaml").read_text(encoding="utf-8") != target.read_text(
        encoding="utf-8"), "the bundled file is not the one written"


async def test_the_copy_modeline_points_at_a_schema_that_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "gather10.yaml"
    app = SimtuiApp("gather10", time_scale=0.01)
    async with app.run_test(size=SIZE) as pilot:
        editor = await _edit_bundled(app, pilot)
        await pilot.press("ctrl+s")
        await wait_until(pilot, target.exists)
        first = target.read_text(encoding="utf-8").splitlines()[0]
        assert editor.text.splitlines()[0] == first, "the editor shows what was saved"
        assert not editor.dirty
    match = MODELINE.match(first)
    assert match, first
    schema = (tmp_path / match.group(1)).resolve()
    assert schema == (BUNDLED_DIR / "scenario.schema.json").resolve() and schema.is_file()


def test_a_modeline_that_already_works_is_left_alone(tmp_path: Path) -> None:
    text = "# yaml-language-server: $schema=./scenario.schema.json\nname: x\n"
    (tmp_path / "scenario.schema.json").write_text("{}", encoding="utf-8")
    assert relink_modeline(text, BUNDLED_DIR / "x.yaml", tmp_path / "x.yaml") == text
    url = "# yaml-language-server: $schema=https://example.org/s.json\n"
    assert relink_modeline(url, BUNDLED_DIR / "x.yaml", tmp_path / "x.yaml") == url


async def test_the_editor_follows_the_app_theme() -> None:
    app = SimtuiApp(trace_path="tests/tui/traces/gather10-asyncio.jsonl")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        from simtui.tui.screens.editor import EditorScreen as Editor

        editor = Editor(Path("x.yaml"), 'name: x\ntasks:\n  main:\n    - print: "hi"\n')
        app.push_screen(editor)
        await pilot.pause()
        area = editor.text_area
        seen = {}
        for theme in ("textual-dark", "textual-light"):
            app.theme = theme
            await pilot.pause()
            want = yaml_syntax.styles(app.get_css_variables())["property"].color
            line = area.render_line(3)
            key = next(seg for seg in line if seg.text.strip().startswith("print"))
            assert key.style is not None and key.style.color == want, theme
            seen[theme] = key.style.color, key.style.bgcolor
        assert seen["textual-dark"] != seen["textual-light"], "not monokai on a light theme"
