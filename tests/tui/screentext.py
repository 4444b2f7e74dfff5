"""The whole screen as text lines, from the same render the terminal would be sent."""

from __future__ import annotations

import html
import re

from rich.cells import cell_len
from textual.app import App

# One <text> element per run of equally styled cells (runs of blanks are left out): `x`
# is where it starts, `textLength` how wide it is, and the clip path names its line.
_TEXT = re.compile(r'<text [^>]*x="([0-9.]+)"[^>]*textLength="([0-9.]+)"'
                   r'[^>]*clip-path="url\(#[^"]*-line-(\d+)\)"[^>]*>([^<]*)</text>')

BIDI = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def screen_lines(app: App[object]) -> list[str]:
    """Every line of the current screen (modals over the player included), left to right.

    Built from `export_screenshot()`, which renders the screen exactly as an update to
    the terminal would: a character in a widget's output is in these lines as it is.
    """
    svg = app.export_screenshot()
    runs: dict[int, list[tuple[float, str]]] = {}
    cell = 0.0  # the width of one cell in the SVG's units
    for x, length, number, text in _TEXT.findall(svg):
        text = html.unescape(text).replace("\xa0", " ")
        if text == "\n":  # the end of the line, not a character on it
            continue
        runs.setdefault(int(number), []).append((float(x), text))
        if not cell and cell_len(text):
            cell = float(length) / cell_len(text)
    lines = []
    for n in sorted(runs):
        line = ""
        for x, text in sorted(runs[n]):
            line += " " * max(0, round(x / cell) - cell_len(line)) + text
        lines.append(line)
    return lines


def raw_controls(text: str) -> list[str]:
    """The characters of `text` a terminal would act on: C0, DEL, C1, bidi controls."""
    return [c for c in text
            if ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in BIDI or c in "\u2028\u2029"]


def assert_no_raw_controls(app: App[object], where: str = "") -> list[str]:
    """The screen's lines, after checking that none holds a raw control character."""
    lines = screen_lines(app)
    bad = {(n, repr(line)) for n, line in enumerate(lines) if raw_controls(line)}
    assert not bad, f"raw control characters on screen {where}: {sorted(bad)}"
    return lines
