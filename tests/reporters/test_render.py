"""The `reviewbot.reporters.render` entry point dispatches to each format's renderer."""

from __future__ import annotations

import pytest

from reviewbot.reporters import FORMATS, json_report, markdown, render, terminal

from .sample_reports import learner_report


def test_each_format_is_its_module_render() -> None:
    report = learner_report()
    assert FORMATS == ("terminal", "json", "markdown")
    assert render(report, "json") == json_report.render(report)
    assert render(report, "markdown") == markdown.render(report)
    assert render(report, "terminal") == terminal.render(report, color=False, width=100)
    assert render(report, "terminal", color=True, width=80) == terminal.render(
        report, color=True, width=80
    )


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^unknown report format 'xml'; choose one of "
                       r"terminal, json, markdown$"):
        render(learner_report(), "xml")
