"""Where numbered markers and labels go on a map, so that none hides another or the furniture.

Placement works in display coordinates (points of the printed figure), on axis-aligned boxes:
each item is tried at its anchor and then at growing distances around it, in a fixed order of
directions, and takes the first spot that is inside the map frame, clear of the map's
furniture (scale bar, north arrow) and clear of every item placed before it. Items are placed
in priority order (the strongest finding first), so an important finding keeps its spot and a
lesser one moves out on a leader line. A label that finds no spot within its reach is left
off (the map's key and the GeoPackage still name it); a marker always gets a spot when the
frame has room for it. Two leader lines that cross are then uncrossed by swapping their
boxes where both still fit: a reader follows each line to the nearer box, so crossed lines
send the eye to the other's. Each swap shortens the lines' total length (the two sides of a
crossing are longer than the two sides it is swapped for), so the swapping ends.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

__all__ = ["Box", "Point", "candidate_offsets", "place_boxes"]

#: A point in display units.
Point = tuple[float, float]


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in display units."""

    x0: float
    y0: float
    x1: float
    y1: float

    @classmethod
    def around(cls, x: float, y: float, half_width: float, half_height: float) -> Box:
        """The box of the given half sizes centred on ``(x, y)``."""
        return cls(x - half_width, y - half_height, x + half_width, y + half_height)

    def overlaps(self, other: Box, gap: float = 0.0) -> bool:
        """Whether the boxes come closer than ``gap``."""
        return not (
            self.x1 + gap <= other.x0
            or other.x1 + gap <= self.x0
            or self.y1 + gap <= other.y0
            or other.y1 + gap <= self.y0
        )

    def inside(self, frame: Box, margin: float = 0.0) -> bool:
        """Whether the box lies within ``frame``, at least ``margin`` from its edges."""
        return (
            self.x0 >= frame.x0 + margin
            and self.y0 >= frame.y0 + margin
            and self.x1 <= frame.x1 - margin
            and self.y1 <= frame.y1 - margin
        )


def candidate_offsets(step: float, rings: int) -> Iterator[tuple[float, float]]:
    """Offsets from an anchor: the anchor itself, then rings ``step`` apart, more points out.

    The first ring has 8 directions (up-right first, the cartographic convention for point
    labels); ring ``k`` has ``8k``, so candidates stay about ``step`` apart however far out.
    Made as they are asked for: most boxes take one of the first, and the rings out to a
    frame's diagonal hold tens of thousands.
    """
    yield (0.0, 0.0)
    for ring in range(1, rings + 1):
        count = 8 * ring
        radius = ring * step
        for i in range(count):
            angle = math.pi / 4 + 2 * math.pi * i / count
            yield (radius * math.cos(angle), radius * math.sin(angle))


def place_boxes(
    anchors: Sequence[tuple[float, float]],
    sizes: Sequence[tuple[float, float]],
    *,
    frame: Box,
    obstacles: Sequence[Box] = (),
    gap: float = 1.0,
    step: float | None = None,
    max_distance: float | None = None,
    anchor_clearance: float = 0.0,
) -> list[tuple[float, float] | None]:
    """The centre of each box, in the order given (highest priority first), or None.

    Parameters
    ----------
    anchors
        The point each box belongs to, in display units.
    sizes
        Each box's ``(width, height)``.
    frame
        The boxes must lie inside it (the map's frame).
    obstacles
        Boxes already on the map (furniture, earlier labels) that nothing may overlap.
    gap
        The least clearance between two boxes.
    step
        Distance between candidate rings; by default the box's larger side.
    max_distance
        How far from its anchor a box may go; by default the frame's diagonal (a marker then
        always finds room if there is any).
    anchor_clearance
        With it, no box comes within this distance of another box's anchor, where that box's
        leader line ends: a marker sitting on another finding's point hides where its line
        goes.
    """
    taken = list(obstacles)
    placed: list[tuple[float, float] | None] = []
    reaches: list[float] = []
    diagonal = math.hypot(frame.x1 - frame.x0, frame.y1 - frame.y0)
    others = _other_anchors(list(anchors), anchor_clearance)
    for index, ((x, y), (width, height)) in enumerate(zip(anchors, sizes, strict=True)):
        ring_step = step or max(width, height)
        reach = diagonal if max_distance is None else max_distance
        rings = max(1, math.ceil(reach / ring_step))
        # The farthest candidate tried, which a swap below may not exceed either.
        reaches.append(rings * ring_step)
        spot = None
        clear_of = others(index)
        for dx, dy in candidate_offsets(ring_step, rings):
            box = Box.around(x + dx, y + dy, width / 2, height / 2)
            if (
                box.inside(frame, gap)
                and not any(box.overlaps(t, gap) for t in taken)
                and not any(box.overlaps(t) for t in clear_of)
            ):
                spot = (x + dx, y + dy)
                taken.append(box)
                break
        placed.append(spot)
    return _uncrossed(
        list(anchors), list(sizes), placed, frame, list(obstacles), gap, reaches, others
    )


def _other_anchors(anchors: list[Point], clearance: float) -> Callable[[int], list[Box]]:
    """Per box, the boxes of clearance around the other boxes' anchors (none without one).

    An anchor within the clearance of the box's own is not one to keep clear of: two findings
    on one point (an industry and the definition made of it, in one area) would otherwise
    push each other's markers off it.
    """
    if clearance <= 0:
        return lambda _index: []
    boxes = [Box.around(x, y, clearance, clearance) for x, y in anchors]

    def apart(k: int, index: int) -> bool:
        (x, y), (x0, y0) = anchors[k], anchors[index]
        return abs(x - x0) >= clearance or abs(y - y0) >= clearance

    return lambda index: [b for k, b in enumerate(boxes) if k != index and apart(k, index)]


def _uncrossed(  # noqa: PLR0917 -- the placement's own arguments, passed on
    anchors: list[Point],
    sizes: list[Point],
    placed: list[Point | None],
    frame: Box,
    obstacles: list[Box],
    gap: float,
    reaches: list[float] | None = None,
    other_anchors: Callable[[int], list[Box]] | None = None,
) -> list[Point | None]:
    """``placed`` with every pair of crossing leader lines swapped where both boxes fit.

    A box fits at the other's spot inside the frame, clear of the obstacles, of every other
    box and of the other boxes' anchors (``other_anchors``, by box), and within its own reach
    of its anchor (``reaches``, none by default).
    """
    anchors_of = other_anchors or (lambda _index: [])
    spots = list(placed)

    def within_reach(i: int, spot: Point) -> bool:
        if reaches is None:
            return True
        return math.hypot(spot[0] - anchors[i][0], spot[1] - anchors[i][1]) <= reaches[i]

    def box(i: int, spot: Point) -> Box:
        return Box.around(spot[0], spot[1], sizes[i][0] / 2, sizes[i][1] / 2)

    def fits_swapped(i: int, j: int, a: Point, b: Point) -> bool:
        """Whether box i fits at j's spot ``b`` and box j at i's spot ``a``."""
        first, second = box(i, b), box(j, a)
        others = [
            box(k, spot) for k, spot in enumerate(spots) if spot is not None and k not in (i, j)
        ]
        return (
            within_reach(i, b)
            and within_reach(j, a)
            and first.inside(frame, gap)
            and second.inside(frame, gap)
            and not first.overlaps(second, gap)
            and not any(t.overlaps(first, gap) or t.overlaps(second, gap) for t in obstacles)
            and not any(t.overlaps(first, gap) or t.overlaps(second, gap) for t in others)
            and not any(t.overlaps(first) for t in anchors_of(i))
            and not any(t.overlaps(second) for t in anchors_of(j))
        )

    # Each swap shortens the total, so this ends; the bound only guards against rounding.
    for _ in range(len(spots) ** 2 + 1):
        swapped = False
        for i in range(len(spots)):
            for j in range(i + 1, len(spots)):
                a, b = spots[i], spots[j]
                if a is None or b is None:
                    continue
                if _segments_cross(anchors[i], a, anchors[j], b) and fits_swapped(i, j, a, b):
                    spots[i], spots[j] = b, a
                    swapped = True
        if not swapped:
            break
    return spots


def _segments_cross(p1: Point, p2: Point, q1: Point, q2: Point) -> bool:
    """Whether segments p1-p2 and q1-q2 cross at a point inside both (not merely touch)."""

    def side(a: Point, b: Point, c: Point) -> float:
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])

    if p1 == p2 or q1 == q2:  # a box at its anchor has no leader line
        return False
    d1, d2 = side(q1, q2, p1), side(q1, q2, p2)
    d3, d4 = side(p1, p2, q1), side(p1, p2, q2)
    return d1 * d2 < 0 and d3 * d4 < 0
