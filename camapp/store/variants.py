"""Catalog variants as people choose them: the cascade of choices, its order and its words."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from camapp.store.catalog import ModelEntry

#: How each family reads in a choice list.
FAMILY_NAMES: dict[str, str] = {"v1": "V1", "v2": "V2", "v3": "V3", "edgetpu": "EdgeTPU"}
_FAMILY_ORDER = {"v1": 0, "v2": 1, "v3": 2, "edgetpu": 3}
_SIZE_ORDER = {"small": 0, "large": 1}
_QUANTIZATION_ORDER = {"uint8": 0, "int8": 1, "float32": 2}
#: Author lists longer than this are cut to the first author and "et al.".
AUTHORS_MAX_CHARS = 90


@dataclass(frozen=True)
class Dimension:
    """One level of the cascade of choices.

    Attributes:
        name: What the choice is called (``Family``, ``Size``, ...).
        key: The value of an entry at this level (entries with equal values group together).
        text: How a value reads in the choice list.
    """

    name: str
    key: Callable[[ModelEntry], object]
    text: Callable[[object], str]


def install_hint(model_id: str) -> str:
    """How to install a catalog model, as the tooltip and hint say it.

    Args:
        model_id: A catalog id.

    Returns:
        A sentence naming the ``camapp models install`` command.
    """
    return f"not installed; install it with: camapp models install {model_id}"


def family_text(value: object) -> str:
    """``V1``, ``V2``, ``V3``, ``EdgeTPU``: a family as people write it (unknown ones as is)."""
    return FAMILY_NAMES.get(str(value), str(value))


def width_text(value: object) -> str:
    """``1.0``, ``0.75``, ``0.35``: a width multiplier as papers write it (``-``: none)."""
    if not value:
        return "-"
    number = float(value)  # type: ignore[arg-type]
    return f"{number:.1f}" if number == int(number) else f"{number:g}"


def resolution_text(value: object) -> str:
    """``224 px``, or ``-`` when the resolution is unknown."""
    return f"{value} px" if value else "-"


def dimensions() -> tuple[Dimension, ...]:
    """The cascade of choices, from the broadest (family) to one file.

    Returns:
        Family, Size, Width, Resolution, Quantisation and File, in this order. The last one's
        key is the catalog id, so every level together names exactly one entry.
    """
    return (
        Dimension("Family", lambda e: e.family, family_text),
        Dimension("Size", lambda e: e.size or "", lambda v: str(v) or "-"),
        Dimension("Width", lambda e: e.width_multiplier or 0.0, width_text),
        Dimension("Resolution", lambda e: e.resolution or 0, resolution_text),
        Dimension("Quantisation", lambda e: e.quantization, str),
        Dimension("File", lambda e: e.id, str),
    )


def sort_key(name: str, value: object) -> tuple[object, ...]:
    """Where ``value`` goes in the choice list of dimension ``name``.

    Families go V1, V2, V3, EdgeTPU; sizes small before large; quantisations uint8, int8,
    float32; files shortest id first (the plain variant before its re-exports); widths and
    resolutions by number.

    Args:
        name: A :class:`Dimension` name.
        value: A key of that dimension.

    Returns:
        A tuple to sort by.
    """
    if name == "Family":
        return (_FAMILY_ORDER.get(str(value), 9), str(value))
    if name == "Size":
        return (_SIZE_ORDER.get(str(value), 2),)
    if name == "Quantisation":
        return (_QUANTIZATION_ORDER.get(str(value), 3),)
    if name == "File":
        return (len(str(value)), str(value))
    return (value,)


def classifiers(entries: Iterable[ModelEntry]) -> list[ModelEntry]:
    """The classifier entries, in catalog order (the cascade offers nothing else)."""
    return [entry for entry in entries if entry.kind == "classifier"]


def candidates(
    entries: Iterable[ModelEntry], dims: Sequence[Dimension], chosen: Sequence[object]
) -> list[ModelEntry]:
    """The entries that agree with the values chosen so far.

    Args:
        entries: Entries to filter.
        dims: The cascade (see :func:`dimensions`).
        chosen: Values chosen at the first ``len(chosen)`` levels.

    Returns:
        Entries whose key equals the chosen value at every chosen level, in their order.
    """
    return [
        entry
        for entry in entries
        if all(dim.key(entry) == value for dim, value in zip(dims, chosen))
    ]


def grouped(entries: Iterable[ModelEntry], dim: Dimension) -> list[tuple[object, list[ModelEntry]]]:
    """The values of ``dim`` among ``entries``, in choice-list order, each with its entries.

    Args:
        entries: Usually the :func:`candidates` of this level.
        dim: The level to group by.

    Returns:
        ``(value, entries with that value)`` pairs sorted by :func:`sort_key`.
    """
    groups: dict[object, list[ModelEntry]] = {}
    for entry in entries:
        groups.setdefault(dim.key(entry), []).append(entry)
    order = sorted(groups, key=lambda value: sort_key(dim.name, value))
    return [(value, groups[value]) for value in order]


def choice_index(
    groups: Sequence[tuple[object, Sequence[ModelEntry]]],
    installed: Collection[str],
    preferred: object,
) -> int:
    """Which value of one choice list to select.

    Args:
        groups: The list's values with their entries, as :func:`grouped` returns them.
        installed: Ids of installed entries.
        preferred: The value to keep if possible (the current entry's key at this level).

    Returns:
        The index of ``preferred`` if one of its entries is installed; else of the first value
        with an installed entry; else of ``preferred``; else 0.
    """
    usable = [i for i, (_, group) in enumerate(groups) if any(e.id in installed for e in group)]
    for i in usable:
        if groups[i][0] == preferred:
            return i
    if usable:
        return usable[0]
    return next((i for i, (value, _) in enumerate(groups) if value == preferred), 0)


def closest_variant(
    choices: Sequence[ModelEntry],
    current: ModelEntry,
    installed: Collection[str],
    lower: Sequence[Dimension],
) -> ModelEntry:
    """The entry to show after a choice changed at one level.

    Keeps ``current`` when it is still a choice; otherwise prefers an installed entry, then
    the one sharing most lower-level values with ``current`` (the first such in order).

    Args:
        choices: The entries that agree with the new choice.
        current: The entry shown before the change.
        installed: Ids of installed entries.
        lower: The levels below the one that changed.

    Returns:
        ``current`` if it is in ``choices`` or ``choices`` is empty, else the closest choice.
    """
    if not choices or current in choices:
        return current
    return max(
        choices,
        key=lambda e: (e.id in installed, sum(d.key(e) == d.key(current) for d in lower)),
    )


def figure_text(value: object, suffix: str = "", digits: int = 1) -> str:
    """A published figure with its unit, or ``not published``.

    Args:
        value: The figure (``None`` or ``""``: not published).
        suffix: The unit, with its leading space (``" %"``, ``" ms"``).
        digits: Decimals shown for a float.
    """
    if value is None or value == "":
        return "not published"
    if isinstance(value, float):
        return f"{value:.{digits}f}{suffix}"
    return f"{value}{suffix}"


def count_text(count: int, noun: str) -> str:
    """``1 thread``, ``2 threads``: a count with its noun, plural when it is not one."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def short_authors(authors: str) -> str:
    """The author list, or its first author and "et al." when it is long."""
    if len(authors) > AUTHORS_MAX_CHARS:
        return authors.split(",")[0].strip() + " et al."
    return authors


def phone_latency_text(latency_ms: Mapping[str, float | None]) -> str:
    """``Pixel 1 15.5 ms, Pixel 2 not published``: published phone latencies in one line."""
    parts = [
        f"{phone.replace('pixel', 'Pixel ')} {figure_text(ms, ' ms')}"
        for phone, ms in latency_ms.items()
    ]
    return ", ".join(parts) or "not published"


def file_size(paths: Iterable[Path]) -> int | None:
    """Total size in bytes of those of ``paths`` that are files, or ``None`` if none is."""
    sizes = [p.stat().st_size for p in paths if p.is_file()]
    return sum(sizes) if sizes else None


def install_command(model_id: str) -> str:
    """The command that installs a catalog model: ``camapp models install ID``."""
    return f"camapp models install {model_id}"


@dataclass(frozen=True)
class CardFigure:
    """One figure of a model card as the card comparison shows it.

    Attributes:
        name: What it is (``Published top-1``).
        text: How it reads (``67.5 %``, ``not published``).
        value: The number behind it, to find the best of a row (``None``: none).
        better: ``higher`` or ``lower`` when a larger or smaller value is better, else ``""``.
    """

    name: str
    text: str
    value: float | None = None
    better: str = ""


def catalog_bytes(entry: ModelEntry) -> int | None:
    """The size of an entry's model files as the catalog states it (``None``: not stated)."""
    sizes = [f.bytes for f in entry.files]
    return sum(s for s in sizes if s is not None) if sizes and None not in sizes else None


def card_figures(
    entry: ModelEntry,
    phones: Sequence[str],
    file_bytes: int | None = None,
    measured_ms: float | None = None,
    installed: bool = False,
) -> list[CardFigure]:
    """The figures of ``entry`` in the order the card comparison lists them.

    Top-1, top-5, multiply-adds, parameters and phone latencies are as published (the
    catalog); the size from the files on disk (else the catalog); the measured time only
    from this device (``None``: not measured here).

    Args:
        entry: A catalog entry, installed or not.
        phones: The phone keys (``pixel1``, ...) to give a row each, in order.
        file_bytes: Its files' size on disk, when installed.
        measured_ms: Its median invoke time measured on this device, if it was.
        installed: Whether it is installed here.
    """
    pub = entry.published
    size = file_bytes if file_bytes is not None else catalog_bytes(entry)
    rows = [
        CardFigure("Top-1", figure_text(pub.top1, " %"), pub.top1, "higher"),
        CardFigure("Top-5", figure_text(pub.top5, " %"), pub.top5, "higher"),
        CardFigure("Multiply-adds", figure_text(pub.macs_m, " M", 0), pub.macs_m, "lower"),
        CardFigure("Parameters", figure_text(pub.params_m, " M"), pub.params_m, "lower"),
        CardFigure(
            "File size",
            f"{size / 1e6:.1f} MB" if size else "unknown until installed",
            size / 1e6 if size else None,
            "lower",
        ),
    ]
    for phone in phones:
        ms = pub.latency_ms.get(phone)
        name = f"{phone.replace('pixel', 'Pixel ')} latency"
        rows.append(CardFigure(name, figure_text(ms, " ms"), ms, "lower"))
    if measured_ms:
        here = f"{measured_ms:.1f} ms ({1000.0 / measured_ms:.0f} fps)"
    else:
        here = "not measured yet (load it)" if installed else "not installed"
    rows.append(CardFigure("Measured here", here, measured_ms or None, "lower"))
    rows.append(CardFigure("Installed", "yes" if installed else "no"))
    return rows


def best_in_row(values: Sequence[float | None], better: str) -> set[int]:
    """Which columns hold the best value of a row (none when fewer than two have one)."""
    known = [(v, i) for i, v in enumerate(values) if v is not None]
    if len(known) < 2 or better not in ("higher", "lower"):
        return set()
    best = max(v for v, _ in known) if better == "higher" else min(v for v, _ in known)
    return {i for v, i in known if v == best}


def counterpart(entries: Sequence[ModelEntry], entry: ModelEntry) -> ModelEntry | None:
    """The variant to compare ``entry`` with first: same family, the other size (small or
    large) at the same width, resolution and quantisation; else the nearest other width.

    Returns:
        ``None`` when the family has no other variant.
    """
    family = [e for e in classifiers(entries) if e.family == entry.family and e.id != entry.id]
    same = [
        e
        for e in family
        if e.size != entry.size
        and (e.width_multiplier, e.resolution, e.quantization)
        == (entry.width_multiplier, entry.resolution, entry.quantization)
    ]
    if same:
        return same[0]
    others = [
        e
        for e in family
        if e.quantization == entry.quantization and e.width_multiplier != entry.width_multiplier
    ]
    pool = others or family
    if not pool:
        return None
    width = entry.width_multiplier or 0.0
    return min(pool, key=lambda e: abs((e.width_multiplier or 0.0) - width))
