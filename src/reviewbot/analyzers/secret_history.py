"""Secrets that were committed and later deleted (C13, RB1305): still in every clone.

Bounded: the newest 200 commits at most, leaving out bulk commits (vendored trees, data
dumps) and stopping at a total number of added lines; files over 512 kB are not diffed.
Only runs on a git repository, through `reviewbot.source.git`'s hardened reader.
"""

from __future__ import annotations

import fnmatch
from collections import defaultdict
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Final

from reviewbot.analyzers.base import ScanContext
from reviewbot.analyzers.secret_patterns import (
    SecretHit,
    find_secrets,
    is_placeholder,
    is_secret_name,
    key_value,
)
from reviewbot.model import Finding
from reviewbot.source.git import AddedLine, CommitInfo, added_lines, history
from reviewbot.source.inventory import module_role
from reviewbot.source.inventory_model import ModuleRole

HISTORY_COMMITS: Final = 200
# Left out by git itself, so their diffs are never read: not own code, tests, generated files.
_EXCLUDED: Final = (
    "**/examples/**", "**/fixtures/**", "**/node_modules/**", "**/vendor/**", "**/tests/**",
    "**/test/**", "**/test_*.py", "**/*_test.py", "**/conftest.py", "**/*.lock",
    "**/package-lock.json", "**/*.min.js", "**/*.map", "**/*.svg",
)  # fmt: skip
# A commit adding more lines than this is a bulk import, not hand-written code.
_BULK_COMMIT: Final = 5_000
_MAX_LINES: Final = 50_000
_MAX_LINE_CHARS: Final = 2_000
_MAX_FINDINGS: Final = 10
# Folders whose history is not the learner's own code (as the inventory skips them now).
_NOT_OWN: Final = frozenset(
    {
        "node_modules", "site-packages", "vendor", "vendored", "third_party", "examples",
        "example", "samples", "fixtures", "testdata", "test_data", ".venv", "venv",
    }
)  # fmt: skip


def chosen_commits(commits: list[CommitInfo]) -> list[str]:
    """The shas to read, newest first, within the line budget."""
    chosen, total = [], 0
    for commit in commits:
        if commit.insertions == 0 or commit.insertions > _BULK_COMMIT:
            continue
        if total + commit.insertions > _MAX_LINES:
            break
        total += commit.insertions
        chosen.append(commit.sha)
    return chosen


def _own(path: str, exclude: tuple[str, ...]) -> bool:
    parts = PurePosixPath(path).parts
    if _NOT_OWN & set(parts[:-1]) or module_role(path) is ModuleRole.TEST:
        return False
    return not any(fnmatch.fnmatchcase(path, p) or fnmatch.fnmatchcase(path, p + "/*")
                   for p in exclude)


def _settings_value(text: str) -> SecretHit | None:
    """A real-looking value of an `UPPER_CASE` secret setting. Lowercase names (`password` in
    a deleted function) are too often test values."""
    parsed = key_value(text)
    if parsed is None:
        return None
    key, value, column = parsed
    settings_style = key.isupper() and is_secret_name(key) and " " not in value
    if settings_style and not is_placeholder(value, key=key):
        return SecretHit(f"secret in `{key}`", value, 1, column, False, key)
    return None


def _hits(lines: list[AddedLine]) -> Iterator[tuple[AddedLine, SecretHit]]:
    """The secrets of one commit's added lines in one file."""
    texts = [added.text[:_MAX_LINE_CHARS] for added in lines]
    by_line: dict[int, list[SecretHit]] = defaultdict(list)
    for hit in find_secrets("\n".join(texts)):
        if not hit.placeholder:
            by_line[hit.line].append(hit)
    for index, added in enumerate(lines):
        hits = by_line.get(index + 1) or [h for h in [_settings_value(texts[index])] if h]
        for hit in hits:
            yield added, hit


def history_findings(ctx: ScanContext, current: set[str]) -> tuple[list[Finding], int]:
    """Findings for secrets added in the history and gone from the files now; also the
    number of commits read. `current` holds every secret-like value of the files as they
    are (those are reported where they are)."""
    inventory = ctx.inventory
    if not inventory.is_git:
        return [], 0
    shas = chosen_commits(history(inventory.root, HISTORY_COMMITS))
    groups: dict[tuple[str, str], list[AddedLine]] = defaultdict(list)
    own: dict[str, bool] = {}
    for added in added_lines(inventory.root, shas, exclude=_EXCLUDED):
        if added.path not in own:
            own[added.path] = _own(added.path, ctx.settings.exclude)
        if own[added.path]:
            groups[added.sha, added.path].append(added)
    oldest: dict[str, tuple[AddedLine, SecretHit]] = {}
    still_there: dict[str, str] = {}
    for lines in groups.values():  # newest commit first
        for added, hit in _hits(lines):
            if hit.value in current:
                continue
            if added.path not in still_there:
                still_there[added.path] = inventory.read_text(added.path) or ""
            if hit.value not in still_there[added.path]:
                # Commits come newest first: the last one seen added it first.
                oldest[hit.value] = (added, hit)
    findings = [
        ctx.rulebook.finding(
            "RB1305",
            added.path,
            added.line,
            f"{_capital(hit.describe())} was committed in `{added.sha[:7]}` and later "
            "removed: it is still in the git history for anyone who clones the repository. "
            f"{_capital(hit.remedy)}: deleting the line does not un-publish it.",
        )
        for added, hit in oldest.values()
    ]
    findings.sort(key=lambda f: (f.path, f.line or 0))
    return findings[:_MAX_FINDINGS], len(shas)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
