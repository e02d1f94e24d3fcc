"""Every sample report in every format, compared with its golden file exactly."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from reviewbot.model import Report
from reviewbot.reporters import json_report, markdown, terminal

from .goldens import assert_golden
from .sample_reports import SAMPLES

RENDERERS: dict[str, Callable[[Report], str]] = {
    "txt": lambda report: terminal.render(report, color=False, width=100),
    "json": json_report.render,
    "md": markdown.render,
}


@pytest.mark.parametrize("extension", sorted(RENDERERS))
@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_output_matches_golden(sample: str, extension: str) -> None:
    report = SAMPLES[sample]()
    assert_golden(f"{sample}.{extension}", RENDERERS[extension](report))


@pytest.mark.parametrize("extension", sorted(RENDERERS))
def test_output_does_not_change_between_runs(extension: str) -> None:
    render = RENDERERS[extension]
    assert render(SAMPLES["learner"]()) == render(SAMPLES["learner"]())
