"""The markdown report: hostile repo text stays inert, the 65,000-character cap, the findings
cap and folding. Rendered to HTML with markdown-it (CommonMark + GFM tables, raw HTML on, as
GitHub allows some) to check what a reader would actually get."""

from __future__ import annotations

import re
from dataclasses import replace

from markdown_it import MarkdownIt

from reviewbot.model import AnalyzerRun, AnalyzerStatus, Finding, Report, Severity, SkippedFile
from reviewbot.reporters.markdown import MAX_CHARS, render

from .sample_reports import learner_report, notebooks_report, strong_report

HOSTILE = "x](http://evil)`<img src=x onerror=alert(1)>.py"
HTML = MarkdownIt("commonmark", {"html": True}).enable("table")


def to_html(markdown: str) -> str:
    return str(HTML.render(markdown))


def hostile_report() -> Report:
    report = learner_report()
    criteria = (replace(report.criteria[0], summary=f"see {HOSTILE} | <b>x</b>"),
                *report.criteria[1:])
    return replace(
        report,
        repo=replace(report.repo, source=HOSTILE, skipped_files=(SkippedFile(HOSTILE, HOSTILE),)),
        criteria=criteria,
        findings=(Finding("RB0501", "C05", Severity.ERROR, HOSTILE, 3,
                          f"ping @octocat ![i](http://evil/i.png) {HOSTILE}", "structure",
                          suppressed="<script>alert(1)</script>"),),
        analyzers=(AnalyzerRun(HOSTILE, AnalyzerStatus.FAILED, 1.0, ("C05",), HOSTILE),),
        next_steps=(replace(report.next_steps[0], action=f"rename {HOSTILE}"),),
    )


def test_hostile_file_name_adds_no_link_image_or_html() -> None:
    html = to_html(render(hostile_report()))
    assert "<img" not in html
    assert "<script" not in html
    assert "<b>" not in html
    assert re.findall(r"<a |href=|src=\"", html) == []
    escaped = "x](http://evil)`&lt;img src=x onerror=alert(1)&gt;.py"
    assert f"<code>{escaped}:3</code>" in html  # the finding's location
    assert f"<li><code>{escaped}</code>: {escaped}</li>" in html  # the skipped file
    assert f"<td><code>{escaped}</code></td>" in html  # the analyzer, in a table cell
    assert f"<td>see {escaped} | &lt;b&gt;x&lt;/b&gt;</td>" in html  # the criterion summary


def test_table_rows_keep_their_five_cells_whatever_the_text() -> None:
    html = to_html(render(hostile_report()))
    criteria_table = html.split("<table>")[1]
    rows = re.findall(r"<tr>(.*?)</tr>", criteria_table, flags=re.S)
    assert len(rows) == 21
    assert {row.count("<td") + row.count("<th") for row in rows} == {5}


def test_mentions_are_broken_so_nobody_is_notified() -> None:
    text = render(hostile_report())
    assert "@octocat" not in text
    assert "ping @\u2060octocat" in text


def test_five_thousand_findings_stay_under_the_comment_limit() -> None:
    report = learner_report()
    findings = tuple(
        Finding(f"ruff:E{n % 7}", "C01", [Severity.INFO, Severity.WARNING, Severity.ERROR][n % 3],
                f"app/module_{n:04d}.py", n + 1, "m" * 300, "ruff")
        for n in range(5000)
    )
    text = render(replace(report, findings=findings))
    assert len(text) <= MAX_CHARS
    listed = re.findall(r"^- (?:\*\*\w+\*\*|info) · `([^`]+)`", text, flags=re.M)
    assert 100 < len(listed) < 200
    most_important = sorted(findings, key=Finding.sort_key)[: len(listed)]
    assert sorted(listed) == sorted(f.location for f in most_important)
    assert {f.severity for f in most_important} == {Severity.ERROR}
    assert f"Showing the {len(listed):,} most important of 5,000 findings" in text
    assert f"- … and {5000 - len(listed):,} more not shown" in text
    assert text.endswith("<sub>reviewbot 0\\.1\\.0 · rules 2026\\.11\\.1</sub>\n")


def test_at_most_200_findings_are_listed() -> None:
    report = learner_report()
    findings = tuple(Finding("ruff:F401", "C01", Severity.WARNING, f"m{n:03d}.py", 1, "unused",
                             "ruff") for n in range(300))
    text = render(replace(report, findings=findings))
    assert len(re.findall(r"^- \*\*warning\*\* · `m\d{3}\.py:1`", text, flags=re.M)) == 200
    assert "`m199.py:1`" in text
    assert "`m200.py:1`" not in text
    assert "Showing the 200 most important of 300 findings; the JSON report lists them all." in text


def test_long_criteria_fold_into_details_and_short_ones_do_not() -> None:
    text = render(learner_report())
    assert text.count("<details>") == 1
    c01 = text.index("### C01 Clean, idiomatic Python (10 findings)")
    assert text[c01:].startswith(
        "### C01 Clean, idiomatic Python (10 findings)\n\n"
        "<details><summary>Show 10 findings</summary>\n\n- **error** · `app/crud.py:41`"
    )
    assert "### Type hints and static typing" not in text
    assert "### C03 Type hints and static typing (5 findings)\n\n- **error**" in text


def test_title_carries_letter_score_and_level() -> None:
    assert render(strong_report()).startswith("# reviewbot review: A- · 91.4/100 · job-ready\n")


def test_non_backend_title_has_the_verdict_and_no_letter() -> None:
    text = render(notebooks_report())
    assert text.startswith(
        "# reviewbot review: not a Python backend repository\n\n"
        "> not a Python backend repository\\: no web framework or server entry point, "
        "5 notebooks and 3 scripts\n"
    )
    assert "/100" not in text


def test_only_plain_https_doc_urls_become_links() -> None:
    report = learner_report()
    good = replace(report.findings[0], doc_url="https://docs.example/rule")
    bad = replace(report.findings[1], doc_url="javascript:alert(1)")
    html = to_html(render(replace(report, findings=(good, bad))))
    assert re.findall(r'href="([^"]*)"', html) == ["https://docs.example/rule"]
