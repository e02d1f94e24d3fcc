"""YAML read safely, with the line of every key: for workflows and compose files.

PyYAML's `safe_load` gives values but no lines, and turns GitHub's `on:` key into `True`.
Here the document is composed into nodes with the safe loader (no tags that build objects),
mapping keys stay the text the author wrote, and every value's line is recorded under its
path (`("jobs", "test", "steps", 2, "run")`). Aliases are expanded with a budget, so a
"billion laughs" file is rejected instead of exhausting memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]

# Nodes visited per document at most; generous for any real workflow or compose file.
MAX_NODES = 50_000
_MAX_DEPTH = 60


class YamlError(Exception):
    """The text is not YAML reviewbot can read; `line` is 1-based when the parser knows it."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


@dataclass
class LocatedYaml:
    """One YAML document: its plain value and the 1-based line of each path in it."""

    data: Any
    lines: dict[Path, int] = field(default_factory=dict)

    def line(self, *path: str | int) -> int | None:
        return self.lines.get(tuple(path))


class _Builder:
    def __init__(self) -> None:
        self.visited = 0
        self.lines: dict[Path, int] = {}
        self._scalars = yaml.SafeLoader("")

    def build(self, node: yaml.Node, path: Path, depth: int) -> Any:
        self.visited += 1
        if self.visited > MAX_NODES or depth > _MAX_DEPTH:
            raise YamlError("document too large or too deeply nested", node.start_mark.line + 1)
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    merged = self.build(value_node, path, depth + 1)
                    for item in merged if isinstance(merged, list) else [merged]:
                        if isinstance(item, Mapping):
                            result.update({k: v for k, v in item.items() if k not in result})
                    continue
                key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
                self.lines[(*path, key)] = key_node.start_mark.line + 1
                result[key] = self.build(value_node, (*path, key), depth + 1)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.ScalarNode):
            try:
                return self._scalars.construct_object(node, deep=True)
            except yaml.YAMLError:
                return node.value
        return None


def load(text: str) -> LocatedYaml:
    """The first document of `text`; raises YamlError with the parser's line when malformed."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise YamlError(str(exc.problem or exc.context or "invalid YAML"), line) from exc
    except yaml.YAMLError as exc:
        raise YamlError(str(exc).splitlines()[0] if str(exc) else "invalid YAML", None) from exc
    if node is None:
        return LocatedYaml(None)
    builder = _Builder()
    data = builder.build(node, (), 0)
    return LocatedYaml(data, builder.lines)
