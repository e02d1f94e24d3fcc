"""`reviewbot action` end to end: a real git repository with a pull request, the Actions
environment from the fixtures, the real CLI in a subprocess, and the fake GitHub.

Each test asserts the exact requests made, what they carried, the job summary and the
step outputs.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from conftest import REPOSITORY, ActionsStep, StepResult, load_fixture
from fake_github import FakeGitHub
from jsonschema import Draft4Validator
from learner_repo import FIXED_REPORTS, LearnerRepo, build_learner_repo

API = f"/repos/{REPOSITORY}"
PR_READS = [f"GET {API}/pulls/2/reviews", f"GET {API}/issues/2/comments"]
# Findings the PR's new file must get inline comments for (path, line, rule).
PLANTED = {
    ("app/reports.py", 11, "bandit:B324"),  # hashlib.md5
    ("app/reports.py", 15, "bandit:B301"),  # pickle.loads
    ("app/reports.py", 19, "bandit:B602"),  # shell=True
    ("app/reports.py", 23, "bandit:B307"),  # eval
    ("app/reports.py", 24, "ruff:E722"),  # bare except
    ("app/reports.py", 4, "ruff:F401"),  # unused itertools
}
SEVERITY_RANK = {"error": 3, "warning": 2, "info": 1}


def pr_event(name: str, repo: LearnerRepo, head: str) -> dict[str, Any]:
    event: dict[str, Any] = load_fixture(f"webhooks/{name}")
    event["pull_request"]["head"]["sha"] = head
    event["pull_request"]["base"]["sha"] = repo.base
    event["pull_request"]["head"]["repo"]["full_name"] = REPOSITORY
    return event


def report_of(result: StepResult) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Path(result.outputs["report-json"]).read_text())
    return data


def annotatable(report: dict[str, Any]) -> int:
    return sum(1 for f in report["findings"] if f["path"] not in ("", "."))


def check_run_calls(count: int) -> list[str]:
    patches = math.ceil(max(count - 50, 0) / 50)
    return [f"POST {API}/check-runs"] + [f"PATCH {API}/check-runs/{{id}}"] * patches


def normalised(calls: list[str]) -> list[str]:
    return [c.rsplit("/", 1)[0] + "/{id}" if "/check-runs/" in c or "/comments/" in c else c
            for c in calls]


def expected_inline(report: dict[str, Any], path: str) -> list[tuple[str, int, str]]:
    """The 25 most important findings on the PR's new file, in the order GitHub gets them."""
    on_file = [f for f in report["findings"]
               if f["path"] == path and f["line"] and f["suppressed"] is None]
    on_file.sort(key=lambda f: (-SEVERITY_RANK[f["severity"]], f["path"], f["line"],
                                f["column"] or 0, f["rule"]))
    return [(f["path"], f["line"], f["rule"]) for f in on_file[:25]]


def comment_rule(comment: dict[str, Any]) -> str:
    # "**error** · `bandit:B324` hashlib": the rule is the first code span.
    return str(comment["body"].split("`")[1])


@pytest.fixture
def learner(tmp_path: Path) -> LearnerRepo:
    return build_learner_repo(tmp_path / "workspace")


@pytest.fixture
def step(tmp_path: Path, fake: FakeGitHub, learner: LearnerRepo) -> ActionsStep:
    fake.add_pull(2, learner.head, learner.base, learner.patch_files())
    return ActionsStep(tmp_path / "steps", fake.url, learner.root)


def test_pull_request_review_then_rerun_then_new_commit(
    fake: FakeGitHub, learner: LearnerRepo, step: ActionsStep
) -> None:
    first = first_review(fake, learner, step)
    rerun_posts_nothing(fake, learner, step, first)
    new_commit_says_what_was_fixed(fake, learner, step)


def first_review(fake: FakeGitHub, learner: LearnerRepo, step: ActionsStep) -> StepResult:
    """The pull request is opened: review, sticky comment, check run, outputs, summary."""
    first = step.run("pull_request", pr_event("pull_request.opened.json", learner, learner.head),
                     "f" * 40)
    assert first.returncode == 0, first.stdout + first.stderr
    report = report_of(first)
    counts = fake.count_by_operation()
    print("\nrequests of one pull_request run, by endpoint:")
    for operation, count in sorted(counts.items()):
        print(f"  {count}  {operation}")
    assert annotatable(report) > 50  # the check run needs more than one request
    assert counts == {
        "pulls/list-reviews (GET)": 1, "issues/list-comments (GET)": 1,
        "pulls/list-files (GET)": 1, "pulls/create-review (POST)": 1,
        "issues/create-comment (POST)": 1, "checks/create (POST)": 1,
        "checks/update (PATCH)": len(check_run_calls(annotatable(report))) - 1,
    }
    assert normalised(fake.calls()) == [
        *PR_READS,
        f"GET {API}/pulls/2/files",
        f"POST {API}/pulls/2/reviews",
        f"POST {API}/issues/2/comments",
        *check_run_calls(annotatable(report)),
    ]
    assert [r.status for r in fake.requests] == [200, 200, 200, 200, 201, 201] + [200] * (
        len(fake.requests) - 6)
    check_review(fake, learner, report)
    [check] = fake.check_runs.values()
    assert (check["name"], check["head_sha"], check["status"], check["conclusion"]) == (
        "reviewbot", learner.head, "completed", "success")
    assert len(check["annotations"]) == annotatable(report)
    assert check["output"]["title"] == f"reviewbot: {report['grade']['letter']} · " \
        f"{report['grade']['score']:.1f}/100 · beginner"
    assert {
        "path": "app/reports.py", "start_line": 11, "end_line": 11,
        "annotation_level": "failure", "title": "bandit:B324 (C13)",
        "message": "Use of weak MD5 hash for security. Consider usedforsecurity=False",
    } in check["annotations"]
    assert first.outputs == {
        "score": f"{report['grade']['score']:.1f}",
        "letter": report["grade"]["letter"],
        "level": "beginner",
        "report-json": str(first.runner_temp / "reviewbot" / "report.json"),
        "sarif-file": str(first.runner_temp / "reviewbot" / "reviewbot.sarif"),
    }
    sarif = json.loads(Path(first.outputs["sarif-file"]).read_text())
    assert list(Draft4Validator(load_fixture("schemas/sarif-2.1.0.json")).iter_errors(sarif)
                ) == []
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"]
            for result in sarif["runs"][0]["results"] for loc in result["locations"]}
    assert "app/reports.py" in uris and all(not u.startswith("/") for u in uris)
    assert first.summary.startswith(f"## reviewbot: {report['grade']['letter']} · ")
    assert "\n---\n\n# reviewbot review: " in first.summary
    assert "::warning" not in first.stdout and "::error" not in first.stdout
    return first


def check_review(fake: FakeGitHub, learner: LearnerRepo, report: dict[str, Any]) -> None:
    [review] = fake.pulls[2].reviews
    assert (review["state"], review["commit_id"]) == ("COMMENTED", learner.head)
    assert review["body"].startswith(f"## reviewbot: {report['grade']['letter']} · "
                                     f"{report['grade']['score']:.1f}/100 · beginner\n")
    assert f"against the base branch (`{learner.base[:7]}`)" in review["body"]
    assert f'<!-- reviewbot:review {{"sha":"{learner.head}","commented":[' in review["body"]
    comments = fake.pulls[2].review_comments
    placed = [(c["path"], c["line"], comment_rule(c)) for c in comments]
    assert placed == expected_inline(report, "app/reports.py")
    assert set(placed) >= PLANTED
    assert {c["side"] for c in comments} == {"RIGHT"}
    assert comments[0]["body"].startswith("**error** · `bandit:B324`")
    outside = len(report["findings"]) - len(placed)
    assert (f"{len(placed)} inline comments on changed lines, most important first. "
            f"{outside} outside this pull request's diff are in the `reviewbot` check run and "
            "the job summary.") in review["body"]
    [sticky] = fake.comments_on(2)
    assert sticky["body"].startswith("<!-- reviewbot:summary -->\n## reviewbot: ")
    assert "| | Criterion | Status | Score | Base | Change |" in sticky["body"]
    assert "<!-- reviewbot:state " in sticky["body"]


def rerun_posts_nothing(fake: FakeGitHub, learner: LearnerRepo, step: ActionsStep,
                        first: StepResult) -> None:
    """The job is re-run on the same head commit: only the two reads, no write."""
    before = len(fake.requests)
    again = step.run("pull_request", pr_event("pull_request.opened.json", learner, learner.head),
                     "f" * 40)
    assert again.returncode == 0, again.stdout + again.stderr
    assert fake.calls(before) == PR_READS
    assert f"reviewbot: {learner.head[:12]} was already reviewed; nothing new is posted" in (
        again.stdout)
    assert (len(fake.pulls[2].reviews), len(fake.comments_on(2)), len(fake.check_runs)) == (1, 1, 1)
    assert again.outputs["score"] == first.outputs["score"]


def new_commit_says_what_was_fixed(fake: FakeGitHub, learner: LearnerRepo, step: ActionsStep
                                   ) -> None:
    """The learner pushes a commit that fixes the MD5 call, and nothing else."""
    commented = len(fake.pulls[2].review_comments)
    [sticky] = fake.comments_on(2)
    fixed_head = learner.commit("Use SHA-256 for report digests", {"app/reports.py": FIXED_REPORTS})
    fake.push_to_pull(2, fixed_head, learner.patch_files(fixed_head))
    before = len(fake.requests)
    third = step.run("pull_request",
                     pr_event("pull_request.synchronize.json", learner, fixed_head), "e" * 40)
    assert third.returncode == 0, third.stdout + third.stderr
    report = report_of(third)
    assert normalised(fake.calls(before)) == [
        *PR_READS,
        f"GET {API}/pulls/2/files",
        f"POST {API}/pulls/2/reviews",
        f"PATCH {API}/issues/comments/{{id}}",
        *check_run_calls(annotatable(report)),
    ]
    latest = fake.pulls[2].reviews[-1]
    assert latest["commit_id"] == fixed_head
    fixed_line = "- fixed since the last review: `bandit:B324` at `app/reports.py:11`\n"
    assert fixed_line in latest["body"]
    assert "- new since the last review: 0 findings\n" in latest["body"]
    assert f"### Since the last review (`{learner.head[:7]}`)" in latest["body"]
    # Every finding on the diff was commented on by the first review: no duplicates.
    assert len(fake.pulls[2].review_comments) == commented
    assert (f"0 inline comments on changed lines, most important first. "
            f"{commented - 1} were commented in an earlier review.") in latest["body"]
    [sticky3] = fake.comments_on(2)
    assert sticky3["id"] == sticky["id"]
    assert fixed_line in sticky3["body"]
    assert fixed_line in third.summary


def test_read_only_token_falls_back_to_summary_and_annotations(
    fake: FakeGitHub, learner: LearnerRepo, step: ActionsStep
) -> None:
    result = step.run("pull_request", pr_event("pull_request.opened.json", learner, learner.head),
                      "f" * 40, token="read-only-token", fail_under="90")
    assert result.returncode == 1, result.stdout + result.stderr
    assert fake.calls() == [
        *PR_READS,
        f"GET {API}/pulls/2/files",
        f"POST {API}/pulls/2/reviews",
        f"POST {API}/issues/2/comments",
        f"POST {API}/check-runs",
    ]
    assert [r.status for r in fake.requests] == [200, 200, 200, 403, 403, 403]
    assert (fake.pulls[2].reviews, fake.comments_on(2), fake.check_runs) == ([], [], {})
    report = report_of(result)
    score = report["grade"]["score"]
    lines = result.stdout.splitlines()
    notice = ("::warning::reviewbot could not post the pull request review, the summary "
              "comment, the check run (HTTP 403): the token is read-only, as on pull requests "
              "from forks, or the workflow lacks a permission (pull-requests: write, checks: "
              "write). The review is in the job summary and the annotations instead.")
    assert lines.count(notice) == 1
    assert sum("could not" in line for line in lines) == 1
    assert f"::error::reviewbot: score {score:.1f} is below fail-under 90" in lines
    assert ("::error file=app/reports.py,line=11,title=bandit%3AB324 (C13)::Use of weak MD5 "
            "hash for security. Consider usedforsecurity=False") in lines
    errors = [line for line in lines if line.startswith("::error file=")]
    warnings = [line for line in lines if line.startswith("::warning file=")]
    assert 0 < len(errors) <= 10 and len(warnings) == 10
    assert lines[-1].startswith("::notice::reviewbot: ") and lines[-1].endswith(
        " more findings are listed in the job summary")
    assert result.outputs["score"] == f"{score:.1f}"
    assert result.outputs["letter"] == report["grade"]["letter"]
    assert result.summary.startswith("> reviewbot could not post the pull request review")
    assert "# reviewbot review: " in result.summary


def test_push_makes_a_check_run_and_a_job_summary(
    fake: FakeGitHub, learner: LearnerRepo, step: ActionsStep
) -> None:
    event = load_fixture("webhooks/push.to-existing-branch.derived.json")
    event.update(before=learner.base, after=learner.head)
    result = step.run("push", event, learner.head)
    assert result.returncode == 0, result.stdout + result.stderr
    report = report_of(result)
    assert normalised(fake.calls()) == check_run_calls(annotatable(report))
    [check] = fake.check_runs.values()
    assert (check["head_sha"], check["conclusion"]) == (learner.head, "success")
    assert len(check["annotations"]) == annotatable(report)
    assert "Change:" not in check["output"]["summary"]  # no base to compare with on a push
    assert result.summary.startswith(f"## reviewbot: {report['grade']['letter']} · ")
    assert result.outputs["level"] == "beginner"
