"""A service database seeded with the reviews of a small cohort, for the dashboard, badge and
metrics tests.

The rows are the worker's own stored form (`worker.review_row`) of the reporter tests' sample
reports (a learner's FastAPI repo, a strong Django repo, a notebook collection), with their
grades and criterion scores moved from review to review as a learner's would.

    alice/todo-api       3 reviews: 52.0 F -> 61.2 D- -> 58.7 F (a pull request)  trend -2.5
    bob/shop-api         2 reviews: 84.5 B -> 91.4 A-                               trend +6.9
    carol/ml-notebooks   1 review, not graded (not a Python backend)
    dave/blog-api        3 reviews: 70.0 C- -> 75.3 C -> 75.3 C                     trend 0.0
    erin/first-api       registered, never reviewed
    zed/old-api          reviewed, then the App was removed from it: forgotten
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from reviewbot.model import Grade, Level, Report
from reviewbot.service.events import ReviewRequest
from reviewbot.service.store import Job, JobState, Repository, Review
from reviewbot.service.worker import review_row
from tests.reporters.sample_reports import learner_report, notebooks_report, strong_report

RULES_VERSION = "2026.11.1"
HOUR = 3600.0
DAY = 24 * HOUR
REPOS = ("alice/todo-api", "bob/shop-api", "carol/ml-notebooks", "dave/blog-api",
         "erin/first-api")


@dataclass(frozen=True)
class Planned:
    """One review to store: the report's grade and criterion scores, when, on what."""

    repo: str
    base: str  # learner | strong | notebooks
    score: float | None
    letter: str | None
    scores: dict[str, float | None]
    age: float  # seconds before `now`
    pr_number: int | None = None
    duration: float = 12.5


PLAN: tuple[Planned, ...] = (
    Planned("alice/todo-api", "learner", 52.0, "F", {"C15": 0.0, "C13": 40.0}, 10 * DAY,
            duration=14.0),
    Planned("alice/todo-api", "learner", 61.2, "D-", {}, 5 * DAY, duration=9.0),
    Planned("alice/todo-api", "learner", 58.7, "F", {"C13": 45.5}, 2 * HOUR, pr_number=7,
            duration=31.0),
    Planned("bob/shop-api", "strong", 84.5, "B", {"C17": 70.0}, 9 * DAY, duration=48.0),
    Planned("bob/shop-api", "strong", 91.4, "A-", {}, 3 * DAY, duration=55.5),
    Planned("carol/ml-notebooks", "notebooks", None, None, {}, 1 * DAY, duration=2.0),
    Planned("dave/blog-api", "learner", 70.0, "C-", {"C15": 40.0, "C03": 55.0, "C13": 70.0},
            8 * DAY),
    Planned("dave/blog-api", "learner", 75.3, "C", {"C15": 62.0, "C03": 60.0, "C13": 70.0},
            4 * DAY),
    Planned("dave/blog-api", "learner", 75.3, "C", {"C15": 65.0, "C03": 58.0, "C13": 70.0},
            30 * 60.0, duration=250.0),
    Planned("zed/old-api", "learner", 40.0, "F", {}, 20 * DAY),
)
BASES = {"learner": learner_report, "strong": strong_report, "notebooks": notebooks_report}


def variant(report: Report, repo: str, planned: Planned) -> Report:
    """`report` as a review of `repo` with the planned grade and criterion scores."""
    criteria = tuple(dataclasses.replace(c, score=planned.scores[c.id])
                     if c.id in planned.scores else c for c in report.criteria)
    level = report.grade.level if planned.score is not None else Level.NOT_APPLICABLE
    return dataclasses.replace(
        report, grade=Grade(planned.score, planned.letter, level), criteria=criteria,
        repo=dataclasses.replace(report.repo, source=f"https://github.com/{repo}"))


def store_review(session: Session, planned: Planned, now: float, number: int,
                 report: Report | None = None) -> Review:
    """Store one planned review (its commit sha is the SHA-1 of `number`)."""
    report = report or variant(BASES[planned.base](), planned.repo, planned)
    # A git-like commit id (git's ids are SHA-1 digests; nothing here is security).
    sha = hashlib.sha1(str(number).encode(), usedforsecurity=False).hexdigest()
    request = ReviewRequest(
        repo=planned.repo, installation_id=1, sha=sha,
        ref="refs/heads/feature" if planned.pr_number else "refs/heads/main",
        learner=planned.repo.partition("/")[0], trigger="test", pr_number=planned.pr_number)
    row = review_row(request, report, RULES_VERSION, planned.duration, None)
    row.created_at = now - planned.age
    session.add(row)
    session.flush()
    return row


def seed(sessions: sessionmaker[Session], now: float) -> dict[str, list[int]]:
    """Store the cohort; the review ids of each repository, oldest first."""
    ids: dict[str, list[int]] = {}
    with sessions() as session:
        for number, planned in enumerate(PLAN, start=1):
            row = store_review(session, planned, now, number)
            ids.setdefault(planned.repo, []).append(row.id)
        for name in ("alice/todo-api", "bob/shop-api", "dave/blog-api"):
            session.add(Repository(full_name=name, installation_id=1, added_at=now - 30 * DAY))
        session.add(Repository(full_name="erin/first-api", installation_id=1,
                               added_at=now - 6 * HOUR))
        session.add(Repository(full_name="zed/old-api", installation_id=2,
                               added_at=now - 40 * DAY, removed_at=now - 15 * DAY))
        session.commit()
    return ids


def add_dead_job(sessions: sessionmaker[Session], repo: str, error: str, finished: float,
                 attempts: int = 5) -> int:
    """A dead-lettered review job of `repo`; its id."""
    with sessions() as session:
        job = Job(kind="review", payload={"repo": repo}, state=JobState.DEAD,
                  attempts=attempts, max_attempts=attempts, last_error=error,
                  finished_at=finished, created_at=finished - 600, next_run_at=finished - 600)
        session.add(job)
        session.commit()
        return job.id
