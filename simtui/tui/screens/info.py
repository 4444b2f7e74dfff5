"""Screens the player opens on demand: every key, the raw event log, the scenario's description."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from simtui.safe import printable
from simtui.scenario.model import Scenario
from simtui.tui.bindings import PLAYER_BINDINGS, key_label
from simtui.tui.view import PlayerView
from simtui.tui.widgets.event_log import EventLogPane

_CLOSE = [Binding("escape,q", "dismiss", "close", id="simtui.close")]


class HelpScreen(ModalScreen[None]):
    """Every key of a screen (the player's unless told), from the table its footer reads."""

    BINDINGS = [*_CLOSE, Binding("question_mark", "dismiss", "close", show=False)]

    def __init__(self, bindings: list[Binding] | None = None) -> None:
        super().__init__()
        self.keys = PLAYER_BINDINGS if bindings is None else bindings
        """The screen's table of keys (the player's unless another screen's is given)."""

    def compose(self) -> ComposeResult:
        rows = [(key_label(b), b.tooltip) for b in self.keys]
        rows.append(("ctrl+p", "Command palette: every action by name"))
        width = max(len(key) for key, _ in rows)
        text = Text()
        for key, what in rows:
            text.append(f"{key:<{width}}  ", style="bold")
            text.append(f"{what}\n")
        text.rstrip()
        with VerticalScroll(id="dialog") as box:
            box.border_title = "Keys"
            yield Static(text, id="help-keys")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)


class DescriptionScreen(ModalScreen[None]):
    """The scenario's title and what it demonstrates."""

    BINDINGS = [*_CLOSE, Binding("d", "dismiss", "close", show=False)]

    def __init__(self, scenario: Scenario) -> None:
        super().__init__()
        self.scenario = scenario

    def compose(self) -> ComposeResult:
        s = self.scenario
        text = Text()
        text.append(printable(s.title) + "\n\n", style="bold")
        # The description keeps its own lines and tabs; nothing else in it is let through.
        text.append(printable(s.description.strip(), lines=True) or "(no description)")
        text.append(f"\n\nruntimes: {', '.join(s.runtimes)}   default: {s.runtime}",
                    style="dim")
        with VerticalScroll(id="dialog") as box:
            box.border_title = Text(printable(s.name))  # a name, never markup
            yield Static(text)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)


class EventLogScreen(ModalScreen[None]):
    """The raw event log at the cursor; the current event highlighted."""

    BINDINGS = [*_CLOSE, Binding("l", "dismiss", "close", show=False)]

    def __init__(self, view: PlayerView) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        pane = EventLogPane(id="event-log")
        pane.border_title = f"Events ({self.view.length})"
        yield pane

    def on_mount(self) -> None:
        pane = self.query_one(EventLogPane)
        pane.focus()
        pane.view = self.view

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
