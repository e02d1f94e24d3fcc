"""The rubric as data: criteria, letter bands, levels and one documented file per rule.

`rules/criteria.toml` holds the criteria C01-C20 and how they are scored; `rules/<analyzer>/`
holds one TOML file per rule with what it checks, why it matters, an example and the fix.
`reviewbot explain` and the reporters read the same data.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from reviewbot.model import Finding, Severity


class RulebookError(Exception):
    """The rules data is malformed: a packaging or authoring error, never the user's."""


@dataclass(frozen=True, slots=True)
class Criterion:
    id: str
    title: str
    phase: str
    level: str
    weight: float
    # Penalty points per 1,000 lines at which the findings part of the score falls to ~37.
    scale: float
    bonus_only: bool
    description: str


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    criterion: str
    severity: Severity
    analyzer: str
    confidence: str
    summary: str
    what: str
    why: str
    example: str
    fix: str
    blind_spots: str
    # Penalty points one finding of this rule costs. "code" rules are normalised per 1,000
    # lines of code; "repo" rules (a missing manifest, a committed .env) cost their points as is.
    weight: float
    scope: str = "code"
    # The most penalty points all findings of this rule together may cost (None: no cap).
    cap: float | None = None

    @property
    def is_family(self) -> bool:
        """A `tool:*` entry documents every code of a wrapped tool not documented one by one."""
        return self.id.endswith(":*")


@dataclass(frozen=True, slots=True)
class Rulebook:
    version: str
    criteria: tuple[Criterion, ...]
    bands: Mapping[str, float]
    rules: Mapping[str, Rule]
    severity_weights: Mapping[str, float]

    def criterion(self, criterion_id: str) -> Criterion:
        for criterion in self.criteria:
            if criterion.id == criterion_id:
                return criterion
        raise KeyError(criterion_id)

    def rule(self, rule_id: str) -> Rule | None:
        """The rule's own doc, or its tool family's (`ruff:*`) when it has none of its own."""
        found = self.rules.get(rule_id)
        if found is None and ":" in rule_id:
            found = self.rules.get(rule_id.split(":", 1)[0] + ":*")
        if found is None:
            for rule in self.rules.values():
                if rule.name == rule_id:
                    return rule
        return found

    def finding(
        self,
        rule_id: str,
        path: str,
        line: int | None,
        message: str,
        *,
        severity: Severity | None = None,
        end_line: int | None = None,
        column: int | None = None,
        fix: str | None = None,
    ) -> Finding:
        """A finding whose criterion, analyzer and default severity come from the rule's data."""
        rule = self.rule(rule_id)
        if rule is None:
            raise RulebookError(f"rule {rule_id} is emitted but has no data file in rules/")
        return Finding(
            rule=rule_id,
            criterion=rule.criterion,
            severity=severity or rule.severity,
            path=path,
            line=line,
            message=message,
            analyzer=rule.analyzer,
            end_line=end_line,
            column=column,
            fix=fix,
        )

    def rules_for(self, analyzer: str) -> Iterator[Rule]:
        return (rule for rule in self.rules.values() if rule.analyzer == analyzer)


def rules_dir() -> Path:
    """Where the rules data lives: inside the wheel, or beside `src/` in a checkout."""
    packaged = resources.files("reviewbot") / "_data" / "rules"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "rules"


def _text(data: Mapping[str, Any], key: str, where: Path, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise RulebookError(f"{where}: `{key}` must be a string")
    return value.strip()


def _load_rule(path: Path, criteria: set[str], weights: Mapping[str, float]) -> Rule:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    criterion = _text(data, "criterion", path)
    if criterion not in criteria:
        raise RulebookError(f"{path}: unknown criterion {criterion}")
    severity = Severity(_text(data, "severity", path))
    return Rule(
        id=_text(data, "id", path),
        name=_text(data, "name", path),
        criterion=criterion,
        severity=severity,
        analyzer=_text(data, "analyzer", path),
        confidence=_text(data, "confidence", path, "high"),
        summary=_text(data, "summary", path),
        what=_text(data, "what", path),
        why=_text(data, "why", path),
        example=_text(data, "example", path, ""),
        fix=_text(data, "fix", path),
        blind_spots=_text(data, "blind_spots", path, ""),
        weight=float(data.get("weight", weights[severity.value])),
        scope=_text(data, "scope", path, "code"),
        cap=float(data["cap"]) if "cap" in data else None,
    )


def load_rulebook(directory: Path | None = None) -> Rulebook:
    root = directory or rules_dir()
    data = tomllib.loads((root / "criteria.toml").read_text(encoding="utf-8"))
    criteria = tuple(
        Criterion(
            id=item["id"],
            title=item["title"],
            phase=item["phase"],
            level=item["level"],
            weight=float(item["weight"]),
            scale=float(item.get("scale", 20.0)),
            bonus_only=bool(item.get("bonus_only", False)),
            description=item.get("description", "").strip(),
        )
        for item in data["criterion"]
    )
    weights = {key: float(value) for key, value in data["severity_weights"].items()}
    ids = {criterion.id for criterion in criteria}
    rules: dict[str, Rule] = {}
    for path in sorted(root.glob("*/*.toml")):
        rule = _load_rule(path, ids, weights)
        if rule.id in rules:
            raise RulebookError(f"{path}: rule id {rule.id} is defined twice")
        rules[rule.id] = rule
    return Rulebook(
        version=str(data["rules_version"]),
        criteria=criteria,
        bands={key: float(value) for key, value in data["bands"].items()},
        rules=rules,
        severity_weights=weights,
    )


@cache
def default_rulebook() -> Rulebook:
    """The shipped rubric, loaded once per process."""
    return load_rulebook()
