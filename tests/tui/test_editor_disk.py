"""The editor never overwrites bytes it did not load without asking, and keeps a file's format.

Files are real files in `tmp_path`, changed from outside by the test as another editor
would; keys go through Pilot.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.widgets import Button, Static

from simtui.tui.app import SimtuiApp
from simtui.tui.screens.confirm import ConfirmScreen
from simtui.tui.screens.editor import EditorScreen
from tests.tui.conftest import SIZE, wait_until

VALID = 'name: tiny\ntasks:\n  main:\n    - print: "hello"\n    - sleep: 0.01\n'
NOT_UTF8 = VALID.replace("hello", "caf\xe9").encode("latin-1")


class Host(App[None]):
    """Pushes one EditorScreen (on a file, as the player opens it) and records its saves."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.editor = EditorScreen.for_file(path, path.read_bytes())
        self.saved: list[Path] = []

    def on_mount(self) -> None:
        self.push_screen(self.editor)

    def on_editor_screen_saved(self, message: EditorScreen.Saved) -> None:
        self.saved.append(message.path)


def status(screen: EditorScreen) -> str:
    return str(screen.query_one("#editor-status", Static).render())


def focused_choice(app: App[None]) -> str | None:
    assert isinstance(app.screen, ConfirmScreen)
    assert isinstance(app.focused, Button)
    return app.focused.name


async def test_an_outside_edit_that_is_not_utf8_is_not_overwritten_silently(
    tmp_path: Path,
) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(VALID, encoding="utf-8")
    app = Host(path)
    async with app.run_test(size=SIZE) as pilot:
        app.editor.text_area.move_cursor((0, 0))
        await pilot.press(*"# mine", "enter")
        path.write_bytes(NOT_UTF8)  # another program writes bytes this editor cannot show
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen), "bytes it did not load: it asks"
        assert "not UTF-8" in str(app.screen.query_one("#confirm-question").render())
        assert focused_choice(app) == "cancel", "enter takes the choice that writes nothing"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is app.editor
        assert path.read_bytes() == NOT_UTF8, "the outside bytes are untouched"
        assert app.saved == [] and app.editor.dirty
        assert "Saved" not in status(app.editor)
        assert app.editor.text == "# mine\n" + VALID, "the typed text is still there"


async def test_a_file_that_is_not_utf8_opens_marked_and_saving_over_it_asks(
    tmp_path: Path,
) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_bytes(NOT_UTF8)
    app = Host(path)
    async with app.run_test(size=SIZE) as pilot:
        editor = app.editor
        assert "caf\ufffd" in editor.text, "shown with the unreadable byte replaced"
        assert "not UTF-8" in status(editor) and "0xe9, line 4" in status(editor)
        await pilot.press("ctrl+s")  # even with nothing typed: the disk holds other bytes
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert path.read_bytes() == NOT_UTF8
        # Choosing to overwrite is the user's call, and then it is done.
        await pilot.press("ctrl+s")
        await pilot.pause()
        button = next(b for b in app.screen.query(Button) if b.name == "overwrite")
        await pilot.click(button)
        await pilot.pause()
        assert path.read_bytes() == NOT_UTF8.decode("utf-8", "replace").encode("utf-8")
        assert app.saved == [path]


async def test_crlf_line_ends_and_a_bom_survive_a_save_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    original = b"\xef\xbb\xbf" + VALID.replace("\n", "\r\n").encode()
    path.write_bytes(original)
    app = Host(path)
    async with app.run_test(size=SIZE) as pilot:
        editor = app.editor
        assert editor.text == VALID, "the editor works on plain text"
        assert not editor.dirty
        editor.text_area.move_cursor((0, 0))
        await pilot.press(*"# note", "enter", "ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        expected = b"\xef\xbb\xbf" + ("# note\n" + VALID).replace("\n", "\r\n").encode()
        assert path.read_bytes() == expected
        assert app.saved == [path] and not editor.dirty
        await pilot.press("x", "ctrl+s")  # the next save knows what it wrote: no question
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert path.read_bytes() == b"\xef\xbb\xbf" + (
            "# note\nx" + VALID).replace("\n", "\r\n").encode()


async def test_enter_on_the_unsaved_changes_question_keeps_editing(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(VALID, encoding="utf-8")
    app = Host(path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("x", "escape")
        await pilot.pause()
        assert focused_choice(app) == "cancel"
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is app.editor
        assert app.editor.dirty and app.editor.text == "x" + VALID
        assert path.read_text(encoding="utf-8") == VALID, "nothing was saved"
        assert app.saved == []


async def test_enter_on_the_quit_question_keeps_editing(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(VALID, encoding="utf-8")
    app = SimtuiApp(str(path), time_scale=0.01)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.player.session.scenario is not None)
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, EditorScreen))
        editor = app.screen
        await pilot.press("x", "ctrl+q")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert focused_choice(app) == "cancel"
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is editor)
        assert app.is_running
        assert path.read_text(encoding="utf-8") == VALID


async def test_in_the_app_an_outside_non_utf8_edit_is_never_saved_over_silently(
    tmp_path: Path,
) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(VALID, encoding="utf-8")
    app = SimtuiApp(str(path), time_scale=0.01)
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        session = player.session
        await wait_until(pilot, lambda: session.scenario is not None and session.live is None)
        await pilot.pause(0.5)  # the watcher is up
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, EditorScreen))
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        path.write_bytes(NOT_UTF8)
        # The player's watcher sees the change: the banner says so, and so does the editor.
        await wait_until(pilot, lambda: "UTF-8" in player.session.error)
        await wait_until(pilot, lambda: "not UTF-8" in status(editor))
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert path.read_bytes() == NOT_UTF8
        # Leaving and editing again opens what is on disk now, marked, not the last good text.
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is player)
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, EditorScreen))
        again = app.screen
        assert isinstance(again, EditorScreen) and again is not editor
        assert "caf\ufffd" in again.text and "not UTF-8" in status(again)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert path.read_bytes() == NOT_UTF8
