"""Hidden markers: what one run leaves on a pull request for the next."""

from __future__ import annotations

import base64
import json
import zlib

from reviewbot.github.state import (
    SUMMARY_MARKER,
    KnownFinding,
    ReviewMarker,
    RunState,
    is_summary_comment,
    parse_review_marker,
    parse_state_marker,
    review_marker,
    state_marker,
)

SHA = "a" * 40


def encoded(payload: bytes) -> str:
    return f"<!-- reviewbot:state {base64.b64encode(payload).decode()} -->"


def test_review_marker_round_trip() -> None:
    marker = review_marker(SHA, ["ff", "0a"])
    assert marker == f'<!-- reviewbot:review {{"sha":"{SHA}","commented":["0a","ff"]}} -->'
    assert parse_review_marker(f"## summary\n\n{marker}\n") == ReviewMarker(
        SHA, frozenset({"0a", "ff"}))


def test_bad_review_markers_are_ignored() -> None:
    assert parse_review_marker(None) is None
    assert parse_review_marker("no marker") is None
    assert parse_review_marker("<!-- reviewbot:review {not json} -->") is None
    assert parse_review_marker('<!-- reviewbot:review {"sha": 1, "commented": []} -->') is None
    assert parse_review_marker('<!-- reviewbot:review {"sha": "x", "commented": [1, "y"]} -->'
                               ) == ReviewMarker("x", frozenset({"y"}))


def test_state_round_trip() -> None:
    state = RunState(SHA, 72.5, (KnownFinding("f1", "ruff:F401", "app/a.py", 3),
                                 KnownFinding("f2", "RB0603", ".env", None)))
    marker = state_marker(state)
    assert marker.startswith("<!-- reviewbot:state ") and marker.endswith(" -->")
    assert "-->" not in marker[:-3]
    assert parse_state_marker(f"text\n{marker}\n") == state


def test_state_keeps_the_first_findings_within_budget() -> None:
    many = tuple(KnownFinding(f"{n:016x}", "ruff:F401", f"app/module_{n}.py", n + 1)
                 for n in range(5000))
    marker = state_marker(RunState(SHA, None, many), budget=4000)
    assert len(marker) <= 4000
    kept = parse_state_marker(marker)
    assert kept is not None and 0 < len(kept.findings) < 5000
    assert kept.findings == many[: len(kept.findings)]


def test_forged_states_are_ignored() -> None:
    assert parse_state_marker("<!-- reviewbot:state !!! -->") is None
    assert parse_state_marker(encoded(b"not zlib")) is None
    assert parse_state_marker(encoded(zlib.compress(b"[1, 2]"))) is None
    assert parse_state_marker(encoded(zlib.compress(json.dumps(
        {"v": 2, "sha": SHA, "findings": []}).encode()))) is None
    bomb = zlib.compress(b" " * 50_000_000, 9)  # 50 MB of spaces in ~50 KB
    assert parse_state_marker(encoded(bomb)) is None
    rows = [["f1", "r", "p", 3], ["f2", 1, "p", 3], "junk", ["f3", "r", "p", -1]]
    parsed = parse_state_marker(encoded(zlib.compress(json.dumps(
        {"v": 1, "sha": SHA, "score": "high", "findings": rows}).encode())))
    assert parsed == RunState(SHA, None, (KnownFinding("f1", "r", "p", 3),
                                          KnownFinding("f3", "r", "p", None)))


def test_summary_comment_starts_with_its_marker() -> None:
    assert is_summary_comment(f"{SUMMARY_MARKER}\n## reviewbot")
    assert not is_summary_comment(f"> quoting\n{SUMMARY_MARKER}")
    assert not is_summary_comment(None)
