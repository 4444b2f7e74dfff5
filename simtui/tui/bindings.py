"""The one table of keys: it feeds the footer, the help screen and the command palette."""

from __future__ import annotations

from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider

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
            tooltip="Timeline axis: one slot per switch, or real time"),
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
    Binding("question_mark", "help", "help", key_display="?", id="simtui.help",
            tooltip="List every key"),
    Binding("q", "quit", "quit", id="simtui.quit", tooltip="Quit simtui"),
]


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
