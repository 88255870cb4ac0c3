"""Closed sets of choices, as enums that compare equal to their plain-string values."""

from __future__ import annotations

from enum import Enum


class Mode(str, Enum):
    """When the worker classifies."""

    #: Every frame the worker can take.
    CONTINUOUS = "continuous"
    #: Only when asked (a click or Space), once.
    CLICK = "click"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def parse(cls, value: object) -> Mode:
        """The mode named ``value``.

        Raises:
            ValueError: Naming the choices when ``value`` is none of them.
        """
        try:
            return cls(str(value))
        except ValueError:
            choices = ", ".join(m.value for m in cls)
            raise ValueError(f"unknown mode '{value}' (use {choices})") from None
