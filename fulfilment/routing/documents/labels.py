"""Where the route map puts each stop's label so that no two labels overlap.

Greedy placement: labels are placed one at a time, the most crowded stops
first (they have the fewest free spots near them, and the isolated ones
find room anyway), each at the first free spot on rings of growing radius
around its stop: beside the stop when there is room, further out (and the
map draws a leader line back) when there is not. A spot is free when its
box overlaps no label already placed and no stop's dot, and lies inside the
drawing. Boxes are kept in a grid of buckets so that a check looks at the
neighbourhood, not at every label of the plan.

Simple and deterministic; not optimal (a label may sit further out than a
smarter search would put it), which a map for reading stop numbers can
afford.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

CELL = 40.0  # px, the grid's bucket


RING_STEP = 5.0  # px between candidate rings


GAP = 1.0  # px kept between two labels, and between a label and a dot


@dataclass(frozen=True)
class Box:
    x: float  # left
    y: float  # top
    width: float
    height: float

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.width / 2, self.y + self.height / 2

    def overlaps(self, other: Box, gap: float = 0.0) -> bool:
        """Whether the boxes share area (closer than ``gap``, when given)."""
        return (
            self.x < other.x + other.width + gap
            and other.x < self.x + self.width + gap
            and self.y < other.y + other.height + gap
            and other.y < self.y + self.height + gap
        )

    def touches_circle(self, cx: float, cy: float, r: float) -> bool:
        nearest_x = min(max(cx, self.x), self.x + self.width)
        nearest_y = min(max(cy, self.y), self.y + self.height)
        return math.hypot(cx - nearest_x, cy - nearest_y) < r

    def nearest_point(self, x: float, y: float) -> tuple[float, float]:
        """The point of the box's outline nearest to (x, y) outside it: where
        a leader line from the stop meets the label."""
        return min(max(x, self.x), self.x + self.width), min(max(y, self.y), self.y + self.height)


class _Grid:
    """Boxes and dots bucketed by the grid cells they cover."""

    def __init__(self) -> None:
        self.boxes: dict[tuple[int, int], list[Box]] = {}

    @staticmethod
    def _cells(box: Box) -> Iterator[tuple[int, int]]:
        for i in range(int(box.x // CELL), int((box.x + box.width) // CELL) + 1):
            for j in range(int(box.y // CELL), int((box.y + box.height) // CELL) + 1):
                yield i, j

    def add(self, box: Box) -> None:
        for cell in self._cells(box):
            self.boxes.setdefault(cell, []).append(box)

    def near(self, box: Box) -> Iterator[Box]:
        for cell in self._cells(box):
            yield from self.boxes.get(cell, ())


def _candidates(
    x: float, y: float, width: float, height: float, max_radius: float
) -> Iterator[Box]:
    """Boxes around (x, y), ring by ring outwards; on each ring, more
    directions the larger it is, right and up first (a map reader looks
    there first)."""
    radius = 0.0
    while radius <= max_radius:
        steps = max(8, int(2 * math.pi * radius / 12))
        for k in range(steps):
            angle = -2 * math.pi * k / steps  # counter-clockwise from the right, y down
            # The box's edge (not its centre) at ``radius`` from the dot.
            cx = x + math.cos(angle) * (radius + width / 2)
            cy = y + math.sin(angle) * (radius + height / 2)
            yield Box(cx - width / 2, cy - height / 2, width, height)
        radius += RING_STEP


def place_labels(
    anchors: Sequence[tuple[float, float]],
    sizes: Sequence[tuple[float, float]],
    area: tuple[float, float],
    dot_radius: float,
    obstacles: Sequence[tuple[float, float]] = (),
) -> list[Box]:
    """A box for each label (``sizes[i]`` for the stop at ``anchors[i]``),
    inside ``area`` (width, height), overlapping no other label, no stop's
    dot and no other mark (``obstacles``, as large as a dot); a label with
    no free spot inside the area at all is put over its stop (never seen at
    a city's density)."""
    width, height = area
    dots = _Grid()
    reach = dot_radius + GAP
    for x, y in [*anchors, *obstacles]:
        dots.add(Box(x - reach, y - reach, 2 * reach, 2 * reach))
    placed = _Grid()
    out: list[Box | None] = [None] * len(anchors)
    for index in _crowded_first(anchors):
        x, y = anchors[index]
        w, h = sizes[index]
        chosen = Box(x - w / 2, y - h / 2, w, h)
        for box in _candidates(x, y, w, h, max(width, height)):
            if box.x < 0 or box.y < 0 or box.x + w > width or box.y + h > height:
                continue
            if any(box.overlaps(other, GAP) for other in placed.near(box)):
                continue
            if any(box.touches_circle(d.x + reach, d.y + reach, reach) for d in dots.near(box)):
                continue
            chosen = box
            break
        placed.add(chosen)
        out[index] = chosen
    return [box for box in out if box is not None]


def _crowded_first(anchors: Sequence[tuple[float, float]]) -> list[int]:
    """Indexes of the anchors, those with the most others within a cell first."""
    grid: dict[tuple[int, int], int] = {}
    for x, y in anchors:
        key = (int(x // CELL), int(y // CELL))
        grid[key] = grid.get(key, 0) + 1

    def crowd(index: int) -> int:
        i, j = int(anchors[index][0] // CELL), int(anchors[index][1] // CELL)
        return sum(grid.get((i + a, j + b), 0) for a in (-1, 0, 1) for b in (-1, 0, 1))

    return sorted(range(len(anchors)), key=lambda index: (-crowd(index), index))
