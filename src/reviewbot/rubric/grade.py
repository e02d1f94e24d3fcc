"""Criteria -> overall score, letter, level and the next steps that raise the grade most."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from reviewbot.model import (
    AnalyzerRun,
    AnalyzerStatus,
    CriterionResult,
    CriterionStatus,
    Finding,
    Grade,
    Level,
    NextStep,
)
from reviewbot.rubric.criteria import (
    Facts,
    incomplete_reason,
    not_applicable_reason,
    score_criterion,
    status_for,
)
from reviewbot.rulebook import Criterion, Rulebook
from reviewbot.settings import Settings

_JUDGED = (
    CriterionStatus.STRONG,
    CriterionStatus.OK,
    CriterionStatus.WEAK,
    CriterionStatus.MISSING,
)
_PASSING = (CriterionStatus.STRONG, CriterionStatus.OK)
# The level a repo demonstrates: every criterion of the levels below it is ok or strong.
_LEVEL_LADDER = (
    ("beginner", Level.INTERMEDIATE),
    ("intermediate", Level.ADVANCED),
    ("advanced", Level.JOB_READY),
)
NEXT_STEPS = 3


def facts_of(runs: Sequence[AnalyzerRun]) -> Facts:
    """The facts of every analyzer that ran to the end, by analyzer name."""
    return {run.name: run.output.facts for run in runs if run.status is AnalyzerStatus.OK}


@dataclass(frozen=True, slots=True)
class Rubric:
    """Everything grading needs; built once per scan."""

    rulebook: Rulebook
    settings: Settings
    lines: int

    def weight(self, criterion: Criterion) -> float:
        return self.settings.weights.get(criterion.id, criterion.weight)

    def judge(
        self, runs: Sequence[AnalyzerRun], findings: Sequence[Finding], is_backend: bool
    ) -> tuple[CriterionResult, ...]:
        facts = facts_of(runs)
        by_criterion: dict[str, list[Finding]] = defaultdict(list)
        for finding in findings:
            by_criterion[finding.criterion].append(finding)
        return tuple(
            self._judge_one(c, by_criterion[c.id], facts, runs, is_backend)
            for c in self.rulebook.criteria
        )

    def _judge_one(
        self,
        criterion: Criterion,
        findings: Sequence[Finding],
        facts: Facts,
        runs: Sequence[AnalyzerRun],
        is_backend: bool,
    ) -> CriterionResult:
        def result(status: CriterionStatus, score: float | None, summary: str,
                   evidence: tuple[str, ...] = ()) -> CriterionResult:
            return CriterionResult(
                id=criterion.id,
                title=criterion.title,
                status=status,
                score=score,
                weight=self.weight(criterion),
                summary=summary,
                evidence=evidence,
                phase=criterion.phase,
            )

        if not is_backend:
            return result(CriterionStatus.NOT_APPLICABLE, None, "not a Python backend repository")
        reason = incomplete_reason(criterion.id, runs)
        if reason is not None:
            return result(CriterionStatus.INCOMPLETE, None, reason)
        not_applicable = not_applicable_reason(criterion.id, facts)
        if not_applicable is not None:
            return result(CriterionStatus.NOT_APPLICABLE, None, not_applicable)
        scored = score_criterion(criterion, findings, facts, self.rulebook, self.lines)
        if criterion.bonus_only and scored.score <= 0:
            return result(CriterionStatus.NOT_APPLICABLE, None, "credit only; none found")
        status = status_for(scored.score, self.settings)
        return result(status, scored.score, scored.summary, scored.evidence)


# The most points bonus-only criteria (C20, advanced topics) can add to the overall score.
BONUS_POINTS = 3.0


def overall_score(
    criteria: Sequence[CriterionResult], bonus_ids: frozenset[str] = frozenset({"C20"})
) -> float | None:
    """Weighted mean of the judged criteria, plus up to BONUS_POINTS from credit-only ones."""
    judged = [c for c in criteria if c.status in _JUDGED and c.score is not None and c.weight > 0]
    total = sum(c.weight for c in judged)
    if not judged or total == 0:
        return None
    mean = sum(c.weight * (c.score or 0.0) for c in judged) / total
    bonus = sum(
        BONUS_POINTS * (c.score or 0.0) / 100
        for c in criteria
        if c.id in bonus_ids and c.status in _JUDGED
    )
    return round(min(100.0, mean + min(bonus, BONUS_POINTS)), 1)


def letter_for(score: float, bands: dict[str, float] | None = None) -> str:
    """A-F by fixed bands; `+` in the top 3 points of a band, `-` in the bottom 3 (not F)."""
    ordered = sorted((bands or {"A": 90, "B": 80, "C": 70, "D": 60}).items(), key=lambda b: -b[1])
    upper = 100.0
    for letter, floor in ordered:
        if score >= floor:
            if (score >= upper - 3 and letter != "A") or score >= 97:
                return letter + "+"
            if score < floor + 3:
                return letter + "-"
            return letter
        upper = floor
    return "F"


def level_for(score: float, criteria: Sequence[CriterionResult], rulebook: Rulebook) -> Level:
    level_of = {c.id: c.level for c in rulebook.criteria}
    level = Level.BEGINNER
    for needed, reached in _LEVEL_LADDER:
        gate = [c for c in criteria if level_of[c.id] == needed and c.weight > 0]
        if not gate or not all(c.status in _PASSING for c in gate):
            break
        level = reached
    if level is Level.JOB_READY and score < 85:
        level = Level.ADVANCED
    return level


def how_to_fix(rule_id: str, fix: str) -> str:
    """The first sentence of a rule's fix, or a pointer to its doc when that sentence only
    introduces an example ("Use instead:")."""
    line = fix.strip().splitlines()[0] if fix.strip() else ""
    sentence = line.split(". ")[0].strip().rstrip(".")
    if not sentence or sentence.endswith(":") or len(sentence.split()) < 4:
        return f"`reviewbot explain {rule_id}` shows the fix"
    return sentence


def _best_fix(
    rubric: Rubric, result: CriterionResult, own: list[Finding], facts: Facts, total_weight: float
) -> tuple[float, NextStep] | None:
    """The rule of this criterion whose findings, all fixed, gain the most overall points."""
    criterion = rubric.rulebook.criterion(result.id)
    score = result.score or 0.0
    gains = []
    for rule_id in sorted({f.rule for f in own}):
        rest = [f for f in own if f.rule != rule_id]
        after = score_criterion(criterion, rest, facts, rubric.rulebook, rubric.lines).score
        gains.append(((after - score) * result.weight / total_weight, rule_id))
    gain, rule_id = max(gains, key=lambda g: g[0])  # the first rule id wins a tie
    if gain <= 0.05:
        return None
    group = sorted((f for f in own if f.rule == rule_id), key=lambda f: f.sort_key())
    rule = rubric.rulebook.rule(rule_id)
    how = how_to_fix(rule_id, rule.fix if rule else "")
    more = f" (and {len(group) - 1} more like it)" if len(group) > 1 else ""
    action = f"`{group[0].location}`: {group[0].message.rstrip('.')}{more}. {how}."
    return gain, NextStep(result.id, action, round(gain, 1))


def next_steps(
    rubric: Rubric,
    criteria: Sequence[CriterionResult],
    findings: Sequence[Finding],
    runs: Sequence[AnalyzerRun],
) -> tuple[NextStep, ...]:
    """For each judged criterion, the gain from fixing its costliest rule; the best three."""
    facts = facts_of(runs)
    judged = [c for c in criteria if c.status in _JUDGED and c.weight > 0 and c.score is not None]
    total_weight = sum(c.weight for c in judged)
    candidates = []
    for result in judged:
        own = [f for f in findings if f.criterion == result.id]
        if own and (result.score or 0.0) < 100:
            best = _best_fix(rubric, result, own, facts, total_weight)
            if best is not None:
                candidates.append(best)
    candidates.sort(key=lambda item: (-item[0], item[1].criterion))
    return tuple(step for _, step in candidates[:NEXT_STEPS])


def grade(rubric: Rubric, criteria: Sequence[CriterionResult], is_backend: bool) -> Grade:
    if not is_backend:
        return Grade(None, None, Level.NOT_APPLICABLE)
    bonus_ids = frozenset(c.id for c in rubric.rulebook.criteria if c.bonus_only)
    score = overall_score(criteria, bonus_ids)
    if score is None:
        return Grade(None, None, Level.NOT_APPLICABLE)
    bands = dict(rubric.rulebook.bands)
    return Grade(score, letter_for(score, bands), level_for(score, criteria, rubric.rulebook))
