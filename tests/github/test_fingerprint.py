"""Finding fingerprints: rule, path and normalised code, never the line number."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from reviewbot.github.fingerprint import (
    SourceLines,
    fingerprint,
    fingerprint_findings,
    normalise_code,
)
from reviewbot.model import Finding, Severity


def finding(rule: str, path: str, line: int | None) -> Finding:
    return Finding(rule, "C01", Severity.WARNING, path, line, "message", "ruff")


def test_normalise_code() -> None:
    assert normalise_code("\t  x  =\t[1,  2]  \r") == "x = [1, 2]"


def test_fingerprint_is_stable_and_specific() -> None:
    base = fingerprint("ruff:F401", "app/a.py", "import os")
    assert base == hashlib.sha256(b"ruff:F401\0app/a.py\0import os").hexdigest()[:16]
    assert fingerprint("ruff:F401", "app/a.py", "  import   os ") == base
    assert fingerprint("ruff:F401", "app/b.py", "import os") != base
    assert fingerprint("ruff:E722", "app/a.py", "import os") != base
    assert fingerprint("ruff:F401", "app/a.py", "import os", occurrence=1) != base


def test_moving_code_keeps_the_fingerprint(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("import os\n\ndef f():\n    return eval(x)\n")
    before = fingerprint_findings([finding("bandit:B307", "a.py", 4)], SourceLines(tmp_path))
    (tmp_path / "a.py").write_text("import os\nimport sys\n\n\ndef f():\n    return  eval(x)\n")
    after = fingerprint_findings([finding("bandit:B307", "a.py", 6)], SourceLines(tmp_path))
    assert list(before.values()) == list(after.values())
    assert list(after.values()) == [fingerprint("bandit:B307", "a.py", "return eval(x)")]


def test_equal_lines_are_told_apart_by_occurrence(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = eval(a)\ny = 1\nx = eval(a)\n")
    first, second = finding("bandit:B307", "a.py", 1), finding("bandit:B307", "a.py", 3)
    prints = fingerprint_findings([second, first], SourceLines(tmp_path))
    assert prints[first] == fingerprint("bandit:B307", "a.py", "x = eval(a)")
    assert prints[second] == fingerprint("bandit:B307", "a.py", "x = eval(a)", occurrence=1)


def test_prefix_names_repository_paths(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("import os\n")
    prints = fingerprint_findings([finding("ruff:F401", "a.py", 1)], SourceLines(tmp_path),
                                  prefix="backend")
    assert list(prints.values()) == [fingerprint("ruff:F401", "backend/a.py", "import os")]


def test_findings_without_a_line_are_rule_and_path(tmp_path: Path) -> None:
    prints = fingerprint_findings([finding("RB0603", ".env", None)], SourceLines(tmp_path))
    assert list(prints.values()) == [fingerprint("RB0603", ".env", "")]


def test_source_lines_never_leave_the_root(tmp_path: Path) -> None:
    root, outside = tmp_path / "repo", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (outside / "secret.py").write_text("TOKEN = 'x'\n")
    (root / "link.py").symlink_to(outside / "secret.py")
    (root / "dir").symlink_to(outside, target_is_directory=True)
    os.mkfifo(root / "pipe.py")  # reading it would block forever
    lines = SourceLines(root)
    assert lines.line("link.py", 1) == ""
    assert lines.line("dir/secret.py", 1) == ""
    assert lines.line("../outside/secret.py", 1) == ""
    assert lines.line("pipe.py", 1) == ""
    assert lines.line("missing.py", 1) == ""
    (root / "ok.py").write_text("a\nb\n")
    assert (lines.line("ok.py", 2), lines.line("ok.py", 3), lines.line("ok.py", 0)) == ("b", "", "")
