"""The speed line's text: the model and its answers per second, from the session."""

from __future__ import annotations

from collections.abc import Callable

from camapp.pipeline.session import Session
from camapp.pipeline.tuning import speed_here


def speed_text(session: Session, title: Callable[[str], str]) -> str:
    """``MobileNet V2 1.0 · 224  23 fps`` (both models in split view).

    A photo is classified once (and again when the box moves), so answers per second say
    nothing about the model there: the median time of its answers is shown instead.

    Args:
        session: Where the models, the source and their rates are.
        title: A model's name for a spec.
    """
    still = session.source.is_still
    stats = session.stats() if still else None
    parts = []
    for info, worker, record in (
        (session.model_info, session.worker, stats.primary if stats else None),
        (session.compare_info, session.compare_worker, stats.compare if stats else None),
    ):
        if info is None or worker is None:
            continue
        if still:
            # Just after a model (re)load the photo's new answer may not be in yet: the
            # model's speed measured here says the same thing meanwhile.
            here = worker.measured if info.tag else speed_here(session)
            ms = (record.inference_ms_p50 if record is not None else 0.0) or (
                here.median_ms if here is not None else 0.0
            )
            speed = f"{ms:.1f} ms per answer" if ms > 0 else "measuring..."
        else:
            speed = f"{worker.stats()['inference_fps']:.0f} fps"
        parts.append(f"{title(info.spec)}  {speed}")
    return "   |   ".join(parts)
