"""Golden files: expected output kept under tests/reporters/golden/ (or another test
package's golden/ folder, passed as `directory`).

Run the tests with UPDATE_GOLDENS=1 to rewrite the files from the current output, then read
the diff before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"


def updating() -> bool:
    return os.environ.get("UPDATE_GOLDENS") == "1"


def assert_golden(name: str, actual: str, directory: Path = GOLDEN_DIR) -> None:
    """Compare `actual` with <directory>/<name> exactly (or rewrite it when UPDATE_GOLDENS=1)."""
    path = directory / name
    if updating():
        directory.mkdir(exist_ok=True)
        # newline="" keeps the text byte for byte: no platform line-ending translation.
        path.write_text(actual, encoding="utf-8", newline="")
    assert path.exists(), f"no golden file {name}; run with UPDATE_GOLDENS=1 to create it"
    expected = path.read_bytes().decode("utf-8")
    assert actual == expected, f"{name} differs from its golden file (UPDATE_GOLDENS=1 rewrites)"
