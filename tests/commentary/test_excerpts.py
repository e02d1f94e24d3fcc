"""What goes into the prompt: the most valuable findings, one per rule, and excerpts around
them within the character budget."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from reviewbot.commentary.excerpts import (
    HIDDEN_LINE,
    choose_material,
    excerpt_size,
    finding_value,
    top_findings,
)
from reviewbot.model import Finding, Severity

from .builders import FINDINGS, RULEBOOK, report, write_repo
from .planted import leaks

CONFIG_EXCERPT = f"""\
   1 | import os
   2 |
   3 | {HIDDEN_LINE}
   4 | DATABASE_URL = os.environ["DATABASE_URL"]"""

MAIN_EXCERPT = """\
   9 | def list_posts(db):
  10 |     posts = db.query(Post).all()
  11 |     for post in posts:
  12 |         print(post.author.name)
  13 |     return posts
  14 |
  15 |
  16 | def load():
  17 |     try:
  18 |         return open("x").read()
  19 |     except:
  20 |         return None"""


def test_value_is_severity_rank_times_rule_weight() -> None:
    assert [finding_value(f, RULEBOOK) for f in FINDINGS] == [24.0, 18.0, 15.0, 4.0, 2.0, 2.0, 0.5]


def test_top_findings_one_per_rule_most_valuable_first_suppressed_left_out() -> None:
    chosen, not_listed = top_findings(report(), RULEBOOK)
    assert [(t.ref, t.finding.rule, t.finding.location, t.more) for t in chosen] == [
        ("F1", "RB1801", ".github/workflows", 0),
        ("F2", "RB1301", "app/config.py:3", 0),
        ("F3", "RB0902", "app/main.py:12", 0),
        ("F4", "ruff:E722", "app/main.py:19", 0),
        ("F5", "ruff:F401", "app/main.py:1", 1),
    ]
    assert not_listed == 2


def test_top_findings_are_capped() -> None:
    chosen, not_listed = top_findings(report(), RULEBOOK, limit=2)
    assert [t.ref for t in chosen] == ["F1", "F2"]
    assert not_listed == 5


def test_excerpts_merge_overlapping_windows_and_hide_secret_lines(tmp_path: Path) -> None:
    material = choose_material(report(), write_repo(tmp_path), RULEBOOK, budget=10_000)
    assert [(e.header, e.refs) for e in material.excerpts] == [
        ("app/config.py:1-4", ("F2",)),
        ("app/main.py:9-20", ("F3", "F4")),
        ("app/main.py:1-4", ("F5",)),
    ]
    assert material.excerpts[0].text == CONFIG_EXCERPT
    assert material.excerpts[1].text == MAIN_EXCERPT
    assert material.dropped == ()
    assert material.excerpt_chars == sum(excerpt_size(e) for e in material.excerpts)
    assert leaks(e.text for e in material.excerpts) == []


def test_a_tight_budget_narrows_then_drops_the_least_valuable(tmp_path: Path) -> None:
    root = write_repo(tmp_path)
    wide = choose_material(report(), root, RULEBOOK, budget=10_000)
    config_size = excerpt_size(wide.excerpts[0])
    # Room for the config excerpt and a little more: F3 and F4 only fit narrowed (one line
    # around them), and F5 not at all.
    material = choose_material(report(), root, RULEBOOK, budget=config_size + 200)
    assert [(e.header, e.refs) for e in material.excerpts] == [
        ("app/config.py:1-4", ("F2",)),
        ("app/main.py:11-13", ("F3",)),
    ]
    assert material.dropped == ("F4", "F5")
    assert material.excerpt_chars <= config_size + 200


def test_no_budget_no_excerpts(tmp_path: Path) -> None:
    material = choose_material(report(), write_repo(tmp_path), RULEBOOK, budget=0)
    assert material.excerpts == ()
    assert material.dropped == ("F2", "F3", "F4", "F5")
    assert [t.ref for t in material.findings] == ["F1", "F2", "F3", "F4", "F5"]


def test_without_a_checkout_there_are_findings_but_no_excerpts() -> None:
    material = choose_material(report(), None, RULEBOOK, budget=10_000)
    assert material.excerpts == ()
    assert len(material.findings) == 5


def test_files_outside_the_checkout_are_never_quoted(tmp_path: Path) -> None:
    outside = tmp_path / "outside.py"
    outside.write_text("TOP = 'secret outside'\n", encoding="utf-8")
    root = write_repo(tmp_path / "repo")
    (root / "link.py").symlink_to(outside)
    findings = (
        Finding("RB0902", "C09", Severity.ERROR, "link.py", 1, "m", "x"),
        Finding("ruff:E722", "C01", Severity.ERROR, "../outside.py", 1, "m", "x"),
    )
    material = choose_material(report(findings), root, RULEBOOK, budget=10_000)
    assert sorted(t.finding.path for t in material.findings) == ["../outside.py", "link.py"]
    assert material.excerpts == ()


def test_half_the_places_go_to_findings_in_the_code() -> None:
    # Repository-level rules weigh far more (points off a criterion, not per 1,000 lines):
    # without a reserve they would take every place.
    repo_rules = {f"RB05{n:02d}": replace(RULEBOOK.rules["RB1801"], id=f"RB05{n:02d}",
                                          weight=50.0, scope="repo") for n in range(1, 7)}
    book = replace(RULEBOOK, rules={**RULEBOOK.rules, **repo_rules})
    repo_findings = tuple(
        Finding(rule, "C05", Severity.ERROR, "pyproject.toml", None, "m", "structure")
        for rule in repo_rules
    )
    chosen, _ = top_findings(report(FINDINGS + repo_findings), book, limit=6)
    assert [t.finding.rule for t in chosen] == [
        "RB0501", "RB0502", "RB0503", "RB1801", "RB1301", "RB0902",
    ]
    # With fewer code findings than half the places, the repository ones fill the rest.
    chosen, _ = top_findings(report(FINDINGS[:1] + repo_findings), book, limit=6)
    assert [t.finding.rule for t in chosen] == [
        "RB0501", "RB0502", "RB0503", "RB0504", "RB0505", "RB1801",
    ]
