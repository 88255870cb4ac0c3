"""Moved to :mod:`camapp.store.install`; this re-export goes once camapp.ui imports from there."""

from camapp.store.install import ensure_default_models

__all__ = ["ensure_default_models"]
