"""Source lines of the reviewed repository for reporters that show or fingerprint code.

The `Report` does not carry file contents, so the SARIF and HTML reporters read them from the
checkout when the caller gives its root. Reading is confined to that root (no absolute paths,
no `..`, no symlink that resolves outside it), bounded in size, and never fails: an unreadable
file simply has no lines. Lines shown to a reader go through `mask_line`, so a secret written
in the code never appears in clear in an excerpt (DESIGN.md, decision 3).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from reviewbot.analyzers.secret_patterns import find_secrets
from reviewbot.model import Finding
from reviewbot.reporters.escaping import printable, shorten
from reviewbot.secrets_mask import mask_secret

# Larger files are not read: excerpts of a minified bundle help nobody.
MAX_FILE_BYTES = 2_000_000
# Lines are cut to this many characters in excerpts.
MAX_LINE_CHARS = 240

# Names that say the value next to them is a credential.
_CREDENTIAL = (
    r"(?:pass(?:word|wd)?|pwd|secret|token|api[_-]?key|private[_-]?key|credential|auth|dsn)"
)
_CREDENTIAL_NAME = re.compile(_CREDENTIAL, re.IGNORECASE)
# What comes right before a literal given to a credential: `SECRET_KEY = `, `"password": `,
# `password: str = `, `verify_password(`, `getenv("API_KEY", `; an f/b/r prefix is allowed.
_CREDENTIAL_CONTEXT = re.compile(
    _CREDENTIAL + r"\w*['\"]?[^'\"=\n]{0,30}[:=,(]\s*[rbfuRBFU]{0,2}$", re.IGNORECASE
)
_STRING_LITERAL = re.compile(r"""(?P<quote>'''|\"\"\"|'|")(?P<value>.*?)(?P=quote)""")
# `KEY=value` or `key: value` where the key names a credential (.env, YAML, Dockerfile ENV).
_UNQUOTED_ASSIGNMENT = re.compile(
    r"(?P<key>[A-Za-z_][\w.-]*)(?P<sep>\s*[:=]\s*)(?P<value>[^\s'\"#,()\[\]{}]{4,})"
    r"(?=\s*(#.*)?$)"
)
# A Python name on the right of ` = `: code reading a variable, not a literal value.
_PYTHON_NAME = re.compile(r"[A-Za-z_][\w.]*")
# An environment variable's name, as in os.environ["SECRET_KEY"]: shown, it is not a value.
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
# user:password@ in a URL (database URLs, broker URLs).
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^\s:/@'\"]*:)(?P<value>[^\s@'\"]+)@")
# Well-known key shapes: OpenAI/Stripe sk-, GitHub ghp_/gho_/github_pat_, AWS AKIA, Slack xox.
_KNOWN_KEY = re.compile(
    r"\b(sk|pk|rk)[-_][A-Za-z0-9_-]{12,}|\bgh[pousr]_[A-Za-z0-9]{20,}|\bgithub_pat_\w{20,}"
    r"|\bAKIA[0-9A-Z]{16}\b|\bxox[abprs]-[A-Za-z0-9-]{10,}"
)


_HEX = re.compile(r"[0-9a-fA-F]+")


def _looks_like_key(value: str) -> bool:
    """A long run without spaces mixing upper case, lower case and digits, or a long hex
    string: an API key or a token, not prose, a path or an identifier."""
    if any(char.isspace() for char in value):
        return False
    if len(value) >= 32 and _HEX.fullmatch(value):
        return True
    return (
        len(value) >= 16
        and any(char.isdigit() for char in value)
        and any(char.isupper() for char in value)
        and any(char.islower() for char in value)
    )


def _is_masked(value: str) -> bool:
    return "…" in value or "••••" in value


def mask_line(line: str) -> str:
    """`line` with every value that may be a secret replaced by its masked form.

    Masked: string literals on a line that names a credential (`SECRET_KEY = "..."`,
    `password="..."`), unquoted values assigned to such names (`API_TOKEN=...`), passwords in
    URLs, well-known key shapes, and long literals mixing letters and digits. This errs on the
    side of masking: an excerpt is for reading the code's shape, not copying its values.
    """
    # Everything the secrets analyzer recognises first, then the broader shapes below.
    for hit in sorted(find_secrets(line), key=lambda h: -h.column):
        if hit.value and line[hit.column : hit.column + len(hit.value)] == hit.value:
            end = hit.column + len(hit.value)
            line = line[: hit.column] + mask_secret(hit.value) + line[end:]
    line = _URL_PASSWORD.sub(
        lambda m: m[0] if _is_masked(m["value"]) else m["head"] + mask_secret(m["value"]) + "@",
        line,
    )
    line = _KNOWN_KEY.sub(lambda m: mask_secret(m[0]), line)

    def literal(match: re.Match[str]) -> str:
        value = match["value"]
        before = line[: match.start()]
        names_credential = bool(_CREDENTIAL_CONTEXT.search(before))
        if names_credential and before.rstrip().endswith(("(", "[")) and _ENV_NAME.fullmatch(
            value
        ):
            names_credential = False
        if value and (names_credential or _looks_like_key(value)):
            value = mask_secret(value)
        return f"{match['quote']}{value}{match['quote']}"

    line = _STRING_LITERAL.sub(literal, line)

    def unquoted(match: re.Match[str]) -> str:
        value, sep = match["value"], match["sep"]
        if not _CREDENTIAL_NAME.search(match["key"]) or _is_masked(value):
            return match[0]
        if sep.strip() == "=" and " " in sep and _PYTHON_NAME.fullmatch(value):
            return match[0]
        return match["key"] + sep + mask_secret(value)

    return _UNQUOTED_ASSIGNMENT.sub(unquoted, line)


def normalised(line: str) -> str:
    """The line with every run of whitespace folded to one space: indentation changes and
    reformatting inside the line do not make it a different line."""
    return " ".join(line.split())


class SourceFiles:
    """Lines of the files under `root`, read once each. `root=None` reads nothing."""

    def __init__(self, root: Path | None) -> None:
        self._root = root.resolve() if root is not None else None
        self._cache: dict[str, tuple[str, ...] | None] = {}

    @property
    def available(self) -> bool:
        return self._root is not None

    def lines(self, path: str) -> tuple[str, ...] | None:
        """The lines of the repository file `path` (relative, forward slashes), or None when
        there is no root or the file is missing, outside the root, too large or not a file."""
        if path not in self._cache:
            self._cache[path] = self._read(path)
        return self._cache[path]

    def line(self, path: str, number: int | None) -> str | None:
        """Line `number` (1-based) of `path`, or None when it can't be read."""
        lines = self.lines(path)
        if lines is None or number is None or not 1 <= number <= len(lines):
            return None
        return lines[number - 1]

    def _inside(self, path: str) -> Path | None:
        """The real file `path` names, when it is a regular file inside the root."""
        relative = PurePosixPath(path)
        if self._root is None or relative.is_absolute() or ".." in relative.parts:
            return None
        if path in ("", "."):
            return None
        try:
            # resolve() follows every symlink on the way: the file must still be inside.
            real = self._root.joinpath(*relative.parts).resolve(strict=True)
        except (OSError, RuntimeError):
            return None
        return real if real.is_relative_to(self._root) and real.is_file() else None

    def _read(self, path: str) -> tuple[str, ...] | None:
        real = self._inside(path)
        try:
            if real is None or real.stat().st_size > MAX_FILE_BYTES:
                return None
            data = real.read_bytes()
        except OSError:
            return None
        if b"\0" in data[:8192]:
            return None
        return tuple(data.decode("utf-8", errors="replace").splitlines())


@dataclass(frozen=True, slots=True)
class ExcerptLine:
    number: int
    text: str
    highlighted: bool


@dataclass(frozen=True, slots=True)
class Excerpt:
    """A few lines around a finding, masked and made printable, ready to be escaped."""

    path: str
    lines: tuple[ExcerptLine, ...]


def excerpt(files: SourceFiles, finding: Finding, context: int = 2) -> Excerpt | None:
    """The finding's lines with `context` lines either side, or None without a line or file.

    Findings spanning many lines (a long function) show their first lines only.
    """
    lines = files.lines(finding.path)
    if lines is None or finding.line is None or not 1 <= finding.line <= len(lines):
        return None
    last = finding.end_line if finding.end_line and finding.end_line >= finding.line else None
    highlight_end = min(last or finding.line, finding.line + 2)
    start = max(1, finding.line - context)
    end = min(len(lines), highlight_end + context)
    shown = tuple(
        ExcerptLine(
            number,
            shorten(printable(mask_line(lines[number - 1])), MAX_LINE_CHARS),
            finding.line <= number <= highlight_end,
        )
        for number in range(start, end + 1)
    )
    return Excerpt(finding.path, shown)
