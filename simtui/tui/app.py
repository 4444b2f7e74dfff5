"""The Textual app: holds the player (or compare) screen and the stylesheet; `run_tui` and
`run_compare` are the entry points."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from pathlib import Path
from typing import Any

from textual.app import App
from textual.screen import Screen
from textual.theme import Theme

from simtui.safe import printable
from simtui.tui import settings
from simtui.tui.compare_session import CompareRequest
from simtui.tui.screens.player import PlayerScreen

QUIT_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
"""Signals that quit the app as `q` does (the exit status is then 128 + the signal)."""


class SimtuiApp(App[int]):
    """simtui's TUI. The player screen owns the run and its state; the app only hosts it."""

    CSS_PATH = "app.tcss"
    TITLE = "simtui"

    def __init__(
        self,
        scenario: str | None = None,
        trace_path: str | None = None,
        runtime: str | None = None,
        time_scale: float = 1.0,
        speed: float | None = None,
        compare: CompareRequest | None = None,
    ) -> None:
        super().__init__()
        self.player = PlayerScreen(scenario, trace_path, runtime, time_scale, speed)
        self.first: Screen[None] = self.player
        """The screen the app opens on: the player, or the compare screen (`compare`)."""
        if compare is not None:
            from simtui.tui.screens.compare import CompareScreen

            self.first = CompareScreen(compare)
        self._signal_handlers: list[int] = []
        self.exit_notes: list[str] = []
        """What the user must know once the app has ended (printed on stderr)."""
        self.settings_path = settings.settings_path()
        """Where the theme the user picks is kept across runs."""
        self._settings, self._settings_notice = settings.load(self.settings_path)
        self._saved_theme: str | None = None

    def get_default_screen(self) -> Screen[None]:
        # The first screen is the app's own (not pushed over an empty default one).
        return self.first

    def on_editor_screen_saved(self, message: Any) -> None:
        """The editor saved the scenario: the screen it was opened from (the player, or the
        compare screen) runs it again."""
        from simtui.tui.screens.editor import EditorScreen

        path = getattr(message, "path", None)
        if path is None:
            return
        for screen in reversed(self.screen_stack):
            saved = getattr(screen, "scenario_saved", None)
            if not isinstance(screen, EditorScreen) and saved is not None:
                saved(Path(path))
                return

    def stop_runs(self) -> None:
        """Kill every worker of every screen (the player's run, the comparison's lanes)."""
        screens = [*self.screen_stack, self.first, self.player]
        for screen in dict.fromkeys(screens):
            stop = getattr(screen, "stop_run", None)
            if stop is not None:
                stop()

    def on_mount(self) -> None:
        # The theme chosen in an earlier run; one this Textual does not have is said, not
        # fatal (a theme can disappear between versions).
        wanted = self._settings.theme
        if wanted and wanted in self.available_themes:
            self.theme = wanted
        elif wanted:
            self._say(f"the theme {wanted!r} in {self.settings_path} is not available; "
                      "using the default")
        if self._settings_notice:
            self._say(self._settings_notice)
        self._saved_theme = self.theme
        self.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, theme: Theme) -> None:
        """Keep the theme the user picked (the palette's "Change theme") for next time."""
        if theme.name == self._saved_theme:
            return
        try:
            settings.save(settings.Settings(theme=theme.name), self.settings_path)
        except OSError as e:
            self._say(f"the theme could not be saved to {self.settings_path}: {e}")
            return
        self._saved_theme = theme.name

    def _say(self, message: str) -> None:
        self.notify(printable(message), title="Settings", severity="warning", markup=False,
                    timeout=8)

    def on_load(self) -> None:
        # SIGTERM (`kill`) and SIGHUP (the terminal closed) end the app the way `q` does,
        # through Textual's own shutdown, so the driver restores the terminal (leaves the
        # alternate screen, turns mouse reporting off, shows the cursor) and the worker's
        # group is killed; by default either signal would end the process on the spot.
        loop = asyncio.get_running_loop()
        for signum in QUIT_SIGNALS:
            with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
                loop.add_signal_handler(signum, self._quit_on_signal, signum)
                self._signal_handlers.append(signum)

    def _quit_on_signal(self, signum: int) -> None:
        self.stop_runs()
        self.keep_unsaved()
        self.exit(128 + signum, return_code=128 + signum)

    def keep_unsaved(self) -> None:
        """Ending without asking: every editor's unsaved text goes to a file of its own
        (`exit_notes` says where, printed once the terminal is restored)."""
        from simtui.tui.screens.editor import EditorScreen

        for screen in self.screen_stack:
            if isinstance(screen, EditorScreen):
                try:
                    note = screen.keep_unsaved()
                except Exception as e:  # noqa: BLE001 - the app must still end
                    note = f"unsaved edits of {screen.path} could not be kept: {e}"
                if note is not None:
                    self.exit_notes.append(note)

    def on_unmount(self) -> None:
        self.stop_runs()  # no worker outlives the app, however it ends
        loop = asyncio.get_running_loop()
        while self._signal_handlers:
            loop.remove_signal_handler(self._signal_handlers.pop())

    async def action_quit(self) -> None:
        from simtui.tui.screens.editor import EditorScreen

        # The quit key is a priority binding: an editor with unsaved text asks first.
        editor = next((s for s in reversed(self.screen_stack) if isinstance(s, EditorScreen)),
                      None)
        if editor is not None:
            editor.quit_app(self._quit_now)
            return
        self._quit_now()

    def _quit_now(self) -> None:
        self.stop_runs()
        self.exit(0)


def run_tui(
    scenario: str | None = None,
    trace_path: str | None = None,
    runtime: str | None = None,
    time_scale: float = 1.0,
    speed: float | None = None,
) -> int:
    """Open the TUI on a scenario (run live) or a saved trace (replayed); the exit status."""
    return _run(SimtuiApp(scenario, trace_path, runtime, time_scale, speed))


def run_compare(request: CompareRequest) -> int:
    """Open the TUI on the compare screen of a comparison (`simtui compare` on a terminal)."""
    return _run(SimtuiApp(compare=request))


def _run(app: SimtuiApp) -> int:
    """Run the app to its end, no worker left; what it has to say goes to stderr after."""
    try:
        result = app.run()
    finally:
        app.stop_runs()
        for note in app.exit_notes:  # the terminal is restored by now: plain stderr
            sys.stderr.write(f"simtui: {printable(note)}\n")
    return result if isinstance(result, int) else 0
