"""The `reviewbot.reporters.render` entry point dispatches to each format's renderer."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewbot.reporters import FORMATS, badge, html, json_report, markdown, render, sarif, terminal

from .sample_reports import learner_report


def test_each_format_is_its_module_render() -> None:
    report = learner_report()
    assert FORMATS == ("terminal", "json", "markdown", "sarif", "html", "badge")
    assert render(report, "json") == json_report.render(report)
    assert render(report, "markdown") == markdown.render(report)
    assert render(report, "terminal") == terminal.render(report, color=False, width=100)
    assert render(report, "terminal", color=True, width=80) == terminal.render(
        report, color=True, width=80
    )
    assert render(report, "sarif") == sarif.render(report)
    assert render(report, "html") == html.render(report)
    assert render(report, "badge") == badge.render(report)


def test_root_reaches_the_formats_that_read_source(tmp_path: Path) -> None:
    report = learner_report()
    (tmp_path / "README.md").write_text("# todo\n")
    assert render(report, "sarif", root=tmp_path) == sarif.render(report, root=tmp_path)
    assert render(report, "sarif", root=tmp_path) != render(report, "sarif")
    assert render(report, "html", root=tmp_path) == html.render(report, root=tmp_path)


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^unknown report format 'xml'; choose one of "
                       r"terminal, json, markdown, sarif, html, badge$"):
        render(learner_report(), "xml")
