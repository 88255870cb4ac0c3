"""The fastest path per model on this device, as a session on "auto" threads uses it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from camapp.inference.options import ClassifierOptions
from camapp.inference.tuning import Tuner, TuningCache, TuningChoice, tuning_key
from camapp.pipeline.worker import SpeedMeasurement

if TYPE_CHECKING:
    from camapp.pipeline.session import Session

log = logging.getLogger(__name__)


class TunedPaths:
    """Tuned threads x XNNPACK choices by model spec, from the cache or measured here.

    Args:
        enabled: Tune models at all (a session's ``tune``).
        cache: Where choices are kept (default ``$XDG_CACHE_HOME/camapp``, made on first use).
    """

    def __init__(self, enabled: bool, cache: TuningCache | None = None) -> None:
        self.enabled = enabled
        self._cache = cache
        self._choices: dict[str, TuningChoice] = {}

    def get(self, spec: str) -> TuningChoice | None:
        """The choice for ``spec``, once known."""
        return self._choices.get(str(spec))

    def apply(self, spec: str, options: ClassifierOptions) -> ClassifierOptions:
        """``options`` with the tuned XNNPACK choice and a note naming the tuned path."""
        tuned = self._choices.get(spec)
        if tuned is None:
            return options
        notes = (*options.extra.get("notes", ()), f"tuned here: {tuned.describe()}")
        return replace(
            options,
            use_xnnpack=options.use_xnnpack and tuned.xnnpack,
            extra={**options.extra, "notes": notes},
        )

    def tuner_for(
        self, spec: str, options_for: Callable[[str, int | None], ClassifierOptions]
    ) -> Tuner | None:
        """A tuner for ``spec`` unless its choice is known (or cached: then it is known now)."""
        if not self.enabled or spec in self._choices:
            return None
        options = options_for(spec, None)  # a spec that cannot be resolved is not tuned
        if self._cache is None:
            self._cache = TuningCache()
        key = tuning_key(options)
        cached = self._cache.get(key)
        if cached is not None:
            self._choices[spec] = cached
            return None
        return Tuner(options, key=key)

    def remember(self, spec: str, choice: TuningChoice, store: bool = True) -> None:
        """Keeps ``choice`` for ``spec`` (and in the cache when it was measured here)."""
        if store and self._cache is not None:
            self._cache.put(choice)
        self._choices[spec] = choice
        if store:
            log.info("tuned %s: %s", spec, choice.describe())
        else:
            log.debug("tuned before, %s: %s", spec, choice.describe())


def speed_here(session: Session) -> SpeedMeasurement | None:
    """How fast the session's running model runs on this device, once measured.

    Its tuned timing (the longer, interleaved one) when it runs on its tuned path, else the
    worker's measurement of a few invokes of this load. The window's model card and the
    kiosk's speed line both show this.
    """
    info = session.model_info
    if info is None:
        return None
    tuned = session.tuned(info.spec)
    if tuned is not None and (tuned.threads, tuned.xnnpack) == (info.threads, info.xnnpack):
        best = tuned.best
        return SpeedMeasurement(
            info.spec, info.generation, best.threads, best.median_ms, best.runs, tuned=True
        )
    measured = session.worker.measured
    return measured if measured is not None and measured.generation == info.generation else None
