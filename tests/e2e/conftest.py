from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SHARED = Path(os.environ.get("REVIEWBOT_SHARED", ROOT.parent / "shared"))

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def reviewbot(tmp_path: Path) -> Run:
    """Run the real CLI in a subprocess, as a learner would, without a terminal."""

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        environ = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR")}
        environ.update(env or {})
        return subprocess.run(
            [sys.executable, "-m", "reviewbot", *args],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=environ,
            timeout=300,
            check=False,
        )

    return run
