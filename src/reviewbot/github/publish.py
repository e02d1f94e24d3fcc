"""Every call reviewbot makes to GitHub's REST API, through PyGithub.

`Github(auth=Auth.Token(token), base_url=api_url)` works with github.com, GitHub Enterprise
Server and the test suite's fake alike. The client is lazy: repository, pull request and
commit objects are built from their URLs without a request, so a run makes only the calls
it needs (the closing note of the Action's issue counts them).

A write that GitHub refuses never ends the run. A 403 (a read-only token, as on pull
requests from forks, or a missing `permissions:` entry) is recorded in `denied`; any other
failure in `failed`. The Action then falls back to the job summary and workflow-command
annotations, and says so once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import requests
from github import Auth, Github, GithubException
from github.IssueComment import IssueComment
from github.PullRequest import ReviewComment

from reviewbot import __version__
from reviewbot.github.actions_env import ActionLog

CHECK_NAME = "reviewbot"
ANNOTATIONS_PER_REQUEST = 50
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ExistingComment:
    """An issue comment on the pull request, with the handle to edit it."""

    id: int
    body: str
    handle: IssueComment


class GitHubPublisher:
    """The repository's REST API as reviewbot uses it."""

    def __init__(self, token: str, api_url: str, repository: str, log: ActionLog) -> None:
        self._gh = Github(
            auth=Auth.Token(token),
            base_url=api_url.rstrip("/"),
            lazy=True,
            per_page=100,
            user_agent=f"reviewbot/{__version__}",
        )
        self._repo = self._gh.get_repo(repository)
        self._log = log
        self.denied: list[str] = []  # writes refused with 403, by what they were
        self.failed: list[str] = []  # writes that failed otherwise

    # Reads: a failure means "nothing known", with a warning.

    def _read(self, what: str, call: Callable[[], T], default: T) -> T:
        try:
            return call()
        except (GithubException, requests.RequestException) as exc:
            self._log.warning(f"reviewbot could not read {what} from GitHub: {_describe(exc)}")
            return default

    def pull_files(self, number: int) -> list[tuple[str, str | None]] | None:
        """(filename, patch) of every file the pull request changes; None when unreadable."""
        pull = self._repo.get_pull(number)

        def files() -> list[tuple[str, str | None]] | None:
            return [(f.filename, f.patch) for f in pull.get_files()]

        return self._read("the pull request's files", files, None)

    def review_bodies(self, number: int) -> list[str]:
        """The bodies of the pull request's reviews, oldest first."""
        pull = self._repo.get_pull(number)
        return self._read(
            "the pull request's reviews", lambda: [r.body or "" for r in pull.get_reviews()], []
        )

    def issue_comments(self, number: int) -> list[ExistingComment]:
        """The pull request's conversation comments, oldest first."""
        issue = self._repo.get_issue(number)
        return self._read(
            "the pull request's comments",
            lambda: [ExistingComment(c.id, c.body or "", c) for c in issue.get_comments()],
            [],
        )

    # Writes: a failure is recorded, never raised.

    def _write(self, what: str, call: Callable[[], object]) -> bool:
        try:
            call()
        except GithubException as exc:
            if exc.status == 403:
                self.denied.append(what)
            else:
                self.failed.append(what)
                self._log.warning(f"reviewbot could not write {what}: {_describe(exc)}")
            return False
        except requests.RequestException as exc:
            self.failed.append(what)
            self._log.warning(f"reviewbot could not write {what}: {_describe(exc)}")
            return False
        return True

    def create_review(
        self, number: int, commit_sha: str, body: str, comments: Sequence[ReviewComment]
    ) -> bool:
        """A submitted COMMENT review at `commit_sha` with its inline comments."""
        pull = self._repo.get_pull(number)
        commit = self._repo.get_commit(commit_sha)
        return self._write(
            "the pull request review",
            lambda: pull.create_review(
                commit=commit, body=body, event="COMMENT", comments=list(comments)
            ),
        )

    def create_comment(self, number: int, body: str) -> bool:
        issue = self._repo.get_issue(number)
        return self._write("the summary comment", lambda: issue.create_comment(body))

    def update_comment(self, comment: ExistingComment, body: str) -> bool:
        return self._write("the summary comment", lambda: comment.handle.edit(body))

    def create_check_run(
        self,
        head_sha: str,
        *,
        conclusion: str,
        title: str,
        summary: str,
        text: str,
        annotations: Sequence[dict[str, Any]],
    ) -> bool:
        """A completed check run `reviewbot`. GitHub takes at most 50 annotations per request:
        the first 50 go with the creation, the rest in updates, which append."""
        first, rest = annotations[:ANNOTATIONS_PER_REQUEST], annotations[ANNOTATIONS_PER_REQUEST:]
        output: dict[str, Any] = {"title": title, "summary": summary, "text": text}
        created: list[Any] = []

        def create() -> None:
            created.append(
                self._repo.create_check_run(
                    name=CHECK_NAME,
                    head_sha=head_sha,
                    status="completed",
                    conclusion=conclusion,
                    output={**output, "annotations": list(first)},
                )
            )

        if not self._write("the check run", create):
            return False
        run = created[0]
        for start in range(0, len(rest), ANNOTATIONS_PER_REQUEST):
            more = {**output, "annotations": list(rest[start : start + ANNOTATIONS_PER_REQUEST])}
            del more["text"]  # unchanged; sending it again would only cost bandwidth
            if not self._write("the check run's annotations", partial(run.edit, output=more)):
                return False
        return True


def _describe(exc: Exception) -> str:
    if isinstance(exc, GithubException):
        data = exc.data if isinstance(exc.data, dict) else {}
        message = str(data.get("message") or exc.message or "")
        errors = data.get("errors")
        if isinstance(errors, list):
            details = [e.get("message", "") if isinstance(e, dict) else str(e) for e in errors]
            message = "; ".join(filter(None, [message, *details]))
        return f"HTTP {exc.status}: {message}".rstrip(": ")
    return f"{type(exc).__name__}: {exc}"
