"""The escaping every reporter relies on, case by case."""

from __future__ import annotations

import pytest

from reviewbot.reporters.escaping import md_code, md_text, one_line, printable, shorten


@pytest.mark.parametrize(
    ("text", "keep_newlines", "expected"),
    [
        ("\x1b[2Jx", False, "\\x1b[2Jx"),
        ("a\u202eb\u2066c", False, "a\\u202eb\\u2066c"),
        ("a\tb", False, "a b"),
        ("a\nb", False, "a\\x0ab"),
        ("a\nb", True, "a\nb"),
        ("a\r\nb\rc", True, "a\nb\\x0dc"),
        ("\x7f\x85", False, "\\x7f\\x85"),
        ("déjà ✔", False, "déjà ✔"),
    ],
)
def test_printable(text: str, keep_newlines: bool, expected: str) -> None:
    assert printable(text, keep_newlines=keep_newlines) == expected


def test_one_line_folds_whitespace() -> None:
    assert one_line("  a\n\n b\r\n c\rd ") == "a b c\\x0dd"


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [("abcdef", 6, "abcdef"), ("abcdefg", 6, "abcde…")],
)
def test_shorten(text: str, limit: int, expected: str) -> None:
    assert shorten(text, limit) == expected


@pytest.mark.parametrize(
    ("text", "in_table", "expected"),
    [
        ("app/main.py", False, "`app/main.py`"),
        ("a`b", False, "``a`b``"),
        ("a``b`", False, "``` a``b` ```"),
        ("`x", False, "`` `x ``"),
        ("a|b", False, "`a|b`"),
        ("a|b", True, "`a\\|b`"),
        ("", False, "` `"),
        ("a\nb", False, "`a b`"),
    ],
)
def test_md_code(text: str, in_table: bool, expected: str) -> None:
    assert md_code(text, in_table=in_table) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[x](http://e)", "\\[x\\]\\(http\\:/\\/e\\)".replace("\\/", "/")),
        ("<b>*a*_b_</b>", "\\<b\\>\\*a\\*\\_b\\_\\</b\\>"),
        ("a | b", "a \\| b"),
        ("`x` ! ~ # & -", "\\`x\\` \\! \\~ \\# \\& \\-"),
        ("mail @team and a@b", "mail @\u2060team and a@\u2060b"),
        ("line\nbreak", "line break"),
    ],
)
def test_md_text(text: str, expected: str) -> None:
    assert md_text(text) == expected
