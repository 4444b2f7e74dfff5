"""A line-API base for panes with many rows: only the rows on screen are ever rendered."""

from __future__ import annotations

from collections.abc import Hashable

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.reactive import var
from textual.scroll_view import ScrollView
from textual.strip import Strip

from simtui.safe import printable
from simtui.tui.view import PlayerView


class RowsView(ScrollView, can_focus=False):
    """A pane that renders `row(i)` for visible rows only, from the `view` it is given.

    Subclasses say how many rows there are and draw one row; the cost of a repaint is
    the height of the pane, never the length of the list (10,000 ready tasks cost what
    10 do). A new view that changes nothing this pane draws (`draw_key`) costs nothing.
    """

    DEFAULT_CSS = """
    RowsView { overflow-x: hidden; }
    """

    view: var[PlayerView | None] = var(None, always_update=True)
    reserved_rows = 0
    """Rows at the bottom of the pane that do not scroll (the timeline's axis)."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._styles: dict[str, Style] = {}
        """Resolved styles by component name ("" is the widget's own): they change only
        with the CSS or theme, and resolving one walks the DOM."""
        self._drawn: Hashable = None

    def notify_style_update(self) -> None:
        self._styles.clear()
        super().notify_style_update()

    def row_count(self) -> int:
        return 0

    def render_row(self, index: int, width: int) -> Strip:  # pragma: no cover - abstract
        raise NotImplementedError

    def follow_row(self) -> int | None:
        """A row to keep on screen after each update (None: leave the scroll alone)."""
        return None

    def draw_key(self, view: PlayerView) -> Hashable:
        """What of the view this pane draws: a view with the same key is not redrawn
        (while a run records, the header changes on every tick, the panes do not)."""
        return (view.run_id, view.state.index)

    def watch_view(self, view: PlayerView | None) -> None:
        key = None if view is None else self.draw_key(view)
        if key is not None and key == self._drawn:
            return
        self._drawn = key
        self.virtual_size = Size(self.scrollable_content_region.width, self.row_count())
        target = self.follow_row()
        if target is not None:
            self.keep_visible(target)
        self.refresh()

    def keep_visible(self, row: int) -> None:
        height = self.scrollable_content_region.height - self.reserved_rows
        top = round(self.scroll_y)
        if height <= 0:
            return
        if row < top or row >= top + height:
            self.scroll_to(y=max(0, row - height // 3), animate=False, force=True)

    def on_resize(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, self.row_count())
        if self.view is not None:  # the first size is known only now: show the followed row
            target = self.follow_row()
            if target is not None:
                self.keep_visible(target)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = round(self.scroll_y) + y
        base = self.base_style
        if self.view is None or index >= self.row_count():
            return Strip.blank(width, base)
        return self.render_row(index, width).adjust_cell_length(width, base)

    # helpers for subclasses --------------------------------------------------------

    @property
    def base_style(self) -> Style:
        style = self._styles.get("")
        if style is None:
            style = self._styles[""] = self.rich_style
        return style

    def style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            style = self._styles[name] = self.get_component_rich_style(name)
        return style

    def strip(self, *parts: tuple[str, Style | None]) -> Strip:
        """One row from `(text, style)` parts. Every part is escaped here, so whatever a
        row holds from a scenario or a trace, no control character reaches the terminal
        (a segment's text is written as it is). Text that is padded or cut to a width
        should be escaped before that (`printable` of its own output changes nothing)."""
        base = self.base_style
        return Strip([Segment(printable(text), base + s if s else base)
                      for text, s in parts if text])
