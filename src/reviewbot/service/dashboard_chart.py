"""Geometry of the repository page's grade history: a line chart of the total score over
the reviews and one small chart per criterion (small multiples), drawn as inline SVG.

Only numbers and labels are computed here; the template draws them. A review without a
score (not graded, criterion not measured) leaves a gap: the line is broken there rather
than drawn through a made-up value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reviewbot.service.dashboard_data import ReviewSummary, iso_time

WIDTH = 800
HEIGHT = 240
LEFT = 44  # room for the y axis labels
RIGHT = 16
TOP = 16
BOTTOM = 32
SMALL_WIDTH = 180
SMALL_HEIGHT = 64
SMALL_PAD = 6
GRID = (0, 25, 50, 75, 100)


@dataclass(frozen=True, slots=True)
class Point:
    """One scored review on a chart; `label` is its tooltip (SVG <title>)."""

    x: float
    y: float
    label: str
    review_id: int


@dataclass(frozen=True, slots=True)
class Line:
    """A chart's points and its polylines (one per unbroken run of scored reviews)."""

    points: tuple[Point, ...]
    segments: tuple[str, ...]  # SVG `points` attributes


@dataclass(frozen=True, slots=True)
class SmallChart:
    """One criterion's history."""

    id: str
    title: str
    latest: str  # the latest score as text, or "n/a"
    line: Line


@dataclass(frozen=True, slots=True)
class HistoryChart:
    """The total score's chart, its grid and the per-criterion small multiples."""

    width: int
    height: int
    grid: tuple[tuple[int, float], ...]  # (score, y)
    # (x, date, text-anchor) under the first and last review, kept inside the chart.
    x_labels: tuple[tuple[float, str, str], ...]
    total: Line
    criteria: tuple[SmallChart, ...]
    small_width: int
    small_height: int


def _x(index: int, count: int, left: float, width: float) -> float:
    if count == 1:
        return round(left + width / 2, 1)
    return round(left + width * index / (count - 1), 1)


def _y(score: float, top: float, height: float) -> float:
    return round(top + height * (1 - max(0.0, min(100.0, score)) / 100), 1)


def _line(values: Sequence[tuple[ReviewSummary, float | None, str]], box: tuple[float, ...]
          ) -> Line:
    left, top, width, height = box
    points: list[Point] = []
    segments: list[str] = []
    run: list[str] = []
    for index, (review, value, label) in enumerate(values):
        if value is None:
            if run:
                segments.append(" ".join(run))
            run = []
            continue
        point = Point(_x(index, len(values), left, width), _y(value, top, height), label,
                      review.id)
        points.append(point)
        run.append(f"{point.x},{point.y}")
    if run:
        segments.append(" ".join(run))
    return Line(tuple(points), tuple(segments))


def history_chart(reviews: Sequence[ReviewSummary], criteria: Sequence[tuple[str, str]]
                  ) -> HistoryChart:
    """The chart of `reviews` (oldest first); `criteria` are (id, title) in display order."""
    plot = (LEFT, TOP, WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM)
    total = _line([(r, r.score, _total_label(r)) for r in reviews], plot)
    small_box = (SMALL_PAD, SMALL_PAD, SMALL_WIDTH - 2 * SMALL_PAD, SMALL_HEIGHT - 2 * SMALL_PAD)
    small = []
    for cid, title in criteria:
        values = [(r, r.criteria.get(cid), f"{cid} · review #{r.id} · "
                   f"{_score_text(r.criteria.get(cid))}") for r in reviews]
        last = reviews[-1].criteria.get(cid) if reviews else None
        small.append(SmallChart(cid, title, _score_text(last), _line(values, small_box)))
    grid = tuple((score, _y(score, plot[1], plot[3])) for score in GRID)
    ends = sorted({0, len(reviews) - 1}) if reviews else []
    anchors = ["middle"] if len(ends) == 1 else ["start", "end"][:len(ends)]
    x_labels = tuple((_x(index, len(reviews), plot[0], plot[2]),
                      iso_time(reviews[index].created_at)[:10], anchor)
                     for index, anchor in zip(ends, anchors, strict=True))
    return HistoryChart(WIDTH, HEIGHT, grid, x_labels, total, tuple(small), SMALL_WIDTH,
                        SMALL_HEIGHT)


def _score_text(score: float | None) -> str:
    return "n/a" if score is None else f"{score:.1f}"


def _total_label(review: ReviewSummary) -> str:
    grade = f"{review.letter} " if review.letter else ""
    return (f"review #{review.id} · {iso_time(review.created_at)} · "
            f"{grade}{_score_text(review.score)}")
