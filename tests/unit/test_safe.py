"""Untrusted text: control characters are shown escaped, names from data never become paths."""

from __future__ import annotations

import pytest

from simtui.safe import MAX_NAME, in_place, printable, safe_name


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b]0;X\x07", "\\x1b]0;X\\x07"),  # OSC: renames the terminal
        ("\x1b]52;c;aGk=\x07", "\\x1b]52;c;aGk=\\x07"),  # OSC 52: writes the clipboard
        ("\x1b[2J", "\\x1b[2J"),  # clears the screen
        ("\x9b2J", "\\u009b2J"),  # the same with the C1 CSI
        ("a\x7fb", "a\\x7fb"),
        ("abc\u202edcba", "abc\\u202edcba"),  # a bidi override reverses what follows
        ("a\rb", "a\\rb"),
        ("one\ntwo\tthree", "one\\ntwo\\tthree"),
        ("\ud800", "\\ud800"),
        ("코루틴 3 종료", "코루틴 3 종료"),
        ("[/] [@click=app.quit]x", "[/] [@click=app.quit]x"),  # markup is not ours to escape
    ],
)
def test_printable_escapes_every_character_a_terminal_acts_on(raw: str, shown: str) -> None:
    assert printable(raw) == shown


def test_printable_keeps_newlines_and_tabs_only_when_asked() -> None:
    assert printable("a\nb\tc\x1b", lines=True) == "a\nb\tc\\x1b"
    assert printable("a\r\nb", lines=True) == "a\\r\nb"


def test_printable_of_every_code_point_below_0x3000_leaves_no_control() -> None:
    text = "".join(map(chr, range(0x3000)))
    shown = printable(text)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in shown)
    assert "\u202e" not in shown and "\u2028" not in shown


def test_printable_escapes_each_control_alone_in_otherwise_plain_text() -> None:
    # One character at a time: the quick path for plain text must not let one through.
    bidi = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    for c in map(chr, [*range(0x3000), 0xD800, 0xDFFF]):
        unsafe = ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in bidi or c in "\u2028\u2029"
        unsafe = unsafe or 0xD800 <= ord(c) <= 0xDFFF
        assert (printable(f"a{c}b") != f"a{c}b") == unsafe, hex(ord(c))
        assert (in_place(f"a{c}b") != f"a{c}b") == (unsafe and c not in "\t\n"), hex(ord(c))


def test_printable_of_a_non_string_is_its_str_escaped() -> None:
    assert printable(ValueError("\x1b[2J")) == "\\x1b[2J"


def test_in_place_shows_each_control_as_one_character_in_its_place() -> None:
    assert in_place("a\x1b[2Jb\x07\x7f\x00") == "a␛[2Jb␇␡␀"
    assert in_place("C1 \x9b2J, bidi \u202eabc") == "C1 \ufffd2J, bidi \ufffdabc"
    assert in_place("keeps\ttabs\nand lines") == "keeps\ttabs\nand lines"
    text = "".join(map(chr, range(0x3000)))
    shown = in_place(text)
    assert len(shown) == len(text), "an index into the text is an index into what is shown"
    assert printable(shown, lines=True) == shown, "nothing in it is left to escape"


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("../x", "x"),
        ("../../etc/passwd", "etc_passwd"),
        ("/abs/path/trace", "abs_path_trace"),
        ("nodir/x", "nodir_x"),
        ("a\\b", "a_b"),
        (".hidden", "hidden"),
        ("..", "trace"),
        ("", "trace"),
        ("\x1b[2Jname", "2Jname"),
        ("gather10", "gather10"),
        ("코루틴", "코루틴"),
        ("a..b", "a_b"),
    ],
)
def test_safe_name_is_never_a_path(raw: str, name: str) -> None:
    assert safe_name(raw) == name
    assert "/" not in safe_name(raw) and not safe_name(raw).startswith(".")


def test_safe_name_is_bounded() -> None:
    assert len(safe_name("x" * 1000)) == MAX_NAME
