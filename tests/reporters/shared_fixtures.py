"""Where the shared fixtures (GitHub schemas, SARIF constraints) live for the reporter tests."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def shared_dir() -> Path:
    """The shared fixtures next to the repository, or wherever REVIEWBOT_SHARED points."""
    override = os.environ.get("REVIEWBOT_SHARED")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[2].parent / "shared"


def load_fixture(relative: str) -> Any:
    """A JSON file under shared/github-fixtures/, failing clearly when it is not there."""
    path = shared_dir() / "github-fixtures" / relative
    assert path.is_file(), f"fixture {relative} not found at {path}; set REVIEWBOT_SHARED"
    return json.loads(path.read_text(encoding="utf-8"))
