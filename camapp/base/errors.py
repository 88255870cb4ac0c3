"""The one error type camapp shows to users: what is wrong and how to fix it."""

from __future__ import annotations


class CamappError(Exception):
    """An error with a plain-words message and an optional hint on how to fix it.

    The CLI prints ``str(error)`` as one line on stderr, with no traceback.
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} ({self.hint})"
        return self.message
