"""What the dashboard shows, read from the `reviews`, `repos` and `jobs` tables.

Every function takes an open Session and returns plain frozen values (no ORM objects leave
this module), so the pages render from data that cannot lazy-load or change under them.
The stored report JSON is not read here except for one review page (it can be large).

A repository is *known* when it is registered and not forgotten, or when it has reviews and
was never forgotten (the App may have been installed before the service kept a registry).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reviewbot.rulebook import Rulebook
from reviewbot.service.store import Job, JobState, Repository, Review

HISTORY_LIMIT = 50  # reviews in a repository's chart and history table
DEAD_LIMIT = 50  # dead jobs listed under "needs attention"
ERROR_LIMIT = 300  # characters of a dead job's last error shown


@dataclass(frozen=True, slots=True)
class Trend:
    """The latest score against the previous review's: ↑ / ↓ / = with the delta."""

    arrow: str  # "↑", "↓", "=", or "" when there is no pair of scores to compare
    delta: float | None

    @property
    def text(self) -> str:
        """"↑ +3.2", "↓ -1.5", "= 0.0", or "new" without a previous score."""
        if self.delta is None:
            return "new"
        return f"{self.arrow} {self.delta:+.1f}" if self.delta else "= 0.0"


@dataclass(frozen=True, slots=True)
class WeakSpot:
    """The lowest-scored criterion of a review."""

    id: str
    title: str
    score: float


@dataclass(frozen=True, slots=True)
class CohortRow:
    """One learner repository in the cohort table."""

    repo: str
    learner: str
    review_id: int | None
    score: float | None
    letter: str | None
    trend: Trend
    weakest: WeakSpot | None
    last_activity: float | None


@dataclass(frozen=True, slots=True)
class DeadJob:
    """A job that used up its attempts: shown to the operator with its last error."""

    id: int
    repo: str
    attempts: int
    last_error: str
    finished_at: float | None


@dataclass(frozen=True, slots=True)
class ReviewSummary:
    """A stored review without its report JSON."""

    id: int
    repo: str
    learner: str
    sha: str
    ref: str
    pr_number: int | None
    score: float | None
    letter: str | None
    level: str
    criteria: Mapping[str, float | None]
    finding_counts: Mapping[str, int]
    duration: float
    created_at: float


def _summary(row: Any) -> ReviewSummary:
    return ReviewSummary(
        id=row.id, repo=row.repo, learner=row.learner, sha=row.sha, ref=row.ref,
        pr_number=row.pr_number, score=row.score, letter=row.letter, level=row.level,
        criteria=dict(row.criteria or {}), finding_counts=dict(row.finding_counts or {}),
        duration=row.duration, created_at=row.created_at,
    )


_SUMMARY_COLUMNS = (Review.id, Review.repo, Review.learner, Review.sha, Review.ref,
                    Review.pr_number, Review.score, Review.letter, Review.level, Review.criteria,
                    Review.finding_counts, Review.duration, Review.created_at)


def known_repos(session: Session) -> dict[str, float | None]:
    """Every known repository, with the time it was registered (None: reviewed only)."""
    registered = session.execute(select(Repository.full_name, Repository.added_at,
                                        Repository.removed_at)).all()
    forgotten = {name for name, _, removed in registered if removed is not None}
    known: dict[str, float | None] = {name: added for name, added, removed in registered
                                      if removed is None}
    for (name,) in session.execute(select(Review.repo).distinct()):
        if name not in forgotten:
            known.setdefault(name, None)
    return known


def is_known(session: Session, repo: str) -> bool:
    """Whether `repo` (owner/name) is a repository the App knows (see the module doc)."""
    registered = session.get(Repository, repo)
    if registered is not None:
        return registered.removed_at is None
    return session.execute(select(Review.id).where(Review.repo == repo).limit(1)).first() \
        is not None


def trend(latest: float | None, previous: float | None) -> Trend:
    """The trend from `previous` to `latest` (deltas rounded to one decimal first)."""
    if latest is None or previous is None:
        return Trend("", None)
    delta = round(latest - previous, 1)
    return Trend("↑" if delta > 0 else "↓" if delta < 0 else "=", delta)


def weakest(criteria: Mapping[str, float | None], rulebook: Rulebook) -> WeakSpot | None:
    """The lowest-scored criterion that counts towards the grade (bonus-only criteria such
    as C20 never do); ties go to the lower id. None when nothing was scored."""
    titles = {c.id: c.title for c in rulebook.criteria if not c.bonus_only}
    scored = sorted((score, cid) for cid, score in criteria.items()
                    if score is not None and cid in titles)
    if not scored:
        return None
    score, cid = scored[0]
    return WeakSpot(cid, titles[cid], float(score))


def _latest_two(session: Session) -> dict[str, list[ReviewSummary]]:
    rank = func.row_number().over(partition_by=Review.repo,
                                  order_by=(Review.created_at.desc(), Review.id.desc()))
    ranked = select(*_SUMMARY_COLUMNS, rank.label("rank")).subquery()
    rows = session.execute(select(ranked).where(ranked.c.rank <= 2)
                           .order_by(ranked.c.repo, ranked.c.rank)).all()
    latest: dict[str, list[ReviewSummary]] = {}
    for row in rows:
        latest.setdefault(row.repo, []).append(_summary(row))
    return latest


def cohort(session: Session, rulebook: Rulebook) -> list[CohortRow]:
    """One row per known repository, by name."""
    known = known_repos(session)
    latest = _latest_two(session)
    rows = []
    for repo in sorted(known):
        reviews = latest.get(repo, [])
        if not reviews:
            rows.append(CohortRow(repo, repo.partition("/")[0], None, None, None,
                                  Trend("", None), None, known[repo]))
            continue
        last = reviews[0]
        previous = reviews[1].score if len(reviews) > 1 else None
        rows.append(CohortRow(repo, last.learner, last.id, last.score, last.letter,
                              trend(last.score, previous), weakest(last.criteria, rulebook),
                              last.created_at))
    return rows


SORT_KEYS = ("repo", "learner", "score", "trend", "weakest", "activity")


def _sort_value(row: CohortRow, key: str) -> Any:
    if key == "repo":
        return row.repo.lower()
    if key == "learner":
        return row.learner.lower()
    if key == "score":
        return row.score
    if key == "trend":
        return row.trend.delta
    if key == "weakest":
        return None if row.weakest is None else row.weakest.score
    return row.last_activity


def sort_rows(rows: Iterable[CohortRow], key: str, descending: bool) -> list[CohortRow]:
    """`rows` ordered by column `key` (one of SORT_KEYS); rows without a value for it
    (never reviewed, no previous review) come last in both orders, by repository name."""
    with_value = [row for row in rows if _sort_value(row, key) is not None]
    without = [row for row in rows if _sort_value(row, key) is None]
    # Sorting by name first makes the order of equal values stable and predictable.
    with_value.sort(key=lambda row: row.repo.lower())
    with_value.sort(key=lambda row: _sort_value(row, key), reverse=descending)
    return with_value + sorted(without, key=lambda row: row.repo.lower())


def dead_jobs(session: Session, limit: int = DEAD_LIMIT) -> list[DeadJob]:
    """The most recent dead-lettered jobs, newest first."""
    jobs = session.scalars(select(Job).where(Job.state == JobState.DEAD)
                           .order_by(Job.finished_at.desc(), Job.id.desc()).limit(limit))
    return [DeadJob(job.id, str((job.payload or {}).get("repo") or "?"), job.attempts,
                    (job.last_error or "")[:ERROR_LIMIT], job.finished_at) for job in jobs]


def history(session: Session, repo: str, limit: int = HISTORY_LIMIT) -> list[ReviewSummary]:
    """The repository's last `limit` reviews, oldest first (the chart's order)."""
    rows = session.execute(select(*_SUMMARY_COLUMNS).where(Review.repo == repo)
                           .order_by(Review.created_at.desc(), Review.id.desc())
                           .limit(limit)).all()
    return [_summary(row) for row in reversed(rows)]


def review(session: Session, review_id: int) -> tuple[ReviewSummary, str] | None:
    """One review and its stored report JSON, or None."""
    row = session.execute(select(*_SUMMARY_COLUMNS, Review.report_json)
                          .where(Review.id == review_id)).first()
    return None if row is None else (_summary(row), row.report_json)


def badge_review(session: Session, repo: str) -> tuple[ReviewSummary, str] | None:
    """The review a README badge shows: the latest review of the default branch (a push,
    no pull request), or the latest review of any kind when the default branch was never
    reviewed. None without reviews."""
    for condition in (Review.pr_number.is_(None), Review.id.is_not(None)):
        found = session.execute(select(Review.id).where(Review.repo == repo, condition)
                                .order_by(Review.created_at.desc(), Review.id.desc())
                                .limit(1)).scalar()
        if found is not None:
            return review(session, found)
    return None


def relative_time(moment: float, now: float | None = None) -> str:
    """"just now", "5 minutes ago", "3 hours ago", "2 days ago"."""
    seconds = max(0.0, (time.time() if now is None else now) - moment)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count > 1 else ''} ago"
    return "just now"


def iso_time(moment: float) -> str:
    """UTC ISO 8601 to the second: 2026-01-05T10:00:00Z."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))


def criteria_ids(reviews: Sequence[ReviewSummary], rulebook: Rulebook) -> list[str]:
    """The criteria to chart: the rulebook's, then any older id stored in the reviews."""
    ids = [c.id for c in rulebook.criteria]
    extra = sorted({cid for r in reviews for cid in r.criteria} - set(ids))
    return ids + extra
