"""The in-app scenario editor: YAML with live validation, atomic saves, nothing typed is lost."""

from __future__ import annotations

import asyncio
import errno
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from rich.style import Style
from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.reactive import var
from textual.screen import Screen
from textual.theme import Theme
from textual.widgets import Footer, Static, TextArea
from textual.widgets.text_area import TextAreaTheme

from simtui.files import TextFormat, atomic_write, read_regular, reason
from simtui.safe import in_place, printable
from simtui.scenario.errors import Problem, ScenarioError
from simtui.scenario.loader import BUNDLED_DIR, load_text
from simtui.tui import yaml_syntax
from simtui.tui.screens.confirm import ConfirmScreen

VALIDATE_DELAY = 0.3
"""Seconds of quiet typing before the text is checked: checking every key would lag."""

THEME_NAME = "simtui"
"""The editor's own theme: the app theme's colours, the source pane's YAML colours."""

SCHEMA = BUNDLED_DIR / "scenario.schema.json"
"""The JSON Schema the bundled scenarios' modelines point at."""

_MODELINE = re.compile(r"^(\s*#\s*yaml-language-server:\s*\$schema=)(\S+)(.*)$", re.MULTILINE)

BANNER_PROBLEMS = 3
"""How many problems the banner lists; the rest are counted."""


def is_bundled(path: Path) -> bool:
    """Whether `path` is one of simtui's own scenarios (edits must not touch the package)."""
    return Path(os.path.realpath(path)).is_relative_to(BUNDLED_DIR.resolve())


def copy_target(path: Path, data: bytes, directory: Path) -> Path:
    """Where a copy of `path` holding `data` goes: `directory/NAME.yaml`, or `NAME-1.yaml`…

    An existing file is only reused when it already holds exactly `data`; a different
    file (or anything that is not a regular file) is never overwritten.
    """
    stem, suffix = path.stem, path.suffix or ".yaml"
    for n in range(10_000):
        candidate = directory / (f"{stem}{suffix}" if n == 0 else f"{stem}-{n}{suffix}")
        if not os.path.lexists(candidate):
            return candidate
        if _read(candidate) == data:
            return candidate
    raise FileExistsError(errno.EEXIST, f"no free name for a copy of {path.name}",
                          str(directory))


def relink_modeline(text: str, source: Path, target: Path) -> str:
    """`text` (read from `source`) with its `yaml-language-server` modeline made to work
    from `target`: a relative schema path that resolves beside the source but not beside
    the target is rewritten relative to the target's folder (a bundled scenario's
    `./scenario.schema.json` is not in the folder its copy goes to)."""

    def fix(m: re.Match[str]) -> str:
        ref = m.group(2)
        if "://" in ref or os.path.isabs(ref):
            return m.group(0)
        found = (source.parent / ref).resolve()
        if (target.parent / ref).exists() or not found.exists():
            return m.group(0)
        try:
            new = os.path.relpath(found, target.parent.resolve())
        except ValueError:  # another drive: only an absolute path reaches it
            new = str(found)
        return f"{m.group(1)}{Path(new).as_posix()}{m.group(3)}"

    return _MODELINE.sub(fix, text, count=1)


def _shown(path: Path) -> str:
    """A path as short as it reads unambiguously: `./name` inside the current directory."""
    try:
        return f"./{path.relative_to(Path.cwd()).as_posix()}"
    except (ValueError, OSError):
        return str(path)


def _read(path: Path) -> bytes | None:
    """The file's bytes now, or None when it cannot be read (gone, a FIFO, ...)."""
    try:
        return read_regular(path)
    except OSError:
        return None


def check_text(text: str, source: str) -> tuple[Problem, ...]:
    """The problems of a scenario text, first first; empty when it loads."""
    try:
        load_text(text, source)
    except ScenarioError as e:
        return tuple(e.problems)
    except Exception as e:  # a bug in the loader must not take the user's text with it
        return (Problem(source, 1, 1, f"simtui could not check this text (a bug): {e!r}"),)
    return ()


class ScenarioTextArea(TextArea):
    """A YAML code editor that marks the lines with problems."""

    DEFAULT_CSS = """
    ScenarioTextArea {
        height: 1fr;
    }
    """

    problem_lines: frozenset[int] = frozenset()
    """0-based lines to mark (replaced, never mutated, so the class default is safe)."""
    problem_style: Style = Style(underline=True)
    """How a marked line looks: set from the app theme (`follow_theme`)."""

    def follow_theme(self) -> None:
        """Take the app theme's colours: the text, and YAML as the source pane colours it."""
        variables = self.app.get_css_variables()
        self.register_theme(TextAreaTheme(name=THEME_NAME,
                                          syntax_styles=yaml_syntax.styles(variables)))
        self.problem_style = yaml_syntax.problem_style(variables)
        self.theme = THEME_NAME  # always_update: applied again with the new colours
        self.notify_style_update()
        self.refresh()

    def mark_lines(self, lines: Iterable[int]) -> None:
        lines = frozenset(lines)
        if lines != self.problem_lines:
            self.problem_lines = lines
            # Rendered lines are cached by content and cursor, not by our marks: drop them.
            self.notify_style_update()
            self.refresh()

    def get_line(self, line_index: int) -> Text:
        # The text area would hand a control character in the file to the terminal as it
        # is (ESC, C1, a bidi override), and drop BEL, BS or CR from the line, moving every
        # column after them. Each is shown as one visible stand-in instead (`␛`), in its
        # own column, so the cursor still walks the text as it is. (The text area measures
        # such a character as zero cells wide, so on the widest line the last few cells may
        # need a scroll to be seen: seeing where the character is matters more.)
        line = Text(in_place(self.document.get_line(line_index)), end="", no_wrap=True)
        if line_index in self.problem_lines:
            line.stylize(self.problem_style)
        return line


class EditorScreen(Screen[Path | None]):
    """Edit a scenario file; ctrl+s saves atomically and posts `Saved`, esc leaves.

    Dismisses with the path of the last successful save (None when nothing was saved).
    A bundled scenario is never overwritten: the first save writes a copy into the
    current directory and the editor goes on with that copy. Nothing typed is lost: a
    failed save keeps the text and the dirty mark, leaving or quitting with unsaved text
    asks first, and a file changed on disk by something else is not overwritten silently.
    """

    DEFAULT_CSS = """
    EditorScreen {
        layout: vertical;
    }
    EditorScreen #editor-title {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text;
        text-style: bold;
    }
    EditorScreen.-dirty #editor-title {
        background: $warning 40%;
    }
    EditorScreen #editor-problems {
        display: none;
        height: auto;
        max-height: 5;
        padding: 0 1;
        background: $error 30%;
        color: $text;
    }
    EditorScreen #editor-problems.-error {
        display: block;
    }
    EditorScreen #editor-status {
        height: auto;
        max-height: 3;
        padding: 0 1;
        color: $text-muted;
    }
    EditorScreen #editor-status.-error {
        color: $error;
        text-style: bold;
    }
    """

    BINDINGS = [
        # Priority: the text area would otherwise take esc (it moves the focus on).
        Binding("ctrl+s", "save", "Save and re-run", priority=True, id="simtui.editor.save"),
        Binding("escape", "leave", "Leave editor", priority=True, id="simtui.editor.leave"),
        Binding("f8", "next_problem", "Go to problem", id="simtui.editor.problem"),
    ]

    class Saved(Message):
        """The scenario was written to `path` (after a copy: the copy's path)."""

        def __init__(self, path: Path) -> None:
            super().__init__()
            self.path = path

    dirty: var[bool] = var(False)
    """The text differs from what was last loaded or saved."""
    problems: var[tuple[Problem, ...]] = var(())
    """What the loader says about the current text (after the debounce)."""

    def __init__(self, path: Path, text: str, fmt: TextFormat | None = None,
                 on_disk: bytes | None = None, unknown_disk: str = "") -> None:
        """Edit `text`, the content of `path` in the format `fmt` (LF, no BOM by default).

        `on_disk`: the bytes `text` was read from (default: `text` in `fmt`). With
        `unknown_disk` (why), the text is not what the disk holds, so the first save over
        whatever is there asks first.
        """
        super().__init__()
        self.path = Path(path)
        """The file the next save writes (it changes when the text is saved as a copy)."""
        self.format = fmt or TextFormat()
        """The line ends and BOM of the file, kept when saving."""
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        self.saved_text = text
        """The text as last loaded or saved (for the dirty mark)."""
        self.disk: bytes | None = (None if unknown_disk else
                                   on_disk if on_disk is not None else self.format.encode(text))
        """The bytes on disk as this editor last read or wrote them; None: not known."""
        self.last_saved: Path | None = None
        self._initial_text = text
        self._unknown_disk = unknown_disk
        self._problem_cursor = -1

    @classmethod
    def for_file(cls, path: Path, data: bytes) -> EditorScreen:
        """An editor on the file `path` that holds `data`, its line ends and BOM kept.

        Bytes that are not UTF-8 are shown as U+FFFD and said so: the editor then treats
        the file as unknown, and saving over it asks first.
        """
        fmt = TextFormat.of(data)
        try:
            return cls(path, fmt.decode(data), fmt, on_disk=data)
        except UnicodeDecodeError as e:
            good = data[: e.start].decode("utf-8", "replace")
            line = good.count("\n") + 1
            # One status line: short enough to be read whole in an 80-column terminal.
            why = (f"{path.name} is not UTF-8 (byte 0x{data[e.start]:02x}, line {line}), shown "
                   "as \ufffd; ctrl+s asks before replacing it.")
            return cls(path, fmt.decode(data, "replace"), fmt, unknown_disk=why)

    def compose(self) -> ComposeResult:
        yield Static("", id="editor-title", markup=False)
        yield Static("", id="editor-problems", markup=False)
        editor = ScenarioTextArea.code_editor(self._initial_text, language="yaml",
                                              theme="css", id="editor-text")
        # The grammar's own query, as the source pane uses: both colour YAML the same way.
        editor.update_highlight_query("yaml", yaml_syntax.HIGHLIGHT_QUERY)
        editor.indent_width = 2  # YAML's usual indent; a tab inserts spaces
        yield editor
        yield Static("", id="editor-status", markup=False)
        yield Footer()

    @property
    def text_area(self) -> ScenarioTextArea:
        return self.query_one("#editor-text", ScenarioTextArea)

    @property
    def text(self) -> str:
        """The text being edited."""
        return self.text_area.text

    def on_mount(self) -> None:
        self.text_area.follow_theme()
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)
        self._update_title()
        if self._unknown_disk:
            self._say(self._unknown_disk, error=True)
        elif is_bundled(self.path):
            target = self._copy_target()
            where = str(target) if target is not None else "the current directory"
            self._say(f"A bundled scenario is never changed: ctrl+s saves a copy as {where}.")
        else:
            self._say("ctrl+s saves and re-runs · esc leaves · f8 goes to the first problem")
        self.text_area.focus()
        self._validate()

    def on_unmount(self) -> None:
        self.app.theme_changed_signal.unsubscribe(self)

    def _theme_changed(self, theme: Theme) -> None:
        self.text_area.follow_theme()

    # -- dirty state and validation ------------------------------------------------------

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        # Comparing with the saved text (rather than counting Changed events, one of which
        # arrives at load) makes undo back to the saved text clean again.
        self.dirty = self.text != self.saved_text
        self._validate()

    def watch_dirty(self, dirty: bool) -> None:
        self.set_class(dirty, "-dirty")
        if self.is_mounted:
            self._update_title()

    @work(exclusive=True, group="editor-validate")
    async def _validate(self) -> None:
        # exclusive: a new keystroke cancels the pending check, which debounces it.
        await asyncio.sleep(VALIDATE_DELAY)
        text = self.text
        self.problems = await asyncio.to_thread(check_text, text, str(self.path))

    def watch_problems(self, problems: tuple[Problem, ...]) -> None:
        if not self.is_mounted:
            return
        banner = self.query_one("#editor-problems", Static)
        self._problem_cursor = -1
        self.text_area.mark_lines(p.line - 1 for p in problems)
        if not problems:
            banner.update("")
            banner.remove_class("-error")
            return
        lines = [printable(p.short()) for p in problems[:BANNER_PROBLEMS]]
        if len(problems) > BANNER_PROBLEMS:
            lines.append(f"… and {len(problems) - BANNER_PROBLEMS} more")
        lines[0] += "   (f8 or a click: go to the line)"
        banner.update("\n".join(lines))
        banner.add_class("-error")

    def on_click(self, event: events.Click) -> None:
        if event.widget is not None and event.widget.id == "editor-problems":
            self._problem_cursor = -1
            self.action_next_problem()

    def action_next_problem(self) -> None:
        """Move the cursor to the next problem, in order, wrapping around."""
        if not self.problems:
            self._say("No problems: the scenario loads.")
            return
        self._problem_cursor = (self._problem_cursor + 1) % len(self.problems)
        problem = self.problems[self._problem_cursor]
        area = self.text_area
        row = min(max(problem.line - 1, 0), max(area.document.line_count - 1, 0))
        col = min(max(problem.col - 1, 0), len(area.document.get_line(row)))
        area.move_cursor((row, col), center=True)
        area.focus()
        self._say(problem.short(), error=True)

    # -- saving ------------------------------------------------------------------------

    def action_save(self) -> bool:
        """Write the text; True when it reached the disk. A failure keeps the text dirty.

        A bundled scenario is saved as a copy in the current directory. Bytes on disk this
        editor did not load or write itself (another program changed the file, or it could
        not be shown as it is) are never overwritten without asking.
        """
        text = self.text
        data = self.format.encode(text)
        if is_bundled(self.path):
            directory = self._copy_dir()
            # The copy's modeline must find the schema from where the copy goes.
            relinked = relink_modeline(text, self.path, directory / self.path.name)
            try:
                target = copy_target(self.path, self.format.encode(relinked), directory)
            except OSError as e:
                self._save_failed(e)
                return False
            if relinked != text:
                self._set_text_keeping_cursor(relinked)
                text = relinked
            return self._write(target, text,
                               f"Bundled scenarios are not changed: saved a copy as {target}; "
                               "ctrl+s now saves there.")
        conflict = self._conflict(data)
        if conflict:
            self._ask_about_conflict(conflict)
            return False
        return self._write(self.path, text)

    def keep_unsaved(self) -> str | None:
        """The app is ending without asking (SIGTERM, SIGHUP): write unsaved text to a file
        of its own, never over the scenario, and say where (None: nothing was unsaved).

        The file is `NAME.unsaved.yaml` beside the scenario (in the folder a save of a
        bundled scenario would copy to, for those), or in the current directory when that
        folder cannot be written; an existing file is never replaced.
        """
        if not self.dirty:
            return None
        data = self.format.encode(self.text)
        folders = [self._copy_dir() if is_bundled(self.path) else self.path.parent, Path.cwd()]
        problem = ""
        for folder in dict.fromkeys(folders):
            for n in range(1, 100):
                suffix = "" if n == 1 else f"-{n}"
                target = folder / f"{self.path.stem}.unsaved{suffix}{self.path.suffix}"
                try:
                    atomic_write(target, data, overwrite=False)
                except FileExistsError:
                    continue
                except OSError as e:
                    problem = reason(e)
                    break
                return f"unsaved edits of {_shown(self.path)} were kept in {_shown(target)}"
            else:
                problem = f"every name like {self.path.stem}.unsaved-N is taken in {folder}"
        return f"unsaved edits of {_shown(self.path)} could not be kept: {problem}"

    def _copy_dir(self) -> Path:
        """Where saving a bundled scenario writes its copy: the current directory, or the
        home directory when that is inside simtui's package."""
        directory = Path.cwd()
        if is_bundled(directory / "x.yaml"):  # never write into the package
            directory = Path.home()
        return directory

    def _copy_target(self) -> Path | None:
        """The file the next save of a bundled scenario writes (None: no free name)."""
        directory = self._copy_dir()
        text = relink_modeline(self.text, self.path, directory / self.path.name)
        try:
            return copy_target(self.path, self.format.encode(text), directory)
        except OSError:
            return None

    def _set_text_keeping_cursor(self, text: str) -> None:
        area = self.text_area
        cursor = area.cursor_location
        area.text = text
        row = min(cursor[0], max(area.document.line_count - 1, 0))
        area.move_cursor((row, min(cursor[1], len(area.document.get_line(row)))))

    def _conflict(self, data: bytes) -> str:
        """Why writing `data` would overwrite something this editor did not load; "" if not."""
        try:
            disk = read_regular(self.path)
        except FileNotFoundError:
            return ""  # gone: nothing on disk to lose
        except OSError as e:
            return f"{self.path.name} cannot be read to compare ({reason(e)})"
        if disk == data or disk == self.disk:
            return ""
        try:
            disk.decode("utf-8")
        except UnicodeDecodeError:
            return f"{self.path.name} on disk is not UTF-8 text, and not what this editor loaded"
        return f"{self.path.name} changed on disk since it was loaded here"

    def disk_changed(self) -> None:
        """The file changed on disk (the player's watcher saw it): say so before any save."""
        if not self.is_mounted or is_bundled(self.path):
            return
        conflict = self._conflict(self.format.encode(self.text))
        if conflict:
            self._say(f"{conflict}: ctrl+s asks before replacing it.", error=True)

    def _write(self, target: Path, text: str, note: str | None = None) -> bool:
        data = self.format.encode(text)
        try:
            written = atomic_write(target, data)
        except OSError as e:
            self._save_failed(e)
            return False
        self.path = target
        self.saved_text = text
        self.disk = data
        self._unknown_disk = ""
        self.last_saved = target
        self.dirty = self.text != self.saved_text
        self._update_title()
        if note is not None:
            self._say(note)
            self.notify(printable(note), title="Saved", markup=False)
        else:
            self._say(f"Saved {written}." + (" It has problems: the last good run stays on "
                                             "screen." if self.problems else ""))
        self.post_message(self.Saved(target))
        return True

    def _save_failed(self, e: OSError) -> None:
        where = getattr(e, "filename", None) or self.path
        self._say(f"NOT saved: {reason(e)} ({where}). Your text is still here; "
                  "fix the cause and press ctrl+s again.", error=True)
        self.notify(printable(f"Not saved: {reason(e)}"), severity="error",
                    title="Save failed", markup=False)

    @work(exclusive=True, group="editor-conflict")
    async def _ask_about_conflict(self, conflict: str) -> None:
        self._say(f"{conflict}: not saved yet.", error=True)
        choice = await self.app.push_screen_wait(ConfirmScreen(
            f"{conflict}. Saving now would replace it.",
            [("copy", "Save mine as a copy"), ("overwrite", "Overwrite it"),
             ("cancel", "Keep editing, don't save")],
            default="cancel",
        ))
        text = self.text
        if choice == "overwrite":
            self._write(self.path, text)
        elif choice == "copy":
            try:
                target = copy_target(self.path, self.format.encode(text), self.path.parent)
            except OSError as e:
                self._save_failed(e)
                return
            self._write(target, text, f"Saved your version as {target}; the file on disk "
                                      f"was left as it is. ctrl+s now saves to {target.name}.")
        else:
            self._say("Not saved. Your text is still here; the file on disk is untouched.")

    # -- leaving -----------------------------------------------------------------------

    def action_leave(self) -> None:
        if not self.dirty:
            self.dismiss(self.last_saved)
            return
        self._ask_and_leave()

    @work(exclusive=True, group="editor-leave")
    async def _ask_and_leave(self) -> None:
        choice = await self.app.push_screen_wait(ConfirmScreen(
            f"{self.path.name} has unsaved changes.",
            [("save", "Save and leave"), ("discard", "Discard changes"),
             ("cancel", "Keep editing")],
            default="cancel",  # enter, pressed out of habit, must not write or lose anything
        ))
        if choice == "discard" or (choice == "save" and self.action_save()):
            self.dismiss(self.last_saved)

    def quit_app(self, quit: Callable[[], object]) -> None:
        """Call `quit` (the app's own way to exit), asking first when the text is unsaved.

        The app's quit key is a priority binding that screens cannot intercept, so the app
        routes it here while this editor is the active screen.
        """
        if not self.dirty:
            quit()
            return
        self._ask_and_quit(quit)

    @work(exclusive=True, group="editor-leave")
    async def _ask_and_quit(self, quit: Callable[[], object]) -> None:
        choice = await self.app.push_screen_wait(ConfirmScreen(
            f"{self.path.name} has unsaved changes.",
            [("save", "Save and quit"), ("discard", "Quit without saving"),
             ("cancel", "Keep editing")],
            default="cancel",
        ))
        if choice == "discard" or (choice == "save" and self.action_save()):
            quit()

    # -- helpers -----------------------------------------------------------------------

    def _update_title(self) -> None:
        marker = "  ● modified" if self.dirty else ""
        if is_bundled(self.path):
            target = self._copy_target()
            where = f"bundled: ctrl+s saves a copy as {_shown(target) if target else 'a new file'}"
        else:
            where = str(self.path)
        self.query_one("#editor-title", Static).update(
            printable(f"Editing {self.path.name}{marker}    ({where})")
        )

    def _say(self, message: str, error: bool = False) -> None:
        status = self.query_one("#editor-status", Static)
        status.update(printable(message))  # messages name files and quote the loader
        status.set_class(error, "-error")
