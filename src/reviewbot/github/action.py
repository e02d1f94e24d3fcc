"""`reviewbot action`: the GitHub Action's entry point.

Reads the Actions environment, scans the checked-out workspace (and, on a pull request, the
base commit from the same clone), then publishes:

- pull_request: one review whose body is the graded summary, with inline comments on the
  PR's changed lines only (most important first, at most `MAX_INLINE_COMMENTS`, none twice
  for the same finding), the sticky summary comment, and the `reviewbot` check run;
- push (and any other event): the check run;
- always: the job summary, the JSON report (and SARIF) files and the step outputs.

A re-run on a head commit already reviewed posts nothing. A write GitHub refuses falls back
to the job summary and workflow-command annotations; the outputs and the exit code are set
all the same: 1 when the score is under `fail-under` or dropped against the base with
`fail-on-regression`, 2 for a bad input or config, 3 for a bug.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

from github.PullRequest import ReviewComment

from reviewbot.commentary import attach_commentary
from reviewbot.github import bodies
from reviewbot.github.actions_env import (
    ANNOTATIONS_PER_LEVEL,
    ActionInputs,
    ActionLog,
    ActionsEnv,
    ActionsEnvError,
    PullRequestInfo,
    append_step_summary,
    workspace_path,
    write_outputs,
)
from reviewbot.github.diff import DiffIndex
from reviewbot.github.fingerprint import SourceLines, fingerprint_findings
from reviewbot.github.publish import ExistingComment, GitHubPublisher
from reviewbot.github.regression import Regression, RegressionError, compare, scan_base
from reviewbot.github.state import (
    KnownFinding,
    RunState,
    is_summary_comment,
    parse_review_marker,
    parse_state_marker,
    review_marker,
    state_marker,
)
from reviewbot.model import Finding, Report, Severity
from reviewbot.pipeline import scan
from reviewbot.reporters import json_report, markdown, render
from reviewbot.rulebook import default_rulebook
from reviewbot.settings import Settings, SettingsError, load_settings
from reviewbot.source.checkout import SourceError
from reviewbot.source.git import head_commit

MAX_INLINE_COMMENTS = 25
MAX_ANNOTATIONS = 500



@dataclass(frozen=True, slots=True)
class Scanned:
    """One run's review of the workspace and everything derived from it."""

    report: Report
    root: Path
    prefix: str  # the scanned folder inside the repository; "" for the root
    fingerprints: Mapping[Finding, str]
    regression: Regression | None
    base_note: str

    def repo_path(self, finding: Finding) -> str:
        return f"{self.prefix}/{finding.path}" if self.prefix else finding.path

    def state(self, sha: str) -> RunState:
        ordered = sorted(self.report.findings, key=Finding.sort_key)
        known = tuple(
            KnownFinding(self.fingerprints[f], f.rule, self.repo_path(f), f.line) for f in ordered
        )
        return RunState(sha, self.report.grade.score, known)


@dataclass(frozen=True, slots=True)
class Verdict:
    conclusion: str  # the check run's
    reasons: tuple[str, ...]

    @property
    def exit_code(self) -> int:
        return 1 if self.reasons else 0


def run(environ: Mapping[str, str], stream: TextIO) -> int:
    """Run the Action in the environment `environ`, logging to `stream`; the exit code."""
    log = ActionLog(stream)
    try:
        env = ActionsEnv.from_environ(environ)
        inputs = ActionInputs.from_environ(environ)
        config = workspace_path(env.workspace, inputs.config) if inputs.config else None
        settings = load_settings(config, environ=environ, fail_under=inputs.fail_under)
        if settings.llm_api_key or settings.llm_base_url:
            # The workflow gave an `openai-api-key` or `openai-base-url`: commentary is on.
            settings = replace(settings, llm=True)
        pr = env.pull_request
        scanned = _scan(env, inputs, settings, pr, log)
    except (ActionsEnvError, SettingsError, SourceError) as exc:
        log.error(f"reviewbot: {exc}")
        return 2
    verdict = _verdict(scanned, settings, inputs)
    report = scanned.report
    log.info(f"reviewbot: {bodies.grade_line(report)} ({len(report.findings):,} findings)")
    for reason in verdict.reasons:
        log.error(f"reviewbot: {reason}")
    outputs = _write_files(env, inputs, scanned)
    since = None
    published_checks = False
    notes: list[str] = []
    if inputs.token:
        publisher = GitHubPublisher(inputs.token, env.api_url, env.repository, log)
        if pr is not None:
            since, published_checks = _publish_pull_request(
                publisher, pr, scanned, verdict, inputs, log
            )
        else:
            published_checks = _publish_check_run(publisher, env.head_sha, scanned, verdict,
                                                  inputs, since=None)
        notes += _fallback_notice(publisher, log)
    else:
        notes.append("No `github-token`: the review is only in this job summary.")
        log.warning("reviewbot: no github-token, so nothing is posted to GitHub; the review is "
                    "in the job summary")
    if inputs.annotations and not published_checks:
        _annotate(scanned, log)
    summary = bodies.summary_markdown(
        report, regression=scanned.regression, base_note=scanned.base_note, since=since
    )
    notes_md = "".join(f"> {note}\n\n" for note in notes)
    append_step_summary(env.summary_file,
                        f"{notes_md}{summary}\n---\n\n{markdown.render(report)}")
    write_outputs(env.output_file, outputs)
    return verdict.exit_code


def _scan(
    env: ActionsEnv, inputs: ActionInputs, settings: Settings, pr: PullRequestInfo | None,
    log: ActionLog,
) -> Scanned:
    root = workspace_path(env.workspace, inputs.path)
    try:
        prefix = root.resolve().relative_to(env.workspace.resolve()).as_posix()
    except ValueError:
        raise ActionsEnvError(f"input `path` is outside the workspace: {inputs.path}") from None
    prefix = "" if prefix == "." else prefix
    log.group(f"reviewbot: scanning {env.repository}" + (f"/{prefix}" if prefix else ""))
    report = scan(str(root), settings)
    display = env.repository + (f"/{prefix}" if prefix else "")
    report = replace(report, repo=replace(report.repo, source=display))
    report = attach_commentary(report, root, settings)
    regression, base_note = None, ""
    if pr is not None:
        checked_out = head_commit(env.workspace)
        if checked_out and checked_out != pr.head_sha:
            log.notice(
                f"reviewbot: the workspace is at {checked_out[:12]}, not the pull request's "
                f"head {pr.head_sha[:12]}; check out github.event.pull_request.head.sha so "
                "inline comments land on the right lines"
            )
        try:
            base, base_sha = scan_base(env.workspace, pr.base_sha, settings, prefix=prefix,
                                       display=display)
            regression = compare(base, report, base_sha)
        except RegressionError as exc:
            base_note = f"not compared with the base branch: {exc}"
            log.warning(f"reviewbot: {base_note}")
    log.end_group()
    fingerprints = fingerprint_findings(report.findings, SourceLines(root), prefix)
    return Scanned(report, root, prefix, fingerprints, regression, base_note)


def _verdict(scanned: Scanned, settings: Settings, inputs: ActionInputs) -> Verdict:
    score = scanned.report.grade.score
    reasons = []
    if settings.fail_under is not None and score is not None and score < settings.fail_under:
        reasons.append(f"score {score:.1f} is below fail-under {settings.fail_under:g}")
    regression = scanned.regression
    if inputs.fail_on_regression and regression is not None and regression.regressed:
        reasons.append(
            f"score dropped by {-(regression.delta or 0):.1f} against the base branch "
            f"({regression.base_sha[:7]})"
        )
    if reasons:
        return Verdict("failure", tuple(reasons))
    return Verdict("neutral" if score is None else "success", ())


def sarif_for_repository(text: str, prefix: str) -> str:
    """SARIF whose URIs are relative to the scanned folder, made relative to the repository
    root (code scanning places results from there) when the folder is `prefix`."""
    if not prefix:
        return text
    log = json.loads(text)
    base = quote(prefix.strip("/"), safe="/")
    for run in log.get("runs", []):
        for result in run.get("results", []):
            for location in result.get("locations", []):
                artifact = location.get("physicalLocation", {}).get("artifactLocation", {})
                if "uri" in artifact:
                    artifact["uri"] = f"{base}/{artifact['uri']}"
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _write_files(env: ActionsEnv, inputs: ActionInputs, scanned: Scanned) -> dict[str, str]:
    report = scanned.report
    folder = env.temp_dir / "reviewbot"
    folder.mkdir(parents=True, exist_ok=True)
    report_file = folder / "report.json"
    report_file.write_text(json_report.render(report), encoding="utf-8")
    sarif_file = ""
    if inputs.sarif:
        text = sarif_for_repository(render(report, "sarif", root=scanned.root), scanned.prefix)
        (folder / "reviewbot.sarif").write_text(text, encoding="utf-8")
        sarif_file = str(folder / "reviewbot.sarif")
    grade = report.grade
    return {
        "score": "" if grade.score is None else f"{grade.score:.1f}",
        "letter": grade.letter or "",
        "level": grade.level.value,
        "report-json": str(report_file),
        "sarif-file": sarif_file,
    }


@dataclass(frozen=True, slots=True)
class _Earlier:
    """What earlier runs left on the pull request."""

    state: RunState | None
    reviewed_shas: frozenset[str]
    commented: frozenset[str]
    sticky: ExistingComment | None


def _earlier(publisher: GitHubPublisher, number: int, inputs: ActionInputs) -> _Earlier:
    reviews = publisher.review_bodies(number) if inputs.comment.review else []
    comments = publisher.issue_comments(number) if inputs.comment.summary else []
    markers = [m for m in map(parse_review_marker, reviews) if m is not None]
    sticky = next((c for c in comments if is_summary_comment(c.body)), None)
    state = parse_state_marker(sticky.body) if sticky else None
    if state is None:
        states = [s for s in map(parse_state_marker, reviews) if s is not None]
        state = states[-1] if states else None
    return _Earlier(
        state=state,
        reviewed_shas=frozenset(m.sha for m in markers),
        commented=frozenset(fp for m in markers for fp in m.commented),
        sticky=sticky,
    )


def _since(scanned: Scanned, state: RunState | None, head_sha: str) -> bodies.SinceLast | None:
    if state is None or state.sha == head_sha:
        return None
    now = set(scanned.fingerprints.values())
    before = {k.fingerprint for k in state.findings}
    fixed = tuple(k for k in state.findings if k.fingerprint not in now)
    return bodies.SinceLast(state.sha, state.score, fixed, len(now - before))


def _plan_inline(
    scanned: Scanned, diff: DiffIndex | None, commented: frozenset[str]
) -> tuple[list[Finding], bodies.InlineStats]:
    ordered = sorted(scanned.report.findings, key=Finding.sort_key)
    on_diff = [
        f for f in ordered
        if diff is not None and f.line and f.suppressed is None
        and (scanned.repo_path(f), f.line) in diff
    ]
    fresh = [f for f in on_diff if scanned.fingerprints[f] not in commented]
    chosen = fresh[:MAX_INLINE_COMMENTS]
    stats = bodies.InlineStats(
        posted=len(chosen),
        over_cap=len(fresh) - len(chosen),
        already_commented=len(on_diff) - len(fresh),
        outside_diff=len(ordered) - len(on_diff),
        cap=MAX_INLINE_COMMENTS,
    )
    return chosen, stats


def _publish_pull_request(
    publisher: GitHubPublisher,
    pr: PullRequestInfo,
    scanned: Scanned,
    verdict: Verdict,
    inputs: ActionInputs,
    log: ActionLog,
) -> tuple[bodies.SinceLast | None, bool]:
    """Review, sticky comment and check run; (the change since the last review, whether the
    check run carries the annotations)."""
    earlier = _earlier(publisher, pr.number, inputs)
    since = _since(scanned, earlier.state, pr.head_sha)
    if pr.head_sha in earlier.reviewed_shas or (
        earlier.state is not None and earlier.state.sha == pr.head_sha
    ):
        log.info(f"reviewbot: {pr.head_sha[:12]} was already reviewed; nothing new is posted")
        return since, True
    summary = bodies.summary_markdown(
        scanned.report, regression=scanned.regression, base_note=scanned.base_note, since=since
    )
    state = state_marker(scanned.state(pr.head_sha))
    notes: list[str] = []
    if inputs.comment.review:
        files = publisher.pull_files(pr.number)
        diff = DiffIndex.from_files(files) if files is not None else None
        chosen, stats = _plan_inline(scanned, diff, earlier.commented)
        comments: list[ReviewComment] = [
            {"path": scanned.repo_path(f), "line": f.line or 1, "side": "RIGHT",
             "body": bodies.inline_comment(f, default_rulebook())}
            for f in chosen
        ]
        markers = [review_marker(pr.head_sha, (scanned.fingerprints[f] for f in chosen))]
        if not inputs.comment.summary:
            markers.append(state)
        publisher.create_review(
            pr.number, pr.head_sha, bodies.review_body(summary, stats, markers), comments
        )
        notes.append(bodies.inline_note(stats))
    if inputs.comment.summary:
        body = bodies.sticky_comment(summary, notes, state)
        if earlier.sticky is None:
            publisher.create_comment(pr.number, body)
        elif earlier.sticky.body != body:
            publisher.update_comment(earlier.sticky, body)
    checks = _publish_check_run(publisher, pr.head_sha, scanned, verdict, inputs, since)
    return since, checks


def _publish_check_run(
    publisher: GitHubPublisher,
    head_sha: str,
    scanned: Scanned,
    verdict: Verdict,
    inputs: ActionInputs,
    since: bodies.SinceLast | None,
) -> bool:
    report = scanned.report
    summary = bodies.summary_markdown(
        report, regression=scanned.regression, base_note=scanned.base_note, since=since
    )
    if verdict.reasons:
        summary = "".join(f"> **Failed:** {r}\n" for r in verdict.reasons) + "\n" + summary
    annotations: list[dict[str, Any]] = []
    if inputs.annotations:
        # A repository-wide finding (path ".") has no file to sit on: the summary shows it.
        placed = [f for f in sorted(report.findings, key=Finding.sort_key)
                  if f.path not in ("", ".")]
        annotations = [bodies.annotation(f, scanned.repo_path(f))
                       for f in placed[:MAX_ANNOTATIONS]]
        if len(placed) > MAX_ANNOTATIONS:
            summary += (f"\nAnnotations show the {MAX_ANNOTATIONS} most important of "
                        f"{len(placed):,} findings in files.\n")
    return publisher.create_check_run(
        head_sha,
        conclusion=verdict.conclusion,
        title=bodies.check_title(report),
        summary=bodies.check_text(summary),
        text=bodies.check_text(markdown.render(report)),
        annotations=annotations,
    )


def _fallback_notice(publisher: GitHubPublisher, log: ActionLog) -> list[str]:
    """One warning for every write GitHub refused with 403, and the job summary's note."""
    if not publisher.denied:
        return []
    what = ", ".join(dict.fromkeys(publisher.denied))
    message = (
        f"reviewbot could not post {what} (HTTP 403): the token is read-only, as on pull "
        "requests from forks, or the workflow lacks a permission (pull-requests: write, "
        "checks: write). The review is in the job summary and the annotations instead."
    )
    log.warning(message)
    return [message]


def _annotate(scanned: Scanned, log: ActionLog) -> None:
    """Workflow-command annotations, most important first: GitHub shows 10 per level."""
    shown: dict[Severity, int] = dict.fromkeys(Severity, 0)
    left = 0
    for finding in sorted(scanned.report.findings, key=Finding.sort_key):
        if finding.path in ("", ".") or shown[finding.severity] >= ANNOTATIONS_PER_LEVEL:
            left += 1
            continue
        shown[finding.severity] += 1
        command: Callable[..., None] = {
            Severity.ERROR: log.error, Severity.WARNING: log.warning, Severity.INFO: log.notice,
        }[finding.severity]
        command(
            finding.message,
            file=scanned.repo_path(finding),
            line=finding.line,
            endLine=finding.end_line,
            title=f"{finding.rule} ({finding.criterion})",
        )
    if left:
        log.notice(f"reviewbot: {left:,} more findings are listed in the job summary")



def verdict_for(scanned: Scanned, settings: Settings, inputs: ActionInputs) -> Verdict:
    """The check run's conclusion and the reasons for a failure, as the Action decides them.
    The webhook service calls this too."""
    return _verdict(scanned, settings, inputs)


def publish_to_github(
    publisher: GitHubPublisher,
    scanned: Scanned,
    verdict: Verdict,
    inputs: ActionInputs,
    log: ActionLog,
    *,
    head_sha: str,
    pull_request: PullRequestInfo | None,
) -> bool:
    """Post what the Action posts: on a pull request the review, the sticky comment and the
    check run; otherwise the check run. Whether the check run carries the annotations. The
    webhook service publishes through this."""
    if pull_request is not None:
        return _publish_pull_request(publisher, pull_request, scanned, verdict, inputs, log)[1]
    return _publish_check_run(publisher, head_sha, scanned, verdict, inputs, since=None)
