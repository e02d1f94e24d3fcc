"""The rubric data and the analyzers agree: every emitted rule is documented, every
documented rule is emitted by a registered analyzer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reviewbot.analyzers.registry import ANALYZERS
from reviewbot.pipeline import scan
from reviewbot.rulebook import default_rulebook, rules_dir
from reviewbot.settings import Settings

SRC = Path(__file__).resolve().parents[2] / "src" / "reviewbot"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
OWN_RULE = re.compile(r"""["'](RB\d{4})["']""")


def _analyzer_sources() -> str:
    return "\n".join(p.read_text() for p in sorted((SRC / "analyzers").glob("*.py")))


def test_criteria_are_c01_to_c20_in_order() -> None:
    book = default_rulebook()
    assert [c.id for c in book.criteria] == [f"C{i:02d}" for i in range(1, 21)]
    assert set(book.bands) == {"A", "B", "C", "D"}


def test_every_rule_file_names_a_registered_analyzer() -> None:
    names = {analyzer.name for analyzer in ANALYZERS}
    orphans = sorted(
        (rule.id, rule.analyzer) for rule in default_rulebook().rules.values()
        if rule.analyzer not in names
    )
    assert orphans == []


def test_every_rule_id_the_analyzers_emit_has_a_data_file() -> None:
    book = default_rulebook()
    emitted = set(OWN_RULE.findall(_analyzer_sources()))
    assert sorted(rule for rule in emitted if book.rule(rule) is None) == []


def test_every_own_rule_file_is_emitted_by_some_analyzer() -> None:
    emitted = set(OWN_RULE.findall(_analyzer_sources()))
    documented = {rule.id for rule in default_rulebook().rules.values() if rule.id.startswith("RB")}
    assert sorted(documented - emitted) == []


def test_rule_files_are_named_after_their_ids() -> None:
    for path in rules_dir().glob("*/*.toml"):
        rule_id = path.read_text().split('id = "', 1)[1].split('"', 1)[0]
        assert path.stem == rule_id.replace(":", "_").replace("*", "all") or path.stem in (
            rule_id.split(":", 1)[-1], "all", "_all", "family"
        ), (path, rule_id)


@pytest.mark.parametrize("example", ["learner-api", "good-api"])
def test_findings_on_the_examples_all_resolve_to_docs(example: str) -> None:
    report = scan(str(EXAMPLES / example), Settings())
    book = default_rulebook()
    assert sorted({f.rule for f in report.findings if book.rule(f.rule) is None}) == []
    assert all(run.status.value == "ok" for run in report.analyzers), report.analyzers
