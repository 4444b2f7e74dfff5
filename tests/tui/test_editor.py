"""The in-app editor: atomic saves, the bundled-copy rule, live validation, leaving safely."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from textual.app import App
from textual.message import Message
from textual.widgets import Button, Static

from simtui.scenario.loader import BUNDLED_DIR
from simtui.tui.screens.confirm import ConfirmScreen
from simtui.tui.screens.editor import (
    VALIDATE_DELAY,
    EditorScreen,
    ScenarioTextArea,
    copy_target,
    relink_modeline,
)

SIZE = (120, 40)
CHOICE_KEYS = ("save", "discard", "cancel")

VALID = """\
name: tiny
tasks:
  main:
    - print: "hello"
    - sleep: 0.01
"""


class Host(App[None]):
    """Pushes one EditorScreen and records what it reports."""

    def __init__(self, path: Path, text: str) -> None:
        super().__init__()
        self.editor = EditorScreen(path, text)
        self.saved: list[Path] = []
        self.results: list[Path | None] = []

    def on_mount(self) -> None:
        self.push_screen(self.editor, callback=self.results.append)

    def on_editor_screen_saved(self, message: EditorScreen.Saved) -> None:
        self.saved.append(message.path)


def make(tmp_path: Path, text: str = VALID, name: str = "tiny.yaml") -> tuple[Path, Host]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path, Host(path, text)


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    """Wait past the validation debounce, for the check, and for the screen to repaint."""
    await pilot.pause(VALIDATE_DELAY + 0.2)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def banner_text(app: App[None]) -> str:
    return str(app.screen.query_one("#editor-problems", Static).render())


async def test_typing_marks_dirty_and_ctrl_s_saves_atomically(tmp_path: Path) -> None:
    path, app = make(tmp_path)
    os.chmod(path, 0o640)
    posted: list[Message] = []
    async with app.run_test(size=SIZE, message_hook=posted.append) as pilot:
        editor = app.editor
        assert not editor.dirty
        editor.text_area.move_cursor((3, len("    - print: \"hello")))
        await pilot.press(*"!!")
        assert editor.dirty
        assert editor.has_class("-dirty")
        assert "modified" in str(editor.query_one("#editor-title", Static).render())
        await pilot.press("ctrl+s")
        await pilot.pause()
        expected = VALID.replace('"hello"', '"hello!!"')
        assert path.read_text(encoding="utf-8") == expected
        assert stat.S_IMODE(path.stat().st_mode) == 0o640, "the file's mode is kept"
        assert leftovers(tmp_path) == [], "no temporary file is left behind"
        assert not editor.dirty
        assert app.saved == [path]
        # The hook sees the message at each node it bubbles through: count it once.
        saved = {id(m): m for m in posted if isinstance(m, EditorScreen.Saved)}
        assert [m.path for m in saved.values()] == [path]
        assert app.screen is editor, "the editor stays open after a save"


async def test_undo_back_to_saved_text_is_clean(tmp_path: Path) -> None:
    _, app = make(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        app.editor.text_area.move_cursor((0, 0))
        await pilot.press("x")
        assert app.editor.dirty
        await pilot.press("ctrl+z")
        assert app.editor.text == VALID
        assert not app.editor.dirty


def test_copy_target_never_overwrites_a_different_file(tmp_path: Path) -> None:
    source = BUNDLED_DIR / "gather10.yaml"
    assert copy_target(source, b"a", tmp_path) == tmp_path / "gather10.yaml"
    (tmp_path / "gather10.yaml").write_text("other", encoding="utf-8")
    assert copy_target(source, b"a", tmp_path) == tmp_path / "gather10-1.yaml"
    (tmp_path / "gather10-1.yaml").write_text("a", encoding="utf-8")
    assert copy_target(source, b"a", tmp_path) == tmp_path / "gather10-1.yaml", (
        "a file that already holds exactly these bytes is reused")
    assert copy_target(source, b"b", tmp_path) == tmp_path / "gather10-2.yaml"
    os.mkfifo(tmp_path / "gather10-2.yaml")
    assert copy_target(source, b"b", tmp_path) == tmp_path / "gather10-3.yaml", (
        "a FIFO is neither read nor replaced")


async def test_saving_a_bundled_scenario_writes_a_copy_in_cwd(
    tmp_path: Path, monkeypatch  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.chdir(tmp_path)
    bundled = BUNDLED_DIR / "gather10.yaml"
    original = bundled.read_bytes()
    (tmp_path / "gather10.yaml").write_text("someone else's file\n", encoding="utf-8")
    text = bundled.read_text(encoding="utf-8")
    app = Host(bundled, text)
    async with app.run_test(size=SIZE) as pilot:
        app.editor.text_area.move_cursor((0, 0))
        await pilot.press(*"# mine", "enter")
        await pilot.press("ctrl+s")
        await pilot.pause()
        copy = tmp_path / "gather10-1.yaml"
        assert bundled.read_bytes() == original, "the bundled file is never touched"
        assert (tmp_path / "gather10.yaml").read_text(encoding="utf-8") == "someone else's file\n"
        # Its modeline now finds the schema from the copy's folder.
        text = relink_modeline(text, bundled, copy)
        assert copy.read_text(encoding="utf-8") == "# mine\n" + text
        assert app.saved == [copy]
        assert app.editor.path == copy
        status = str(app.editor.query_one("#editor-status", Static).render())
        assert "gather10-1.yaml" in status, "the user is told where the copy went"
        # The next save goes to the copy, not to yet another file.
        await pilot.press("x", "ctrl+s")
        await pilot.pause()
        assert app.saved == [copy, copy]
        assert copy.read_text(encoding="utf-8") == "# mine\nx" + text
        assert sorted(p.name for p in tmp_path.iterdir()) == ["gather10-1.yaml", "gather10.yaml"]


async def test_invalid_text_shows_banner_with_line_and_col_then_clears(tmp_path: Path) -> None:
    _, app = make(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        editor = app.editor
        await settle(pilot)
        assert not editor.query_one("#editor-problems").has_class("-error")
        # Line 4 becomes `    - pint: "hello"`: an unknown op at 4:7.
        editor.text_area.move_cursor((3, 8))
        await pilot.press("backspace")
        await settle(pilot)
        banner = editor.query_one("#editor-problems")
        assert banner.has_class("-error")
        assert editor.problems and (editor.problems[0].line, editor.problems[0].col) == (4, 7)
        assert "4:7:" in banner_text(app)
        assert "`pint`" in banner_text(app)
        assert 3 in editor.query_one(ScenarioTextArea).problem_lines
        # f8 jumps to the problem, and so does a click on the banner.
        editor.text_area.move_cursor((0, 0))
        await pilot.press("f8")
        assert editor.text_area.cursor_location == (3, 6)
        editor.text_area.move_cursor((0, 0))
        await pilot.click("#editor-problems")
        await pilot.pause()
        assert editor.text_area.cursor_location == (3, 6)
        assert editor.focused is editor.text_area, "typing goes on at the problem"
        # Fixing it clears the banner.
        editor.text_area.move_cursor((3, 7))
        await pilot.press("r")
        await settle(pilot)
        assert editor.problems == ()
        assert not banner.has_class("-error")
        assert editor.query_one(ScenarioTextArea).problem_lines == frozenset()


async def test_invalid_text_can_still_be_saved(tmp_path: Path) -> None:
    path, app = make(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        app.editor.text_area.move_cursor((0, 0))
        await pilot.press(*"::: not yaml")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert path.read_text(encoding="utf-8") == "::: not yaml" + VALID
        assert app.saved == [path]


async def test_save_failure_keeps_text_and_stays_dirty(tmp_path: Path) -> None:
    directory = tmp_path / "gone"
    directory.mkdir()
    path, app = make(directory)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.editor.text_area.move_cursor((0, 0))
        await pilot.press(*"# keep me", "enter")
        path.unlink()
        directory.rmdir()  # the directory vanished under the editor
        await pilot.press("ctrl+s")
        await pilot.pause()
        editor = app.editor
        assert editor.text == "# keep me\n" + VALID
        assert editor.dirty
        assert app.saved == []
        status = editor.query_one("#editor-status", Static)
        assert status.has_class("-error")
        assert "NOT saved" in str(status.render())
        # Leaving still asks: the text is not lost by a stray esc.
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root ignores file permissions (the next test simulates it)")
async def test_save_permission_denied_keeps_text(tmp_path: Path) -> None:
    directory = tmp_path / "ro"
    directory.mkdir()
    path, app = make(directory)
    os.chmod(directory, 0o500)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("x", "ctrl+s")
            await pilot.pause()
            assert app.editor.dirty
            assert app.editor.text == "x" + VALID
            assert path.read_text(encoding="utf-8") == VALID
    finally:
        os.chmod(directory, 0o700)


async def test_save_refused_by_the_os_keeps_text(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    path, app = make(tmp_path)

    def refuse(src: object, dst: object) -> None:
        raise PermissionError(13, "Permission denied", str(dst))

    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("x")
        monkeypatch.setattr(os, "replace", refuse)
        await pilot.press("ctrl+s")
        await pilot.pause()
        editor = app.editor
        assert editor.dirty
        assert editor.text == "x" + VALID
        assert path.read_text(encoding="utf-8") == VALID
        assert leftovers(tmp_path) == []
        assert "permission denied" in str(editor.query_one("#editor-status", Static).render())
        monkeypatch.undo()
        await pilot.press("ctrl+s")  # the cause is gone: the same text now saves
        await pilot.pause()
        assert path.read_text(encoding="utf-8") == "x" + VALID
        assert not editor.dirty


async def test_escape_without_changes_leaves_at_once(tmp_path: Path) -> None:
    _, app = make(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not app.editor
        assert app.results == [None]


async def _escape_and_choose(app: Host, pilot, choice: str) -> None:  # type: ignore[no-untyped-def]
    app.editor.text_area.move_cursor((0, 0))
    await pilot.press(*"# edit", "enter")
    await pilot.press("escape")
    await pilot.pause()
    confirm = app.screen
    assert isinstance(confirm, ConfirmScreen), "unsaved changes: leaving asks first"
    button = next(b for b in confirm.query(Button) if b.name == choice)
    # Keyboard only: move the focus to the button, then press enter.
    for _ in range(len(CHOICE_KEYS) + 1):
        if app.focused is button:
            break
        await pilot.press("tab")
    assert app.focused is button
    await pilot.press("enter")
    await pilot.pause()


async def test_escape_then_save_writes_and_leaves(tmp_path: Path) -> None:
    path, app = make(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await _escape_and_choose(app, pilot, "save")
        assert path.read_text(encoding="utf-8") == "# edit\n" + VALID
        assert app.saved == [path]
        assert app.results == [path]
        assert app.editor not in app.screen_stack


async def test_escape_then_discard_leaves_without_writing(tmp_path: Path) -> None:
    path, app = make(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await _escape_and_choose(app, pilot, "discard")
        assert path.read_text(encoding="utf-8") == VALID
        assert app.saved == []
        assert app.results == [None]
        assert app.editor not in app.screen_stack


async def test_escape_then_cancel_keeps_editing(tmp_path: Path) -> None:
    path, app = make(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await _escape_and_choose(app, pilot, "cancel")
        assert app.screen is app.editor
        assert app.editor.dirty
        assert app.editor.text == "# edit\n" + VALID
        assert path.read_text(encoding="utf-8") == VALID
        # esc on the question itself also means "keep editing".
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.editor
        assert app.results == []


class QuittingHost(Host):
    """A host whose quit key goes through the editor, as the real app's does."""

    def __init__(self, path: Path, text: str) -> None:
        super().__init__(path, text)
        self.quits = 0

    async def action_quit(self) -> None:
        if isinstance(self.screen, EditorScreen):
            self.screen.quit_app(self._quit_now)
            return
        self._quit_now()

    def _quit_now(self) -> None:
        self.quits += 1


@pytest.mark.parametrize(("choice", "quits", "written"), [
    ("save", 1, True), ("discard", 1, False), ("cancel", 0, False)])
async def test_quitting_with_unsaved_changes_asks_first(
    tmp_path: Path, choice: str, quits: int, written: bool
) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(VALID, encoding="utf-8")
    app = QuittingHost(path, VALID)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+q")  # nothing typed yet: quits at once
        await pilot.pause()
        assert app.quits == 1
        await pilot.press("x", "ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen), "unsaved text: quitting asks first"
        assert app.quits == 1
        button = next(b for b in app.screen.query(Button) if b.name == choice)
        await pilot.click(button)
        await pilot.pause()
        assert app.quits == 1 + quits
        assert (path.read_text(encoding="utf-8") == "x" + VALID) is written
        assert app.editor.text == "x" + VALID, "the typed text is still there"


@pytest.mark.parametrize("choice", ["copy", "overwrite", "cancel"])
async def test_a_file_changed_on_disk_is_not_overwritten_without_asking(
    tmp_path: Path, choice: str
) -> None:
    path, app = make(tmp_path)
    theirs = VALID + "# added in another window\n"
    async with app.run_test(size=SIZE) as pilot:
        app.editor.text_area.move_cursor((0, 0))
        await pilot.press(*"# mine", "enter")
        path.write_text(theirs, encoding="utf-8")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen), "a conflict asks first"
        assert path.read_text(encoding="utf-8") == theirs
        button = next(b for b in app.screen.query(Button) if b.name == choice)
        await pilot.click(button)
        await pilot.pause()
        mine = "# mine\n" + VALID
        editor = app.editor
        assert editor.text == mine, "the typed text is never lost"
        if choice == "copy":
            copy = tmp_path / "tiny-1.yaml"
            assert path.read_text(encoding="utf-8") == theirs
            assert copy.read_text(encoding="utf-8") == mine
            assert editor.path == copy and app.saved == [copy] and not editor.dirty
        elif choice == "overwrite":
            assert path.read_text(encoding="utf-8") == mine
            assert app.saved == [path] and not editor.dirty
        else:
            assert path.read_text(encoding="utf-8") == theirs
            assert app.saved == [] and editor.dirty


async def test_a_file_touched_but_unchanged_saves_without_asking(tmp_path: Path) -> None:
    path, app = make(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        path.write_bytes(VALID.encode())  # rewritten with the very same bytes
        os.utime(path, (1, 1))
        await pilot.press("x", "ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert app.saved == [path]


async def test_line_ends_changed_on_disk_are_a_change_that_asks(tmp_path: Path) -> None:
    path, app = make(tmp_path)
    theirs = VALID.replace("\n", "\r\n").encode()
    async with app.run_test(size=SIZE) as pilot:
        path.write_bytes(theirs)  # the same text, but other bytes than were loaded
        await pilot.press("x", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert path.read_bytes() == theirs
