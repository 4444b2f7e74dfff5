"""The editor highlights YAML: tree-sitter and its YAML grammar are dependencies, not extras."""

from __future__ import annotations

from pathlib import Path

from textual.strip import Strip

from tests.tui.test_editor import SIZE, make


def _colour_of(strip: Strip, word: str) -> str:
    """The foreground colour a rendered line draws the first character of `word` in."""
    text = "".join(seg.text for seg in strip)
    at = text.index(word)
    for seg in strip:
        if at < len(seg.text):
            return str(seg.style.color if seg.style else None)
        at -= len(seg.text)
    raise AssertionError(word)


async def test_the_editor_parses_and_colours_yaml(tmp_path: Path) -> None:
    _, app = make(tmp_path)  # its fourth line is `    - print: "hello"`
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        area = app.editor.text_area
        assert area.language == "yaml"
        assert area.is_syntax_aware, "tree-sitter parses the document"
        line = area.render_line(3)  # away from the cursor, which has colours of its own
        assert _colour_of(line, "print") != _colour_of(line, "hello"), "key and value differ"
