"""First run: make sure a model is installed before the window opens."""

from __future__ import annotations

from collections.abc import Callable

from camapp.base.config import app_defaults
from camapp.store.model_store import ModelStore, Progress, default_mirrors, install_from


def ensure_default_models(
    store: ModelStore,
    report: Callable[[str], None] = print,
    progress: Progress | None = None,
) -> list[str]:
    """Installs the catalog's default models when no classifier is installed yet.

    Tries ``$CAMAPP_MODEL_MIRROR``, the config's ``model_mirrors``, then the web.

    Returns:
        One line per model that could not be installed (empty when all is well).
    """
    if any(entry.kind == "classifier" for entry in store.installed()):
        return []
    entries = store.catalog.defaults()
    mirrors = default_mirrors(app_defaults().get("model_mirrors") or [])
    where = ", ".join(mirrors + ["the web"])
    report(
        f"camapp: no model installed yet; installing {len(entries)} default models "
        f"into {store.install_dir} (from {where})"
    )
    results = install_from(store, entries, [*mirrors, None], progress=progress)
    problems = []
    for result in results:
        if result.status in ("installed", "present"):
            report(f"camapp: installed {result.model_id}")
        else:
            problems.append(f"{result.model_id}: {result.detail}")
    return problems
