"""The region of interest: a normalised box, clamped and never empty."""

from __future__ import annotations

import math
from dataclasses import dataclass

from camapp.base.errors import CamappError

#: Smallest side of a box, as a fraction of the frame side.
MIN_SIDE = 0.02


def range_mistake(values: list[float], name: str = "--roi") -> str | None:
    """What is wrong with ROI values outside [0, 1], in one line; None when all are inside.

    Such values are refused, not clamped: clamping ``10,10,90,90`` (percent) gives a 2 %
    box in the frame's bottom-right corner, whose answers look like real ones.

    Args:
        values: The four numbers given.
        name: How the user gave them (``--roi``), for the message.
    """
    if all(0.0 <= v <= 1.0 for v in values):
        return None
    given = ",".join(f"{v:.10g}" for v in values)
    start = f"{name} values are fractions of the frame from 0 to 1; {given}"
    if all(0.0 <= v <= 100.0 for v in values):
        meant = ",".join(f"{v / 100.0:.10g}" for v in values)
        return f"{start} looks like percent: use {meant}"
    if all(v >= 0.0 for v in values):
        return (
            f"{start} looks like pixels: divide by the frame's width and height "
            "(e.g. 0.25,0.25,0.75,0.75 is the middle half)"
        )
    meant = ",".join(f"{_clip(v):.10g}" for v in values)
    return f"{start} goes outside the frame: use {meant}"


def _clip(value: float) -> float:
    return min(1.0, max(0.0, float(value)))


@dataclass(frozen=True)
class ROI:
    """A box in normalised frame coordinates (0..1), left < right and top < bottom.

    Build one with :meth:`clamped` (or :meth:`parse`) so the invariants hold; geometry
    helpers return new boxes that stay inside the frame.
    """

    left: float = 0.0
    top: float = 0.0
    right: float = 1.0
    bottom: float = 1.0

    @classmethod
    def clamped(cls, left: float, top: float, right: float, bottom: float) -> ROI:
        """Clamps to [0, 1], orders the edges and widens an empty box to ``MIN_SIDE``."""
        left, right = sorted((_clip(left), _clip(right)))
        top, bottom = sorted((_clip(top), _clip(bottom)))
        left, right = _min_span(left, right)
        top, bottom = _min_span(top, bottom)
        return cls(left, top, right, bottom)

    @classmethod
    def full(cls) -> ROI:
        """The whole frame."""
        return cls(0.0, 0.0, 1.0, 1.0)

    @classmethod
    def central(cls, fraction: float) -> ROI:
        """A centred box covering ``fraction`` of each side (0.875 is the papers' eval crop)."""
        if not 0.0 < fraction <= 1.0:
            raise CamappError(f"crop fraction {fraction} is outside (0, 1]", "use e.g. 0.875")
        margin = (1.0 - fraction) / 2.0
        return cls.clamped(margin, margin, 1.0 - margin, 1.0 - margin)

    @classmethod
    def parse(cls, text: str, name: str = "--roi") -> ROI:
        """Parses ``"L,T,R,B"`` (fractions of the frame from 0 to 1).

        Edges given in the wrong order are sorted and a box too small is widened to
        ``MIN_SIDE`` (as :meth:`clamped` does); values outside [0, 1] are refused.

        Args:
            text: The four numbers.
            name: How the user gave them (``--roi``), for messages.

        Raises:
            CamappError: When the text is not four finite numbers, or a value is outside
                [0, 1] (naming the likely mistake: percent, pixels).
        """
        parts = [p for p in text.replace(" ", "").split(",") if p]
        try:
            values = [float(p) for p in parts]
        except ValueError:
            values = []
        if len(values) != 4 or not all(math.isfinite(v) for v in values):
            raise CamappError(
                f"cannot read ROI '{text}'",
                "give four fractions left,top,right,bottom such as 0.25,0.25,0.75,0.75",
            )
        mistake = range_mistake(values, name)
        if mistake:
            raise CamappError(mistake)
        return cls.clamped(*values)

    @property
    def width(self) -> float:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def center(self) -> tuple[float, float]:
        return ((self.left + self.right) / 2.0, (self.top + self.bottom) / 2.0)

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (self.left, self.top, self.right, self.bottom)

    def to_pixels(self, width: int, height: int) -> tuple[int, int, int, int]:
        """Pixel edges ``(x0, y0, x1, y1)`` in a ``width`` x ``height`` frame, at least 1 px."""
        x0 = min(int(round(self.left * width)), width - 1)
        y0 = min(int(round(self.top * height)), height - 1)
        x1 = max(int(round(self.right * width)), x0 + 1)
        y1 = max(int(round(self.bottom * height)), y0 + 1)
        return x0, y0, min(x1, width), min(y1, height)

    def with_size(self, width: float, height: float) -> ROI:
        """Same centre, new size, shifted back inside the frame if it would leave it."""
        width = min(1.0, max(MIN_SIDE, width))
        height = min(1.0, max(MIN_SIDE, height))
        cx, cy = self.center
        return self._placed(cx - width / 2.0, cy - height / 2.0, width, height)

    def moved(self, dx: float, dy: float) -> ROI:
        """Moved by ``(dx, dy)``, stopping at the frame's edges without changing size."""
        return self._placed(self.left + dx, self.top + dy, self.width, self.height)

    def centered_at(self, x: float, y: float) -> ROI:
        """Same size, centred on ``(x, y)`` as far as the frame allows."""
        return self._placed(x - self.width / 2.0, y - self.height / 2.0, self.width, self.height)

    def scaled(self, factor: float) -> ROI:
        """Both sides times ``factor`` around the centre (arrow up/down, mouse wheel)."""
        return self.with_size(self.width * factor, self.height * factor)

    def reshaped(self, factor: float) -> ROI:
        """Height times ``factor`` and width divided by it: taller and narrower when > 1."""
        return self.with_size(self.width / factor, self.height * factor)

    def _placed(self, left: float, top: float, width: float, height: float) -> ROI:
        left = min(max(0.0, left), 1.0 - width)
        top = min(max(0.0, top), 1.0 - height)
        return ROI(left, top, left + width, top + height)


def _min_span(low: float, high: float) -> tuple[float, float]:
    if high - low >= MIN_SIDE:
        return low, high
    centre = min(max((low + high) / 2.0, MIN_SIDE / 2.0), 1.0 - MIN_SIDE / 2.0)
    return centre - MIN_SIDE / 2.0, centre + MIN_SIDE / 2.0
