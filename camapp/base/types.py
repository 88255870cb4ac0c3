"""Closed sets of choices, as enums that compare equal to their plain-string values."""

from __future__ import annotations

from enum import Enum
from typing import TypeVar

_C = TypeVar("_C", bound="Choice")


class Choice(str, Enum):
    """A closed set of names: equal to, printed and formatted as its plain string."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)

    @classmethod
    def parse(cls: type[_C], value: object) -> _C:
        """The member named ``value``.

        Raises:
            ValueError: Naming the choices when ``value`` is none of them.
        """
        try:
            return cls(str(value))
        except ValueError:
            choices = ", ".join(m.value for m in cls)
            what = cls.__name__.lower()
            raise ValueError(f"unknown {what} '{value}' (use {choices})") from None


class Mode(Choice):
    """When the worker classifies."""

    #: Every frame the worker can take.
    CONTINUOUS = "continuous"
    #: Only when asked (a click or Space), once.
    CLICK = "click"
