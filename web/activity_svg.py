"""Charts as inline SVG, drawn on the server: no script, nothing fetched, so the audit page keeps
its content security policy (``default-src 'none'``). Every bar and point has a ``<title>`` (the
browser shows it on hover) and ``data-`` attributes with its number; a table under each chart
gives the same numbers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 960, 150
LEFT, RIGHT, TOP, BOTTOM = 46, 8, 10, 22  # margins: the y axis' labels on the left, the x axis' below
INK, MUTED, GRID = "#1d2330", "#667085", "#e3e6eb"


@dataclass(frozen=True)
class Point:
    label: str  # the bucket, as the x axis and the tooltip name it
    value: int


@dataclass(frozen=True)
class Frame:
    """Where values go: ``n`` slots across, 0 to ``top`` up."""

    n: int
    top: int

    @property
    def slot(self) -> float:
        return (WIDTH - LEFT - RIGHT) / max(self.n, 1)

    def x(self, index: int) -> float:
        return LEFT + index * self.slot

    def y(self, value: int) -> float:
        return TOP + (HEIGHT - TOP - BOTTOM) * (1 - value / self.top)


def bar_chart(points: Sequence[Point], name: str, noun: str, colour: str) -> Markup:
    """One bar per point, ``noun`` naming the counted thing in each tooltip ("3 created")."""
    frame = Frame(len(points), _top(points))
    width = max(frame.slot * 0.8, 0.5)
    bars = [
        f'<rect class="bar" x="{frame.x(i) + frame.slot * 0.1:.2f}" y="{frame.y(p.value):.2f}" '
        f'width="{width:.2f}" height="{frame.y(0) - frame.y(p.value):.2f}" fill="{colour}" '
        f'data-label="{escape(p.label)}" data-value="{p.value}"><title>{escape(p.label)}: {p.value} '
        f'{escape(noun)}</title></rect>'
        for i, p in enumerate(points)
    ]
    return _svg(name, frame, points, bars)


def line_chart(points: Sequence[Point], name: str, noun: str, colour: str) -> Markup:
    """A line through the points (each at its slot's middle), a dot with a tooltip on each."""
    frame = Frame(len(points), _top(points))
    middles = [(frame.x(i) + frame.slot / 2, frame.y(p.value)) for i, p in enumerate(points)]
    line = " ".join(f"{x:.2f},{y:.2f}" for x, y in middles)
    marks = [f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="2"/>'] if points else []
    marks += [
        f'<circle class="point" cx="{x:.2f}" cy="{y:.2f}" r="{3 if len(points) <= 200 else 1.5}" fill="{colour}" '
        f'data-label="{escape(p.label)}" data-value="{p.value}"><title>{escape(p.label)}: {p.value} '
        f'{escape(noun)}</title></circle>'
        for (x, y), p in zip(middles, points, strict=True)
    ]
    return _svg(name, frame, points, marks)


def _top(points: Sequence[Point]) -> int:
    return max([1, *(p.value for p in points)])


def _svg(name: str, frame: Frame, points: Sequence[Point], marks: list[str]) -> Markup:
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
        f'aria-label="{escape(name)}" xmlns="http://www.w3.org/2000/svg"><title>{escape(name)}</title>',
        *_axes(frame, points), *marks, "</svg>",
    ]
    return Markup("".join(parts))


def _axes(frame: Frame, points: Sequence[Point]) -> list[str]:
    """Grid lines at 0, half and the top, labelled; the first, middle and last buckets named below."""
    parts = []
    for value in sorted({0, frame.top // 2, frame.top}):
        y = frame.y(value)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.2f}" y2="{y:.2f}" stroke="{GRID}"/>'
                     f'<text x="{LEFT - 6}" y="{y + 4:.2f}" text-anchor="end" font-size="11" '
                     f'fill="{MUTED}">{value}</text>')
    for index in sorted({0, len(points) // 2, len(points) - 1} if points else set()):
        anchor = "start" if index == 0 else "end" if index == len(points) - 1 else "middle"
        x = frame.x(index) if anchor == "start" else frame.x(index + 1) if anchor == "end" else frame.x(index)
        parts.append(f'<text x="{x:.2f}" y="{HEIGHT - 6}" text-anchor="{anchor}" font-size="11" '
                     f'fill="{MUTED}">{escape(points[index].label)}</text>')
    parts.append(f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{frame.y(0):.2f}" stroke="{INK}"/>')
    return parts
