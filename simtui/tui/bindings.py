"""The one table of keys: it feeds the footer, the help screen and the command palette."""

from __future__ import annotations

from functools import partial

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.screen import Screen
from textual.widget import Widget

PLAYER_BINDINGS: list[Binding] = [
    Binding("space", "play_pause", "play/pause", id="simtui.play_pause",
            tooltip="Play: advance one switch per tick at the chosen speed; or pause"),
    Binding("right,n", "next_switch", "next", key_display="→/n", id="simtui.next_switch",
            tooltip="Go to the next context switch"),
    Binding("left,p", "prev_switch", "back", key_display="←/p", id="simtui.prev_switch",
            tooltip="Go back to the previous context switch"),
    Binding("full_stop", "next_event", "event", key_display=". / ,", id="simtui.next_event",
            tooltip="Next event (finer than a switch)"),
    Binding("comma", "prev_event", "previous event", show=False, key_display=",",
            id="simtui.prev_event", tooltip="Previous event"),
    Binding("home", "first", "first event", show=False, id="simtui.first",
            tooltip="Go to the first event"),
    Binding("end", "last", "last event", show=False, id="simtui.last",
            tooltip="Go to the last event (and follow a live run)"),
    Binding("plus,equals_sign", "faster", "speed", key_display="+/-", id="simtui.faster",
            tooltip="Play faster (twice as many switches per second)"),
    Binding("minus", "slower", "slower", show=False, key_display="-", id="simtui.slower",
            tooltip="Play slower"),
    Binding("x", "axis", "axis", show=False, id="simtui.axis",
            tooltip="Timeline axis: one slot per stop (a switch, the scheduler idle or "
                    "blocked), or real time"),
    Binding("r", "choose_runtime", "runtime", id="simtui.runtime",
            tooltip="Run the scenario on another runtime it supports"),
    Binding("R", "rerun", "rerun", id="simtui.rerun", tooltip="Run the same scenario again"),
    Binding("e", "edit", "edit", id="simtui.edit",
            tooltip="Edit the scenario (ctrl+s saves and re-runs, esc leaves)"),
    Binding("o", "open", "open", show=False, id="simtui.open",
            tooltip="Open another scenario (bundled or a file)"),
    Binding("s", "save_trace", "save trace", show=False, id="simtui.save_trace",
            tooltip="Save the trace as JSONL in the current directory"),
    Binding("l", "event_log", "log", show=False, id="simtui.event_log",
            tooltip="Show the raw event log"),
    Binding("d", "description", "about", show=False, id="simtui.description",
            tooltip="Show the scenario's description"),
    Binding("c", "compare", "compare", id="simtui.compare",
            tooltip="Compare: run the scenario on each of its runtimes at once, side by side"),
    Binding("escape", "back", "back", id="simtui.back",
            tooltip="Back to the comparison this run was opened from"),
    Binding("question_mark", "help", "help", key_display="?", id="simtui.help",
            tooltip="List every key"),
    Binding("q", "quit", "quit", id="simtui.quit", tooltip="Quit simtui"),
]

COMPARE_BINDINGS: list[Binding] = [
    Binding("right,l", "step(1)", "later", key_display="→", id="simtui.compare.later",
            tooltip="Move the cursor of every lane later: a column of time, or one switch"),
    Binding("left,h", "step(-1)", "earlier", key_display="←", id="simtui.compare.earlier",
            tooltip="Move the cursor of every lane earlier"),
    Binding("pagedown,right_square_bracket", "page(1)", "page", show=False,
            key_display="] / [", id="simtui.compare.page_later",
            tooltip="Move every lane's cursor a tenth of the axis later"),
    Binding("pageup,left_square_bracket", "page(-1)", "page back", show=False,
            key_display="[", id="simtui.compare.page_earlier",
            tooltip="Move every lane's cursor a tenth of the axis earlier"),
    Binding("home", "first", "start", show=False, id="simtui.compare.first",
            tooltip="Every lane at its start"),
    Binding("end", "last", "end", show=False, id="simtui.compare.last",
            tooltip="Every lane at the newest moment (and follow the runs that record)"),
    Binding("o", "next_output", "next print", id="simtui.compare.next_output",
            tooltip="The selected run's next printed line: every lane to its own print of "
                    "that line"),
    Binding("O", "prev_output", "previous print", show=False, key_display="O",
            id="simtui.compare.prev_output",
            tooltip="The selected run's previous printed line, in every lane"),
    Binding("down,j", "select_next", "lane", key_display="↓/↑", id="simtui.compare.down",
            tooltip="Select the next lane"),
    Binding("up,k", "select_prev", "lane up", show=False, key_display="↑",
            id="simtui.compare.up", tooltip="Select the previous lane"),
    Binding("enter", "open_player", "player", key_display="⏎", id="simtui.compare.player",
            tooltip="Open the selected lane in the player, at the cursor's moment"),
    Binding("x", "axis", "axis", id="simtui.compare.axis",
            tooltip="Axis: real time shared by every run, or each run's own switches"),
    Binding("e", "edit", "edit", id="simtui.compare.edit",
            tooltip="Edit the scenario (ctrl+s saves and re-runs every lane, esc leaves)"),
    Binding("R", "rerun", "rerun", id="simtui.compare.rerun",
            tooltip="Run every lane again"),
    Binding("escape", "back", "back", id="simtui.compare.back",
            tooltip="Back to the player"),
    Binding("question_mark", "help", "help", key_display="?", id="simtui.compare.help",
            tooltip="List every key"),
    Binding("q", "quit", "quit", id="simtui.compare.quit", tooltip="Quit simtui"),
]
"""The compare screen's keys: its footer and its help screen read this table."""

UNAVAILABLE_BINDINGS: list[Binding] = [
    Binding(key, f"unavailable('{action}')", "", show=False, id=f"{ident}.why")
    for key, action, ident in (("r", "choose_runtime", "simtui.runtime"),
                               ("R", "rerun", "simtui.rerun"), ("e", "edit", "simtui.edit"))
]
"""Stand-ins behind r, R and e: when the key's own action cannot apply (a saved trace has
no scenario to run), the key says why instead of doing nothing. Textual tries a key's
bindings in order and skips one whose action is unavailable, so these come second."""

FOOTER_RANK: dict[str, int] = {
    "help": 10, "quit": 10, "play_pause": 9, "next_switch": 8, "prev_switch": 8,
    "choose_runtime": 6, "edit": 5, "rerun": 4, "faster": 3, "next_event": 2,
    "back": 9, "compare": 5, "step(1)": 8, "step(-1)": 8, "next_output": 8,
    "open_player": 7, "select_next": 6, "axis": 4,
}
"""Which keys the footer keeps when the terminal is narrow: the lowest rank goes first."""


def key_label(binding: Binding) -> str:
    """How the help screen writes a binding's keys."""
    if binding.key_display:
        return binding.key_display
    names = {"full_stop": ".", "comma": ",", "question_mark": "?", "equals_sign": "=",
             "plus": "+", "minus": "-"}
    return " / ".join(names.get(k, k) for k in binding.key.split(","))


class PlayerCommands(Provider):
    """The palette's commands: the same table, minus what cannot apply right now."""

    def _available(self) -> list[Binding]:
        screen = self.screen
        return [b for b in PLAYER_BINDINGS if screen.check_action(b.action, ()) is True]

    async def discover(self) -> Hits:
        for binding in self._available():
            yield DiscoveryHit(
                f"{binding.tooltip}  [{key_label(binding)}]",
                partial(self.screen.run_action, binding.action),
                text=binding.tooltip,
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for binding in self._available():
            text = f"{binding.tooltip}  [{key_label(binding)}]"
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text),
                          partial(self.screen.run_action, binding.action), text=binding.tooltip)


_Key = tuple[str, str, str, bool, object]
"""(key as shown, description, action, enabled, the node whose action it is)."""


class PlayerFooter(Widget):
    """The keys of the screen on one line, from the same table; too narrow a terminal
    drops the least important first (`FOOTER_RANK`), so `? help` and `q quit` stay."""

    COMPONENT_CLASSES = {"footer--key", "footer--description", "footer--disabled"}
    DEFAULT_CSS = """
    PlayerFooter {
        dock: bottom;
        height: 1;
        background: $footer-background;
        color: $footer-foreground;
    }
    PlayerFooter > .footer--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    PlayerFooter > .footer--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    PlayerFooter > .footer--disabled { text-style: dim; }
    """

    def __init__(self) -> None:
        super().__init__()
        self._spots: list[tuple[int, int, str, object]] = []
        """(first column, end column, action, its node) of each key drawn, for clicks."""

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        self.refresh()

    def _keys(self) -> tuple[list[_Key], _Key | None]:
        """The keys to show, one per action in table order; and the command palette's."""
        seen: set[str] = set()
        keys: list[_Key] = []
        palette = None
        app = self.app
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            item = (app.get_key_display(binding), binding.description, binding.action,
                    active.enabled, active.node)
            if key == app.COMMAND_PALETTE_BINDING and app.ENABLE_COMMAND_PALETTE:
                palette = item
                continue
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            keys.append(item)
        return keys, palette

    def render(self) -> Text:
        keys, palette = self._keys()
        width = self.size.width
        tail = f" {palette[0]} {palette[1]} " if palette else ""
        room = width - cell_len(tail) - 1

        def cost(item: _Key) -> int:
            return cell_len(item[0]) + cell_len(item[1]) + 3

        ranks = sorted({FOOTER_RANK.get(k[2], 0) for k in keys})
        for rank in ranks:  # drop the least important keys until the rest fits
            if sum(cost(k) for k in keys) <= room:
                break
            keys = [k for k in keys if FOOTER_RANK.get(k[2], 0) != rank]
        text = Text(no_wrap=True, overflow="crop")
        key_style = self.get_component_rich_style("footer--key")
        description_style = self.get_component_rich_style("footer--description")
        dim = self.get_component_rich_style("footer--disabled")
        spots: list[tuple[int, int, str, object]] = []
        for shown, description, action, enabled, node in keys:
            start = cell_len(text.plain)
            text.append(f" {shown} ", style=key_style + dim if not enabled else key_style)
            text.append(f"{description} ",
                        style=description_style + dim if not enabled else description_style)
            spots.append((start, cell_len(text.plain), action, node))
        if palette is not None:
            pad = max(1, width - cell_len(text.plain) - cell_len(tail))
            text.append(" " * pad)
            start = cell_len(text.plain)
            text.append(f" {palette[0]} ", style=key_style)
            text.append(f"{palette[1]} ", style=description_style)
            spots.append((start, cell_len(text.plain), palette[2], palette[4]))
        self._spots = spots
        return text

    async def on_click(self, event: events.Click) -> None:
        for start, end, action, namespace in self._spots:
            if start <= event.x < end:
                await self.app.run_action(action, namespace)
                return
