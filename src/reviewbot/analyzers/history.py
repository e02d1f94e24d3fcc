"""Git history (C06) and project structure (C05).

The history comes from `reviewbot.source.git.history`, which reads commit metadata with
read-only plumbing that a hostile repository cannot hook. A shallow clone (CI checkouts,
`--depth 1`) shows only part of the history: then the rules about depth, span and the
size of the oldest commit say nothing, and only message quality is judged.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime

from reviewbot.analyzers.base import ScanContext
from reviewbot.analyzers.project_layout import layout_findings
from reviewbot.model import AnalyzerOutput, Finding
from reviewbot.rulebook import Rulebook
from reviewbot.source.git import CommitInfo, git_dir, history

HISTORY_LIMIT = 500
# Python lines from which one commit or one day of work is no longer plausible.
SINGLE_COMMIT_LINES = 150
ONE_DAY_LINES = 500
GIANT_SHARE = 0.85
GIANT_MIN_LINES = 500
VAGUE_SHARE = 0.4
VAGUE_MIN = 3
_DAY = 86_400
_MERGE = re.compile(r"^Merge (branch|pull request|remote-tracking|tag|commit|\S+ into)\b")
_VAGUE_WORDS = {
    "update", "updates", "updated", "fix", "fixes", "fixed", "fix bug", "bug fix", "bugfix",
    "wip", "commit", "changes", "change", "changed", "minor", "minor changes", "minor fix",
    "stuff", "test", "testing", "tests", "edit", "edits", "misc", "tmp", "temp", "save", "done",
    "final", "more", "small fix", "small changes", "asdf", "qwerty", "work", "progress",
    "add files via upload", "update code", "new", "code", "first", "push", "cleanup", "refactor",
}
_VAGUE_FILE_EDIT = re.compile(r"^(update|delete)\s+[\w./-]+\.\w+$", re.IGNORECASE)


def is_vague(subject: str) -> bool:
    """A subject that says nothing about the change: "update", "fix", "wip", ".", "asdf"."""
    text = subject.strip().lower().rstrip(".!")
    if len(text) <= 2 or not re.search(r"[a-z]", text):
        return True
    words = re.sub(r"\s+", " ", re.sub(r"[^a-z0-9 ./-]", " ", text)).strip()
    if words in _VAGUE_WORDS or re.fullmatch(r"(update|fix|wip|changes|commit)\s*\d+", words):
        return True
    return bool(_VAGUE_FILE_EDIT.match(subject.strip()))


def _day(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%d %b %Y").lstrip("0")


def _quote(subject: str) -> str:
    short = subject if len(subject) <= 50 else subject[:47] + "..."
    return '"' + short.replace('"', "'") + '"'


def is_shallow(ctx: ScanContext) -> bool:
    directory = git_dir(ctx.inventory.root)
    return directory is not None and (directory / "shallow").exists()


def _depth_findings(book: Rulebook, own: list[CommitInfo], loc: int) -> list[Finding]:
    if len(own) == 1 and loc >= SINGLE_COMMIT_LINES:
        commit = own[0]
        return [book.finding(
            "RB0610", ".", None,
            f"The whole history is one commit ({_quote(commit.subject)}, {commit.files_changed} "
            f"files, {commit.insertions:,} lines): commit in small steps whose messages say what "
            "changed, so a reviewer can follow how the project grew.",
        )]
    findings = []
    first, last = min(c.timestamp for c in own), max(c.timestamp for c in own)
    if len(own) >= 2 and last - first < _DAY and loc >= ONE_DAY_LINES:
        findings.append(book.finding(
            "RB0611", ".", None,
            f"All {len(own)} commits were made within one day ({_day(first)}): a history built "
            "over the life of the project shows how you work; commit as you go.",
        ))
    total = sum(c.insertions for c in own)
    biggest = max(own, key=lambda c: c.insertions)
    if len(own) >= 3 and total >= GIANT_MIN_LINES and biggest.insertions / total >= GIANT_SHARE:
        findings.append(book.finding(
            "RB0612", ".", None,
            f"Commit {biggest.sha[:7]} ({_quote(biggest.subject)}, {_day(biggest.timestamp)}) "
            f"added {biggest.insertions:,} of the {total:,} lines in the history "
            f"({biggest.insertions / total:.0%}): commit each feature or fix on its own.",
        ))
    return findings


def _message_findings(book: Rulebook, own: list[CommitInfo]) -> tuple[list[Finding], float]:
    vague = [c for c in reversed(own) if is_vague(c.subject)]
    share = len(vague) / len(own) if own else 0.0
    if len(vague) < VAGUE_MIN or share < VAGUE_SHARE:
        return [], share
    # The most frequent first, then in the order they were made.
    counts = Counter(_quote(c.subject.strip()) for c in vague)
    examples = sorted(counts, key=lambda quoted: -counts[quoted])
    message = (
        f"{len(vague)} of {len(own)} commit messages say nothing about the change "
        f"({', '.join(examples[:3])}): write what changed and why, e.g. "
        '"Add pagination to GET /posts".'
    )
    return [book.finding("RB0613", ".", None, message)], share


class HistoryAnalyzer:
    name = "history"
    criteria = ("C05", "C06")
    # Reads the git history: the result cache keys it on the commit too.
    reads_history = True

    def run(self, ctx: ScanContext) -> AnalyzerOutput:
        inv, book = ctx.inventory, ctx.rulebook
        findings, facts = layout_findings(book, inv)
        facts["is_git"] = inv.is_git
        if not inv.is_git:
            return AnalyzerOutput(tuple(findings), facts)
        commits = history(inv.root, limit=HISTORY_LIMIT)
        own = [c for c in commits if not _MERGE.match(c.subject)]
        shallow = is_shallow(ctx)
        facts |= {
            "commits": len(commits),
            "shallow": shallow,
            "truncated": len(commits) >= HISTORY_LIMIT,
        }
        if not own:
            return AnalyzerOutput(tuple(findings), facts)
        if not shallow:
            findings += _depth_findings(book, own, inv.python_loc)
        messages, vague_share = _message_findings(book, own)
        findings += messages
        first, last = min(c.timestamp for c in own), max(c.timestamp for c in own)
        facts |= {
            "span_days": round((last - first) / _DAY, 1),
            "active_days": len({_day(c.timestamp) for c in own}),
            "authors": len({c.author for c in own}),
            "vague_share": round(vague_share, 2),
        }
        return AnalyzerOutput(tuple(findings), facts)


ANALYZER = HistoryAnalyzer()
