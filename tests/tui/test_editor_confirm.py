"""The confirm modal: keyboard-reachable buttons, the chosen key returned, text shown as typed."""

from __future__ import annotations

from textual.app import App
from textual.widgets import Button, Label

from simtui.tui.screens.confirm import ConfirmScreen

SIZE = (120, 40)
CHOICES = [("save", "Save"), ("discard", "Discard"), ("cancel", "Cancel")]


class Host(App[None]):
    def __init__(self, question: str = "Save [b]x[/b]?") -> None:
        super().__init__()
        self.question = question
        self.results: list[str | None] = []

    def on_mount(self) -> None:
        self.push_screen(ConfirmScreen(self.question, CHOICES), callback=self.results.append)


async def test_arrow_keys_move_between_buttons_and_enter_chooses() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.focused, Button) and app.focused.name == "save"
        await pilot.press("right", "right")
        assert app.focused is not None and app.focused.name == "cancel"
        await pilot.press("left")
        assert app.focused is not None and app.focused.name == "discard"
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == ["discard"]


async def test_escape_means_no_choice() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [None]


async def test_question_is_shown_literally() -> None:
    app = Host("Save [b]x[/b]?")
    async with app.run_test(size=SIZE):
        label = app.screen.query_one("#confirm-question", Label)
        assert "[b]x[/b]" in str(label.render()), "file names with brackets are not markup"
