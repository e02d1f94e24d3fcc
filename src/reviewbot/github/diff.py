"""Which lines of a pull request a review comment may sit on.

GitHub rejects a whole review (422, "Pull request review thread line must be part of the
diff") when one inline comment targets a line outside the diff. The lines it accepts on the
RIGHT side are the added and the context lines of each file's hunks, which is what
`commentable_lines` reads from the `patch` of `GET /pulls/{n}/files`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

_HUNK = re.compile(r"@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


def commentable_lines(patch: str | None) -> frozenset[int]:
    """Line numbers in the new file that the patch shows: added lines and context lines.

    A file without a patch (binary, or too large for GitHub to diff) has none.
    """
    if not patch:
        return frozenset()
    lines: set[int] = set()
    line = 0
    remaining = 0  # new-side lines left in the current hunk
    for text in patch.split("\n"):
        header = _HUNK.match(text)
        if header:
            line = int(header.group(1))
            remaining = int(header.group(2)) if header.group(2) is not None else 1
            continue
        if remaining <= 0:
            continue  # outside any hunk: a trailing empty string, or a malformed patch
        if text.startswith(("+", " ")) or text == "":
            # An empty line inside a hunk is a context line whose leading space was trimmed.
            lines.add(line)
            line += 1
            remaining -= 1
        # "-" lines exist only on the LEFT side; "\ No newline at end of file" on neither.
    return frozenset(lines)


@dataclass(frozen=True, slots=True)
class DiffIndex:
    """The commentable RIGHT-side lines of every file of a pull request."""

    lines: Mapping[str, frozenset[int]] = field(default_factory=dict)

    def __contains__(self, place: object) -> bool:
        if not isinstance(place, tuple) or len(place) != 2:
            return False
        path, line = place
        return isinstance(path, str) and line in self.lines.get(path, frozenset())

    def touches(self, path: str) -> bool:
        """True when the pull request changes `path`."""
        return path in self.lines

    @classmethod
    def from_files(cls, files: Iterable[tuple[str, str | None]]) -> DiffIndex:
        """Build from (filename, patch) pairs, as the PR files endpoint lists them."""
        return cls({name: commentable_lines(patch) for name, patch in files})
