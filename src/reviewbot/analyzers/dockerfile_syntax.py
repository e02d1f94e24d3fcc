"""A small Dockerfile reader: instructions with their exact lines, grouped into stages.

It follows the Dockerfile reference closely enough for review: parser directives
(`# escape=`), comments (also inside continued lines), line continuations, heredocs
(`RUN <<EOF ... EOF`, whose bodies belong to their instruction) and JSON (exec) form.
Nothing is evaluated: `ARG` values are only substituted into `FROM` lines, where they
name the base image.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field

_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z]+)\s*=\s*(.*?)\s*$")
_HEREDOC = re.compile(r"<<(-?)\s*([\"']?)([A-Za-z_][A-Za-z0-9_.-]*)\2")
_HEREDOC_KEYWORDS = ("RUN", "COPY", "ADD")
_FLAG = re.compile(r"^--([a-z-]+)(?:=(\S*))?$")
_VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)(?::?[-+][^}]*)?\}?")


@dataclass(frozen=True, slots=True)
class Instruction:
    """One instruction. `args` is its text after the keyword and flags, continuations joined
    by spaces; `body` holds the text of its heredocs."""

    keyword: str
    args: str
    line: int
    end_line: int
    flags: dict[str, str] = field(default_factory=dict)
    body: str = ""

    @property
    def exec_form(self) -> list[str] | None:
        """The JSON-array arguments of `CMD ["a", "b"]` and the like; None in shell form."""
        text = self.args.strip()
        if not text.startswith("["):
            return None
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return None
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return value
        return None

    @property
    def script(self) -> str:
        """Everything a RUN executes: its command line and its heredoc bodies."""
        form = self.exec_form
        command = " ".join(form) if form is not None else self.args
        return f"{command}\n{self.body}" if self.body else command


@dataclass(frozen=True, slots=True)
class Stage:
    """Instructions from one FROM to the next. `image` is the base as written, with build
    arguments that have defaults substituted; `parent` is an earlier stage it builds on."""

    index: int
    image: str
    alias: str | None
    line: int
    instructions: tuple[Instruction, ...]
    parent: int | None = None

    def of(self, *keywords: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword in keywords]


@dataclass(frozen=True, slots=True)
class Dockerfile:
    path: str
    stages: tuple[Stage, ...]
    # ARG instructions before the first FROM.
    preamble: tuple[Instruction, ...] = ()

    @property
    def final(self) -> Stage | None:
        return self.stages[-1] if self.stages else None

    def shipped(self) -> list[Stage]:
        """The final stage and the stages it is built `FROM`: what ends up in the image."""
        chain: list[Stage] = []
        current = self.final
        while current is not None and current not in chain:
            chain.append(current)
            current = self.stages[current.parent] if current.parent is not None else None
        return chain


def assignments(instruction: Instruction) -> list[tuple[str, str]]:
    """The (name, value) pairs of an ENV, ARG or LABEL: `A=1 B="two words"`, `ENV A 1`, and
    `ARG NAME` without a default (value "")."""
    text = instruction.args.strip()
    try:
        words = shlex.split(text, posix=True)
    except ValueError:
        words = text.split()
    if not words:
        return []
    if "=" not in words[0]:
        if instruction.keyword == "ENV" and len(words) > 1:
            return [(words[0], text[len(words[0]) :].strip().strip("\"'"))]
        return [(words[0], "")]
    pairs = []
    for word in words:
        name, _, value = word.partition("=")
        pairs.append((name, value))
    return pairs


def _split_flags(text: str) -> tuple[dict[str, str], str]:
    flags: dict[str, str] = {}
    rest = text.lstrip()
    while rest.startswith("--"):
        word, _, tail = rest.partition(" ")
        match = _FLAG.match(word)
        if match is None:
            break
        flags[match.group(1)] = match.group(2) or ""
        rest = tail.lstrip()
    return flags, rest


def _escape_character(lines: list[str]) -> str:
    escape = "\\"
    for raw in lines:
        directive = _DIRECTIVE.match(raw)
        if directive is None:
            break
        if directive.group(1).lower() == "escape" and directive.group(2) in ("`", "\\"):
            escape = directive.group(2)
    return escape


def _is_blank_or_comment(line: str) -> bool:
    return not line.strip() or line.lstrip().startswith("#")


def _continued(lines: list[str], index: int, escape: str) -> tuple[str, int]:
    """The logical line starting at `index` and the index of its last physical line."""
    parts = []
    while True:
        piece = lines[index].rstrip()
        if not piece.endswith(escape) or index + 1 >= len(lines):
            parts.append(piece)
            break
        parts.append(piece[: -len(escape)])
        index += 1
        # Comment and empty lines inside a continued instruction are dropped.
        while index < len(lines) - 1 and _is_blank_or_comment(lines[index]):
            index += 1
    return " ".join(part.strip() for part in parts), index


def _heredoc_bodies(lines: list[str], index: int, args: str) -> tuple[list[str], int]:
    """The lines of the heredocs opened in `args`, read after line `index`."""
    body: list[str] = []
    for strip_tabs, _quote, delimiter in _HEREDOC.findall(args):
        while index + 1 < len(lines):
            index += 1
            candidate = lines[index].lstrip("\t") if strip_tabs else lines[index]
            if candidate.rstrip() == delimiter:
                break
            body.append(candidate)
    return body, index


def _logical_lines(text: str) -> list[tuple[int, int, str, str]]:
    """(first line, last line, keyword, arguments and heredoc body) per instruction."""
    lines = text.splitlines()
    escape = _escape_character(lines)
    found: list[tuple[int, int, str, str]] = []
    index = 0
    while index < len(lines):
        if _is_blank_or_comment(lines[index]):
            index += 1
            continue
        start = index
        logical, index = _continued(lines, index, escape)
        keyword, _, args = logical.partition(" ")
        keyword = keyword.upper()
        body: list[str] = []
        if keyword in _HEREDOC_KEYWORDS:
            body, index = _heredoc_bodies(lines, index, args)
        found.append((start + 1, index + 1, keyword, args + "\0" + "\n".join(body)))
        index += 1
    return found


def _substitute(value: str, args: dict[str, str]) -> str:
    return _VARIABLE.sub(lambda m: args.get(m.group(1)) or m.group(0), value)


def parse(path: str, text: str) -> Dockerfile:
    """The stages of a Dockerfile; instructions before the first FROM other than ARG are
    ignored, as Docker rejects them."""
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    preamble: list[Instruction] = []
    current: list[Instruction] = []
    header: tuple[str, str | None, int, int | None] | None = None

    def close() -> None:
        if header is not None:
            image, alias, line, parent = header
            stages.append(Stage(len(stages), image, alias, line, tuple(current), parent))

    for first, last, keyword, packed in _logical_lines(text):
        raw_args, _, body = packed.partition("\0")
        flags, args = _split_flags(raw_args)
        instruction = Instruction(keyword, args.strip(), first, last, flags, body)
        if keyword == "FROM":
            close()
            current = []
            words = args.split()
            image = _substitute(words[0], global_args) if words else ""
            alias = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            aliases = {s.alias.lower(): s.index for s in stages if s.alias}
            parent = aliases.get(image.lower())
            if parent is None and image.isdigit() and int(image) < len(stages):
                parent = int(image)
            header = (image, alias, first, parent)
        elif header is None:
            if keyword == "ARG":
                preamble.append(instruction)
                global_args.update(assignments(instruction))
        else:
            current.append(instruction)
    close()
    return Dockerfile(path, tuple(stages), tuple(preamble))
