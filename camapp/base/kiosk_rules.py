"""Kiosk settings that are more than a range: opening hours and the exit chord.

Opening hours are kept as seven day ranges, Monday first: ``"09:00-17:30"`` or ``"closed"``.
:class:`OpeningHours` answers whether the kiosk is open at a given local time and when that
changes next; it never reads the clock itself, so the caller (and a test) chooses the time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CLOSED = "closed"
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
_MODIFIERS = {"ctrl": "Ctrl", "control": "Ctrl", "alt": "Alt", "shift": "Shift", "meta": "Meta"}
_MODIFIER_ORDER = ("Ctrl", "Alt", "Shift", "Meta")
_KEY = re.compile(r"[A-Z0-9]|F\d{1,2}|[A-Z][a-z0-9]+")


def day_range(value: Any) -> str:
    """``"9:00 - 17:30"`` as ``"09:00-17:30"``; ``closed`` (or null, false) as ``"closed"``.

    Raises:
        ValueError: For anything else, or a range that closes before it opens.
    """
    if value is None or value is False or (isinstance(value, str) and value.strip() == CLOSED):
        return CLOSED
    match = _RANGE.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError(value)
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    if not (m1 < 60 and m2 < 60 and h1 * 60 + m1 < h2 * 60 + m2 <= 24 * 60):
        raise ValueError(value)
    return f"{h1:02d}:{m1:02d}-{h2:02d}:{m2:02d}"


def weekdays(key: Any) -> list[int]:
    """``mon`` or ``monday`` as ``[0]``; ``mon-fri`` as ``[0, 1, 2, 3, 4]`` (``fri-mon`` wraps).

    Raises:
        ValueError: When ``key`` names no weekday or range of weekdays.
    """
    parts = [part.strip().lower() for part in str(key).split("-")]
    if not 1 <= len(parts) <= 2 or not all(part[:3] in WEEKDAYS for part in parts):
        raise ValueError(key)
    first, last = WEEKDAYS.index(parts[0][:3]), WEEKDAYS.index(parts[-1][:3])
    return [(first + i) % 7 for i in range((last - first) % 7 + 1)]


def parse_hours(value: Any) -> tuple[str, ...]:
    """Opening hours as seven ranges, Monday first (``"closed"`` on days it does not open).

    Args:
        value: A daily range (``"09:00-17:30"``), a mapping of weekdays or weekday ranges to
            ranges or ``closed`` (days it leaves out are closed), or seven ranges.

    Raises:
        ValueError: When ``value`` is none of those.
    """
    if isinstance(value, str):
        return (day_range(value),) * 7
    if isinstance(value, (list, tuple)) and len(value) == 7:
        return tuple(day_range(item) for item in value)
    if not isinstance(value, Mapping) or not value:
        raise ValueError(value)
    days = [CLOSED] * 7
    for key, item in value.items():
        for day in weekdays(key):
            days[day] = day_range(item)
    return tuple(days)


def parse_chord(value: Any) -> str:
    """``ctrl+alt+shift+q`` as ``Ctrl+Alt+Shift+Q``: one modifier or more, then one key.

    Raises:
        ValueError: Without a modifier, with an unknown or repeated one, or an odd key.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValueError(value)
    parts = [part.strip() for part in value.split("+")]
    modifiers = [_MODIFIERS.get(part.lower(), "") for part in parts[:-1]]
    key = parts[-1].upper() if len(parts[-1]) == 1 else parts[-1].capitalize()
    if not modifiers or not all(modifiers) or len(set(modifiers)) != len(modifiers):
        raise ValueError(value)
    if not _KEY.fullmatch(key):
        raise ValueError(value)
    return "+".join(sorted(modifiers, key=_MODIFIER_ORDER.index) + [key])


@dataclass(frozen=True)
class OpeningHours:
    """When the kiosk is open, from the seven ranges of :func:`parse_hours`.

    Attributes:
        days: Seven ``"HH:MM-HH:MM"`` or ``"closed"``, Monday first.
    """

    days: tuple[str, ...]

    def _minutes(self, weekday: int) -> tuple[int, int] | None:
        text = self.days[weekday % 7]
        if text == CLOSED:
            return None
        opens, closes = text.split("-")
        (h1, m1), (h2, m2) = (map(int, opens.split(":")), map(int, closes.split(":")))
        return h1 * 60 + m1, h2 * 60 + m2

    def is_open(self, now: datetime) -> bool:
        """Whether ``now`` (local time) is within the day's range."""
        span = self._minutes(now.weekday())
        minute = now.hour * 60 + now.minute
        return span is not None and span[0] <= minute < span[1]

    def next_change(self, now: datetime) -> datetime | None:
        """When it next opens or closes after ``now`` (``None``: never, every day closed)."""
        midnight = datetime.combine(now.date(), time(0), tzinfo=now.tzinfo)
        for offset in range(8):
            span = self._minutes(now.weekday() + offset)
            if span is None:
                continue
            for minute in span:
                moment = midnight + timedelta(days=offset, minutes=minute)
                if moment > now:
                    return moment
        return None

    def next_opening(self, now: datetime) -> datetime | None:
        """When it next opens after ``now`` (``None``: never)."""
        moment = self.next_change(now)
        while moment is not None and not self.is_open(moment):
            moment = self.next_change(moment)
        return moment

    def opening_text(self, now: datetime) -> str:
        """``"Opens again today at 09:00"`` (or ``tomorrow``, or ``on Monday``); ``""``: never."""
        moment = self.next_opening(now)
        if moment is None:
            return ""
        days = (moment.date() - now.date()).days
        when = "today" if days == 0 else "tomorrow" if days == 1 else f"on {moment:%A}"
        return f"Opens again {when} at {moment:%H:%M}"
