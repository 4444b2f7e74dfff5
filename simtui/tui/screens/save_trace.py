"""A modal asking where to save the trace: a file name prefilled with a safe default."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from simtui.files import reason
from simtui.safe import printable
from simtui.tui.screens.confirm import ConfirmScreen

Writer = Callable[[Path, bool], Path]
"""Writes the trace to a path (overwriting only when told) and returns the path written."""


class SaveTraceScreen(ModalScreen[Path | None]):
    """Ask for a file name (the default: a safe name in the current folder) and save there.

    The user may type any path: a folder saves the default name inside it, `~` is
    expanded, and an existing file is replaced only after asking. A failure (a read-only
    folder, a full disk) is shown here, and the user can try another path. Dismisses with
    the path written, or None on esc.
    """

    DEFAULT_CSS = """
    SaveTraceScreen {
        align: center middle;
        background: $background 60%;
    }
    SaveTraceScreen > #save-dialog {
        width: 90;
        max-width: 95%;
        height: auto;
        padding: 1 2;
        border: thick $primary;
        background: $surface;
    }
    SaveTraceScreen #save-heading {
        text-style: bold;
        margin-bottom: 1;
    }
    SaveTraceScreen #save-error {
        color: $error;
        display: none;
    }
    SaveTraceScreen #save-error.-error {
        display: block;
    }
    SaveTraceScreen #save-hint {
        color: $text-muted;
    }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="simtui.save.cancel")]

    def __init__(self, default: str, write: Writer) -> None:
        super().__init__()
        self.default = default
        """The suggested file name (no folder: it is relative to the current one)."""
        self.write = write

    def compose(self) -> ComposeResult:
        with Vertical(id="save-dialog"):
            yield Label("Save the trace as JSONL to", id="save-heading")
            yield Input(value=self.default, id="save-path")
            yield Label("", id="save-error", markup=False)
            yield Label(f"in {printable(os.getcwd())} unless the path says otherwise · "
                        "enter saves · esc cancels", id="save-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one("#save-path", Input).focus()

    @on(Input.Submitted, "#save-path")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        typed = event.value.strip()
        if not typed:
            self._show("type a file name")
            return
        path = Path(typed).expanduser()
        if os.path.isdir(path):
            path = path / self.default
        self._save(path, overwrite=False)

    def _save(self, path: Path, overwrite: bool) -> None:
        try:
            written = self.write(path, overwrite)
        except FileExistsError:
            self._ask_to_replace(path)
        except OSError as e:
            where = e.filename if isinstance(e.filename, str) else str(path)
            self._show(f"not saved: {reason(e)} ({where})")
        else:
            self.dismiss(written)

    def _ask_to_replace(self, path: Path) -> None:
        def chosen(choice: str | None) -> None:
            if choice == "replace":
                self._save(path, overwrite=True)
            else:
                self._show(f"not saved: {path} exists; type another name")
                self.query_one("#save-path", Input).focus()

        self.app.push_screen(ConfirmScreen(
            f"{printable(path)} exists. Replace it with this trace?",
            [("replace", "Replace it"), ("keep", "Keep it")],
            default="keep",  # enter out of habit must not destroy a file
        ), chosen)

    def _show(self, problem: str) -> None:
        error = self.query_one("#save-error", Label)
        error.update(printable(problem))
        error.add_class("-error")

    @on(Input.Changed, "#save-path")
    def _clear_error(self) -> None:
        self.query_one("#save-error", Label).remove_class("-error")

    def action_cancel(self) -> None:
        self.dismiss(None)
