"""The rubric: exact scores, statuses, letters, levels and next steps."""

from __future__ import annotations

import shutil
from dataclasses import replace

import pytest

from reviewbot.model import (
    AnalyzerOutput,
    AnalyzerRun,
    AnalyzerStatus,
    CriterionResult,
    CriterionStatus,
    Finding,
    Level,
    NextStep,
)
from reviewbot.rubric.criteria import findings_score, incomplete_reason, penalty
from reviewbot.rubric.grade import Rubric, grade, letter_for, level_for, next_steps, overall_score
from reviewbot.rulebook import Rulebook, load_rulebook, rules_dir
from reviewbot.settings import Settings

CODE_RULE = '''
id = "RB0199"
name = "test-code-rule"
criterion = "C01"
severity = "warning"
analyzer = "fake"
summary = "A code rule for tests."
what = "x"
why = "y"
fix = "Do the right thing. Then more."
'''


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Rulebook:
    root = tmp_path_factory.mktemp("rules")
    shutil.copytree(rules_dir(), root, dirs_exist_ok=True)
    (root / "fake").mkdir(exist_ok=True)
    (root / "fake" / "RB0199.toml").write_text(CODE_RULE)
    return load_rulebook(root)


def finding(book: Rulebook, rule: str, path: str = "app.py", line: int | None = 1) -> Finding:
    return book.finding(rule, path, line, f"{rule} at {path}:{line}")


@pytest.mark.parametrize(
    ("score", "letter"),
    [(100, "A+"), (97, "A+"), (95, "A"), (91, "A-"), (89.9, "B+"), (85, "B"), (81, "B-"),
     (75, "C"), (77.5, "C+"), (65, "D"), (60, "D-"), (59.9, "F"), (0, "F")],
)
def test_letter_bands(score: float, letter: str) -> None:
    assert letter_for(score) == letter


def test_code_findings_are_normalised_per_thousand_lines(book: Rulebook) -> None:
    c01 = book.criterion("C01")  # scale 40
    ten = [finding(book, "RB0199", line=i) for i in range(1, 11)]  # 10 x 2 points
    # 20 points over 1,000 lines: 100 * exp(-20 / 40)
    assert findings_score(ten, c01, book, 1000) == pytest.approx(60.653, abs=1e-3)
    # the same findings in 10,000 lines weigh a tenth as much
    assert findings_score(ten, c01, book, 10_000) == pytest.approx(95.123, abs=1e-3)
    # tiny repos are scored as if they had 300 lines
    assert findings_score(ten, c01, book, 50) == findings_score(ten, c01, book, 300)


def test_repo_findings_cost_their_points_with_caps(book: Rulebook) -> None:
    c05 = book.criterion("C05")
    unpinned = [finding(book, "RB0504", "requirements.txt", i) for i in range(1, 7)]
    assert penalty(unpinned, book, "repo") == 15.0  # 6 x 3, capped at 15
    assert findings_score(unpinned, c05, book, 5000) == 85.0
    assert findings_score([*unpinned, finding(book, "RB0503", ".", None)], c05, book, 1) == 50.0


def test_incomplete_reasons() -> None:
    runs = [
        AnalyzerRun("ruff", AnalyzerStatus.TIMEOUT, 1.0, ("C01",), "ruff took longer than 1 s"),
        AnalyzerRun("hygiene", AnalyzerStatus.OK, 0.1, ("C05", "C06")),
        AnalyzerRun("mypy", AnalyzerStatus.SKIPPED, 0.0, ("C03",), "mypy is not installed"),
    ]
    assert incomplete_reason("C01", runs) == "ruff timeout: ruff took longer than 1 s"
    assert incomplete_reason("C03", runs) == "mypy skipped: mypy is not installed"
    assert incomplete_reason("C05", runs) is None
    assert incomplete_reason("C09", runs) == "not yet analysed"


def runs_for(book: Rulebook, findings: list[Finding], facts: dict[str, object] | None = None
             ) -> list[AnalyzerRun]:
    return [
        AnalyzerRun("fake", AnalyzerStatus.OK, 0.1, ("C01",), "", AnalyzerOutput(tuple(findings))),
        AnalyzerRun("hygiene", AnalyzerStatus.OK, 0.1, ("C05", "C06"), "",
                    AnalyzerOutput((), facts or {})),
        AnalyzerRun("tests", AnalyzerStatus.OK, 0.1, ("C15",), "",
                    AnalyzerOutput((), {"test_functions": 3})),
    ]


def test_judging_a_backend_repo(book: Rulebook) -> None:
    found = [finding(book, "RB0199", line=i) for i in (3, 1, 2)]
    found.append(finding(book, "RB0603", ".env", None))
    runs = runs_for(book, found, {"app_loc": 300})
    rubric = Rubric(book, Settings(), lines=1000)
    criteria = rubric.judge(runs, found, is_backend=True)
    by_id = {c.id: c for c in criteria}
    assert [c.id for c in criteria] == [f"C{i:02d}" for i in range(1, 21)]
    assert by_id["C01"].score == 86.1  # 100 * exp(-6 / 40)
    assert by_id["C01"].status is CriterionStatus.STRONG
    assert by_id["C01"].summary == "3 findings"
    assert by_id["C01"].evidence == ("app.py:1 RB0199", "app.py:2 RB0199", "app.py:3 RB0199")
    assert by_id["C06"].score == 80.0
    assert by_id["C06"].status is CriterionStatus.OK
    assert by_id["C06"].summary == "1 finding (1 error)"
    # 3 tests for 300 lines of app code: 0.4 + 0.6 * 3/6
    assert by_id["C15"].score == 70.0
    assert by_id["C15"].summary == "no issues found; 3 tests for 300 lines of app code"
    assert by_id["C09"].status is CriterionStatus.INCOMPLETE
    assert by_id["C09"].summary == "not yet analysed"
    assert by_id["C20"].status is CriterionStatus.INCOMPLETE
    # weighted mean of C01 (6), C05 (5), C06 (4), C15 (8)
    expected = round((6 * 86.1 + 5 * 100 + 4 * 80 + 8 * 70) / 23, 1)
    assert overall_score(criteria) == expected == 82.5
    result = grade(rubric, criteria, is_backend=True)
    # C02, C03, C13 and C19 (beginner-level) are not judged here: the level stays beginner
    assert (result.score, result.letter, result.level) == (82.5, "B-", Level.BEGINNER)

    steps = next_steps(rubric, criteria, found, runs)
    assert steps == (
        NextStep("C01", "`app.py:1`: RB0199 at app.py:1 (and 2 more like it). Do the right "
                 "thing.", 3.6),
        NextStep("C06", "`.env`: RB0603 at .env:None. `git rm --cached .env`, add `.env` to "
                 "`.gitignore`, rotate every secret it held, and commit a `.env.example` with "
                 "placeholder values instead.", 3.5),
    )


def test_a_non_backend_repo_gets_no_grade(book: Rulebook) -> None:
    rubric = Rubric(book, Settings(), lines=0)
    criteria = rubric.judge(runs_for(book, []), [], is_backend=False)
    assert {c.status for c in criteria} == {CriterionStatus.NOT_APPLICABLE}
    assert {c.score for c in criteria} == {None}
    result = grade(rubric, criteria, is_backend=False)
    assert (result.score, result.letter, result.level) == (None, None, Level.NOT_APPLICABLE)


def test_level_needs_every_criterion_of_the_levels_below(book: Rulebook) -> None:
    rubric = Rubric(book, Settings(), lines=1000)
    runs = [AnalyzerRun("all", AnalyzerStatus.OK, 0.1, tuple(f"C{i:02d}" for i in range(1, 21)))]
    criteria = rubric.judge(runs, [], is_backend=True)
    # nothing found anywhere: every criterion strong, except C15 with no test facts at all
    assert level_for(95, criteria, book) is Level.JOB_READY
    assert level_for(80, criteria, book) is Level.ADVANCED
    weak_c01 = [
        replace(c, score=50.0, status=CriterionStatus.WEAK) if c.id == "C01" else c
        for c in criteria
    ]
    assert level_for(95, weak_c01, book) is Level.BEGINNER
    weak_c09 = [
        replace(c, score=50.0, status=CriterionStatus.WEAK) if c.id == "C09" else c
        for c in criteria
    ]
    assert level_for(95, weak_c09, book) is Level.ADVANCED


def test_operator_weights_change_the_mean(book: Rulebook) -> None:
    found = [finding(book, "RB0603", ".env", None)]
    runs = runs_for(book, found, {"app_loc": 300})
    heavy = Rubric(book, Settings(weights={"C06": 40.0}), lines=1000)
    criteria = heavy.judge(runs, found, is_backend=True)
    assert {c.id: c.weight for c in criteria}["C06"] == 40.0
    assert overall_score(criteria) == round((6 * 100 + 5 * 100 + 40 * 80 + 8 * 70) / 59, 1)


def test_analyzers_can_say_a_criterion_does_not_apply(book: Rulebook) -> None:
    runs = [
        AnalyzerRun("orm", AnalyzerStatus.OK, 0.1, ("C09",), "",
                    AnalyzerOutput((), {"not_applicable": {"C09": "no database access found"}})),
    ]
    criteria = Rubric(book, Settings(), lines=1000).judge(runs, [], is_backend=True)
    c09 = {c.id: c for c in criteria}["C09"]
    assert (c09.status, c09.score, c09.summary) == (
        CriterionStatus.NOT_APPLICABLE, None, "no database access found")


def test_bonus_criteria_add_at_most_three_points() -> None:
    def crit(cid: str, score: float, weight: float) -> CriterionResult:
        return CriterionResult(cid, cid, CriterionStatus.OK, score, weight, "")

    base = [crit("C01", 80.0, 6)]
    assert overall_score(base) == 80.0
    assert overall_score([*base, crit("C20", 50.0, 0)]) == 81.5
    assert overall_score([*base, crit("C20", 100.0, 0)]) == 83.0
    assert overall_score([crit("C01", 99.0, 6), crit("C20", 100.0, 0)]) == 100.0
