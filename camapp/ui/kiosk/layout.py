"""Where each part of the kiosk goes on a screen of any size and orientation.

Sizes are in units of one hundredth of the shorter side, so a 7" 800x480 panel, a 1080p
monitor and a portrait screen get the same design. Landscape: the answer across the top,
the variant buttons in a row along the bottom, the speed line just above them. Portrait:
the same, with two answer cards stacked (split view) and the buttons in two columns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PyQt6.QtCore import QRect

#: Height of an answer card, a row of buttons and the speed line, in units.
ANSWER_UNITS, BUTTON_UNITS, SPEED_UNITS, GAP_UNITS = 21.0, 19.0, 4.6, 1.6


def unit(width: int, height: int) -> float:
    """One hundredth of the shorter side, in pixels."""
    return max(1.0, min(width, height) / 100.0)


@dataclass(frozen=True)
class KioskLayout:
    """The rectangles of one screen size.

    Attributes:
        unit: Pixels per unit.
        answers: One answer card, or two in split view.
        buttons: The variant buttons (an empty rect without buttons).
        columns: Buttons per row.
        speed: The speed line's row (its text starts at the left).
        picture: Where the picture goes: the whole screen in landscape (the overlays lie
            over it), the band between the answer and the buttons in portrait.
        free: What the overlays leave of the picture: the box's home is centred here.
        message: The reconnecting or starting card.
        pin: The staff PIN pad.
    """

    unit: float
    answers: tuple[QRect, ...]
    buttons: QRect
    columns: int
    speed: QRect
    picture: QRect
    free: QRect
    message: QRect
    pin: QRect


def compute_layout(width: int, height: int, buttons: int, split: bool) -> KioskLayout:
    """The layout for a ``width`` x ``height`` screen with ``buttons`` variant buttons.

    Args:
        width: Screen (window) width in pixels.
        height: Its height.
        buttons: How many variant buttons (fewer than two: none are shown).
        split: Two answer cards (split view).
    """
    u = unit(width, height)
    margin = round(2 * u)
    portrait = width < height
    card_h = round(ANSWER_UNITS * u)
    inner_w = width - 2 * margin
    answers: tuple[QRect, ...]
    if split and not portrait:
        half = (inner_w - margin) // 2
        answers = (
            QRect(margin, margin, half, card_h),
            QRect(margin * 2 + half, margin, inner_w - half - margin, card_h),
        )
    elif split:
        answers = (
            QRect(margin, margin, inner_w, card_h),
            QRect(margin, 2 * margin + card_h, inner_w, card_h),
        )
    else:
        answers = (QRect(margin, margin, inner_w, card_h),)
    top = answers[-1].bottom() + 1

    columns = 0
    bar = QRect()
    bottom = height - margin
    if buttons >= 2:
        columns = min(buttons, 2) if portrait else buttons
        rows = math.ceil(buttons / columns)
        bar_h = round(rows * BUTTON_UNITS * u + (rows - 1) * GAP_UNITS * u)
        bar = QRect(margin, height - margin - bar_h, inner_w, bar_h)
        bottom = bar.top()
    speed_h = round(SPEED_UNITS * u)
    speed = QRect(margin, bottom - round(1.2 * u) - speed_h, inner_w, speed_h)
    free = QRect(0, top + margin, width, max(1, speed.top() - top - 2 * margin))
    picture = free if portrait else QRect(0, 0, width, height)
    message_h = min(free.height(), round(34 * u))
    message_w = min(inner_w, round(150 * u))
    message = QRect(
        (width - message_w) // 2,
        free.top() + (free.height() - message_h) // 2,
        message_w,
        message_h,
    )
    pin_h = min(height - 2 * margin, round(96 * u))
    pin_w = min(inner_w, round(pin_h * 0.8))
    pin = QRect((width - pin_w) // 2, (height - pin_h) // 2, pin_w, pin_h)
    return KioskLayout(u, answers, bar, columns, speed, picture, free, message, pin)
