"""The review job, and the embedded workers: threads that lease jobs and run them.

Each job: lease it, clone the commit through `GitHubAccess.clone_source` (an
installation token over HTTPS in production), scan it with the operator's settings (never
the learner's configuration), store the review (unique per repository, commit and rules
version: the same commit is never reviewed twice), then publish the review, sticky comment
and check run with the Action's own publishing code, and mark the review published. While
it works, a heartbeat extends the lease; a worker that dies stops extending it and another
worker runs the job again.

A publication that fails (for another reason than a 403, which no retry mends) fails the
job, which is retried with backoff: the retry finds the commit reviewed but not published
and publishes the stored report (checking the commit out again for the code the review
quotes) instead of scanning it again. Only the job that stored the review publishes it while
that job is alive; once it is done or dead, the next job for the commit takes the review
over (compare-and-set on `reviews.job_id`).

`execute(context, job, worker_id)` runs one leased job to its end state (done, a retry, the
dead letter, or abandoned when the lease was lost). The embedded `WorkerPool` threads and
the Celery task of scale-out mode (`reviewbot.service.celery_app`) both call it.
"""

from __future__ import annotations

import io
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, Protocol, cast

from github import Auth, Github, GithubException
from github.PullRequest import PullRequest
from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from reviewbot import __version__
from reviewbot.github.action import Scanned, publish_to_github, verdict_for
from reviewbot.github.actions_env import ActionInputs, ActionLog, PullRequestInfo
from reviewbot.github.fingerprint import SourceLines, fingerprint_findings
from reviewbot.github.publish import GitHubPublisher
from reviewbot.model import Report
from reviewbot.pipeline import review
from reviewbot.reporters import json_report
from reviewbot.service.events import ReviewRequest
from reviewbot.service.logs import get_logger
from reviewbot.service.queue import JobQueue, LeasedJob
from reviewbot.service.store import Job, JobState, Repository, Review
from reviewbot.settings import Settings
from reviewbot.source.checkout import checkout, resolve_source

log = get_logger("worker")
POLL_SECONDS = 1.0


class GitHubAccess(Protocol):
    """How a worker reaches a repository of an App installation: a token for the REST API
    and a source to clone. Implemented with App installation tokens in production
    (`reviewbot.service.access.AppAccess`)."""

    def token(self, installation_id: int | None, repo: str) -> str:
        """A token that may read `repo` and write its reviews, comments and check runs."""
        ...

    def clone_source(self, installation_id: int | None, repo: str,
                     settings: Settings) -> tuple[str, Settings]:
        """The git URL of `repo` and `settings` extended to clone it (with a token that
        `reviewbot.source.checkout` hands to git in its environment, never in the URL)."""
        ...


class JobAbandonedError(Exception):
    """The worker lost the job's lease: another worker runs it now."""


class PublishError(Exception):
    """Writing the review, comment or check run to GitHub failed (not for want of
    permission): the job is retried and publishes the stored review."""


@dataclass(frozen=True, slots=True)
class WorkerContext:
    """What every worker shares."""

    sessions: sessionmaker[Session]
    queue: JobQueue
    access: GitHubAccess
    settings: Settings  # the operator's: rubric and thresholds
    rules_version: str
    api_url: str
    lease_seconds: float


class Heartbeat:
    """Extends a job's lease every third of its length while the job runs."""

    def __init__(self, context: WorkerContext, job_id: int, worker_id: str) -> None:
        self.lost = threading.Event()
        self._done = threading.Event()
        self._args = (context, job_id, worker_id)
        self._thread = threading.Thread(target=self._beat, daemon=True,
                                        name=f"heartbeat-{job_id}")

    def _beat(self) -> None:
        context, job_id, worker_id = self._args
        while not self._done.wait(context.lease_seconds / 3):
            if not context.queue.heartbeat(job_id, worker_id, context.lease_seconds):
                self.lost.set()
                return

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def check(self) -> None:
        """Raise JobAbandonedError if the lease was lost."""
        if self.lost.is_set():
            raise JobAbandonedError


def review_row(request: ReviewRequest, report: Report, rules_version: str, duration: float,
               job_id: int | None) -> Review:
    """The stored form of one review."""
    counts = Counter(f.severity.value for f in report.findings if f.suppressed is None)
    return Review(
        repo=request.repo, learner=request.learner, sha=request.sha or "", ref=request.ref,
        pr_number=request.pr_number, rules_version=rules_version, score=report.grade.score,
        letter=report.grade.letter, level=report.grade.level.value,
        criteria={c.id: c.score for c in report.criteria}, finding_counts=dict(counts),
        duration=round(duration, 3), report_json=json_report.render(report), job_id=job_id,
    )


def _pull(context: WorkerContext, token: str, request: ReviewRequest) -> PullRequest:
    """The pull request as it is now: one `pulls/get` (the repository object is lazy)."""
    client = Github(auth=Auth.Token(token), base_url=context.api_url, lazy=True,
                    user_agent=f"reviewbot/{__version__}")
    return client.get_repo(request.repo).get_pull(request.pr_number or 0)


def _resolve_pull(context: WorkerContext, token: str, request: ReviewRequest) -> ReviewRequest:
    """A re-run asked for in a comment: the pull request's current head, from the API."""
    pull = _pull(context, token, request)
    head_repo = pull.head.repo.full_name if pull.head.repo else request.repo
    return replace(request, sha=pull.head.sha, base_sha=pull.base.sha,
                   ref=f"refs/heads/{pull.head.ref}", head_repo=head_repo)


def _current_head(context: WorkerContext, token: str, request: ReviewRequest) -> str | None:
    """The pull request's head sha now; None when GitHub can't say (then nothing is held
    back: the review is published as it would have been)."""
    try:
        return str(_pull(context, token, request).head.sha)
    except GithubException as exc:
        log.warning("could not read the pull request's head (%s): publishing as usual",
                    exc.status, extra={"repo": request.repo})
        return None


@dataclass(frozen=True, slots=True)
class StoredReview:
    """What a job needs to know of a commit's stored review."""

    id: int
    job_id: int | None
    published: bool
    report_json: str


def _stored_review(context: WorkerContext, request: ReviewRequest) -> StoredReview | None:
    with context.sessions() as session:
        row = session.execute(select(Review.id, Review.job_id, Review.published,
                                     Review.report_json).where(
            Review.repo == request.repo, Review.sha == request.sha,
            Review.rules_version == context.rules_version)).first()
    return None if row is None else StoredReview(*row)


def _take_over(context: WorkerContext, stored: StoredReview, job_id: int) -> bool:
    """Whether job `job_id` publishes the unpublished review: it stored it, or the job that
    did is over (done or dead) and this job won the compare-and-set on `reviews.job_id`."""
    if stored.job_id == job_id:
        return True
    with context.sessions() as session:
        owner = session.get(Job, stored.job_id) if stored.job_id is not None else None
        if owner is not None and owner.state not in (JobState.DONE, JobState.DEAD):
            return False  # that job is alive (running or waiting for a retry): it publishes
        changed = session.execute(
            update(Review).where(Review.id == stored.id, Review.job_id == stored.job_id,
                                 Review.published.is_(False)).values(job_id=job_id))
        session.commit()
    return cast(CursorResult[Any], changed).rowcount == 1


def _mark_published(context: WorkerContext, review_id: int) -> None:
    with context.sessions() as session:
        session.execute(update(Review).where(Review.id == review_id).values(published=True))
        session.commit()


@contextmanager
def _scanned(context: WorkerContext, request: ReviewRequest, heartbeat: Heartbeat
             ) -> Iterator[Scanned]:
    url, settings = context.access.clone_source(request.installation_id, request.repo,
                                                context.settings)
    # `URL#sha`: the checkout fetches that one commit (git's environment carries the token).
    with review(f"{url}#{request.sha}", settings) as (raw, root):
        heartbeat.check()
        report = replace(raw, repo=replace(raw.repo, source=request.repo))
        fingerprints = fingerprint_findings(report.findings, SourceLines(root))
        yield Scanned(report, root, "", fingerprints, None, "")


@contextmanager
def _restored(context: WorkerContext, request: ReviewRequest, report_json: str
              ) -> Iterator[Scanned]:
    """The stored review with the commit checked out again (the publication quotes its
    code and fingerprints its findings by their lines), without scanning it."""
    url, settings = context.access.clone_source(request.installation_id, request.repo,
                                                context.settings)
    with checkout(resolve_source(f"{url}#{request.sha}", settings), settings) as checked:
        report = json_report.loads(report_json)
        fingerprints = fingerprint_findings(report.findings, SourceLines(checked.root))
        yield Scanned(report, checked.root, "", fingerprints, None, "")


def _uninstalled(context: WorkerContext, repo: str) -> bool:
    with context.sessions() as session:
        row = session.get(Repository, repo)
        return row is not None and row.removed_at is not None


def run_job(context: WorkerContext, job: LeasedJob, worker_id: str) -> str:
    """Run one review job; what happened, in a few words. Raises on a failure to retry."""
    request = ReviewRequest.from_payload(job.payload)
    if _uninstalled(context, request.repo):
        # Removed from the App after the job was queued: its token would be refused.
        return "skipped: the repository is no longer installed"
    token = context.access.token(request.installation_id, request.repo)
    # A re-run asks GitHub for the head: that head is current, no need to ask again.
    check_head = request.sha is not None
    if request.sha is None:
        request = _resolve_pull(context, token, request)
    stored = _stored_review(context, request)
    if stored is not None:
        if stored.published:
            return "already reviewed"
        if not _take_over(context, stored, job.id):
            return f"already reviewed; job {stored.job_id} publishes it"
        with Heartbeat(context, job.id, worker_id) as heartbeat, \
                _restored(context, request, stored.report_json) as scanned:
            heartbeat.check()
            _publish(context, token, request, scanned, job, check_head=check_head)
        _mark_published(context, stored.id)
        return "published the stored review"
    started = time.monotonic()
    with Heartbeat(context, job.id, worker_id) as heartbeat, \
            _scanned(context, request, heartbeat) as scanned:
        heartbeat.check()
        try:
            with context.sessions() as session:
                row = review_row(request, scanned.report, context.rules_version,
                                 time.monotonic() - started, job.id)
                session.add(row)
                session.commit()
        except IntegrityError:
            # Another job stored this commit's review meanwhile: that job publishes it.
            return "already reviewed"
        heartbeat.check()
        _publish(context, token, request, scanned, job, check_head=check_head)
    _mark_published(context, row.id)
    return "reviewed"


def _publish(context: WorkerContext, token: str, request: ReviewRequest, scanned: Scanned,
             job: LeasedJob, *, check_head: bool) -> None:
    """Post the review, comment and check run; PublishError when a write failed for
    another reason than a 403 (a retry may mend that; it cannot mend a permission)."""
    lines = io.StringIO()
    action_log = ActionLog(lines)
    publisher = GitHubPublisher(token, context.api_url, request.repo, action_log)
    inputs = ActionInputs(fail_under=context.settings.fail_under)
    pull = None
    if request.pr_number is not None and request.sha is not None:
        head = _current_head(context, token, request) if check_head else None
        if head not in (None, request.sha):
            # Deliveries came out of order, or the learner pushed again meanwhile: the
            # pull request's review and sticky comment belong to its newer head. This
            # commit gets its check run only.
            log.info("the pull request's head is %s now: only the check run of %s is posted",
                     head, request.sha, extra={"job_id": job.id, "repo": request.repo})
        else:
            pull = PullRequestInfo(request.pr_number, request.sha, request.base_sha or "",
                                   request.head_repo or request.repo)
    publish_to_github(publisher, scanned, verdict_for(scanned, context.settings, inputs),
                      inputs, action_log, head_sha=request.sha or "", pull_request=pull)
    for line in lines.getvalue().splitlines():
        log.info(line, extra={"job_id": job.id, "repo": request.repo})
    if publisher.denied:
        log.warning("not allowed to publish: %s", ", ".join(publisher.denied),
                    extra={"job_id": job.id, "repo": request.repo})
    if publisher.failed:
        raise PublishError(f"could not publish {', '.join(publisher.failed)}")


def execute(context: WorkerContext, job: LeasedJob, worker_id: str) -> None:
    """Run the leased `job` and record its end: done, failed (retried with backoff, or the
    dead letter after its last attempt), or nothing when the lease was lost meanwhile."""
    extra: dict[str, Any] = {"job_id": job.id, "delivery_id": job.delivery_id,
                             "worker": worker_id, "repo": job.payload.get("repo"),
                             "sha": job.payload.get("sha")}
    log.info("job leased (attempt %d)", job.attempts, extra=extra)
    started = time.monotonic()
    try:
        outcome = run_job(context, job, worker_id)
    except JobAbandonedError:
        log.warning("lease lost; another worker runs the job", extra=extra)
        return
    except Exception as exc:  # any failure is retried, then dead-lettered
        state = context.queue.fail(job.id, worker_id, f"{type(exc).__name__}: {exc}")
        log.exception("job failed; now %s", state, extra=extra)
        return
    context.queue.complete(job.id, worker_id)
    log.info("job done: %s", outcome,
             extra={**extra, "duration": round(time.monotonic() - started, 3)})


class WorkerPool:
    """N worker threads leasing jobs from the queue until `stop`."""

    def __init__(self, context: WorkerContext, count: int) -> None:
        self._context = context
        self._stop = threading.Event()
        prefix = f"worker-{uuid.uuid4().hex[:8]}"
        self._threads = [
            threading.Thread(target=self._loop, args=(f"{prefix}-{n}",), daemon=True,
                             name=f"{prefix}-{n}")
            for n in range(count)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Ask the workers to stop after their current job and wait for them."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)

    def _loop(self, worker_id: str) -> None:
        queue = self._context.queue
        while not self._stop.is_set():
            job = queue.lease(worker_id, self._context.lease_seconds)
            if job is None:
                self._stop.wait(POLL_SECONDS)
                continue
            execute(self._context, job, worker_id)
