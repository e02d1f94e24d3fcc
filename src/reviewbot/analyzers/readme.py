"""A README read as a reviewer reads it: headings, prose, shell commands, code spans, links.

Markdown and reStructuredText are both handled well enough for review: ATX and underlined
headings, fenced code blocks with their language, `::` literal blocks, inline code spans and
relative links, each with its 1-based line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*([\w+.-]*)")
_ATX = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_UNDERLINE = re.compile(r"^\s*([=\-~^\"'`#*+])\1{2,}\s*$")
_SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_RST_CODE = re.compile(r"^\s*\.\. (code-block|code|sourcecode)::\s*(\w*)")
_PROMPT = re.compile(r"^(\([\w.-]+\)\s*)?(\$|>|%|PS [^>]*>)\s+")
_SHELL_LANGUAGES = {
    "", "bash", "sh", "shell", "console", "zsh", "shell-session", "terminal", "cmd",
    "powershell", "ps1", "fish", "sh-session", "bat",
}


@dataclass(frozen=True, slots=True)
class Heading:
    line: int
    text: str


@dataclass(frozen=True, slots=True)
class Command:
    """A line of a shell code block (prompt removed), or an inline span that is a command."""

    line: int
    text: str
    block: int  # commands of one code block share a number, for `cd` and `git clone`


@dataclass
class Readme:
    path: str
    lines: list[str]
    headings: list[Heading] = field(default_factory=list)
    prose: list[tuple[int, str]] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)
    spans: list[tuple[int, str]] = field(default_factory=list)
    links: list[tuple[int, str]] = field(default_factory=list)
    code: list[tuple[int, str]] = field(default_factory=list)

    @property
    def words(self) -> int:
        """Words of prose and headings: what a reader reads, without code."""
        return sum(len(text.split()) for _, text in self.prose) + sum(
            len(h.text.split()) for h in self.headings
        )

    def text(self) -> str:
        return "\n".join(self.lines)


def _code_line(readme: Readme, number: int, text: str, language: str, block: int) -> None:
    readme.code.append((number, text))
    if language.lower() not in _SHELL_LANGUAGES:
        return
    stripped = _PROMPT.sub("", text.strip())
    if stripped and not stripped.startswith("#"):
        readme.commands.append(Command(number, stripped, block))


def _prose_line(readme: Readme, number: int, text: str) -> None:
    readme.prose.append((number, text))
    readme.spans += [(number, span.strip()) for span in _SPAN.findall(text)]
    readme.links += [(number, target) for target in _LINK.findall(text)]


def parse_readme(path: str, text: str) -> Readme:
    """The parts of a README, each with its line."""
    lines = text.splitlines()
    readme = Readme(path, lines)
    fence: str | None = None
    language = ""
    block = 0
    literal_indent: int | None = None  # inside an rst literal block
    for index, raw in enumerate(lines):
        number = index + 1
        if fence is not None:
            if raw.strip().startswith(fence):
                fence = None
            else:
                _code_line(readme, number, raw, language, block)
            continue
        opening = _FENCE.match(raw)
        if opening:
            fence, language, block = opening.group(1), opening.group(2), block + 1
            continue
        if literal_indent is not None:
            indent = len(raw) - len(raw.lstrip())
            if not raw.strip() or indent > literal_indent:
                if raw.strip():
                    _code_line(readme, number, raw, language, block)
                continue
            literal_indent = None
        rst_code = _RST_CODE.match(raw)
        if rst_code or (path.lower().endswith(".rst") and raw.rstrip().endswith("::")):
            literal_indent = len(raw) - len(raw.lstrip())
            language, block = (rst_code.group(2) if rst_code else ""), block + 1
            if not rst_code:
                _prose_line(readme, number, raw.rstrip(":"))
            continue
        _structure_line(readme, lines, index)
    return readme


def _structure_line(readme: Readme, lines: list[str], index: int) -> None:
    raw = lines[index]
    number = index + 1
    atx = _ATX.match(raw)
    following = lines[index + 1] if index + 1 < len(lines) else ""
    if atx:
        readme.headings.append(Heading(number, atx.group(1)))
        readme.spans += [(number, span.strip()) for span in _SPAN.findall(atx.group(1))]
    elif raw.strip() and _UNDERLINE.match(following) and not _UNDERLINE.match(raw):
        readme.headings.append(Heading(number, raw.strip()))
    elif _UNDERLINE.match(raw) or not raw.strip():
        return
    else:
        _prose_line(readme, number, raw)
