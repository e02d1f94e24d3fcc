"""What reviewbot posts: exact texts, escaping of repository text, GitHub's size limits."""

from __future__ import annotations

from reviewbot.github import bodies
from reviewbot.github.regression import compare
from reviewbot.github.state import KnownFinding
from reviewbot.model import (
    CriterionResult,
    CriterionStatus,
    Finding,
    Grade,
    Level,
    NextStep,
    RepoInfo,
    Report,
    Severity,
    ToolInfo,
)

HOSTILE = "@octocat <img src=x onerror=alert(1)> [click](https://evil.example) ```"


def report(score: float, c01: float, findings: tuple[Finding, ...] = ()) -> Report:
    return Report(
        tool=ToolInfo("reviewbot", "0.1.0", "2026.11.1"),
        repo=RepoInfo("o/r", "c" * 40, ("fastapi",), 3, 120, True),
        grade=Grade(score, "C", Level.INTERMEDIATE),
        criteria=(
            CriterionResult("C01", "Clean, idiomatic Python", CriterionStatus.OK, c01, 6.0, "s"),
            CriterionResult("C04", "Async done right", CriterionStatus.NOT_APPLICABLE, None, 3.0,
                            "n/a"),
        ),
        findings=findings,
        analyzers=(),
        next_steps=(NextStep("C01", "Remove the unused import in `app/a.py:1`.", 2.5),),
    )


def finding(message: str = "`os` imported but unused", line: int | None = 1) -> Finding:
    return Finding("ruff:F401", "C01", Severity.INFO, "app/a.py", line, message, "ruff",
                   fix="Remove unused import: `os`")


def test_summary_with_base_and_last_review() -> None:
    head = report(72.35, 70.0, (finding(),))
    base = report(74.0, 75.5)
    since = bodies.SinceLast("d" * 40, 71.0, (
        KnownFinding("f1", "bandit:B324", "app/reports.py", 11),
        KnownFinding("f2", "RB0603", ".env", None),
    ), new=1)
    text = bodies.summary_markdown(head, regression=compare(base, head, "b" * 40), since=since)
    assert text == (
        "## reviewbot: C · 72.3/100 · intermediate\n"
        "\n"
        "**Change:** -1.7 against the base branch (`bbbbbbb`) · +1.3 since the last review "
        "(`ddddddd`)\n"
        "\n"
        "### Since the last review (`ddddddd`)\n"
        "\n"
        "- fixed since the last review: `bandit:B324` at `app/reports.py:11`, `RB0603` at "
        "`.env`\n"
        "- new since the last review: 1 finding\n"
        "\n"
        "### Criteria\n"
        "\n"
        "| | Criterion | Status | Score | Base | Change |\n"
        "|---|---|---|---:|---:|---:|\n"
        "| C01 | Clean, idiomatic Python | ✔️ ok | 70.0 | 75.5 | -5.5 |\n"
        "| C04 | Async done right | \N{HEAVY MINUS SIGN} n/a | — | — | — |\n"
        "\n"
        "### Next steps\n"
        "\n"
        "1. **C01** Remove the unused import in \\`app/a\\.py\\:1\\`\\. (+2.5 points)\n"
        "\n"
        "1 finding in all.\n"
    )


def test_summary_without_comparisons() -> None:
    text = bodies.summary_markdown(report(80.0, 80.0), base_note="not compared: no base")
    assert text.splitlines()[:5] == [
        "## reviewbot: C · 80.0/100 · intermediate", "", "**Change:** not compared\\: no base", "",
        "### Criteria",
    ]
    assert "| | Criterion | Status | Score |" in text


def test_inline_comment_escapes_repository_text() -> None:
    body = bodies.inline_comment(finding(HOSTILE))
    assert body == (
        "info · `ruff:F401`\n\n"
        "@\u2060octocat \\<img src=x onerror=alert\\(1\\)\\> \\[click\\]\\(https\\://evil\\.example"
        "\\) \\`\\`\\`\n\n"
        "**Fix:** Remove unused import\\: \\`os\\`\n\n"
        "<sub>`reviewbot explain ruff:F401` says why it matters and how to fix it.</sub>\n"
    )


def test_bodies_stay_under_githubs_limits() -> None:
    huge = "x" * 200_000
    marker = "<!-- reviewbot:state AAAA -->"
    sticky = bodies.sticky_comment(huge, ["note"], marker)
    assert len(sticky) <= bodies.COMMENT_LIMIT
    assert sticky.startswith("<!-- reviewbot:summary -->\n")
    assert sticky.endswith(marker + "\n")
    assert "*… cut to fit.*" in sticky
    stats = bodies.InlineStats(posted=25, over_cap=3, already_commented=2, outside_diff=40, cap=25)
    review = bodies.review_body(huge, stats, ["<!-- m1 -->", "<!-- m2 -->"])
    assert len(review) <= bodies.COMMENT_LIMIT
    assert review.endswith("<!-- m1 -->\n<!-- m2 -->\n")
    assert len(bodies.check_text(huge)) <= bodies.CHECK_TEXT_LIMIT
    assert bodies.check_text("short") == "short"


def test_inline_note_counts_everything() -> None:
    stats = bodies.InlineStats(posted=25, over_cap=3, already_commented=2, outside_diff=40, cap=25)
    assert bodies.inline_note(stats) == (
        "25 inline comments on changed lines, most important first. 3 more on changed lines are "
        "not commented (at most 25 per review). 2 were commented in an earlier review. 40 "
        "outside this pull request's diff are in the `reviewbot` check run and the job summary.\n"
    )


def test_annotation_is_bounded() -> None:
    long = Finding("RB0701", "C07", Severity.ERROR, "app/db.py", 7, "m" * 10_000, "databases",
                   end_line=5)
    assert bodies.annotation(long, "backend/app/db.py") == {
        "path": "backend/app/db.py", "start_line": 7, "end_line": 7,
        "annotation_level": "failure", "title": "RB0701 (C07)",
        "message": "m" * 3_999 + "…",
    }
    no_line = Finding("RB0603", "C13", Severity.WARNING, ".env", None, "committed", "hygiene")
    assert bodies.annotation(no_line, ".env")["start_line"] == 1


def test_no_grade() -> None:
    empty = Report(
        tool=ToolInfo("reviewbot", "0.1.0", "r"),
        repo=RepoInfo("o/r", None, (), 0, 0, False),
        grade=Grade(None, None, Level.NOT_APPLICABLE),
        criteria=(), findings=(), analyzers=(), next_steps=(),
        verdict="not a Python backend repository: it holds no Python code reviewbot could read",
    )
    assert bodies.check_title(empty) == "reviewbot: not a Python backend repository"
    assert bodies.summary_markdown(empty) == (
        "## reviewbot: not a Python backend repository\n\n"
        "> not a Python backend repository\\: it holds no Python code reviewbot could read\n\n"
        "0 findings in all.\n"
    )
