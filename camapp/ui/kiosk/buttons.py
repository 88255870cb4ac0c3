"""The variant buttons: each model's speed here and its published accuracy, side by side.

A visitor sees the trade-off of the MobileNet papers on the device in front of them: the
fastest model is the least accurate. Speed is measured on this device at start (see
:mod:`camapp.ui.kiosk.probe`); top-1 is what the model's publishers report for ImageNet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from PyQt6.QtCore import QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QPainter, QPaintEvent, QPen, QResizeEvent
from PyQt6.QtWidgets import QAbstractButton, QWidget

from camapp.store.catalog import Catalog, ModelEntry
from camapp.ui.kiosk.overlay import YELLOW, FitLabel, Meter, fitting_px

_FAMILIES = {"v1": "V1", "v2": "V2", "v3": "V3", "edgetpu": "EdgeTPU"}
_GREEN = QColor(80, 220, 140)


def variant_title(entry: ModelEntry | None, spec: str) -> str:
    """A short name for a button: ``MobileNet V1 0.25 · 128`` (a file's name for a path)."""
    if entry is None:
        return Path(spec).stem
    parts = ["MobileNet", _FAMILIES.get(entry.family, entry.family)]
    if entry.size:
        parts.append(entry.size)
    if entry.width_multiplier:  # 1.0, 0.75, 0.5, 0.25 as the papers write them
        width = f"{entry.width_multiplier:.2f}".rstrip("0")
        parts.append(width + "0" if width.endswith(".") else width)
    title = " ".join(p for p in parts if p)
    return f"{title} · {entry.resolution}" if entry.resolution else title


def title_for(catalog: Catalog, spec: str) -> str:
    """:func:`variant_title` of a spec, looked up in ``catalog``."""
    return variant_title(catalog.get(spec) if spec in catalog else None, spec)


@dataclass(frozen=True)
class Variant:
    """One button: the model, its name, its measured speed and its published top-1.

    Attributes:
        spec: Catalog id or path.
        title: What the button says (:func:`variant_title`).
        fps: Answers per second measured on this device at start.
        top1: Published ImageNet top-1 in percent, if known.
    """

    spec: str
    title: str
    fps: float
    top1: float | None


class VariantButton(QAbstractButton):
    """A large touch button: the model's name, a speed bar and an accuracy bar."""

    def __init__(self, variant: Variant, fastest: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.variant = variant
        self.setObjectName("variantButton")
        self.setCheckable(True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.unit = 5.0
        self.title_cap = 1000  # the bar's common title size
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        self.title = FitLabel(variant.title, bold=True, parent=self)
        self.speed_caption = FitLabel("speed", parent=self)
        self.speed_bar = Meter(_GREEN, parent=self)
        self.speed_value = FitLabel(f"{variant.fps:.0f} fps", bold=True, align=right, parent=self)
        self.accuracy_caption = FitLabel("top-1", parent=self)
        self.accuracy_bar = Meter(parent=self)
        top1 = variant.top1
        self.accuracy_value = FitLabel(
            "n/a" if top1 is None else f"{top1:.1f}%", bold=True, align=right, parent=self
        )
        self.speed_bar.set_value(variant.fps / fastest if fastest > 0 else 0.0)
        self.accuracy_bar.set_value((top1 or 0.0) / 100.0)
        self.setToolTip("")

    def labels(self) -> list[FitLabel]:
        """Every text of the button (tests check that each fits)."""
        return [
            self.title,
            self.speed_caption,
            self.speed_value,
            self.accuracy_caption,
            self.accuracy_value,
        ]

    def set_unit(self, unit: float) -> None:
        self.unit = unit
        self.arrange()

    def title_px(self) -> int:
        """The title's size when it fits this button on its own."""
        pad, inner_h = round(1.8 * self.unit), self.height() - round(3.6 * self.unit)
        wanted = round(min(4.6 * self.unit, inner_h * 0.42 * 0.8))
        return fitting_px(self.title.font(), self.variant.title, self.width() - 2 * pad, wanted)

    def resizeEvent(self, event: QResizeEvent | None) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.arrange()

    def arrange(self) -> None:
        u, w, h = self.unit, self.width(), self.height()
        pad = round(1.8 * u)
        inner = w - 2 * pad
        title_h = round((h - 2 * pad) * 0.42)
        row_h = (h - 2 * pad - title_h) // 2
        self.title.setGeometry(pad, pad, inner, title_h)
        self.title.set_px(min(self.title_cap, self.title_px()))
        caption_w, value_w = round(inner * 0.22), round(inner * 0.3)
        bar_h = max(4, round(min(1.6 * u, row_h * 0.4)))
        rows = (
            (self.speed_caption, self.speed_bar, self.speed_value),
            (self.accuracy_caption, self.accuracy_bar, self.accuracy_value),
        )
        for i, (caption, bar, value) in enumerate(rows):
            y = pad + title_h + i * row_h
            caption.setGeometry(pad, y, caption_w, row_h)
            caption.set_px(round(min(3.2 * u, row_h * 0.7)))
            gap = round(u)
            bar_w = inner - caption_w - value_w - 2 * gap
            bar.setGeometry(pad + caption_w + gap, y + (row_h - bar_h) // 2, bar_w, bar_h)
            value.setGeometry(w - pad - value_w, y, value_w, row_h)
            value.set_px(round(min(3.4 * u, row_h * 0.72)))

    def paintEvent(self, event: QPaintEvent | None) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        border = max(2.0, 0.5 * self.unit)
        rect = QRectF(self.rect()).adjusted(border / 2, border / 2, -border / 2, -border / 2)
        radius = 1.8 * self.unit
        pressed = self.isDown()
        fill = QColor(60, 60, 60, 230) if self.isChecked() or pressed else QColor(12, 12, 12, 200)
        painter.setBrush(fill)
        painter.setPen(QPen(YELLOW if self.isChecked() else QColor(255, 255, 255, 70), border))
        painter.drawRoundedRect(rect, radius, radius)
        painter.end()


class VariantBar(QWidget):
    """The row (or grid, on a portrait screen) of :class:`VariantButton`; one is active."""

    #: A visitor pressed the button of this model spec.
    chosen = pyqtSignal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("variantBar")
        self.buttons: list[VariantButton] = []
        self.unit = 5.0
        self.columns = 1

    def set_variants(self, variants: list[Variant]) -> None:
        """One button per variant (none for fewer than two: nothing to choose)."""
        for button in self.buttons:
            button.deleteLater()
        self.buttons = []
        if len(variants) < 2:
            self.hide()
            return
        fastest = max(v.fps for v in variants)
        for variant in variants:
            button = VariantButton(variant, fastest, self)
            button.clicked.connect(lambda _=False, spec=variant.spec: self.chosen.emit(spec))
            button.show()
            self.buttons.append(button)
        self.arrange()

    def set_active(self, spec: str) -> None:
        """Highlights the button of ``spec`` (none when no button runs it)."""
        for button in self.buttons:
            button.setChecked(button.variant.spec == spec)

    def rows_for(self, columns: int) -> int:
        return math.ceil(len(self.buttons) / max(1, columns)) if self.buttons else 0

    def set_unit(self, unit: float, columns: int) -> None:
        self.unit, self.columns = unit, max(1, columns)
        self.arrange()

    def resizeEvent(self, event: QResizeEvent | None) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.arrange()

    def arrange(self) -> None:
        if not self.buttons:
            return
        gap = round(1.6 * self.unit)
        columns = min(self.columns, len(self.buttons))
        rows = self.rows_for(columns)
        height = (self.height() - (rows - 1) * gap) // rows
        width = (self.width() - (columns - 1) * gap) // columns
        for i, button in enumerate(self.buttons):
            row, column = divmod(i, columns)
            in_row = min(columns, len(self.buttons) - row * columns)
            left = (self.width() - in_row * width - (in_row - 1) * gap) // 2  # centred
            button.setGeometry(left + column * (width + gap), row * (height + gap), width, height)
            button.set_unit(self.unit)
        # One title size for all buttons (the longest name's), so they read as one set.
        sizes = [button.title_px() for button in self.buttons]
        for button in self.buttons:
            button.title_cap = min(sizes)
            button.arrange()
