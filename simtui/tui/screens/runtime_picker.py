"""A modal list of the runtimes a scenario supports, each with what it is in one line."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from simtui import runtimespec
from simtui.safe import printable


class RuntimePickerScreen(ModalScreen[str | None]):
    """Choose one of `runtimes`; `current` is marked and highlighted first.

    Dismisses with the chosen runtime (enter or a click), or None on esc.
    """

    DEFAULT_CSS = """
    RuntimePickerScreen {
        align: center middle;
        background: $background 60%;
    }
    RuntimePickerScreen > #runtime-dialog {
        width: 100;
        max-width: 95%;
        height: auto;
        padding: 1 2;
        border: thick $primary;
        background: $surface;
    }
    RuntimePickerScreen #runtime-title {
        margin-bottom: 1;
        text-style: bold;
    }
    RuntimePickerScreen #runtime-options {
        height: auto;
        max-height: 16;
    }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="simtui.runtime.cancel")]

    def __init__(self, runtimes: Sequence[str], current: str) -> None:
        super().__init__()
        self.runtimes = tuple(runtimes)
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="runtime-dialog"):
            yield Label("Run this scenario on", id="runtime-title")
            yield OptionList(*(self._option(rt) for rt in self.runtimes), id="runtime-options")

    def _option(self, runtime: str) -> Option:
        current = runtime == self.current
        prompt = Text(no_wrap=True, overflow="ellipsis")
        prompt.append("● " if current else "  ", style="bold")
        prompt.append(printable(runtime), style="bold")
        if current:
            prompt.append(" (current)", style="italic")
        spec = runtimespec.SPECS.get(runtime)
        prompt.append(f"\n    {spec.summary if spec else ''}", style="dim")
        return Option(prompt, id=runtime)

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.current in self.runtimes:
            options.highlighted = self.runtimes.index(self.current)
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
