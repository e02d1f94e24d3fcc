"""Findings and facts -> one score per criterion. Pure and deterministic.

A criterion's score has two parts. Findings of "code" rules are normalised per 1,000 lines
and decay the score smoothly (`100 * exp(-density / scale)`), so a large good repo is not
punished for its size; "repo" rules (no manifest, a committed .env) cost their points as is.
Facts that show positive evidence (annotated functions, tests per line of code) then shape
the score where the criterion is about presence rather than absence of mistakes.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from reviewbot.model import JSON, AnalyzerRun, AnalyzerStatus, CriterionStatus, Finding
from reviewbot.rulebook import Criterion, Rulebook
from reviewbot.settings import Settings

# Below this size, code is scored as if it had this many lines: a tiny repo with one
# mistake is not rewarded for having little code.
MIN_LINES = 300

Facts = Mapping[str, Mapping[str, JSON]]


@dataclass(frozen=True, slots=True)
class Scored:
    score: float
    summary: str
    evidence: tuple[str, ...]


def penalty(findings: Iterable[Finding], rulebook: Rulebook, scope: str) -> float:
    """Penalty points of the findings of one scope, each rule's total held to its cap."""
    per_rule: dict[str, float] = defaultdict(float)
    caps: dict[str, float | None] = {}
    for finding in findings:
        rule = rulebook.rule(finding.rule)
        if rule is None or rule.scope != scope:
            continue
        weight = (
            rule.weight
            if finding.severity is rule.severity
            else rulebook.severity_weights[finding.severity.value]
        )
        per_rule[finding.rule] += weight
        caps[finding.rule] = rule.cap
    return sum(
        min(total, cap) if (cap := caps[rule_id]) is not None else total
        for rule_id, total in per_rule.items()
    )


def findings_score(
    findings: Sequence[Finding], criterion: Criterion, rulebook: Rulebook, lines: int
) -> float:
    kloc = max(lines, MIN_LINES) / 1000
    density = penalty(findings, rulebook, "code") / kloc
    decayed = 100 * math.exp(-density / criterion.scale)
    return max(0.0, decayed - penalty(findings, rulebook, "repo"))


def _fact(facts: Facts, analyzer: str, key: str) -> JSON:
    return facts.get(analyzer, {}).get(key)


def _typing(score: float, facts: Facts) -> tuple[float, list[str]]:
    share = _fact(facts, "typing", "annotated_share")
    if not isinstance(share, int | float):
        return score, []
    return 0.5 * score + 50 * share, [f"{share:.0%} of app functions fully annotated"]


def _int_fact(facts: Facts, analyzer: str, key: str) -> int:
    value = _fact(facts, analyzer, key)
    return value if isinstance(value, int) else 0


# Testing practices the tests analyzer reports on (fact -> label), each worth a share of C15.
_TEST_PRACTICES = {
    "fixtures": "fixtures",
    "auth_tests": "auth tests",
    "error_path_tests": "error-path tests",
    "coverage_configured": "coverage",
}


def _testing(score: float, facts: Facts) -> tuple[float, list[str]]:
    tests = _fact(facts, "tests", "test_functions")
    app_loc = _fact(facts, "hygiene", "app_loc")
    if not isinstance(tests, int) or tests == 0:
        return score, []
    # One test that checks something per 50 lines of app code earns the full presence credit;
    # hollow tests (nothing they assert can fail) don't count.
    hollow = _int_fact(facts, "tests", "hollow_tests")
    wanted = max(1.0, (app_loc if isinstance(app_loc, int) else MIN_LINES) / 50)
    presence = min(1.0, max(0, tests - hollow) / wanted)
    notes = [f"{tests} test{'s' if tests != 1 else ''} for {app_loc or 0} lines of app code"]
    if hollow:
        notes.append(f"{hollow} hollow")
    endpoints = _int_fact(facts, "tests", "endpoints")
    if endpoints:
        tested = _int_fact(facts, "tests", "endpoints_tested")
        presence = 0.5 * presence + 0.5 * min(1.0, tested / endpoints)
        notes.append(f"{tested} of {endpoints} endpoints called by tests")
    factor = 0.4 + 0.6 * presence
    # Practices count only when the analyzer reported on them: unknown is not absent.
    known = {
        label: bool(value)
        for key, label in _TEST_PRACTICES.items()
        if (value := _fact(facts, "tests", key)) is not None
    }
    if known:
        factor *= 0.8 + 0.2 * sum(known.values()) / len(known)
        missing = [label for label, present in known.items() if not present]
        if missing:
            notes.append("no " + ", ".join(missing))
    return score * factor, notes


def _observability(score: float, facts: Facts) -> tuple[float, list[str]]:
    seen = facts.get("observability")
    if not seen:
        return score, []
    # (weight, present, label): the evidence a well-observed service shows.
    evidence = [
        (0.35, bool(seen.get("logging_configured")), "logging configured"),
        (0.25, bool(seen.get("module_loggers")), "module loggers"),
        (0.15, bool(seen.get("telemetry")), "metrics or error tracking"),
    ]
    if seen.get("web_app"):
        evidence.append((0.25, seen.get("health_endpoint") is not None, "health endpoint"))
    shown = sum(w for w, present, _ in evidence if present) / sum(w for w, _, _ in evidence)
    labels = [label for _, present, label in evidence if present]
    return score * (0.6 + 0.4 * shown), [", ".join(labels)] if labels else []


def _advanced(score: float, facts: Facts) -> tuple[float, list[str]]:
    """Credit only: the score is the topics' credit, whatever the findings part says."""
    credit = _fact(facts, "advanced", "credit")
    topics = _fact(facts, "advanced", "topics")
    if not isinstance(credit, int | float):
        return 0.0, []
    names = [str(name).replace("_", " ") for name in topics] if isinstance(topics, dict) else []
    return float(credit), [", ".join(names)] if names else []


def _databases(score: float, facts: Facts) -> tuple[float, list[str]]:
    """Relationships modelled, foreign keys and lookup columns (email, username, slug)
    indexed or unique; the session dependency as a note."""
    seen = facts.get("databases")
    models = _int_fact(facts, "databases", "models")
    if not seen or not models:
        return score, []
    relations = _int_fact(facts, "databases", "relationships")
    notes = [f"{models} model{'s' if models != 1 else ''}, {relations} relationships"]
    keys = 0
    indexed = 0
    for total, done, label in (
        ("foreign_keys", "indexed_foreign_keys", "foreign keys indexed"),
        ("lookup_fields", "indexed_lookup_fields", "lookup columns unique or indexed"),
    ):
        if count := _int_fact(facts, "databases", total):
            keys += count
            indexed += _int_fact(facts, "databases", done)
            notes.append(f"{_int_fact(facts, 'databases', done)} of {count} {label}")
    if keys:
        # Without an index every join by a foreign key and every lookup is a full scan.
        score *= 0.9 + 0.1 * indexed / keys
    if seen.get("session_dependency"):
        notes.append("sessions closed by a dependency")
    return score, notes


def _query_performance(score: float, facts: Facts) -> tuple[float, list[str]]:
    """C09 is judged by its findings; the notes say what was looked at and what was done well."""
    loops = _int_fact(facts, "n_plus_one", "loops_checked")
    eager = _int_fact(facts, "n_plus_one", "eager_loads")
    if "n_plus_one" not in facts:
        return score, []
    notes = [f"{loops} loop{'s' if loops != 1 else ''} checked for per-row queries"]
    if eager:
        notes.append(f"eager loading in {eager} place{'s' if eager != 1 else ''}")
    return score, notes


# Containers, CI, docs and history: the findings judge; these only name the evidence seen.
def _structure(score: float, facts: Facts) -> tuple[float, list[str]]:
    concerns = _fact(facts, "history", "concerns")
    packaged = _fact(facts, "history", "packages") or _fact(facts, "history", "django_apps")
    if packaged and isinstance(concerns, list) and len(concerns) >= 3:
        return score, [f"code split by concern ({', '.join(map(str, concerns))})"]
    return score, []


def _version_control(score: float, facts: Facts) -> tuple[float, list[str]]:
    commits, span = _fact(facts, "history", "commits"), _fact(facts, "history", "span_days")
    if not isinstance(commits, int) or commits == 0 or not isinstance(span, int | float):
        return score, []
    more = "+" if _fact(facts, "history", "truncated") else ""
    when = f"over {span:g} days" if span >= 1 else "within a day"
    return score, [f"{commits}{more} commit{'s' if commits != 1 else ''} {when}"]


def _containers(score: float, facts: Facts) -> tuple[float, list[str]]:
    notes = ["multi-stage build"] if _fact(facts, "docker", "multi_stage") else []
    if _fact(facts, "docker", "compose_databases"):
        notes.append("compose file with the database")
    return score, notes


def _continuous_integration(score: float, facts: Facts) -> tuple[float, list[str]]:
    done = [what for what in ("installs", "lints", "tests") if _fact(facts, "ci", what)]
    if not done or not _fact(facts, "ci", "on_push_or_pr"):
        return score, []
    return score, [f"CI {', '.join(done)} on push/pull request"]


def _documentation(score: float, facts: Facts) -> tuple[float, list[str]]:
    sections = _fact(facts, "docs", "readme_sections")
    notes = [f"README covers {', '.join(map(str, sections))}"] if sections else []
    if _fact(facts, "docs", "license"):
        notes.append("license")
    return score, notes


def _validation(score: float, facts: Facts) -> tuple[float, list[str]]:
    # Typed bodies and responses are what C11 asks for: up to 40% of the score rests on them.
    shares = {
        label: float(value)
        for key, label in (("typed_response_share", "responses"), ("typed_body_share", "bodies"))
        if isinstance(value := _fact(facts, "api", key), int | float)
    }
    if not shares:
        return score, []
    typed = sum(shares.values()) / len(shares)
    notes = [f"{share:.0%} of API {label} typed" for label, share in shares.items()]
    return score * (0.6 + 0.4 * typed), notes


def _authentication(score: float, facts: Facts) -> tuple[float, list[str]]:
    # Positive evidence: passwords stored with a password hash, mutating routes protected.
    parts: list[float] = []
    notes: list[str] = []
    hashing = _fact(facts, "auth", "password_hashing")
    if _fact(facts, "auth", "stores_passwords") is True and isinstance(hashing, list):
        parts.append(1.0 if hashing else 0.0)
        hashed = f"passwords hashed with {', '.join(hashing)}"
        notes.append(hashed if hashing else "no password-hashing library")
    share = _fact(facts, "auth", "protected_share")
    if isinstance(share, int | float):
        parts.append(float(share))
        notes.append(f"{share:.0%} of mutating routes require authentication")
    if not parts:
        return score, []
    return score * (0.5 + 0.5 * sum(parts) / len(parts)), notes


def _configuration(score: float, facts: Facts) -> tuple[float, list[str]]:
    """Settings read from the environment are C14's positive evidence; without any, the
    score stays below "strong"."""
    sources = _fact(facts, "config", "env_sources")
    if not isinstance(sources, list):
        return score, []
    if not sources:
        return 0.75 * score, ["nothing read from the environment"]
    notes = ["settings from the environment (" + ", ".join(map(str, sources)) + ")"]
    if _fact(facts, "config", "env_example"):
        notes.append("`.env.example` present")
    return score, notes


# Criterion-specific shaping by positive evidence; the rest are judged by findings alone.
ADJUSTERS: dict[str, Callable[[float, Facts], tuple[float, list[str]]]] = {
    "C03": _typing,
    "C05": _structure,
    "C06": _version_control,
    "C17": _containers,
    "C18": _continuous_integration,
    "C19": _documentation,
    "C07": _databases,
    "C09": _query_performance,
    "C11": _validation,
    "C14": _configuration,
    "C12": _authentication,
    "C15": _testing,
    "C16": _observability,
    "C20": _advanced,
}


def _summary(findings: Sequence[Finding], notes: list[str]) -> str:
    if not findings:
        return "; ".join(["no issues found", *notes])
    errors = sum(1 for f in findings if f.severity.value == "error")
    counted = f"{len(findings)} finding{'s' if len(findings) != 1 else ''}"
    if errors:
        counted += f" ({errors} error{'s' if errors != 1 else ''})"
    return "; ".join([counted, *notes])


def score_criterion(
    criterion: Criterion,
    findings: Sequence[Finding],
    facts: Facts,
    rulebook: Rulebook,
    lines: int,
) -> Scored:
    """The score of one judged criterion from its findings and the analyzers' facts."""
    score = findings_score(findings, criterion, rulebook, lines)
    notes: list[str] = []
    adjust = ADJUSTERS.get(criterion.id)
    if adjust is not None:
        score, notes = adjust(score, facts)
    ordered = sorted(findings, key=lambda f: f.sort_key())
    evidence = tuple(f"{f.location} {f.rule}" for f in ordered[:5])
    return Scored(round(min(100.0, max(0.0, score)), 1), _summary(ordered, notes), evidence)


def status_for(score: float, settings: Settings) -> CriterionStatus:
    if score >= settings.strong_at:
        return CriterionStatus.STRONG
    if score >= settings.ok_at:
        return CriterionStatus.OK
    if score >= settings.weak_at:
        return CriterionStatus.WEAK
    return CriterionStatus.MISSING


def incomplete_reason(criterion_id: str, runs: Sequence[AnalyzerRun]) -> str | None:
    """Why a criterion can't be judged: no analyzer covers it yet, or one that does failed."""
    feeders = [run for run in runs if criterion_id in run.criteria]
    if not feeders:
        return "not yet analysed"
    broken = [run for run in feeders if run.status is not AnalyzerStatus.OK]
    if not broken:
        return None
    return "; ".join(
        f"{run.name} {run.status.value}" + (f": {run.detail}" if run.detail else "")
        for run in broken
    )


def not_applicable_reason(criterion_id: str, facts: Facts) -> str | None:
    """An analyzer may say a criterion does not apply (no database, no web app) through its
    facts: `{"not_applicable": {"C09": "no ORM or database access found"}}`."""
    for analyzer in sorted(facts):
        reasons = facts[analyzer].get("not_applicable")
        if isinstance(reasons, dict) and isinstance(reasons.get(criterion_id), str):
            return str(reasons[criterion_id])
    return None
