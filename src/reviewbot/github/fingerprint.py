"""Stable identities for findings across commits.

A finding's line number moves whenever code above it changes, so it cannot tell two runs'
findings apart. Its fingerprint is the rule, the path and the finding's line of code with
whitespace normalised; the n-th identical occurrence in a file gets `n` added, so two equal
lines are still two findings. A finding that names no line (a committed `.env`) is its rule
and path. Comparing the fingerprints of two runs says which findings were already commented
on and which were fixed.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from reviewbot.model import Finding

# 64 bits: collisions stay out of reach for any number of findings one repository has.
FINGERPRINT_CHARS = 16
MAX_SOURCE_BYTES = 2_000_000


def normalise_code(line: str) -> str:
    """The code of a line with every run of whitespace folded to one space, ends trimmed."""
    return " ".join(line.split())


def fingerprint(rule: str, path: str, code: str, occurrence: int = 0) -> str:
    """The fingerprint of a finding of `rule` at `path` on a line holding `code`."""
    key = "\0".join((rule, path, normalise_code(code)))
    if occurrence:
        key += f"\0{occurrence}"
    return hashlib.sha256(key.encode("utf-8", errors="surrogatepass")).hexdigest()[
        :FINGERPRINT_CHARS
    ]


class SourceLines:
    """Lines of the scanned files, read once per file, never through a symlink or outside
    the root, and never from anything but a regular file (a FIFO would block)."""

    def __init__(self, root: Path) -> None:
        self._root = root.resolve()
        self._cache: dict[str, list[str]] = {}

    def line(self, path: str, number: int | None) -> str:
        """The text of line `number` of `path` (relative to the root); "" when unknown."""
        if not number or number < 1:
            return ""
        if path not in self._cache:
            self._cache[path] = self._read(path)
        lines = self._cache[path]
        return lines[number - 1] if number <= len(lines) else ""

    def _read(self, path: str) -> list[str]:
        target = self._root / path
        try:
            if target.is_symlink() or not target.resolve().is_relative_to(self._root):
                return []
            flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
            fd = os.open(target, flags)
        except (OSError, ValueError):
            return []
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return []
            data = handle.read(MAX_SOURCE_BYTES + 1)
        if len(data) > MAX_SOURCE_BYTES:
            return []
        return data.decode("utf-8", errors="replace").splitlines()


def fingerprint_findings(
    findings: Iterable[Finding], lines: SourceLines, prefix: str = ""
) -> dict[Finding, str]:
    """The fingerprint of each finding. `prefix` is the scanned folder's path in the
    repository ("" for its root), so fingerprints name repository paths."""
    ordered = sorted(findings, key=lambda f: (f.path, f.line or 0, f.column or 0, f.rule))
    seen: defaultdict[tuple[str, str, str], int] = defaultdict(int)
    result: dict[Finding, str] = {}
    for finding in ordered:
        code = normalise_code(lines.line(finding.path, finding.line))
        path = f"{prefix}/{finding.path}" if prefix else finding.path
        key = (finding.rule, path, code)
        result[finding] = fingerprint(finding.rule, path, code, seen[key])
        seen[key] += 1
    return result
