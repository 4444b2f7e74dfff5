"""A modal to open another scenario: the bundled ones in a list, or a file by its path."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from rich.highlighter import Highlighter
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from simtui.files import check_regular, reason
from simtui.safe import in_place, printable
from simtui.scenario.errors import ScenarioError
from simtui.scenario.loader import bundled_scenarios, load_scenario, resolve


@dataclass(frozen=True, slots=True)
class BundledEntry:
    """One bundled scenario as the list shows it."""

    name: str
    title: str = ""
    runtimes: tuple[str, ...] = ()
    error: str | None = None
    """The first problem when the file does not load; the entry is then greyed out."""


def bundled_entries() -> list[BundledEntry]:
    """Every bundled scenario with its title and runtimes, or why it does not load."""
    entries = []
    for path in bundled_scenarios():
        try:
            scenario = load_scenario(str(path))
        except ScenarioError as e:
            first = e.problems[0] if e.problems else None
            entries.append(BundledEntry(path.stem, error=first.short() if first else str(e)))
        else:
            entries.append(BundledEntry(path.stem, scenario.title, scenario.runtimes))
    return entries


class ShowControls(Highlighter):
    """Shows each control character in an input as one stand-in (`␛`) where it is.

    The input hands what it holds to the terminal as it is, and a pasted file name can
    hold anything; the value itself is left alone, so such a file can still be opened.
    """

    def highlight(self, text: Text) -> None:
        text.plain = in_place(text.plain)


class OpenScenarioScreen(ModalScreen[str | None]):
    """Pick a bundled scenario (dismisses with its name) or type a path (dismisses with it).

    Dismisses with None on esc. A typed path must name an existing file (`~` is expanded)
    or a bundled scenario.
    """

    DEFAULT_CSS = """
    OpenScenarioScreen {
        align: center middle;
        background: $background 60%;
    }
    OpenScenarioScreen > #open-dialog {
        width: 110;
        max-width: 95%;
        height: auto;
        max-height: 90%;
        padding: 1 2;
        border: thick $primary;
        background: $surface;
    }
    OpenScenarioScreen .open-heading {
        text-style: bold;
        margin-top: 1;
    }
    OpenScenarioScreen #open-bundled {
        height: auto;
        max-height: 24;
    }
    OpenScenarioScreen #open-path-error {
        color: $error;
        display: none;
    }
    OpenScenarioScreen #open-path-error.-error {
        display: block;
    }
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="simtui.open.cancel")]

    def __init__(self) -> None:
        super().__init__()
        self.entries = bundled_entries()

    def compose(self) -> ComposeResult:
        with Vertical(id="open-dialog"):
            yield Label("Bundled scenarios", classes="open-heading")
            yield OptionList(*(self._option(e) for e in self.entries), id="open-bundled")
            yield Label("Or a scenario file (tab to reach, enter to open)",
                        classes="open-heading")
            yield Input(placeholder="path/to/scenario.yaml", id="open-path",
                        highlighter=ShowControls())
            yield Label("", id="open-path-error", markup=False)

    @staticmethod
    def _option(entry: BundledEntry) -> Option:
        # Two lines each, so that long titles never wrap into the runtimes.
        prompt = Text(no_wrap=True, overflow="ellipsis")
        prompt.append(printable(entry.name), style="bold")
        if entry.error is not None:
            # Shown, not hidden: a broken bundled file is a bug the user should be able to see.
            prompt.append(f"\n  does not load: {printable(entry.error)}", style="italic")
            return Option(prompt, id=entry.name, disabled=True)
        if entry.runtimes:
            prompt.append(f"  ({', '.join(entry.runtimes)})", style="dim")
        prompt.append(f"\n  {printable(entry.title)}")
        return Option(prompt, id=entry.name)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    @on(Input.Submitted, "#open-path")
    def _open_path(self, event: Input.Submitted) -> None:
        event.stop()
        typed = event.value.strip()
        problem = self._path_problem(typed)
        error = self.query_one("#open-path-error", Label)
        if problem is None:
            path = Path(typed).expanduser()
            # A bundled scenario's name works here too, as on the command line.
            self.dismiss(str(path) if os.path.exists(path) else typed)
            return
        error.update(printable(problem))  # it quotes what was typed or pasted
        error.add_class("-error")

    @on(Input.Changed, "#open-path")
    def _clear_error(self) -> None:
        self.query_one("#open-path-error", Label).remove_class("-error")

    @staticmethod
    def _path_problem(typed: str) -> str | None:
        if not typed:
            return "type the path of a scenario file"
        path = Path(typed).expanduser()
        try:  # looked at, not opened: a FIFO typed here must not block the UI
            check_regular(path)
        except (FileNotFoundError, NotADirectoryError, ValueError):
            if resolve(typed) is not None:
                return None
            return f"no such file, and no bundled scenario of that name: {printable(typed)}"
        except OSError as e:
            return f"{reason(e)}: {printable(typed)}"
        return None

    def action_cancel(self) -> None:
        self.dismiss(None)
