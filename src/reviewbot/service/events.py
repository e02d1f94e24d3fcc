"""What the service does with each GitHub event: a pure decision, tested on the fixtures.

`decide(event, payload)` returns a `Decision`: review jobs to enqueue, repositories to
register or forget, or the reason the event is ignored. `admission(...)` says whether a
review request's repository is one the App is installed on. Nothing here touches the
database or the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

PR_ACTIONS = frozenset({"opened", "synchronize", "reopened"})
RERUN_COMMAND = "/reviewbot rerun"
# Who may ask for a re-run besides the pull request's author.
TRUSTED_ASSOCIATIONS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})
NULL_SHA = "0" * 40


@dataclass(frozen=True, slots=True)
class ReviewRequest:
    """One commit to review, and where its review goes."""

    repo: str  # owner/name
    installation_id: int | None
    sha: str | None  # None: the pull request's current head, looked up when the job runs
    ref: str
    learner: str
    trigger: str  # event.action that asked for it
    pr_number: int | None = None
    base_sha: str | None = None
    head_repo: str | None = None

    def payload(self) -> dict[str, Any]:
        """The job's JSON payload."""
        return {
            "repo": self.repo, "installation_id": self.installation_id, "sha": self.sha,
            "ref": self.ref, "learner": self.learner, "trigger": self.trigger,
            "pr_number": self.pr_number, "base_sha": self.base_sha,
            "head_repo": self.head_repo,
        }

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> ReviewRequest:
        """The request a job's payload holds."""
        values: dict[str, Any] = {f.name: data.get(f.name) for f in fields(cls)}
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one delivery."""

    outcome: str  # accepted | registered | ignored
    reason: str
    reviews: tuple[ReviewRequest, ...] = ()
    installation_id: int | None = None
    register: tuple[str, ...] = ()
    forget: tuple[str, ...] = ()
    forget_installation: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


NOT_INSTALLED = "repo not installed"


class Admission(StrEnum):
    """What the installation registry says of a review request's repository."""

    REVIEW = "review"  # registered and installed, or no App installation involved
    REGISTER = "register"  # first seen: register it under the delivery's installation
    REREGISTER = "reregister"  # removed from an installation, now sent by another one
    REFUSE = "refuse"  # removed (installation_repositories.removed, installation.deleted)


def admission(request: ReviewRequest, registered_installation: int | None,
              removed: bool) -> Admission:
    """Whether to review `request`, given its repository's row in the registry (its
    installation id, or None when the repository was never registered, and whether it was
    removed).

    GitHub signs every delivery, and one for an App carries the installation's id, so a
    repository first seen in a signed delivery is registered then (its `installation`
    event may come later, or may have been missed). A repository removed from its
    installation is refused until it is registered again: late and redelivered
    deliveries from that installation are ignored. A delivery from another installation
    means the App was installed again (its `installation` event was missed): it registers
    the repository anew.
    """
    if registered_installation is None:
        return Admission.REVIEW if request.installation_id is None else Admission.REGISTER
    if not removed:
        return Admission.REVIEW
    if request.installation_id is not None and request.installation_id != (
            registered_installation):
        return Admission.REREGISTER
    return Admission.REFUSE


def ignored(reason: str) -> Decision:
    return Decision("ignored", reason)


def _installation(payload: dict[str, Any]) -> int | None:
    installation = payload.get("installation")
    if isinstance(installation, dict) and isinstance(installation.get("id"), int):
        return int(installation["id"])
    return None


def _login(obj: Any) -> str:
    return str(obj.get("login", "")) if isinstance(obj, dict) else ""


def decide(event: str, payload: dict[str, Any]) -> Decision:
    """The decision for one delivery of `event` with its parsed `payload`."""
    handler = _HANDLERS.get(event)
    if handler is None:
        return ignored(f"event {event!r} is not acted on")
    try:
        return handler(payload)
    except (KeyError, TypeError, AttributeError) as exc:
        return ignored(f"{event} payload lacks what reviewbot needs ({type(exc).__name__}: "
                       f"{exc})")


def _ping(payload: dict[str, Any]) -> Decision:
    return ignored("ping: the webhook is set up")


def _pull_request(payload: dict[str, Any]) -> Decision:
    action = payload.get("action")
    if action not in PR_ACTIONS:
        return ignored(f"pull_request.{action} is not reviewed")
    pr = payload["pull_request"]
    head, base = pr["head"], pr["base"]
    repo = payload["repository"]["full_name"]
    request = ReviewRequest(
        repo=repo, installation_id=_installation(payload), sha=head["sha"],
        ref=f"refs/heads/{head['ref']}", learner=_login(pr.get("user")) or _login(
            payload.get("sender")),
        trigger=f"pull_request.{action}", pr_number=int(pr["number"]), base_sha=base["sha"],
        head_repo=(head.get("repo") or {}).get("full_name") or repo,
    )
    return Decision("accepted", f"pull_request.{action}", (request,))


def _push(payload: dict[str, Any]) -> Decision:
    after = str(payload.get("after") or NULL_SHA)
    ref = str(payload["ref"])
    if payload.get("deleted") or after == NULL_SHA:
        return ignored(f"push deleting {ref}")
    default = payload["repository"].get("default_branch")
    if ref != f"refs/heads/{default}":
        return ignored(f"push to {ref}, not the default branch")
    request = ReviewRequest(
        repo=payload["repository"]["full_name"], installation_id=_installation(payload),
        sha=after, ref=ref, learner=_login(payload.get("sender"))
        or _login(payload["repository"].get("owner")), trigger="push",
    )
    return Decision("accepted", "push to the default branch", (request,))


def _installation_event(payload: dict[str, Any]) -> Decision:
    action = payload.get("action")
    installation_id = _installation(payload)
    names = tuple(r["full_name"] for r in payload.get("repositories") or ())
    if action in ("created", "unsuspend", "new_permissions_accepted"):
        return Decision("registered", f"installation.{action}", installation_id=installation_id,
                        register=names)
    if action in ("deleted", "suspend"):
        return Decision("registered", f"installation.{action}", installation_id=installation_id,
                        forget=names, forget_installation=True)
    return ignored(f"installation.{action} is not acted on")


def _installation_repositories(payload: dict[str, Any]) -> Decision:
    added = tuple(r["full_name"] for r in payload.get("repositories_added") or ())
    removed = tuple(r["full_name"] for r in payload.get("repositories_removed") or ())
    return Decision("registered", f"installation_repositories.{payload.get('action')}",
                    installation_id=_installation(payload), register=added, forget=removed)


def _rerequest(kind: str, payload: dict[str, Any]) -> Decision:
    action = payload.get("action")
    if action != "rerequested":
        return ignored(f"{kind}.{action} is not acted on")
    item = payload[kind]
    suite = item.get("check_suite", item)
    pulls = item.get("pull_requests") or []
    number = int(pulls[0]["number"]) if pulls else None
    request = ReviewRequest(
        repo=payload["repository"]["full_name"], installation_id=_installation(payload),
        sha=item["head_sha"], ref=f"refs/heads/{suite.get('head_branch')}",
        learner=_login(payload.get("sender")), trigger=f"{kind}.rerequested",
        pr_number=number, base_sha=pulls[0]["base"]["sha"] if pulls else None,
    )
    return Decision("accepted", f"{kind}.rerequested", (request,))


def _issue_comment(payload: dict[str, Any]) -> Decision:
    if payload.get("action") != "created":
        return ignored(f"issue_comment.{payload.get('action')} is not acted on")
    issue, comment = payload["issue"], payload["comment"]
    if not issue.get("pull_request"):
        return ignored("comment on an issue, not a pull request")
    words = str(comment.get("body") or "").strip().split()
    if " ".join(words[:2]) != RERUN_COMMAND:
        return ignored("comment is not a reviewbot command")
    author = _login(comment.get("user"))
    if author != _login(issue.get("user")) and comment.get(
            "author_association") not in TRUSTED_ASSOCIATIONS:
        return ignored(f"{author} may not ask for a re-run: only the pull request's author or "
                       "an org member")
    request = ReviewRequest(
        repo=payload["repository"]["full_name"], installation_id=_installation(payload),
        sha=None, ref="", learner=_login(issue.get("user")), trigger="issue_comment.rerun",
        pr_number=int(issue["number"]),
    )
    return Decision("accepted", "/reviewbot rerun", (request,))


_HANDLERS = {
    "ping": _ping,
    "pull_request": _pull_request,
    "push": _push,
    "installation": _installation_event,
    "installation_repositories": _installation_repositories,
    "check_suite": lambda payload: _rerequest("check_suite", payload),
    "check_run": lambda payload: _rerequest("check_run", payload),
    "issue_comment": _issue_comment,
}
