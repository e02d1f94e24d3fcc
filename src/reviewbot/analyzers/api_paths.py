"""Names in REST paths: verbs that belong to the HTTP method, plural collections."""

from __future__ import annotations

import re

from reviewbot.analyzers.route_model import Route

# Verbs that repeat what the HTTP method already says (`/getUsers`, `/posts/{id}/delete`).
CRUD_VERBS = frozenset(
    {
        "get",
        "create",
        "update",
        "delete",
        "remove",
        "add",
        "fetch",
        "list",
        "edit",
        "modify",
        "change",
        "insert",
        "retrieve",
        "destroy",
        "make",
        "save",
        "find",
    }
)
_ALONE_VERBS = frozenset(
    {"create", "update", "delete", "remove", "add", "edit", "get", "list", "fetch", "destroy"}
)
_PLURAL_AFTER = frozenset(
    {
        "get",
        "create",
        "add",
        "list",
        "fetch",
        "delete",
        "remove",
        "update",
        "edit",
        "retrieve",
        "destroy",
        "find",
        "insert",
        "make",
    }
)
UNCOUNTABLE = frozenset(
    {
        "me",
        "auth",
        "data",
        "info",
        "media",
        "staff",
        "news",
        "series",
        "feedback",
        "health",
        "status",
        "search",
        "admin",
        "api",
        "metadata",
        "equipment",
        "software",
        "content",
        "profile",
    }
)
# The method a verb in a path stands for (`/posts/{id}/delete` -> DELETE /posts/{id}).
VERB_METHODS = {
    **dict.fromkeys(("get", "list", "fetch", "retrieve", "find"), "GET"),
    **dict.fromkeys(("create", "add", "insert", "make"), "POST"),
    **dict.fromkeys(("update", "edit", "modify", "change", "save"), "PATCH"),
    **dict.fromkeys(("delete", "remove", "destroy"), "DELETE"),
}
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def words(segment: str) -> list[str]:
    return [w.lower() for w in _WORDS.findall(segment)]


def plural(noun: str) -> str:
    if noun.endswith("s"):
        return noun
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    if noun.endswith(("x", "ch", "sh")):
        return noun + "es"
    return noun + "s"


def verb_segment(route: Route) -> tuple[int, str, str] | None:
    """(segment position, verb, suggested segment) of the first verb segment of a path."""
    segments = route.path.strip("/").split("/")
    for position, segment in enumerate(segments):
        if segment.startswith("{"):
            continue
        found = words(segment)
        if len(found) > 1 and found[0] in CRUD_VERBS:
            noun = "-".join(found[1:])
            return position, found[0], plural(noun) if found[0] in _PLURAL_AFTER else noun
        if len(found) == 1 and found[0] in _ALONE_VERBS and position > 0 and segment.isalpha():
            return position, found[0], ""
    return None


def path_without(route: Route, position: int, replacement: str) -> str:
    segments = route.path.strip("/").split("/")
    segments[position : position + 1] = [replacement] if replacement else []
    trailing = "/" if route.path.endswith("/") and segments else ""
    return "/" + "/".join(segments) + trailing
