"""`reviewbot scan --profile` through the real CLI: the layout, numbers normalised."""

from __future__ import annotations

import re

from tests.e2e.conftest import EXAMPLES, Run
from tests.reporters.goldens import assert_golden


def _normalised(text: str) -> str:
    text = re.sub(r"\d[\d,]*(\.\d+)?", "N", text)
    # Which analyzer ends last varies from run to run.
    text = re.sub(r"inventory N s → \S+ until", "inventory N s → ANALYZER until", text)
    return "\n".join(" ".join(line.split()) for line in text.splitlines()) + "\n"


def test_scan_profile_prints_where_the_time_went(reviewbot: Run) -> None:
    result = reviewbot(
        "scan", str(EXAMPLES / "learner-api"), "--format", "json", "--profile", "--no-cache"
    )
    assert result.returncode == 0, result.stderr
    assert_golden("profile-learner-api.txt", _normalised(result.stderr))
