"""The badge: a shields-style flat SVG ("reviewbot | B+ 84") and shields.io endpoint JSON.

The colour follows the letter's band (A bright green down to F red); a report without a grade
(not a Python backend) gets a grey "n/a". Text widths are computed from approximate Verdana
11px glyph widths, as shields does, so the badge is as wide as its text and no wider.
"""

from __future__ import annotations

import hashlib
import json
import math
from html import escape

from reviewbot.model import Report
from reviewbot.reporters.escaping import one_line, shorten
from reviewbot.rulebook import default_rulebook

LABEL = "reviewbot"
LABEL_COLOR = "#555"
MAX_MESSAGE = 24

# shields.io colour names and the hex values shields draws them with.
COLORS: dict[str, str] = {
    "brightgreen": "#4c1",
    "green": "#97ca00",
    "yellow": "#dfb317",
    "orange": "#fe7d37",
    "red": "#e05d44",
    "lightgrey": "#9f9f9f",
}
BAND_COLOR: dict[str, str] = {
    "A": "brightgreen",
    "B": "green",
    "C": "yellow",
    "D": "orange",
    "E": "red",
    "F": "red",
}

# Approximate advance widths of Verdana at 11px; any other character counts as DEFAULT_WIDTH.
_WIDTHS: dict[str, float] = {
    **dict.fromkeys("il.,:;|!'", 3.1),
    **dict.fromkeys("I", 4.3),
    **dict.fromkeys("frt-()[]/ ", 4.6),
    **dict.fromkeys("J", 5.0),
    **dict.fromkeys("acesvxyzkL", 6.3),
    **dict.fromkeys("bdghnopqu", 7.0),
    **dict.fromkeys("0123456789", 7.0),
    **dict.fromkeys("EFTZPSKXYBR", 7.4),
    **dict.fromkeys("ACDGHNOQUV", 8.1),
    **dict.fromkeys("+=<>#", 9.2),
    **dict.fromkeys("mwMW", 10.4),
}
DEFAULT_WIDTH = 7.0
PADDING = 5


def text_width(text: str) -> int:
    """The width in pixels `text` takes in Verdana 11px, rounded up."""
    return math.ceil(sum(_WIDTHS.get(char, DEFAULT_WIDTH) for char in text))


def _letter(report: Report) -> str | None:
    if report.grade.letter:
        return report.grade.letter
    score = report.grade.score
    if score is None:
        return None
    bands = sorted(default_rulebook().bands.items(), key=lambda band: -band[1])
    return next((letter for letter, floor in bands if score >= floor), "F")


def message(report: Report) -> str:
    """"B+ 84": the letter and the score rounded to a whole number, or "n/a" without one."""
    score = report.grade.score
    if score is None:
        return "n/a"
    letter = report.grade.letter
    text = f"{one_line(letter)} {score:.0f}" if letter else f"{score:.0f}"
    return shorten(text, MAX_MESSAGE)


def color(report: Report) -> str:
    """The shields.io colour name of the report's band; "lightgrey" without a grade."""
    if report.grade.score is None:
        return "lightgrey"
    letter = _letter(report) or ""
    return BAND_COLOR.get(letter[:1].upper(), "lightgrey")


def shields_endpoint(report: Report) -> str:
    """shields.io endpoint JSON (https://shields.io/badges/endpoint-badge), newline-ended."""
    data = {"schemaVersion": 1, "label": LABEL, "message": message(report),
            "color": color(report)}
    return json.dumps(data, ensure_ascii=False) + "\n"


def svg(label: str, text: str, fill: str) -> str:
    """A flat badge with `label` on grey and `text` on `fill` (a hex colour)."""
    label_width = text_width(label) + 2 * PADDING
    text_width_ = text_width(text) + 2 * PADDING
    total = label_width + text_width_
    label_x = label_width / 2
    text_x = label_width + text_width_ / 2
    title = escape(f"{label}: {text}")
    # Ids unique to the badge's content: two different badges inlined in one page must not
    # clip each other with the first one's clipPath.
    key = hashlib.sha256(f"{label}\0{text}\0{fill}".encode()).hexdigest()[:8]
    label, text = escape(label), escape(text)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" '
        f'aria-label="{title}">'
        f"<title>{title}</title>"
        f'<linearGradient id="s-{key}" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" '
        'stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r-{key}"><rect width="{total}" height="20" rx="3" fill="#fff"/>'
        f'</clipPath><g clip-path="url(#r-{key})">'
        f'<rect width="{label_width}" height="20" fill="{LABEL_COLOR}"/>'
        f'<rect x="{label_width}" width="{text_width_}" height="20" fill="{fill}"/>'
        f'<rect width="{total}" height="20" fill="url(#s-{key})"/></g>'
        '<g fill="#fff" text-anchor="middle" '
        'font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{label_x}" y="15" fill="#010101" fill-opacity=".3">{label}</text>'
        f'<text x="{label_x}" y="14">{label}</text>'
        f'<text x="{text_x}" y="15" fill="#010101" fill-opacity=".3">{text}</text>'
        f'<text x="{text_x}" y="14">{text}</text></g></svg>\n'
    )


def render(report: Report) -> str:
    """The SVG badge of the report."""
    return svg(LABEL, message(report), COLORS[color(report)])
