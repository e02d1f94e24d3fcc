"""Making text that comes from the scanned repository safe to print.

Paths, messages and tool output are chosen by whoever wrote the repository. Printed raw they
could move the cursor or recolour a terminal (ANSI escapes), reorder what a reader sees (bidi
overrides, "Trojan source"), or inject links, images, HTML and @-mentions into a GitHub comment.
Every reporter passes repo text through one of these functions before it reaches its output.
"""

from __future__ import annotations

import re
import unicodedata

# Bidirectional embedding, override and isolate controls: invisible, but they reorder text.
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)

# Every ASCII punctuation character CommonMark lets a backslash escape and that can start or end
# markdown syntax (emphasis, links, images, code, headings, lists, tables, HTML, entities).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~&:])")

# GitHub turns `@name` into a mention that notifies that user or team, and `@app.get` in a
# message about a decorator would ping a stranger. A word joiner after the `@` breaks the
# pattern while staying invisible.
_MENTION = re.compile(r"@(?=[A-Za-z0-9])")
_WORD_JOINER = "\u2060"

_BACKTICK_RUN = re.compile(r"`+")


def _escape_char(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """Replace control and bidi characters by visible escapes such as `\\x1b` or `\\u202e`.

    Newlines (and CRLF pairs, as one newline) are kept only when `keep_newlines` is true
    (multi-line messages); a lone carriage return, which can overwrite a printed line, is
    escaped. Tabs become a space so columns stay aligned.
    """
    if keep_newlines:
        text = text.replace("\r\n", "\n")
    out: list[str] = []
    for char in text:
        if char == "\n" and keep_newlines:
            out.append(char)
        elif char == "\t":
            out.append(" ")
        elif char in _BIDI_CONTROLS or unicodedata.category(char) == "Cc":
            out.append(_escape_char(char))
        else:
            out.append(char)
    return "".join(out)


def one_line(text: str) -> str:
    """`printable` text with every run of whitespace (newlines included) folded to one space."""
    return " ".join(printable(text, keep_newlines=True).split())


def shorten(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters, marking the cut with an ellipsis."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def md_text(text: str) -> str:
    """Repo text as inert GitHub-flavoured markdown prose on one line.

    Markdown punctuation is backslash-escaped (which also keeps `|` from splitting a table
    cell), and `@mentions` are broken so a comment never notifies anyone.
    """
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", one_line(text))
    return _MENTION.sub("@" + _WORD_JOINER, escaped)


def md_code(text: str, *, in_table: bool = False) -> str:
    """Repo text as an inline code span whose fence no backtick in the text can close.

    Inside a code span nothing is interpreted (no HTML, links, mentions). The fence is one
    backtick longer than the longest run in the text; a space pads text that starts or ends
    with a backtick or space, which CommonMark strips again. In a table cell `|` must still be
    escaped: GFM splits cells before it parses code spans.
    """
    body = one_line(text)
    if not body:
        return "` `"
    longest = max((len(run) for run in _BACKTICK_RUN.findall(body)), default=0)
    fence = "`" * (longest + 1)
    if body[0] in "` " or body[-1] in "` ":
        body = f" {body} "
    if in_table:
        body = body.replace("|", "\\|")
    return f"{fence}{body}{fence}"
