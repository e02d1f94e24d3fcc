"""radon (C02): the parsers on recorded output, and the analyzer on a real repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewbot.analyzers import radon
from reviewbot.analyzers._tools import PathMap
from reviewbot.analyzers.base import ToolMissingError
from reviewbot.rulebook import default_rulebook

from .conftest import RECORDED_ROOT, MakeContext, fixture_files, recorded, rows

EXPECTED = [
    ("radon:mi", "app/legacy.py", None, None, "warning",
     "maintainability index 5.3 (rank C): hard to change safely"),
    ("radon:cc", "app/legacy.py", 4, None, "error",
     "`rule_0` has cyclomatic complexity 76 (rank F)"),
    ("radon:cc", "app/legacy.py", 59, None, "error",
     "`rule_1` has cyclomatic complexity 76 (rank F)"),
    ("radon:cc", "app/pricing.py", 8, None, "info",
     "`grade` has cyclomatic complexity 12 (rank C)"),
    ("radon:cc", "app/pricing.py", 35, None, "info",
     "`Shop.price` has cyclomatic complexity 13 (rank C)"),
    ("radon:cc", "app/pricing.py", 69, None, "warning",
     "`route` has cyclomatic complexity 23 (rank D)"),
    ("radon:cc", "app/pricing.py", 117, None, "error",
     "`monster` has cyclomatic complexity 42 (rank F)"),
]  # fmt: skip

FACTS = {
    "files_checked": 3,
    "functions": 9,
    "complexity_ranks": {"A": 3, "B": 0, "C": 2, "D": 1, "E": 0, "F": 3},
    "mean_complexity": 27.33,
    "mean_maintainability": 40.32,
    "maintainability_ranks": {"A": 1, "B": 1, "C": 1},
}

PATHS = PathMap(Path(RECORDED_ROOT))


def test_parse_recorded_output() -> None:
    findings = radon.parse(
        recorded("radon_cc.json"), recorded("radon_mi.json"), PATHS, default_rulebook()
    )
    assert rows(findings) == EXPECTED
    assert {(f.criterion, f.analyzer) for f in findings} == {("C02", "radon")}
    assert [f.end_line for f in findings] == [None, 56, 111, 31, 60, 114, 200]


def test_methods_are_counted_once() -> None:
    raw = recorded("radon_cc.json")
    # radon lists Shop's methods inside the class entry and again at the top level.
    assert raw.count('"name": "price"') == 2
    blocks = radon.cc_blocks(raw, PATHS)
    assert [(b.path, b.name, b.line, b.complexity, b.rank) for b in blocks] == [
        ("app/legacy.py", "rule_0", 4, 76, "F"),
        ("app/legacy.py", "rule_1", 59, 76, "F"),
        ("app/pricing.py", "simple", 4, 1, "A"),
        ("app/pricing.py", "grade", 8, 12, "C"),
        ("app/pricing.py", "Shop.price", 35, 13, "C"),
        ("app/pricing.py", "Shop.other", 62, 1, "A"),
        ("app/pricing.py", "Shop.other.inner", 63, 2, "A"),
        ("app/pricing.py", "route", 69, 23, "D"),
        ("app/pricing.py", "monster", 117, 42, "F"),
    ]


def test_facts() -> None:
    blocks = radon.cc_blocks(recorded("radon_cc.json"), PATHS)
    scores = radon.mi_scores(recorded("radon_mi.json"), PATHS)
    assert radon.facts(blocks, scores, 3) == FACTS
    assert radon.facts([], [], 0)["mean_complexity"] is None


def test_unparsable_files_are_left_out() -> None:
    cc = '{"/repo/a.py": {"error": "invalid syntax (<unknown>, line 1)"}}'
    mi = '{"/repo/a.py": {"error": "invalid syntax (<unknown>, line 1)"}}'
    assert radon.parse(cc, mi, PATHS, default_rulebook()) == []
    assert radon.mi_scores(mi, PATHS) == []


def test_analyzer_on_fixture(repo: MakeContext) -> None:
    # The fixture's test module is not measured: complexity matters in product code.
    output = radon.ANALYZER.run(repo(fixture_files("radon")))
    assert rows(output.findings) == EXPECTED
    assert output.facts == FACTS


def test_missing_tool(repo: MakeContext) -> None:
    with pytest.raises(ToolMissingError):
        radon.RadonAnalyzer(tool="reviewbot_absent_radon").run(repo({"app.py": "x = 1\n"}))
