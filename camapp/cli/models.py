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

    The ``available`` column says where each could be installed from, seen from here:
    ``mirror`` (a configured mirror folder has it), ``web`` (a download with a known
    checksum), ``unverified`` (no known checksum: ``--allow-unverified``), ``no``.

    Returns:
        0.
    """
    from camapp.store.manager import model_rows

    store = open_store(args)
    rows: list[dict[str, Any]] = []
    for model in model_rows(store, user_settings().model_mirrors):
        entry = model.entry
        if args.installed and not model.installed:
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
                "installed": model.installed,
                "available": str(model.available),
                "available_from": model.source or None,
                "default": entry.default,
                "bytes": model.size,
                "top1": entry.published.top1,
                "top5": entry.published.top5,
                "macs_m": entry.published.macs_m,
                "params_m": entry.published.params_m,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'id':<44} {'inst':<4} {'available':<10} {'size':>7} {'top-1':>6} {'MACs(M)':>8}")
    for row in rows:
        size = f"{row['bytes'] / 1e6:.1f}MB" if row["bytes"] else "?"
        top1 = f"{row['top1']:.1f}" if row["top1"] is not None else "-"
        macs = f"{row['macs_m']:g}" if row["macs_m"] is not None else "-"
        print(
            f"{row['id']:<44} {'yes' if row['installed'] else 'no':<4} {row['available']:<10} "
            f"{size:>7} {top1:>6} {macs:>8}"
        )
    print(
        f"{sum(r['installed'] for r in rows)} of {len(rows)} installed in "
        f"{', '.join(str(d) for d in store.dirs if d.is_dir()) or store.install_dir}"
    )
    mirrors = sorted({r["available_from"] for r in rows if r["available"] == "mirror"})
    print(
        "available: mirror = "
        + (", ".join(mirrors) if mirrors else "a model folder (none configured has any)")
        + "; web = download with a known sha256; unverified = no known sha256 "
        "(--allow-unverified); no = not from here"
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

    Every entry is tried, whatever happened to the ones before. Each result is one line;
    with ``--all``, entries no source has (or with no known sha256) are one summary line
    instead, since "every model this source has" is what ``--all`` asks for.

    Returns:
        0 when everything asked for is ready; 1 when a named or default model could not be
        installed, or when any model was corrupt or could not be written (also with
        ``--all``).

    Raises:
        CamappError: For an unknown id or a source that is not a folder or https:// URL.
    """
    from camapp.store.install import (
        InstallStatus,
        check_source,
        default_mirrors,
        install_from,
        text_progress,
    )

    store = open_store(args)
    if args.all:
        entries = list(store.catalog)
    elif args.defaults or not args.ids:
        entries = store.catalog.defaults()
    else:
        entries = [store.catalog.get(i) for i in args.ids]
    sources: list[str | None]
    if args.source:
        check_source(args.source)
        sources = [args.source]
    else:
        sources = [*default_mirrors(user_settings().model_mirrors), None]
    results = install_from(
        store, entries, sources, args.allow_unverified, args.force, text_progress()
    )
    missing = (InstallStatus.UNAVAILABLE, InstallStatus.UNVERIFIED)
    summarised = [r for r in results if args.all and r.status in missing]
    failed = [r for r in results if not r.status.ok and r not in summarised]
    for r in results:
        if r.status.ok:
            print(f"{r.status:<11} {r.model_id}{f' ({r.detail})' if r.detail else ''}")
        elif r in summarised:
            log.debug("%s %s: %s", r.status, r.model_id, r.detail)
        else:
            print(f"{r.status:<11} {r.model_id}: {r.detail}")
    if summarised:
        print(_skipped_line(summarised, sources))
    print(f"{sum(r.status.ok for r in results)} of {len(results)} ready in {store.install_dir}")
    if failed:
        kinds = ", ".join(sorted({str(r.status) for r in failed}))
        log.error("%d model(s) could not be installed (%s)", len(failed), kinds)
    return 1 if failed else 0


def _skipped_line(results: list[Any], sources: list[str | None]) -> str:
    """One line for the ``--all`` entries no source had or the catalog has no sha256 for."""
    where = ", ".join(source or "the web" for source in sources)
    unavailable = sum(r.status == "unavailable" for r in results)
    unverified = len(results) - unavailable
    parts = []
    if unavailable:
        parts.append(f"{unavailable} not available from {where}")
    if unverified:
        parts.append(
            f"{unverified} with no known sha256 (--allow-unverified installs them unchecked)"
        )
    return f"skipped     {len(results)} models: {'; '.join(parts)}; -v lists them"
