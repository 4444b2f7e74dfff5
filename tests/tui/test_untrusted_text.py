"""Hostile text in scenarios, traces and file names: shown escaped, never sent raw, never markup."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from textual.app import App

from simtui.tui.app import SimtuiApp
from simtui.tui.screens.confirm import ConfirmScreen
from simtui.tui.screens.editor import EditorScreen
from simtui.tui.screens.info import DescriptionScreen, EventLogScreen, HelpScreen
from simtui.tui.screens.player import PlayerScreen
from tests.tui.conftest import SIZE, wait_until
from tests.tui.screentext import assert_no_raw_controls, raw_controls, screen_lines

# YAML double-quoted escapes: \e is ESC, \a BEL, \x9b the C1 CSI, \u202e a bidi override.
HOSTILE = r"""name: "n\e]0;NAME\a"
title: "t\e[2J \x9b2J \u202eRTL"
description: "d\e]52;c;aGk=\a\nsecond line \e[31mred"
runtime: asyncio
tasks:
  main:
    - print: "P\e]0;X\a"
    - spawn: worker
    - put: {queue: jobs, item: "I\e]52;c;aGk=\a"}
    - join: worker
  worker:
    - get: jobs
    - print: "got {item}"
    - print: "bidi \u202eabc and C1 \x9b2J"
"""
"""Every place a scenario puts text: name, title, description, print, put.item."""

SHOWN = [
    r"n\x1b]0;NAME\x07 — t\x1b[2J \u009b2J \u202eRTL",  # the header: name — title
    r"P\x1b]0;X\x07",  # output
    r"got I\x1b]52;c;aGk=\x07",  # output of a queue item
    r"bidi \u202eabc and C1 \u009b2J",
]
"""How the texts above must read on screen: every control visible as its escape."""


def _ended(app: SimtuiApp) -> bool:
    return app.player.session.live is None and app.player.session.trace.end is not None


async def _walk_every_event(pilot, app: SimtuiApp) -> list[str]:  # type: ignore[no-untyped-def]
    """Step from the first event to the last, checking the screen at each; every line seen."""
    seen: list[str] = []
    await pilot.press("home")
    while True:
        await pilot.pause()
        seen += assert_no_raw_controls(app, f"at event {app.player.session.cursor}")
        if app.player.session.cursor >= len(app.player.session.replay) - 1:
            return seen
        await pilot.press("full_stop")


async def test_a_live_run_of_a_hostile_scenario_shows_every_escape_and_sends_none(
    tmp_path: Path,
) -> None:
    path = tmp_path / "hostile.yaml"
    path.write_text(HOSTILE, encoding="utf-8")
    app = SimtuiApp(str(path), time_scale=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: _ended(app))
        assert app.player.session.lifecycle == "ended"
        seen = "\n".join(await _walk_every_event(pilot, app))
        assert app.player.view is not None and app.player.view.state.status == "ok"
        for shown in SHOWN:
            assert shown in seen, f"{shown!r} is not on screen"
        running = str(app.player.query_one("#running").render())
        assert not any(raw_controls(line) for line in running.split("\n"))


async def test_description_log_and_help_of_a_hostile_scenario(tmp_path: Path) -> None:
    path = tmp_path / "hostile.yaml"
    path.write_text(HOSTILE, encoding="utf-8")
    app = SimtuiApp(str(path), time_scale=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: _ended(app))
        await pilot.press("d")
        assert isinstance(app.screen, DescriptionScreen)
        text = "\n".join(assert_no_raw_controls(app, "in the description"))
        assert r"n\x1b]0;NAME\x07" in text  # the dialog's border title
        assert r"d\x1b]52;c;aGk=\x07" in text
        assert r"second line \x1b[31mred" in text, "the description keeps its own lines"
        await pilot.press("escape", "l")
        assert isinstance(app.screen, EventLogScreen)
        text = "\n".join(assert_no_raw_controls(app, "in the event log"))
        assert r"P\x1b]0;X\x07" in text
        await pilot.press("end")
        assert_no_raw_controls(app, "at the end of the event log")
        await pilot.press("escape", "question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert_no_raw_controls(app, "in the help")  # the header still shows behind it


async def test_markup_in_a_name_is_shown_as_written_and_d_does_not_crash(
    tmp_path: Path,
) -> None:
    path = tmp_path / "markup.yaml"
    path.write_text(
        "name: '[/]'\n"
        "title: '[bold red]not bold[/] [@click=app.quit]q[/]'\n"
        "description: '[/] closes nothing; [link=file:///x]not a link[/link]'\n"
        "tasks:\n  main:\n    - print: '[/] [@click=app.quit]out[/]'\n",
        encoding="utf-8",
    )
    app = SimtuiApp(str(path), time_scale=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: _ended(app))
        await pilot.press("d")
        assert isinstance(app.screen, DescriptionScreen)
        text = "\n".join(screen_lines(app))
        assert "─ [/] ─" in text, "the name is the dialog's title, as written"
        assert "[/] closes nothing; [link=file:///x]not a link[/link]" in text
        await pilot.press("escape")
        text = "\n".join(screen_lines(app))
        assert "[/] — [bold red]not bold[/] [@click=app.quit]q[/]" in text
        assert "[/] [@click=app.quit]out[/]" in text


async def test_a_file_name_with_markup_is_a_title_not_an_action(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    name = "[@click=app.quit]x.yaml"
    (tmp_path / name).write_text("tasks:\n  main:\n    - print: hi\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    app = SimtuiApp(name, time_scale=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: _ended(app))
        lines = screen_lines(app)
        row = next((n for n, line in enumerate(lines) if "Scenario (" in line), None)
        assert row is not None
        assert f"Scenario ({name})" in lines[row], lines[row]
        # Click on the name in the source pane's border: it must not be a live action.
        column = lines[row].index("x.yaml)")
        await pilot.click(offset=(column, row))
        await pilot.pause()
        assert app.return_code is None, "clicking the title quit the app"
        assert isinstance(app.screen, PlayerScreen)


def _crafted_trace(tmp_path: Path, runtime: str) -> Path:
    """A valid trace whose every string is hostile, naming a hostile scenario file (in the
    current directory)."""
    source = "src\x1b]0;FILE\x07.yaml"
    (tmp_path / source).write_text(HOSTILE, encoding="utf-8")
    a, b = "A\x1b]0;TASK\x07", "B\u202e[/]"
    item = "cb\x1b]52;c;aGk=\x07"
    events = [
        {"type": "header", "format": "simtui-trace", "version": 1,
         "scenario": "S\x1b]0;SCN\x07", "title": "T\x1b[2J\x9b2J",
         "source": source, "runtime": runtime, "python": "3\x1b[5m", "simtui": "0",
         "time_scale": 1.0, "options": {}, "tasks": [a, b]},
        {"type": "create", "task": a, "parent": None},
        {"type": "ready", "task": a},
        {"type": "run", "task": a, "from": None},
        {"type": "step", "task": a, "index": 0, "op": "print\x1b[2J", "line": 7, "col": 7},
        {"type": "output", "task": a, "text": "O\x1b]0;OUT\x07\nnext\tline"},
        {"type": "create", "task": b, "parent": a},
        {"type": "ready", "task": b},
        {"type": "ready", "task": None, "item": item},
        {"type": "suspend", "task": a, "reason": "sleep\x1b[2J", "detail": "D\x9b2J",
         "until": 0.5},
        {"type": "run", "task": b, "from": a},
        {"type": "error", "task": b, "message": "E\x1b]0;ERR\x07 \u202eabc"},
        {"type": "run", "task": None, "from": b, "item": item},
        {"type": "wake", "task": a, "reason": "W\x1b[5m"},
        {"type": "ready", "task": a},
        {"type": "run", "task": a, "from": None},
        {"type": "block", "task": a, "reason": "blk\x1b[2J", "duration": 0.1},
        {"type": "done", "task": a},
        {"type": "end", "task": None, "status": "ok\x1b]0;END\x07", "elapsed": 1.0,
         "stuck": [{"task": b, "waiting_on": "X\x1b[2J"}], "message": "M\x1b]0;M\x07"},
    ]
    for seq, event in enumerate(events[1:]):
        event["seq"], event["t"] = seq, seq * 0.05
    path = tmp_path / "crafted.trace.jsonl"
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
    return path


@pytest.mark.parametrize("runtime", ["asyncio", "greenlet", "threads", "r\x1b]0;RT\x07"])
async def test_replay_of_a_crafted_trace_shows_every_string_escaped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runtime: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    app = SimtuiApp(trace_path=str(_crafted_trace(tmp_path, runtime)))
    async with app.run_test(size=SIZE) as pilot:
        assert len(app.player.session.replay) > 10
        seen = "\n".join(await _walk_every_event(pilot, app))
        for shown in (r"S\x1b]0;SCN\x07 — T\x1b[2J\u009b2J", r"A\x1b]0;TASK\x07",
                      r"O\x1b]0;OUT\x07\nnext\tline", r"src\x1b]0;FILE\x07.yaml",
                      r"sleep\x1b[2J D\u009b2J", r"run ended: ok\x1b]0;END\x07"):
            assert shown in seen, f"{shown!r} is not on screen"
        await pilot.press("l")
        assert isinstance(app.screen, EventLogScreen)
        await pilot.press("home")
        log = assert_no_raw_controls(app, "in the event log")
        await pilot.press("end")
        log += assert_no_raw_controls(app, "at the end of the event log")
        text = "\n".join(log)
        assert r"E\x1b]0;ERR\x07 \u202eabc" in text
        assert r"cb\x1b]52;c;aGk=\x07" in text
        await pilot.press("escape", "d")
        assert isinstance(app.screen, DescriptionScreen)
        assert_no_raw_controls(app, "in the description of the trace's scenario")


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        # A raw ESC is not YAML: the file is refused, and the source pane shows it as it is
        # (a tab as the editor lays it out, not as a jump of the terminal's cursor).
        ("tasks:\n  main:\n    - print: hi\n#\ttab\n# \x1b]0;RAW\x07 \u202eraw\n",
         [r"# \x1b]0;RAW\x07 \u202eraw", "4  # tab"]),
        # An unknown key is quoted in the message, markup and escapes included.
        ('tasks:\n  main:\n    - print: hi\n"[/]\\e]0;K\\a": 1\n', [r"[/]\x1b]0;K\x07"]),
    ],
)
async def test_a_broken_hostile_file_in_the_banner_and_the_source_pane(
    tmp_path: Path, text: str, shown: list[str],
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    app = SimtuiApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: bool(app.player.session.error))
        await pilot.pause()
        lines = assert_no_raw_controls(app, "with a broken file")
        for part in shown:
            assert any(part in line for line in lines), f"{part!r} is not on screen"


class _EditorHost(App[None]):
    def __init__(self, path: Path, text: str) -> None:
        super().__init__()
        self.editor = EditorScreen(path, text)

    def on_mount(self) -> None:
        self.push_screen(self.editor)


async def test_the_editor_shows_controls_in_the_file_and_its_name_without_sending_them(
    tmp_path: Path,
) -> None:
    path = tmp_path / "ed\x1b]0;NAME\x07\t.yaml"
    text = "name: x\x1b[2Jy\ntitle: \"a\x9bb \u202ec\"\n# bell\x07 del\x7f end\n"
    path.write_text(text, encoding="utf-8")
    app = _EditorHost(path, text)
    async with app.run_test(size=SIZE) as pilot:
        editor = app.editor
        await wait_until(pilot, lambda: bool(editor.problems))
        await pilot.pause()
        lines = assert_no_raw_controls(app, "in the editor")
        screen = "\n".join(lines)
        assert r"ed\x1b]0;NAME\x07\t.yaml" in screen  # the title names the file
        assert "name: x␛[2Jy" in screen, "a control in the text is shown in its place"
        assert "# bell␇ del␡ end" in screen
        assert editor.text == text, "what is shown is not what is edited"
        # The cursor walks over a control character one column at a time.
        editor.text_area.move_cursor((0, 7))
        await pilot.press("right")
        assert editor.text_area.cursor_location == (0, 8)
        # Leaving with changes asks, naming the file.
        await pilot.press("z", "escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        question = "\n".join(assert_no_raw_controls(app, "in the confirm dialog"))
        assert r"ed\x1b]0;NAME\x07\t.yaml has unsaved changes" in question


async def test_saving_the_trace_of_a_hostile_scenario_notifies_without_raw_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "markup[b].yaml"
    path.write_text(HOSTILE.replace('"n\\e]0;NAME\\a"', '"[@click=app.quit]n\\e]0;N\\a"'),
                    encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    app = SimtuiApp(str(path), time_scale=0.05)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_until(pilot, lambda: _ended(app))
        await pilot.press("s")
        await pilot.pause()
        assert_no_raw_controls(app, "with the save dialog")  # its default name is from data
        await pilot.press("enter")
        await pilot.pause()
        assert app.player.last_saved is not None
        lines = assert_no_raw_controls(app, "with the notification")
        assert any("trace saved to" in line for line in lines)


async def test_a_pasted_file_name_is_shown_with_stand_ins_and_its_error_escaped() -> None:
    from textual import events
    from textual.widgets import Input

    from simtui.tui.screens.open_scenario import OpenScenarioScreen

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(OpenScenarioScreen())

    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        field = app.screen.query_one("#open-path", Input)
        field.focus()
        pasted = "x\x1b]0;T\x07y\x9bz\u202ew.yaml"
        field.post_message(events.Paste(pasted))
        await pilot.pause()
        assert field.value == pasted, "the name itself is kept"
        lines = assert_no_raw_controls(app, "with a pasted name")
        assert any("x␛]0;Ty�z�w.yaml" in line for line in lines)
        await pilot.press("enter")
        await pilot.pause()
        lines = assert_no_raw_controls(app, "with the error about it")
        assert any(r"no bundled scenario of that name: x\x1b]0;T\x07y\u009bz\u202ew.yaml" in line
                   for line in lines)
