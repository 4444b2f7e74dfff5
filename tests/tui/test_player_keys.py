"""Every player key on a recorded trace (`simtui replay`): nothing runs, so nothing is timed."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from simtui.tui.app import SimtuiApp
from simtui.tui.screens.info import DescriptionScreen, EventLogScreen, HelpScreen
from simtui.tui.screens.player import PlayerScreen
from simtui.tui.widgets.panes import HeaderBar
from tests.tui.conftest import SIZE, TRACES, wait_until
from tests.tui.screentext import screen_lines

GATHER = TRACES / "gather10-asyncio.jsonl"


def _events(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line]


def _app(path: Path = GATHER, speed: float | None = None) -> SimtuiApp:
    return SimtuiApp(trace_path=str(path), speed=speed)


async def test_replay_opens_at_the_first_event_without_running_anything() -> None:
    app = _app()
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        await pilot.pause()
        assert player.session.live is None
        assert player.session.cursor == 0
        assert len(player.session.replay) == len(_events(GATHER)) - 1  # the header is not an event
        assert player.session.runtime == "asyncio"
        assert player.view is not None and player.view.source is not None
        assert "gather: coco" in player.view.source.text


async def test_next_and_previous_switch_land_on_run_events() -> None:
    app = _app()
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        await pilot.pause()
        seen = []
        for key in ("right", "n", "right"):
            await pilot.press(key)
            seen.append(player.session.cursor)
            assert player.session.trace[player.session.cursor]["type"] == "run"
        assert seen == sorted(set(seen)), "each step must move forward to a new switch"
        assert player.view.state.switch == 3
        await pilot.press("left")
        assert player.session.cursor == seen[1]
        await pilot.press("p")
        assert player.session.cursor == seen[0]


async def test_event_keys_move_one_event_at_a_time() -> None:
    app = _app()
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        await pilot.pause()
        await pilot.press("full_stop", "full_stop", "full_stop")
        assert player.session.cursor == 3
        await pilot.press("comma")
        assert player.session.cursor == 2


async def test_home_and_end_and_back_greyed_out_at_the_first_event() -> None:
    app = _app()
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        await pilot.pause()
        assert player.check_action("prev_switch", ()) is None
        assert player.check_action("prev_event", ()) is None
        await pilot.press("end")
        assert player.session.cursor == len(player.session.replay) - 1
        assert player.view.state.status == "ok"
        assert player.check_action("next_event", ()) is None
        assert player.check_action("next_switch", ()) is None
        assert player.check_action("prev_switch", ()) is True
        await pilot.press("left")  # back from the end works
        assert player.session.cursor < len(player.session.replay) - 1
        await pilot.press("home")
        assert player.session.cursor == 0


def _spy(player: PlayerScreen, action: str) -> list[str]:
    """Record each call of an action (which still does its work): a greyed-out key must
    not reach it at all, even where the action itself would change nothing."""
    calls: list[str] = []
    real = getattr(player, f"action_{action}")

    def spy() -> None:
        calls.append(action)
        real()

    setattr(player, f"action_{action}", spy)
    return calls


async def test_greyed_out_keys_do_nothing() -> None:
    app = _app()
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        await pilot.pause()
        calls = [_spy(player, a) for a in ("prev_switch", "prev_event", "next_switch",
                                           "next_event")]
        await pilot.press("left", "p", "comma")  # at the first event: back is greyed out
        assert player.session.cursor == 0
        assert calls[0] == [] and calls[1] == []
        await pilot.press("end")
        last = player.session.cursor
        await pilot.press("right", "n", "full_stop")  # at the last: forward is greyed out
        assert player.session.cursor == last
        assert calls[2] == [] and calls[3] == []
        await pilot.press("left", "comma")  # and once allowed, the same keys act
        assert calls[0] == ["prev_switch"] and calls[1] == ["prev_event"]
        assert player.session.cursor < last


async def test_speed_keys_change_the_speed_not_the_timer() -> None:
    app = _app(speed=4)
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        await pilot.pause()
        timer = player._timer
        await pilot.press("plus")
        assert player.session.speed == 8
        await pilot.press("minus", "minus")
        assert player.session.speed == 2
        assert player._timer is timer
        assert "2/s" in str(app.screen.query_one(HeaderBar).render())


async def test_play_advances_switch_by_switch_and_pause_stops() -> None:
    app = _app(speed=8)
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        await pilot.pause()
        await pilot.press("space")
        await wait_until(pilot, lambda: player.view.state.switch >= 3)
        assert player.session.playing
        assert player.has_class("-playing")
        await pilot.press("space")
        assert not player.session.playing
        stopped = player.session.cursor
        await pilot.pause(0.2)
        assert player.session.cursor == stopped
        assert player.session.trace[stopped]["type"] == "run"


async def test_playing_to_the_end_stops_there() -> None:
    app = _app(speed=1024)
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        await pilot.pause()
        await pilot.press("space")
        await wait_until(pilot, lambda: not player.session.playing)
        assert player.session.cursor == len(player.session.replay) - 1


async def test_save_trace_writes_the_same_events_atomically(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = _app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        monkeypatch.chdir(tmp_path)
        await pilot.press("s")  # asks for the file name, a safe default filled in
        await pilot.pause()
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.player.last_saved is not None)
        saved = app.player.last_saved
    assert saved is not None and saved.parent == tmp_path
    assert [p.name for p in tmp_path.iterdir()] == [saved.name], "no temporary file left"
    original, written = _events(GATHER), _events(saved)
    assert written[0]["type"] == "header" and written[0]["scenario"] == "gather10"
    assert written[1:] == original[1:]


async def test_help_log_and_description_screens_open_and_close() -> None:
    app = _app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for key, screen in (("question_mark", HelpScreen), ("l", EventLogScreen),
                            ("d", DescriptionScreen)):
            await pilot.press(key)
            assert isinstance(app.screen, screen)
            await pilot.press("escape")
            assert isinstance(app.screen, PlayerScreen)


async def test_help_lists_every_key_of_the_table() -> None:
    from simtui.tui.bindings import PLAYER_BINDINGS

    app = _app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        text = str(app.screen.query_one("#help-keys").content)
        for binding in PLAYER_BINDINGS:
            assert binding.tooltip in text


async def test_replay_hides_what_needs_a_run_and_the_keys_say_why() -> None:
    app = _app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        player = app.player
        await pilot.pause()
        footer = screen_lines(app)[-1]
        for action, key, label in (("choose_runtime", "r", "runtime"), ("rerun", "R", "rerun"),
                                   ("edit", "e", "edit")):
            assert player.check_action(action, ()) is False, f"{action} is hidden"
            assert f" {key} {label} " not in footer
        assert "? help" in footer and "q quit" in footer
        cursor = player.session.cursor
        for key in ("r", "R", "e"):
            app.clear_notifications()
            await pilot.press(key)
            await wait_until(pilot, lambda: "no scenario to" in "\n".join(screen_lines(app)))
            assert isinstance(app.screen, PlayerScreen), f"{key} opened nothing"
        assert player.session.cursor == cursor and player.session.live is None


async def test_a_single_runtime_scenario_says_so_when_r_is_pressed() -> None:
    app = _app(TRACES / "greenlet_pingpong-greenlet.jsonl")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        player = app.player
        await pilot.pause()
        # From a replay, open the bundled scenario: it runs live, on greenlet only.
        player.open_scenario("greenlet_pingpong")
        await wait_until(pilot, lambda: player.session.scenario is not None)
        assert player.check_action("choose_runtime", ()) is None, "greyed out, not hidden"
        await pilot.press("r")
        await wait_until(pilot, lambda: "runs only on greenlet" in "\n".join(screen_lines(app)))
        assert isinstance(app.screen, PlayerScreen)


async def test_palette_offers_only_available_actions() -> None:
    from simtui.tui.bindings import PlayerCommands

    app = _app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        provider = PlayerCommands(app.player)
        offered = [hit.text async for hit in provider.discover()]
        assert "Go to the next context switch" in offered
        assert "Go back to the previous context switch" not in offered  # at the first event
        assert "Run the same scenario again" not in offered  # a replay cannot re-run


async def test_quit_key_exits() -> None:
    app = _app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("q")
    assert app.return_code == 0


@pytest.mark.parametrize(("size", "short"), [((80, 24), True), (SIZE, False)])
async def test_a_short_terminal_keeps_source_output_and_explanation_readable(
    size: tuple[int, int], short: bool
) -> None:
    app = _app()
    async with app.run_test(size=size) as pilot:
        await pilot.press("right")
        await pilot.pause()
        player = app.player
        assert player.has_class("-short") is short
        for pane in ("#source", "#output", "#explanation"):
            # two border rows plus at least two rows of content
            assert player.query_one(pane).region.height >= 4, pane
        footer_top = size[1] - 1
        assert player.query_one("#explanation").region.bottom <= footer_top
