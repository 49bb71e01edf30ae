"""Where numbered markers and labels go on a map, so that none hides another or the furniture.

Placement works in display coordinates (points of the printed figure), on axis-aligned boxes:
each item is tried at its anchor and then at growing distances around it, in a fixed order of
directions, and takes the first spot that is inside the map frame, clear of the map's
furniture (scale bar, north arrow) and clear of every item placed before it. Items are placed
in priority order (the strongest finding first), so an important finding keeps its spot and a
lesser one moves out on a leader line. A label that finds no spot within its reach is left
off (the map's key and the GeoPackage still name it); a marker always gets a spot when the
frame has room for it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

__all__ = ["Box", "candidate_offsets", "place_boxes"]


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
    """
    taken = list(obstacles)
    placed: list[tuple[float, float] | None] = []
    diagonal = math.hypot(frame.x1 - frame.x0, frame.y1 - frame.y0)
    for (x, y), (width, height) in zip(anchors, sizes, strict=True):
        ring_step = step or max(width, height)
        reach = diagonal if max_distance is None else max_distance
        rings = max(1, math.ceil(reach / ring_step))
        spot = None
        for dx, dy in candidate_offsets(ring_step, rings):
            box = Box.around(x + dx, y + dy, width / 2, height / 2)
            if box.inside(frame, gap) and not any(box.overlaps(t, gap) for t in taken):
                spot = (x + dx, y + dy)
                taken.append(box)
                break
        placed.append(spot)
    return placed
