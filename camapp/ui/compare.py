"""Compare mode's panel, now in :mod:`camapp.ui.panels.compare` (kept for old imports)."""

from camapp.ui.panels.compare import ComparePanel as ComparePanel
