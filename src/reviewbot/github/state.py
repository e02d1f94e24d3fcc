"""What an earlier run left on the pull request, kept in hidden markers in its own bodies.

- `<!-- reviewbot:summary -->` opens the sticky summary comment, which each run updates.
- `<!-- reviewbot:review {"sha": ..., "commented": [...]} -->` ends each review: the head
  commit it reviewed and the fingerprints it commented on inline, so a re-run on the same
  commit posts nothing and a later commit never comments on the same finding twice.
- `<!-- reviewbot:state ... -->` holds the last run's findings (fingerprint, rule, path,
  line) and score, zlib-compressed and base64-encoded, so the next run can say what got
  fixed. It lives in the sticky comment, or in the review when there is no sticky comment.

Markers are read from bodies anyone could write, so decoding is bounded and every field is
type-checked; a bad marker is ignored, never an error. At worst, someone who forges one on
a pull request changes which inline comments that pull request gets.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SUMMARY_MARKER = "<!-- reviewbot:summary -->"
_REVIEW = re.compile(r"<!-- reviewbot:review (\{[^<>]*\}) -->")
_STATE = re.compile(r"<!-- reviewbot:state ([A-Za-z0-9+/=]+) -->")
# The state never takes more than this much of a body (GitHub caps bodies at 65,536).
STATE_BUDGET = 16_000
_MAX_INFLATED = 4_000_000


@dataclass(frozen=True, slots=True)
class KnownFinding:
    """A finding of an earlier run, as the state remembers it."""

    fingerprint: str
    rule: str
    path: str
    line: int | None


@dataclass(frozen=True, slots=True)
class RunState:
    """What the last run saw: its head commit, score and findings."""

    sha: str
    score: float | None
    findings: tuple[KnownFinding, ...]


@dataclass(frozen=True, slots=True)
class ReviewMarker:
    sha: str
    commented: frozenset[str]


def review_marker(sha: str, commented: Iterable[str]) -> str:
    payload = json.dumps({"sha": sha, "commented": sorted(commented)}, separators=(",", ":"))
    return f"<!-- reviewbot:review {payload} -->"


def parse_review_marker(body: str | None) -> ReviewMarker | None:
    match = _REVIEW.search(body or "")
    if match is None:
        return None
    try:
        data = json.loads(match.group(1))
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    sha, commented = data.get("sha"), data.get("commented")
    if not isinstance(sha, str) or not isinstance(commented, list):
        return None
    return ReviewMarker(sha, frozenset(c for c in commented if isinstance(c, str)))


def state_marker(state: RunState, budget: int = STATE_BUDGET) -> str:
    """The state as a hidden marker of at most `budget` characters; findings listed first
    are kept when not all of them fit (pass them most important first)."""
    findings = list(state.findings)
    while True:
        rows = [[f.fingerprint, f.rule, f.path, f.line] for f in findings]
        payload = json.dumps(
            {"v": 1, "sha": state.sha, "score": state.score, "findings": rows},
            separators=(",", ":"),
        )
        encoded = base64.b64encode(zlib.compress(payload.encode("utf-8"), 9)).decode("ascii")
        marker = f"<!-- reviewbot:state {encoded} -->"
        if len(marker) <= budget or not findings:
            return marker
        findings = findings[: len(findings) * 3 // 4]


def parse_state_marker(body: str | None) -> RunState | None:
    match = _STATE.search(body or "")
    if match is None:
        return None
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(base64.b64decode(match.group(1), validate=True), _MAX_INFLATED)
        if inflater.unconsumed_tail:
            return None  # a decompression bomb, or simply not ours
        data = json.loads(raw.decode("utf-8"))
    except (binascii.Error, zlib.error, ValueError):
        return None
    if not isinstance(data, dict) or data.get("v") != 1 or not isinstance(data.get("sha"), str):
        return None
    score = data.get("score")
    rows = data.get("findings")
    if not isinstance(rows, list):
        return None
    return RunState(
        sha=data["sha"],
        score=float(score) if isinstance(score, int | float) else None,
        findings=tuple(_known(rows)),
    )


def _known(rows: Sequence[object]) -> Iterable[KnownFinding]:
    for row in rows:
        if not isinstance(row, list) or len(row) != 4:
            continue
        fingerprint, rule, path, line = row
        if isinstance(fingerprint, str) and isinstance(rule, str) and isinstance(path, str):
            yield KnownFinding(
                fingerprint, rule, path, line if isinstance(line, int) and line > 0 else None
            )


def is_summary_comment(body: str | None) -> bool:
    """The sticky comment starts with the marker: a comment quoting it elsewhere is not it."""
    return (body or "").startswith(SUMMARY_MARKER)
