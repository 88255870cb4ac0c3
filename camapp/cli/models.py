"""``camapp models``: list, install and verify catalog models, and show where they live.

``list`` and ``dirs`` only read the catalog and the folders: no OpenCV, NumPy or runtime.
"""

from __future__ import annotations

import argparse
import json
import logging
from typing import Any

from camapp.cli.common import open_store, user_settings

log = logging.getLogger(__name__)


def cmd_models_list(args: argparse.Namespace) -> int:
    """Prints every catalog entry (``--installed``: installed ones) as a table or JSON.

    Returns:
        0.
    """
    store = open_store(args)
    rows: list[dict[str, Any]] = []
    for entry in store.catalog:
        installed = store.is_installed(entry)
        if args.installed and not installed:
            continue
        rows.append(
            {
                "id": entry.id,
                "name": entry.name,
                "kind": entry.kind,
                "family": entry.family,
                "size": entry.size,
                "width_multiplier": entry.width_multiplier,
                "resolution": entry.resolution,
                "quantization": entry.quantization,
                "installed": installed,
                "default": entry.default,
                "bytes": sum(f.bytes or 0 for f in entry.files) or None,
                "top1": entry.published.top1,
                "top5": entry.published.top5,
                "macs_m": entry.published.macs_m,
                "params_m": entry.published.params_m,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'id':<44} {'inst':<4} {'size':>7} {'top-1':>6} {'MACs(M)':>8}")
    for row in rows:
        size = f"{row['bytes'] / 1e6:.1f}MB" if row["bytes"] else "?"
        top1 = f"{row['top1']:.1f}" if row["top1"] is not None else "-"
        macs = f"{row['macs_m']:g}" if row["macs_m"] is not None else "-"
        print(
            f"{row['id']:<44} {'yes' if row['installed'] else 'no':<4} {size:>7} "
            f"{top1:>6} {macs:>8}"
        )
    print(
        f"{sum(r['installed'] for r in rows)} of {len(rows)} installed in "
        f"{', '.join(str(d) for d in store.dirs if d.is_dir()) or store.install_dir}"
    )
    return 0


def cmd_models_dirs(args: argparse.Namespace) -> int:
    """Prints the install folder and every searched folder.

    Returns:
        0.
    """
    store = open_store(args)
    print(f"install into: {store.install_dir}")
    for folder in store.dirs:
        print(f"search: {folder}{'' if folder.is_dir() else ' (missing)'}")
    return 0


def cmd_models_verify(args: argparse.Namespace) -> int:
    """Re-checks the sha256 of every installed file against the catalog.

    Returns:
        0, or 1 when a file does not match.
    """
    rows = open_store(args).verify()
    if not rows:
        print("no models installed")
        return 0
    bad = 0
    for name, path, status in rows:
        print(f"{status:<9} {name}  ({path.parent})")
        bad += status == "mismatch"
    if bad:
        log.error(
            "%d file(s) do not match the catalog; re-install them with "
            "'camapp models install --force ID'",
            bad,
        )
    return 1 if bad else 0


def cmd_models_install(args: argparse.Namespace) -> int:
    """Installs the named ids (``--defaults`` when none, or ``--all``) from mirrors or the web.

    Returns:
        0, or 1 when a named or default model could not be installed (``--all`` tolerates
        models no source has).

    Raises:
        CamappError: For an unknown id.
    """
    from camapp.store.install import default_mirrors, install_from, text_progress

    store = open_store(args)
    if args.all:
        entries = list(store.catalog)
    elif args.defaults or not args.ids:
        entries = store.catalog.defaults()
    else:
        entries = [store.catalog.get(i) for i in args.ids]
    sources: list[str | None]
    if args.source:
        sources = [args.source]
    else:
        sources = [*default_mirrors(user_settings().model_mirrors), None]
    results = install_from(
        store, entries, sources, args.allow_unverified, args.force, text_progress()
    )
    failed = 0
    for r in results:
        if r.status in ("installed", "present"):
            extra = f" ({r.detail})" if r.detail else ""
            print(f"{r.status:<11} {r.model_id}{extra}")
        else:
            failed += 1
            print(f"{r.status:<11} {r.model_id}: {r.detail}")
    print(f"{len(results) - failed} of {len(results)} ready in {store.install_dir}")
    if failed and args.source:
        log.warning("%d model(s) not available from %s", failed, args.source)
    return 1 if failed and not args.all else 0
