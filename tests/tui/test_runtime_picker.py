"""The runtime picker: the scenario's runtimes, the current one marked, the choice returned."""

from __future__ import annotations

from textual.app import App
from textual.widgets import OptionList

from simtui.runtimespec import SPECS
from simtui.tui.screens.runtime_picker import RuntimePickerScreen

SIZE = (120, 40)


class Host(App[None]):
    def __init__(self, runtimes: list[str], current: str) -> None:
        super().__init__()
        self.picker = RuntimePickerScreen(runtimes, current)
        self.results: list[str | None] = []

    def on_mount(self) -> None:
        self.push_screen(self.picker, callback=self.results.append)


async def test_lists_runtimes_marks_current_and_returns_choice() -> None:
    app = Host(["asyncio", "gevent", "threads"], "gevent")
    async with app.run_test(size=SIZE) as pilot:
        options = app.screen.query_one(OptionList)
        prompts = [str(options.get_option_at_index(i).prompt) for i in range(3)]
        assert [options.get_option_at_index(i).id for i in range(3)] == [
            "asyncio", "gevent", "threads"]
        assert "current" in prompts[1] and "current" not in prompts[0] + prompts[2]
        for runtime, prompt in zip(["asyncio", "gevent", "threads"], prompts, strict=True):
            assert SPECS[runtime].summary in prompt, "each says what it is, from its spec"
        assert options.highlighted == 1, "the current runtime is highlighted first"
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.results == ["threads"]


async def test_escape_returns_none() -> None:
    app = Host(["asyncio", "greenlet"], "asyncio")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [None]
