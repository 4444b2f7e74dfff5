"""YAML colours from tree-sitter's YAML grammar and its own query, in the app theme's colours.

The source pane and the in-app editor both colour a scenario with this module: the same
grammar, the same query, the same capture → colour table, the colours taken from the
current theme's variables (so a light theme gets dark text, and a block scalar whose line
ends in `:` is a string, not a key, because the parser says so).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import tree_sitter_yaml
from rich.style import Style
from textual.color import Color, ColorParseError
from tree_sitter import Language, Parser, Query, QueryCursor

LANGUAGE = Language(tree_sitter_yaml.language())
HIGHLIGHT_QUERY: str = tree_sitter_yaml.HIGHLIGHTS_QUERY
"""The grammar's own highlight query."""

SYNTAX: dict[str, tuple[str, bool, bool]] = {
    "string": ("text-success", False, False),
    "number": ("text-warning", False, False),
    "boolean": ("text-secondary", False, False),
    "constant.builtin": ("text-secondary", False, False),
    "label": ("text-secondary", False, False),
    "type": ("text-secondary", False, False),
    "attribute": ("text-secondary", False, False),
    "comment": ("foreground-muted", False, True),
    "property": ("text-primary", True, False),
    "punctuation.delimiter": ("foreground-muted", False, False),
    "punctuation.bracket": ("foreground-muted", False, False),
    "punctuation.special": ("foreground-muted", False, False),
}
"""Capture → (theme variable, bold, italic). Later entries win where captures overlap (a
key is captured as a string and as a property: it is drawn as a property)."""

_RANK = {name: rank for rank, name in enumerate(SYNTAX)}

Span = tuple[int, int, str]
"""A highlighted run of one line: start and end column (characters), capture name."""


def _color(value: str | None, background: Color) -> Color | None:
    """A theme variable's colour, made opaque over the background (`#E0E0E099`)."""
    if not value:
        return None
    try:
        color = Color.parse(value)
    except ColorParseError:
        return None
    if color.a < 1:
        color = background.blend(color.with_alpha(1.0), color.a)
    return color


def styles(variables: Mapping[str, str]) -> dict[str, Style]:
    """Capture name → Rich style, in the colours of a theme (`App.get_css_variables()`)."""
    background = _color(variables.get("background"), Color(0, 0, 0)) or Color(0, 0, 0)
    out: dict[str, Style] = {}
    for name, (variable, bold, italic) in SYNTAX.items():
        color = _color(variables.get(variable), background)
        out[name] = Style(color=color.rich_color if color else None,
                          bold=bold or None, italic=italic or None)
    return out


def problem_style(variables: Mapping[str, str]) -> Style:
    """How the editor marks a line with a problem: underlined, on the theme's error colour
    faded into its background."""
    background = _color(variables.get("background"), Color(0, 0, 0)) or Color(0, 0, 0)
    error = _color(variables.get("error"), background) or Color(170, 50, 50)
    return Style(underline=True, bgcolor=background.blend(error, 0.35).rich_color)


@lru_cache(maxsize=8)
def _query() -> Query:
    return Query(LANGUAGE, HIGHLIGHT_QUERY)


def highlight(text: str) -> list[list[Span]]:
    """Per line of `text` (as `str.splitlines` cuts it), the highlighted runs, in order of
    precedence (draw them in turn: a later run wins where they overlap)."""
    lines = text.splitlines()
    data = text.encode("utf-8", "surrogatepass")
    tree = Parser(LANGUAGE).parse(data)
    captures = QueryCursor(_query()).captures(tree.root_node)
    # Byte columns (what tree-sitter gives) to character columns, per line, when needed.
    encoded: dict[int, bytes] = {}

    def column(row: int, byte: int) -> int:
        if row >= len(lines):
            return 0
        line = encoded.get(row)
        if line is None:
            line = encoded[row] = lines[row].encode("utf-8", "surrogatepass")
        if len(line) == len(lines[row]):  # ASCII: bytes are characters
            return min(byte, len(line))
        return len(line[:byte].decode("utf-8", "replace"))

    out: list[list[Span]] = [[] for _ in lines]
    for name in sorted(captures, key=lambda n: _RANK.get(n, -1)):
        if name not in _RANK:
            continue
        for node in captures[name]:
            (r0, c0), (r1, c1) = node.start_point, node.end_point
            for row in range(r0, min(r1, len(lines) - 1) + 1):
                start = column(row, c0) if row == r0 else 0
                end = column(row, c1) if row == r1 else len(lines[row])
                if end > start:
                    out[row].append((start, end, name))
    return out
