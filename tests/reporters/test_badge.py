"""The badge: SVG and shields.io endpoint JSON by letter band, and `reviewbot badge`."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

import pytest

from reviewbot.model import Grade, Level, Report
from reviewbot.reporters import badge, json_report

from .goldens import assert_golden
from .sample_reports import SAMPLES, learner_report, notebooks_report


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    children: list[Node] = field(default_factory=list)

    def find(self, tag: str) -> Node:
        return next(child for child in self.children if child.tag == tag)

    def findall(self, tag: str) -> list[Node]:
        return [child for child in self.children if child.tag == tag]

    def get(self, name: str) -> str | None:
        return self.attrs.get(name)


def parse_svg(text: str) -> Node:
    """The SVG as a tree; expat raises on anything that is not well-formed XML."""
    parser = expat.ParserCreate()
    stack: list[Node] = []
    roots: list[Node] = []

    def start(tag: str, attrs: dict[str, str]) -> None:
        node = Node(tag, attrs)
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)

    def data(chunk: str) -> None:
        stack[-1].text += chunk

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda tag: stack.pop()
    parser.CharacterDataHandler = data
    parser.Parse(text, True)
    [root] = roots
    return root


def graded(score: float | None, letter: str | None) -> Report:
    level = Level.NOT_APPLICABLE if score is None else Level.INTERMEDIATE
    return dataclasses.replace(learner_report(), grade=Grade(score, letter, level))


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_svg_matches_golden(sample: str) -> None:
    assert_golden(f"{sample}.svg", badge.render(SAMPLES[sample]()))


@pytest.mark.parametrize(("score", "letter", "message", "color"), [
    (96.0, "A", "A 96", "brightgreen"),
    (91.4, "A-", "A- 91", "brightgreen"),
    (84.4, "B+", "B+ 84", "green"),
    (79.6, "C+", "C+ 80", "yellow"),
    (61.2, "D-", "D- 61", "orange"),
    (34.0, "F", "F 34", "red"),
    (84.0, None, "84", "green"),  # no letter: the band follows from the score
    (12.0, None, "12", "red"),
    (None, None, "n/a", "lightgrey"),
    (50.0, "?", "? 50", "lightgrey"),
])
def test_message_and_color_follow_the_letter_band(
    score: float | None, letter: str | None, message: str, color: str
) -> None:
    report = graded(score, letter)
    assert badge.message(report) == message
    assert badge.color(report) == color
    assert json.loads(badge.shields_endpoint(report)) == {
        "schemaVersion": 1, "label": "reviewbot", "message": message, "color": color}


def test_svg_layout_text_and_colour() -> None:
    text = badge.render(graded(84.4, "B+"))
    root = parse_svg(text)
    assert root.tag == "svg"
    assert root.attrs["xmlns"] == "http://www.w3.org/2000/svg"
    label_width = badge.text_width("reviewbot") + 10
    message_width = badge.text_width("B+ 84") + 10
    assert (label_width, message_width) == (66, 46)
    assert root.attrs["width"] == str(label_width + message_width)
    assert root.attrs["aria-label"] == "reviewbot: B+ 84"
    assert root.find("title").text == "reviewbot: B+ 84"
    gradient = root.find("linearGradient").get("id")
    clip = root.find("clipPath").get("id")
    assert (gradient[:2], clip[:2]) == ("s-", "r-")
    assert root.find("g").get("clip-path") == f"url(#{clip})"
    shapes, texts_group = root.findall("g")
    rects = shapes.findall("rect")
    assert [(r.get("width"), r.get("fill")) for r in rects] == [
        ("66", "#555"), ("46", "#97ca00"), ("112", f"url(#{gradient})")]
    # Another badge inlined in the same page does not share its ids.
    other = parse_svg(badge.render(graded(96.0, "A")))
    assert other.find("clipPath").get("id") != clip
    texts = [(t.get("x"), t.text) for t in texts_group.findall("text")]
    assert texts == [("33.0", "reviewbot")] * 2 + [("89.0", "B+ 84")] * 2


def test_not_a_backend_gets_a_grey_na_badge() -> None:
    root = parse_svg(badge.render(notebooks_report()))
    assert root.attrs["aria-label"] == "reviewbot: n/a"
    assert "#9f9f9f" in [r.get("fill") for r in root.findall("g")[0].findall("rect")]


def test_wider_text_makes_a_wider_badge() -> None:
    assert badge.text_width("A 9") < badge.text_width("B+ 84") < badge.text_width("MMMMM")
    assert badge.text_width("") == 0


def test_text_from_a_report_file_is_escaped() -> None:
    hostile = graded(70.0, '<script>"&')
    text = badge.render(hostile)
    assert "<script>" not in text
    root = parse_svg(text)  # still well-formed XML
    assert root.attrs["aria-label"] == 'reviewbot: <script>"& 70'
    assert json.loads(badge.shields_endpoint(hostile))["message"] == '<script>"& 70'


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR")}
    return subprocess.run([sys.executable, "-m", "reviewbot", "badge", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120, check=False, env=environ)


def test_badge_command_renders_a_saved_report(tmp_path: Path) -> None:
    saved = tmp_path / "report.json"
    saved.write_text(json_report.render(learner_report()), encoding="utf-8")
    svg = run_cli(str(saved), cwd=tmp_path)
    assert (svg.returncode, svg.stderr) == (0, "")
    assert svg.stdout == badge.render(learner_report())
    shields = run_cli(str(saved), "--shields", "-o", "badge.json", cwd=tmp_path)
    assert (shields.returncode, shields.stdout, shields.stderr) == (0, "", "")
    assert json.loads((tmp_path / "badge.json").read_text()) == {
        "schemaVersion": 1, "label": "reviewbot", "message": "D- 61", "color": "orange"}


@pytest.mark.parametrize(("content", "error"), [
    (None, "error: cannot read missing.json: No such file or directory"),
    ("{not json", "error: report.json is not a valid JSON report: not JSON: Expecting property "
                  "name enclosed in double quotes: line 1 column 2 (char 1)"),
    ('{"schema_version": 1}', "error: report.json is not a valid JSON report: report is "
                              "missing the field 'tool'"),
    ("[]", "error: report.json is not a valid JSON report: a JSON report is an object"),
])
def test_badge_command_refuses_an_invalid_report(
    tmp_path: Path, content: str | None, error: str
) -> None:
    name = "missing.json" if content is None else "report.json"
    if content is not None:
        (tmp_path / name).write_text(content, encoding="utf-8")
    result = run_cli(name, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == error + "\n"


def test_badge_command_refuses_binary(tmp_path: Path) -> None:
    (tmp_path / "report.json").write_bytes(b"\xff\xfe\x00")
    result = run_cli("report.json", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (
        2, "error: report.json is not a JSON report: not UTF-8 text\n")
