"""The terminal report: colour on demand, repo text that cannot style or control the terminal,
the findings cap and the fixed width."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from rich.cells import cell_len

from reviewbot.model import AnalyzerRun, AnalyzerStatus, Finding, Report, Severity, SkippedFile
from reviewbot.reporters.terminal import render

from .sample_reports import SAMPLES, learner_report, notebooks_report, strong_report

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def hostile_report() -> Report:
    report = learner_report()
    bad = Finding("RB0501", "C05", Severity.ERROR, "[bold]x.py", 3,
                  "[red]boom[/red] :thumbs_up: \x1b[2J cleared \u202eevil", "structure")
    return replace(report, findings=(bad,),
                   repo=replace(report.repo, source="[link=http://evil]repo[/link]"))


def test_colour_adds_ansi_codes_and_no_colour_has_none() -> None:
    report = learner_report()
    coloured = render(report, color=True)
    plain = render(report, color=False)
    assert "\x1b[" in coloured
    assert "\x1b" not in plain
    # Colour changes nothing but the escape codes.
    assert ANSI.sub("", coloured) == plain


def test_letter_is_coloured_by_band() -> None:
    coloured = render(strong_report(), color=True)
    # A- is bold green: SGR 1 (bold) and 32 (green).
    assert "\x1b[1;32mA-\x1b[0m" in coloured
    assert "\x1b[1;31mD-\x1b[0m" not in render(learner_report(), color=True)
    assert "\x1b[38;5;208mD-\x1b[0m" in render(learner_report(), color=True)


@pytest.mark.parametrize("color", [False, True])
def test_repo_text_cannot_inject_markup_emoji_or_terminal_control(color: bool) -> None:
    out = render(hostile_report(), color=color)
    plain = ANSI.sub("", out)
    assert "[bold]x.py:3" in plain
    assert "[red]boom[/red] :thumbs_up: \\x1b[2J cleared \\u202eevil" in plain
    assert "[link=http://evil]repo[/link]" in plain
    assert "\x1b[2J" not in out
    assert "\u202e" not in out
    assert "\x1b]8;" not in out  # no hyperlink escape sequence


def test_findings_are_capped_at_15_most_important_with_a_count_of_the_rest() -> None:
    out = render(learner_report())
    lines = out.splitlines()
    start = lines.index("Most important findings (24 in all)")
    end = lines.index("and 9 more (use --format json or markdown for all)")
    rows = [line for line in lines[start + 1:end] if not line.startswith(" ")]
    assert len(rows) == 15
    columns = [re.split(r" {2,}", row) for row in rows]
    assert columns[0] == [".", "RB1501", "no tests found: no test_*.py or tests/"]
    assert columns[-1] == [
        "app/models.py:2", "ruff:F403", "`from .database import *` used; unable to"
    ]


def test_suppressed_finding_is_shown_as_such() -> None:
    out = render(strong_report())
    assert "security (suppressed: test data only)" in out


def test_non_backend_repo_gets_the_verdict_and_no_letter() -> None:
    out = render(notebooks_report())
    assert "Verdict  not a Python backend repository: no web framework" in out
    assert "Grade" not in out
    assert "/100" not in out


def test_analyzer_trouble_and_skipped_files_are_listed() -> None:
    report = replace(
        strong_report(),
        analyzers=(AnalyzerRun("mypy", AnalyzerStatus.FAILED, 1.0, ("C03",), "exit 2: crash"),),
        repo=replace(strong_report().repo,
                     skipped_files=(SkippedFile("big.bin", "larger than 1 MB"),)),
    )
    out = render(report, width=200)
    assert "Analyzers not run fully: mypy failed (exit 2: crash)\n" in out
    assert "Skipped 1 file: big.bin (larger than 1 MB)\n" in out


@pytest.mark.parametrize("width", [60, 100, 140])
@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_no_line_is_wider_than_the_width(sample: str, width: int) -> None:
    out = render(SAMPLES[sample](), width=width)
    assert max(cell_len(line) for line in out.splitlines()) <= width
    assert all(line == line.rstrip() for line in out.splitlines())
