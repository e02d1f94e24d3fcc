"""Which of the app's endpoints the tests call (C15): the route table against test requests.

A request path from a test (`/api/v1/posts/{}`, `{}` for what can't be known statically) matches
a route segment by segment: a route parameter (`{post_id}`) takes any segment, a `{}` in the
request takes any text. When a request could be several routes (`/users/{}` is `/users/me` or
`/users/{user_id}`), the routes that agree most (parameter for placeholder) are the ones tested.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Protocol

from reviewbot.analyzers.test_quality import ClientCall


class RouteLike(Protocol):
    """What matching needs of a route (`reviewbot.analyzers.routes.Route` has it)."""

    @property
    def method(self) -> str: ...

    @property
    def path(self) -> str: ...


def _segments(path: str) -> list[str]:
    return [s for s in path.strip("/").split("/") if s]


def _is_param(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}") and segment != "{}"


def _segment_score(requested: str, declared: str) -> int | None:
    """None: no match; 2: exact or placeholder for parameter; 1: looser match."""
    if requested == declared:
        return 2
    if "{}" in requested:
        if _is_param(declared):
            return 2 if requested == "{}" else 1
        pattern = ".*".join(re.escape(part) for part in requested.split("{}"))
        return 1 if re.fullmatch(pattern, declared) else None
    return 1 if _is_param(declared) else None


def match_score(requested: str, declared: str) -> int | None:
    """How well a requested path matches a route path; None when it doesn't."""
    return _score(_segments(requested), _segments(declared))


def _score(asked: list[str], route: list[str]) -> int | None:
    if asked and asked[0] == "{}" and len(asked) - 1 <= len(route):
        # An unknown prefix (`f"{BASE}/posts"`): match the known tail.
        asked, route = asked[1:], route[len(route) - len(asked) + 1 :]
    if len(asked) != len(route):
        return None
    total = 0
    for one, other in zip(asked, route, strict=True):
        score = _segment_score(one, other)
        if score is None:
            return None
        total += score
    return total


def is_resolved(call: ClientCall) -> bool:
    """A request whose path says something: not only placeholders."""
    return call.path is not None and (call.path == "/" or bool(re.sub(r"[{}/]", "", call.path)))


class _RouteIndex:
    """The routes split into segments once, grouped by method and segment count, and by
    first segment: a request is scored against the routes it could match, not all of them
    (tests x routes grows with the square of the repository)."""

    def __init__(self, routes: Sequence[RouteLike]) -> None:
        self.by_method: dict[str, list[tuple[int, list[str]]]] = {}
        # (method, segment count) -> first segment -> routes; "" holds routes whose first
        # segment is a parameter (they match any first segment).
        self.by_shape: dict[tuple[str, int], dict[str, list[tuple[int, list[str]]]]] = {}
        for i, route in enumerate(routes):
            segments = _segments(route.path)
            self.by_method.setdefault(route.method, []).append((i, segments))
            first = segments[0] if segments and not _is_param(segments[0]) else ""
            shape = self.by_shape.setdefault((route.method, len(segments)), {})
            shape.setdefault(first, []).append((i, segments))

    def candidates(self, method: str, asked: list[str]) -> list[tuple[int, list[str]]]:
        """Routes that might match `asked`, in route order (a superset of the matches)."""
        if asked and asked[0] == "{}":
            return self.by_method.get(method, [])  # unknown prefix: any longer route may match
        shape = self.by_shape.get((method, len(asked)), {})
        if not asked or "{}" in asked[0]:
            found = [route for group in shape.values() for route in group]
        else:
            found = shape.get(asked[0], []) + shape.get("", [])
        return sorted(found, key=lambda route: route[0])


def tested_routes(routes: Sequence[RouteLike], calls: Iterable[ClientCall]) -> set[int]:
    """Indexes into `routes` of the routes some resolved request calls."""
    index = _RouteIndex(routes)
    tested: set[int] = set()
    seen: set[tuple[str, str]] = set()  # the same request again adds nothing
    for call in calls:
        if not is_resolved(call) or call.path is None or (call.method, call.path) in seen:
            continue
        seen.add((call.method, call.path))
        asked = _segments(call.path)
        scored = [
            (score, i)
            for i, segments in index.candidates(call.method, asked)
            if (score := _score(asked, segments)) is not None
        ]
        if scored:
            best = max(score for score, _ in scored)
            tested |= {i for score, i in scored if score == best}
    return tested
