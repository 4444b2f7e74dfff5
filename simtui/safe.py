"""Untrusted text made safe to show and to use as a file name.

Everything a scenario or a trace file contains — names, titles, descriptions, `print`
texts, queue items, error messages — and every file name is data from somewhere else.
Before it reaches a terminal, a control character in it could move the cursor, clear the
screen, rename the window or write the clipboard (OSC 52), and a bidirectional override
could make a line read differently from what it is. `printable` shows each such character
as an escape (`\\x1b`, `\\u009b`, `\\u202e`) instead, so the user sees exactly what the
data holds and the terminal obeys none of it. Nothing here imports anything of simtui:
every layer may use it.
"""

from __future__ import annotations

import re

# C0 controls (tab and newline are decided by the caller), DEL, C1 controls, the
# bidirectional marks, embeddings, overrides and isolates, the Unicode line and
# paragraph separators (they break lines where the layout does not expect it), and lone
# surrogates (a terminal cannot encode them).
_UNSAFE_INLINE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff]"
)
_UNSAFE_BLOCK = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029"
    "\ud800-\udfff]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    if code == 0x09:
        return "\\t"
    if code == 0x0A:
        return "\\n"
    if code == 0x0D:
        return "\\r"
    if code < 0x20 or code == 0x7F:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def printable(text: object, *, lines: bool = False) -> str:
    """`text` with every character a terminal would act on shown as an escape.

    `lines=True` keeps newlines and tabs (a description, an output block, a message of
    several lines); by default the result is one line, as a name or a title must be.
    Anything that is not a string is shown as `str()` of it, escaped the same way.
    """
    s = text if isinstance(text, str) else str(text)
    # Every character escaped here is one `str.isprintable` refuses (Cc, Cf, Cs, Zl, Zp):
    # the common case costs one scan in C.
    if s.isprintable():
        return s
    pattern = _UNSAFE_BLOCK if lines else _UNSAFE_INLINE
    if pattern.search(s) is None:
        return s
    return pattern.sub(_escape, s)


def _stand_in(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode control pictures: ␀ … ␛ … ␟
    if code == 0x7F:
        return "\u2421"  # ␡
    return "\ufffd"  # C1, bidi marks, separators, surrogates: no picture of their own


def in_place(text: str) -> str:
    """`text` with each character `printable(text, lines=True)` escapes shown as one stand-in.

    For a view whose columns must stay the text's own, as in an editor, where the cursor
    moves by character: the result has exactly as many characters as `text`, so an index
    into one is the same index into the other. Control characters become the Unicode
    control pictures (ESC is `␛`), the others `�`; tabs and newlines are kept (the view
    lays them out).
    """
    if text.isprintable() or _UNSAFE_BLOCK.search(text) is None:
        return text
    return _UNSAFE_BLOCK.sub(_stand_in, text)


_NOT_IN_NAMES = re.compile(r"[^\w.\-+=@,]+", re.UNICODE)
MAX_NAME = 80
"""Longest file-name part taken from data (file systems allow 255 bytes in all)."""


def safe_name(text: object, fallback: str = "trace") -> str:
    """A file-name part built from data: never a path, never hidden, never a control.

    Path separators, `..`, control and other unusual characters become `_`; a leading
    dot is dropped so the file is not hidden; the result is at most `MAX_NAME`
    characters, and `fallback` when nothing usable is left.
    """
    s = text if isinstance(text, str) else str(text)
    s = _NOT_IN_NAMES.sub("_", s).strip("._ ")
    s = re.sub(r"\.{2,}", "_", s)
    s = s[:MAX_NAME].rstrip("._ ")
    return s or fallback
