"""The open-scenario modal: every bundled scenario listed, a choice or a typed path returned."""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.widgets import Input, Label, OptionList

from simtui.scenario.loader import bundled_scenarios, load_scenario
from simtui.tui.screens.open_scenario import OpenScenarioScreen, bundled_entries

SIZE = (120, 40)


class Host(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.results: list[str | None] = []

    def on_mount(self) -> None:
        self.push_screen(OpenScenarioScreen(), callback=self.results.append)


def test_entries_cover_every_bundled_scenario_with_title_and_runtimes() -> None:
    entries = {e.name: e for e in bundled_entries()}
    assert set(entries) == {p.stem for p in bundled_scenarios()}
    for path in bundled_scenarios():
        scenario = load_scenario(str(path))
        entry = entries[path.stem]
        assert entry.error is None
        assert entry.title == scenario.title
        assert entry.runtimes == scenario.runtimes


def test_an_invalid_bundled_file_is_listed_with_its_error(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    broken = tmp_path / "broken.yaml"
    broken.write_text("tasks:\n  main:\n    - nope: 1\n", encoding="utf-8")
    good = bundled_scenarios()
    monkeypatch.setattr("simtui.tui.screens.open_scenario.bundled_scenarios",
                        lambda: [*good, broken])
    entry = next(e for e in bundled_entries() if e.name == "broken")
    assert entry.error is not None and entry.error.startswith("3:7:")


async def test_lists_every_bundled_scenario_and_returns_the_choice() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        options = app.screen.query_one("#open-bundled", OptionList)
        names = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert names == [p.stem for p in bundled_scenarios()]
        rendered = str(options.get_option_at_index(0).prompt)
        assert load_scenario(names[0]).title in rendered
        # The list has the focus: go to the last entry and choose it with the keyboard.
        await pilot.press("end", "enter")
        await pilot.pause()
        assert app.results == [names[-1]]


async def test_invalid_bundled_entry_is_disabled(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    broken = tmp_path / "aaa_broken.yaml"
    broken.write_text("tasks: [\n", encoding="utf-8")
    good = bundled_scenarios()
    monkeypatch.setattr("simtui.tui.screens.open_scenario.bundled_scenarios",
                        lambda: [broken, *good])
    app = Host()
    async with app.run_test(size=SIZE):
        options = app.screen.query_one("#open-bundled", OptionList)
        first = options.get_option_at_index(0)
        assert first.id == "aaa_broken" and first.disabled
        assert "does not load" in str(first.prompt)


async def test_typed_path_is_checked_then_returned(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)  # short relative paths keep the typing quick
    (tmp_path / "dir").mkdir()
    scenario = tmp_path / "mine.yaml"
    scenario.write_text("tasks:\n  main: [yield]\n", encoding="utf-8")
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        path_input = app.screen.query_one("#open-path", Input)
        path_input.focus()
        await pilot.press(*"missing.yaml", "enter")
        await pilot.pause()
        error = app.screen.query_one("#open-path-error", Label)
        assert error.has_class("-error")
        assert "no such file" in str(error.render())
        assert app.results == []
        path_input.value = "dir"
        await pilot.press("enter")
        await pilot.pause()
        assert "not a regular file (a directory)" in str(error.render())
        path_input.value = ""
        await pilot.press(*"mine.yaml", "enter")
        await pilot.pause()
        assert app.results == ["mine.yaml"]
        assert Path(app.results[0]).resolve() == scenario


async def test_a_bundled_name_can_be_typed_too() -> None:
    name = bundled_scenarios()[0].stem
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one("#open-path", Input).value = name
        app.screen.query_one("#open-path", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [name]


async def test_escape_returns_none() -> None:
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape")
        await pilot.pause()
        assert app.results == [None]


async def test_a_typed_fifo_or_overlong_name_is_refused_and_the_app_lives(
    tmp_path: Path, monkeypatch  # type: ignore[no-untyped-def]
) -> None:
    import os

    monkeypatch.chdir(tmp_path)
    os.mkfifo(tmp_path / "pipe.yaml")
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        path_input = app.screen.query_one("#open-path", Input)
        path_input.focus()
        error = app.screen.query_one("#open-path-error", Label)
        path_input.value = "pipe.yaml"
        await pilot.press("enter")
        await pilot.pause()
        assert "not a regular file (a FIFO)" in str(error.render())
        path_input.value = "a" * 300 + ".yaml"
        await pilot.press("enter")
        await pilot.pause()
        assert "file name too long" in str(error.render())
        assert app.results == [] and app.is_running
