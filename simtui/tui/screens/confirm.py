"""A modal question with a row of buttons: dismisses with the key of the chosen button."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from simtui.safe import printable


class ConfirmScreen(ModalScreen[str | None]):
    """Ask `question`; `choices` are `(key, label)` pairs, shown in order.

    `default` is the key of the choice that enter takes at once (focused and coloured);
    the first choice when not given. Where a choice can lose or overwrite something, the
    default must be one that cannot. Dismisses with the key of the pressed button, or None
    on esc. The buttons are reachable with tab / shift+tab and left / right, and pressed
    with enter or space.
    """

    DEFAULT_CSS = """
    ConfirmScreen {
        align: center middle;
        background: $background 60%;
    }
    ConfirmScreen > #confirm-dialog {
        width: auto;
        min-width: 40;
        max-width: 90%;
        height: auto;
        padding: 1 2;
        border: thick $primary;
        background: $surface;
    }
    ConfirmScreen #confirm-question {
        width: auto;
        max-width: 100%;
        margin-bottom: 1;
    }
    ConfirmScreen #confirm-buttons {
        width: auto;
        height: auto;
    }
    ConfirmScreen #confirm-buttons Button {
        margin-right: 2;
    }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="simtui.confirm.cancel"),
        Binding("left", "focus_previous", "Previous", show=False),
        Binding("right", "focus_next", "Next", show=False),
    ]

    def __init__(self, question: str, choices: Sequence[tuple[str, str]],
                 default: str | None = None) -> None:
        super().__init__()
        if not choices:
            raise ValueError("ConfirmScreen needs at least one choice")
        keys = [key for key, _ in choices]
        if default is not None and default not in keys:
            raise ValueError(f"ConfirmScreen: the default {default!r} is not a choice")
        self.question = question
        self.choices = tuple(choices)
        self.default = default if default is not None else keys[0]

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog"):
            # Questions name files: shown, never obeyed. Each line is escaped on its own
            # (a tab in a name would throw the dialog's width off).
            question = "\n".join(printable(line) for line in self.question.split("\n"))
            yield Label(question, id="confirm-question", markup=False)
            with Horizontal(id="confirm-buttons"):
                for n, (key, label) in enumerate(self.choices):
                    # The default is the suggested choice: it gets the focus and the colour.
                    yield Button(label, id=f"choice-{n}", name=key,
                                 variant="primary" if key == self.default else "default")

    def on_mount(self) -> None:
        next(b for b in self.query(Button) if b.name == self.default).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.name)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_focus_previous(self) -> None:
        self.focus_previous()

    def action_focus_next(self) -> None:
        self.focus_next()
