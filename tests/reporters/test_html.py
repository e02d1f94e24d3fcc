"""The HTML reporter: one self-contained, escaped page with the grade, the chart of the 20
criteria, findings by criterion with masked excerpts, next steps, analyzers and skipped files."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from reviewbot.model import CriterionStatus, Finding, Report
from reviewbot.reporters import html

from .frozen_rules import frozen_rulebook
from .goldens import assert_golden
from .sample_reports import (
    ERR,
    INFO,
    SAMPLES,
    WARN,
    finding,
    learner_report,
    notebooks_report,
    strong_report,
)

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def render(report: Report, root: Path | None = None) -> str:
    return html.render(report, root=root, rulebook=frozen_rulebook())


class Elements(HTMLParser):
    """Every start tag with its attributes, to check what the page would load."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def elements(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Elements()
    parser.feed(page)
    return parser.tags


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_output_matches_golden(sample: str) -> None:
    assert_golden(f"{sample}.html", render(SAMPLES[sample]()))


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_page_is_self_contained(sample: str) -> None:
    page = render(SAMPLES[sample]())
    tags = elements(page)
    names = {tag for tag, _ in tags}
    assert not names & {"script", "link", "img", "iframe", "object", "embed", "image", "use"}
    for tag, attrs in tags:
        assert "src" not in attrs, tag
        assert not [name for name in attrs if name.startswith("on")], tag
        if tag == "a":
            assert (attrs["href"] or "").startswith(("#", "https://")), attrs
    assert ("meta", {"http-equiv": "Content-Security-Policy", "content": CSP}) in tags
    # Only fragment references in CSS: no url(http...), no @import, no web fonts.
    assert set(re.findall(r"url\(([^)]*)\)", page)) == {"#hatch"}
    assert "@import" not in page
    assert "@font-face" not in page
    assert page.count("<svg") == 1


def test_grade_chart_next_steps_and_tables_of_the_learner_report() -> None:
    page = render(learner_report())
    assert "<title>reviewbot review: D- 61.2 · https://github.com/alice/todo-api</title>" in page
    assert '<div class="letter band-d" aria-hidden="true">D-</div>' in page
    assert '<p class="score">Grade D- · 61.2 / 100</p>' in page
    assert "<p class=\"level\">Level: <strong>beginner</strong></p>" in page
    bars = re.findall(r'<rect class="bar bar-([a-z-]+)" x="360" y="(\d+)" width="([\d.]+)"',
                      page)
    assert len(bars) == 20
    assert bars[0] == ("weak", "24", "186.6")  # C01 58.3 of 320 units
    assert bars[5] == ("incomplete", "154", "320.0")  # C06 not measured: full, hatched
    assert bars[14] == ("missing", "388", "3.0")  # C15 scored 0: a sliver, not a gap
    assert ">58.3 · weak</text>" in page
    assert ">incomplete</text>" in page
    assert ('<li><strong>C15</strong> Add a tests/ folder with pytest tests for your endpoints, '
            'starting with TestClient on the happy path and one 404 '
            '<span class="gain">+6.4 points</span></li>') in page
    assert ('<tr><td>C06 Version-control hygiene</td><td class="status st-incomplete">'
            'incomplete</td><td class="num">—</td><td>git-history timed out: history not '
            'analysed</td></tr>') in page
    assert ('<tr><td><code>git-history</code></td><td class="status st-timeout">timeout</td>'
            '<td class="num">30.0 s</td><td>C06</td><td>no answer after 30 s</td></tr>') in page
    assert "<h2>Skipped files (4)</h2>" in page
    assert "<li><code>vendor/legacy.py</code>: not valid UTF-8</li>" in page


def test_findings_are_grouped_by_criterion_most_important_first() -> None:
    page = render(learner_report())
    headings = re.findall(r'<h3 id="h-(C\d\d)">([^<]*)</h3>', page)
    assert headings == [
        ("C01", "C01 Clean, idiomatic Python (10 findings)"),
        ("C02", "C02 Complexity and maintainability (1 finding)"),
        ("C03", "C03 Type hints and static typing (5 findings)"),
        ("C05", "C05 Project structure and dependency management (1 finding)"),
        ("C06", "C06 Version-control hygiene (2 findings)"),
        ("C13", "C13 Security basics (4 findings)"),
        ("C15", "C15 Testing (1 finding)"),
    ]
    c01 = page[page.index('id="findings-C01"'):page.index('id="findings-C02"')]
    severities = re.findall(r'<span class="pill pill-(\w+)">', c01)
    assert severities == ["error"] * 2 + ["warning"] * 6 + ["info"] * 2
    assert ('<a href="https://docs.astral.sh/ruff/rules/bare-except" rel="noreferrer noopener">'
            "<code>ruff:E722</code></a>") in c01
    assert '<p class="fix">Fix: Remove the unused import</p>' in c01
    # The rules of the section are explained once, from the rule docs.
    assert "<dt><code>ruff:E722</code> Checks for bare <code>except</code> catches.</dt>" in c01
    assert ("<dd><strong>Fix.</strong> Catch the specific exceptions you expect: "
            "<code>except ValueError:</code>.</dd>") in c01
    assert '<p class="message"><code>os</code> imported but unused</p>' in c01
    assert ("<dt><code>ruff:T201</code> ruff:T201: A ruff rule without a reviewbot page of its "
            "own.</dt>") in c01
    c13 = page[page.index('id="findings-C13"'):page.index('id="findings-C15"')]
    assert ('<p class="suppressed">Suppressed in the code: local development only '
            "(still counted)</p>") in c13


def test_not_a_backend_report_shows_the_verdict() -> None:
    page = render(notebooks_report())
    assert '<div class="letter band-none" aria-hidden="true">n/a</div>' in page
    assert '<p class="score">Not graded</p>' in page
    assert ('<p class="verdict">not a Python backend repository: no web framework or server '
            "entry point, 5 notebooks and 3 scripts</p>") in page
    assert page.count('class="bar bar-not-applicable"') == 20
    assert 'id="next-steps"' not in page


def test_strong_report_grade_band() -> None:
    page = render(strong_report())
    assert '<div class="letter band-a" aria-hidden="true">A-</div>' in page
    assert page.count('class="bar bar-strong"') == 17


def hostile_report() -> Report:
    script = "<script>alert(1)</script>"
    findings = (
        finding("ruff:F401", WARN, (f"app/{script}.py", 3), '<img src=x onerror="alert(2)">'),
        finding("ruff:E722", ERR, ("app/x.py", 1), "bare", doc_url="javascript:alert(3)",
                fix="</p><script>alert(4)</script>"),
    )
    report = learner_report()
    return dataclasses.replace(
        report,
        findings=findings,
        verdict="\x1b[31m<b>bold</b>",
        criteria=tuple(dataclasses.replace(c, title=c.title + "<i>") for c in report.criteria),
        repo=dataclasses.replace(report.repo, source=f"https://example.com/{script}"),
    )


def test_repo_text_cannot_become_markup(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "x.py").write_text("</code></pre><script>alert(5)</script>\n")
    page = render(hostile_report(), root=tmp_path)
    assert "<script" not in page
    assert "<img" not in page
    assert "<b>" not in page and "<i>" not in page
    assert "javascript:" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in page
    assert "&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;alert(5)&lt;/script&gt;" in page
    assert "\\x1b[31m&lt;b&gt;bold&lt;/b&gt;" in page
    assert "\x1b" not in page
    names = {tag for tag, _ in elements(page)}
    assert "script" not in names and "img" not in names


def write_sources(root: Path) -> None:
    (root / "app").mkdir()
    lines = [f"# line {n}" for n in range(1, 21)]
    lines[3] = 'PASSWORD = "hunter2-but-longer"'
    lines[11] = "    except:"
    (root / "app" / "crud.py").write_text("\n".join(lines) + "\n")


def test_excerpts_come_from_the_root_masked(tmp_path: Path) -> None:
    write_sources(tmp_path)
    report = dataclasses.replace(learner_report(), findings=(
        finding("bandit:B105", ERR, ("app/crud.py", 4), "Possible hardcoded password: '••••'"),
        finding("ruff:E722", ERR, ("app/crud.py", 12), "Do not use bare `except`"),
        finding("RB0601", ERR, (".env", None), "a .env file is committed"),
    ))
    page = render(report, root=tmp_path)
    assert "hunter2" not in page
    assert page.count('<pre class="excerpt"') == 2
    assert ('<pre class="excerpt" aria-label="Code around app/crud.py:12"><code>'
            '<span class="l"><span class="n">10</span># line 10</span>'
            '<span class="l"><span class="n">11</span># line 11</span>'
            '<span class="l hl"><span class="n">12</span>    except:</span>'
            '<span class="l"><span class="n">13</span># line 13</span>'
            '<span class="l"><span class="n">14</span># line 14</span></code></pre>') in page
    assert ('<span class="l hl"><span class="n">4</span>PASSWORD = &#34;hunt…nger&#34;</span>'
            in page)
    # Without the root: the same page, without excerpts.
    assert '<pre class="excerpt"' not in render(report)


def test_large_reports_are_bounded(tmp_path: Path) -> None:
    write_sources(tmp_path)
    many = [finding("ruff:T201", INFO, ("app/crud.py", n % 20 + 1), f"print {n}")
            for n in range(html.MAX_FINDINGS + 200)]
    report = dataclasses.replace(learner_report(), findings=tuple(
        sorted(many, key=Finding.sort_key)))
    page = render(report, root=tmp_path)
    assert "<h2>Findings (1,200)</h2>" in page
    assert "Showing the 1,000 most important findings; the JSON report lists them all." in page
    assert page.count('<li class="finding') == html.MAX_FINDINGS
    assert page.count('<pre class="excerpt"') == html.MAX_EXCERPTS
    assert "C01 Clean, idiomatic Python (1,200 findings)" in page


def test_chart_bars_clamp_scores_and_keep_unscored_criteria_distinct() -> None:
    report = learner_report()
    odd = (
        dataclasses.replace(report.criteria[0], score=130.0),
        dataclasses.replace(report.criteria[1], score=-5.0, status=CriterionStatus.MISSING),
        dataclasses.replace(report.criteria[2], score=None,
                            status=CriterionStatus.NOT_APPLICABLE),
    )
    bars = html.chart_bars(odd)
    assert [(b.id, b.status, b.width, b.score_text) for b in bars] == [
        ("C01", "weak", 320.0, "130.0 · weak"),
        ("C02", "missing", 3.0, "-5.0 · missing"),
        ("C03", "not-applicable", 320.0, "n/a"),
    ]


@pytest.mark.parametrize(("letter", "band"), [
    ("A", "band-a"), ("B+", "band-b"), ("C-", "band-c"), ("D", "band-d"), ("F", "band-f"),
    (None, "band-none"), ("", "band-none"), ("E", "band-none"), ("<", "band-none"),
])
def test_grade_band(letter: str | None, band: str) -> None:
    assert html.grade_band(letter) == band


def test_prose_shows_code_and_escapes_the_rest() -> None:
    text = 'Use `x<y>` <b>here</b>\n```python\nprint("<hi>")\n```\nthen `a` and ``'
    assert str(html.prose(text)) == (
        "Use <code>x&lt;y&gt;</code> &lt;b&gt;here&lt;/b&gt;\n"
        '<pre class="doc"><code>print(&#34;&lt;hi&gt;&#34;)</code></pre>\n'
        "then <code>a</code> and ``"
    )
    assert str(html.prose("```\n<unterminated>")) == "```\n&lt;unterminated&gt;"


def test_same_report_same_bytes() -> None:
    assert render(learner_report()) == render(learner_report())
