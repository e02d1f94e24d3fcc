"""What the service decides for each fixture event."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from reviewbot.service.events import Decision, ReviewRequest, decide
from tests.service.deliveries import INDEX, fixture_payload

HEAD = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"


def decision_for(name: str, payload: dict[str, Any] | None = None) -> Decision:
    return decide(INDEX[name]["x_github_event_header"], payload or fixture_payload(name))


@pytest.mark.parametrize("name", ["pull_request.opened.json", "pull_request.synchronize.json",
                                  "pull_request.reopened.json"])
def test_pull_request_is_reviewed(name: str) -> None:
    decision = decision_for(name)
    action = name.split(".")[1]
    assert (decision.outcome, decision.reason) == ("accepted", f"pull_request.{action}")
    (request,) = decision.reviews
    pr = fixture_payload(name)["pull_request"]
    assert request == ReviewRequest(
        repo="Codertocat/Hello-World", installation_id=1, sha=pr["head"]["sha"],
        ref="refs/heads/changes", learner="Codertocat", trigger=f"pull_request.{action}",
        pr_number=2, base_sha=pr["base"]["sha"], head_repo="Codertocat/Hello-World",
    )
    assert ReviewRequest.from_payload(request.payload()) == request


@pytest.mark.parametrize(("name", "reason"), [
    ("pull_request.closed.json", "pull_request.closed is not reviewed"),
    ("pull_request.edited.derived.json", "pull_request.edited is not reviewed"),
    ("push.json", "push deleting refs/tags/simple-tag"),
    ("push.with-installation.json", "push deleting refs/tags/simple-tag"),
    ("ping.json", "ping: the webhook is set up"),
    ("check_suite.requested.json", "check_suite.requested is not acted on"),
    ("issue_comment.created.json", "comment on an issue, not a pull request"),
    ("issue_comment.created.on-pull-request.derived.json",
     "comment is not a reviewbot command"),
])
def test_ignored(name: str, reason: str) -> None:
    assert decision_for(name) == Decision("ignored", reason)


def test_push_to_the_default_branch_is_reviewed() -> None:
    decision = decision_for("push.with-new-branch.json")
    assert decision.outcome == "accepted"
    assert decision.reviews == (ReviewRequest(
        repo="Codertocat/Hello-World", installation_id=1,
        sha="6113728f27ae82c7b1a177c8d03f9e96e0adf246", ref="refs/heads/master",
        learner="Codertocat", trigger="push"),)


def test_push_to_another_branch_is_ignored() -> None:
    payload = fixture_payload("push.with-new-branch.json")
    payload["ref"] = "refs/heads/feature"
    assert decide("push", payload) == Decision(
        "ignored", "push to refs/heads/feature, not the default branch")


def test_installation_registers_and_forgets() -> None:
    created = decision_for("installation.created.json")
    assert (created.outcome, created.installation_id, created.register, created.forget) == (
        "registered", 957387, ("Codertocat/Hello-World",), ())
    deleted = decision_for("installation.deleted.json")
    assert (deleted.outcome, deleted.forget_installation) == ("registered", True)
    added = decision_for("installation_repositories.added.json")
    assert (added.register, added.forget) == (("Codertocat/Space",), ())
    removed = decision_for("installation_repositories.removed.json")
    assert (removed.register, removed.forget) == ((), ("octocat/Hello-World",))


def test_check_suite_rerequest() -> None:
    (request,) = decision_for("check_suite.rerequested.json").reviews
    assert (request.repo, request.sha, request.pr_number, request.ref, request.trigger) == (
        "Codertocat/Hello-World", HEAD, 2, "refs/heads/changes", "check_suite.rerequested")


def test_check_run_rerequest() -> None:
    (request,) = decision_for("check_run.rerequested.json").reviews
    assert (request.repo, request.sha, request.pr_number, request.installation_id) == (
        "github/hello-world", "d6fde92930d4715a2b49857d24b940956b26d2d3", None, 1)


def rerun_comment(login: str, association: str, body: str = "/reviewbot rerun"
                  ) -> dict[str, Any]:
    payload = copy.deepcopy(fixture_payload("issue_comment.created.on-pull-request.derived.json"))
    payload["comment"]["body"] = body
    payload["comment"]["user"]["login"] = login
    payload["comment"]["author_association"] = association
    return payload


@pytest.mark.parametrize(("login", "association"), [
    ("Codertocat", "NONE"),  # the pull request's author
    ("mentor", "MEMBER"), ("owner", "OWNER"), ("helper", "COLLABORATOR"),
])
def test_rerun_command_from_author_or_member(login: str, association: str) -> None:
    decision = decide("issue_comment", rerun_comment(login, association))
    assert decision.outcome == "accepted"
    (request,) = decision.reviews
    assert (request.sha, request.pr_number, request.learner, request.trigger) == (
        None, 1, "Codertocat", "issue_comment.rerun")


def test_rerun_command_from_a_stranger_is_ignored() -> None:
    assert decide("issue_comment", rerun_comment("stranger", "CONTRIBUTOR")) == Decision(
        "ignored", "stranger may not ask for a re-run: only the pull request's author or an "
        "org member")


def test_rerun_must_be_the_command() -> None:
    decision = decide("issue_comment", rerun_comment("Codertocat", "OWNER",
                                                     "please /reviewbot rerun"))
    assert decision == Decision("ignored", "comment is not a reviewbot command")


def test_unknown_event_and_broken_payload() -> None:
    assert decide("star", {}) == Decision("ignored", "event 'star' is not acted on")
    assert decide("pull_request", {"action": "opened"}).outcome == "ignored"
