"""The side panels: results, frame rates, settings, model card, labels, help, no source."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from pathlib import Path

from PyQt6.QtCore import QRectF, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QStandardItemModel
from PyQt6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from camapp.pipeline.worker import ModelInfo, Prediction
from camapp.store.catalog import ModelEntry

FAMILY_NAMES = {"v1": "V1", "v2": "V2", "v3": "V3", "edgetpu": "EdgeTPU"}
_FAMILY_ORDER = {"v1": 0, "v2": 1, "v3": 2, "edgetpu": 3}


def install_hint(model_id: str) -> str:
    """How to install a catalog model, as the tooltip and hint say it."""
    return f"not installed; install it with: camapp models install {model_id}"


# -- results ------------------------------------------------------------------------------
class ScoreBarsView(QWidget):
    """Top-k labels, each with a probability bar and a percentage."""

    ROW = 28

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[tuple[str, float]] = []
        self._placeholder = "waiting for the first answer..."
        self.setMinimumHeight(self.ROW * 3)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)

    def set_rows(self, rows: Sequence[tuple[str, float]], placeholder: str = "") -> None:
        """``(label, score)`` rows, highest first; ``placeholder`` shows when there are none."""
        self._rows = list(rows)
        if placeholder:
            self._placeholder = placeholder
        self.setMinimumHeight(self.ROW * max(3, len(self._rows)) + 4)
        self.update()

    @property
    def rows(self) -> list[tuple[str, float]]:
        return list(self._rows)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        if not self._rows:
            painter.setPen(palette.placeholderText().color())
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self._placeholder)
            return
        width = self.width()
        pct_width = 52.0
        for i, (label, score) in enumerate(self._rows):
            top = i * self.ROW + 2
            track = QRectF(0, top, width - pct_width - 4, self.ROW - 6)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(palette.alternateBase())
            painter.drawRoundedRect(track, 4, 4)
            bar = QRectF(
                track.left(), track.top(), track.width() * max(0.0, min(1.0, score)), track.height()
            )
            painter.setBrush(QColor(255, 196, 0) if i == 0 else QColor(90, 160, 255))
            painter.drawRoundedRect(bar, 4, 4)
            font = QFont(self.font())
            font.setBold(i == 0)
            painter.setFont(font)
            painter.setPen(palette.text().color())
            painter.drawText(
                track.adjusted(8, 0, -4, 0),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                label,
            )
            painter.drawText(
                QRectF(width - pct_width, top, pct_width, self.ROW - 6),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                f"{score * 100:.1f}%",
            )


class RatesPanel(QWidget):
    """Camera, display and inference frame rates and the median inference time."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self._values: dict[str, QLabel] = {}
        names = [
            ("camera", "Camera"),
            ("display", "Display"),
            ("inference", "Inference"),
            ("ms", "Inference time"),
        ]
        for i, (key, text) in enumerate(names):
            value = QLabel("-")
            value.setObjectName(f"rate_{key}")
            value.setAlignment(Qt.AlignmentFlag.AlignRight)
            grid.addWidget(QLabel(text), i // 2, (i % 2) * 2)
            grid.addWidget(value, i // 2, (i % 2) * 2 + 1)
            self._values[key] = value

    def set_rates(self, camera: float, display: float, inference: float, ms: float) -> None:
        self._values["camera"].setText(f"{camera:.1f} fps")
        self._values["display"].setText(f"{display:.1f} fps")
        self._values["inference"].setText(f"{inference:.1f} fps")
        self._values["ms"].setText(f"{ms:.1f} ms")

    def text(self, key: str) -> str:
        return self._values[key].text()


class ResultsPanel(QWidget):
    """What the model sees in the box: top-k bars, k and threshold, and the frame rates."""

    #: The user changed how many labels to show.
    top_k_changed = pyqtSignal(int)
    #: The user changed the lowest score shown (0..1).
    threshold_changed = pyqtSignal(float)

    def __init__(self, top_k: int, threshold: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.heading = QLabel("")
        self.heading.setWordWrap(True)
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.heading.setFont(font)
        layout.addWidget(self.heading)
        self.bars = ScoreBarsView()
        layout.addWidget(self.bars)
        controls = QHBoxLayout()
        self.top_k = QSpinBox()
        self.top_k.setRange(1, 10)
        self.top_k.setValue(top_k)
        self.top_k.setToolTip("How many labels to show")
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0.0, 99.0)
        self.threshold.setDecimals(1)
        self.threshold.setSingleStep(1.0)
        self.threshold.setSuffix(" %")
        self.threshold.setValue(threshold * 100.0)
        self.threshold.setToolTip("Hide labels scoring below this")
        controls.addWidget(QLabel("Show top"))
        controls.addWidget(self.top_k)
        controls.addSpacing(12)
        controls.addWidget(QLabel("above"))
        controls.addWidget(self.threshold)
        controls.addStretch(1)
        layout.addLayout(controls)
        rates_title = QLabel("<b>Frame rates</b> (last second)")
        layout.addWidget(rates_title)
        self.rates = RatesPanel()
        layout.addWidget(self.rates)
        self.detail = QLabel("")
        self.detail.setWordWrap(True)
        self.detail.setStyleSheet("color: gray")
        layout.addWidget(self.detail)
        layout.addStretch(1)
        self.top_k.valueChanged.connect(self.top_k_changed)
        self.threshold.valueChanged.connect(lambda v: self.threshold_changed.emit(v / 100.0))

    def show_prediction(self, prediction: Prediction) -> None:
        c = prediction.classification
        rows = list(zip(c.labels, c.scores, strict=True))
        self.heading.setText(f"{c.labels[0]} ({c.scores[0] * 100:.0f}%)" if rows else "not sure")
        self.bars.set_rows(rows, placeholder="nothing above the threshold")
        t = c.timings
        self.detail.setText(
            f"frame {prediction.frame_id}: preprocess {t.preprocess_ms:.1f} ms, "
            f"model {t.invoke_ms:.1f} ms, top-k {t.postprocess_ms:.1f} ms, "
            f"capture to answer {prediction.latency_ms:.0f} ms"
        )

    def clear(self, placeholder: str) -> None:
        self.heading.setText("")
        self.bars.set_rows([], placeholder=placeholder)


# -- settings -----------------------------------------------------------------------------
def _width_text(value: object) -> str:
    """``1.0``, ``0.75``, ``0.35``: a width multiplier as papers write it."""
    if not value:
        return "-"
    number = float(value)  # type: ignore[arg-type]
    return f"{number:.1f}" if number == int(number) else f"{number:g}"


def _dimensions() -> list[tuple[str, Callable[[ModelEntry], object], Callable[[object], str]]]:
    """The cascade of choices: (name, key of an entry, how a key reads)."""
    return [
        ("Family", lambda e: e.family, lambda v: FAMILY_NAMES.get(str(v), str(v))),
        ("Size", lambda e: e.size or "", lambda v: str(v) or "-"),
        ("Width", lambda e: e.width_multiplier or 0.0, _width_text),
        ("Resolution", lambda e: e.resolution or 0, lambda v: f"{v} px" if v else "-"),
        ("Quantisation", lambda e: e.quantization, str),
        ("File", lambda e: e.id, str),
    ]


def _sort_key(name: str, value: object) -> tuple:
    if name == "Family":
        return (_FAMILY_ORDER.get(str(value), 9), str(value))
    if name == "Size":
        return ({"small": 0, "large": 1}.get(str(value), 2),)
    if name == "Quantisation":
        return ({"uint8": 0, "int8": 1, "float32": 2}.get(str(value), 3),)
    if name == "File":
        return (len(str(value)), str(value))
    return (value,)


class SettingsPanel(QWidget):
    """Model variant (family, size, width, resolution, quantisation), threads, top-k, mode.

    Every catalog classifier is listed; variants not installed are visible but disabled,
    with a tooltip saying how to install them. Choosing an installed variant emits
    :attr:`model_chosen`; the window asks the worker to load it in the background.
    """

    #: The user chose an installed catalog model (its id).
    model_chosen = pyqtSignal(str)
    #: Interpreter threads (0: every core).
    threads_changed = pyqtSignal(int)
    #: ``continuous`` or ``click``.
    mode_changed = pyqtSignal(str)
    #: Labels to show.
    top_k_changed = pyqtSignal(int)

    def __init__(
        self,
        entries: Sequence[ModelEntry],
        installed: set[str],
        threads: int,
        top_k: int,
        mode: str,
        max_threads: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._entries = [e for e in entries if e.kind == "classifier"]
        self._installed = set(installed)
        self._dims = _dimensions()
        self._current: ModelEntry | None = None
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.combos: dict[str, QComboBox] = {}
        for level, (name, _, _) in enumerate(self._dims):
            combo = QComboBox()
            combo.setObjectName(f"combo_{name.lower()}")
            combo.activated.connect(lambda _index, lvl=level: self._on_combo_activated(lvl))
            form.addRow(name, combo)
            self.combos[name] = combo
        layout.addWidget(QLabel("<b>Model</b>"))
        layout.addLayout(form)
        self.hint = QLabel("")
        self.hint.setWordWrap(True)
        self.hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.hint)
        layout.addWidget(QLabel("<b>Recognition</b>"))
        form2 = QFormLayout()
        self.threads = QSpinBox()
        self.threads.setRange(0, max(1, max_threads))
        self.threads.setSpecialValueText("auto (every core)")
        self.threads.setValue(threads)
        self.threads.setToolTip("Interpreter threads; changing it reloads the model")
        self.top_k = QSpinBox()
        self.top_k.setRange(1, 10)
        self.top_k.setValue(top_k)
        self.mode = QComboBox()
        self.mode.addItem("Continuous (every frame)", "continuous")
        self.mode.addItem("Click to recognise (click or Space)", "click")
        self.mode.setCurrentIndex(0 if mode == "continuous" else 1)
        form2.addRow("Threads", self.threads)
        form2.addRow("Top-k", self.top_k)
        form2.addRow("Mode", self.mode)
        layout.addLayout(form2)
        layout.addStretch(1)
        self.threads.editingFinished.connect(
            lambda: self.threads_changed.emit(self.threads.value())
        )
        self.top_k.valueChanged.connect(self.top_k_changed)
        self.mode.activated.connect(lambda _i: self.mode_changed.emit(self.mode.currentData()))
        if self._entries:
            first = next((e for e in self._entries if e.id in self._installed), self._entries[0])
            self._populate(0, first)

    # -- public ---------------------------------------------------------------------------
    @property
    def selected_id(self) -> str | None:
        combo = self.combos["File"]
        return combo.currentData() if combo.count() else None

    def show_model(self, model_id: str) -> None:
        """Shows ``model_id`` as the current choice (no signal); unknown ids are ignored."""
        entry = next((e for e in self._entries if e.id == model_id), None)
        if entry is not None:
            self._populate(0, entry)

    def set_mode(self, mode: str) -> None:
        self.mode.setCurrentIndex(0 if mode == "continuous" else 1)

    def set_top_k(self, top_k: int) -> None:
        self.top_k.blockSignals(True)
        self.top_k.setValue(top_k)
        self.top_k.blockSignals(False)

    # -- the cascade ----------------------------------------------------------------------
    def _candidates(self, level: int) -> list[ModelEntry]:
        chosen = [self.combos[name].currentData() for name, _, _ in self._dims[:level]]
        return [
            e
            for e in self._entries
            if all(key(e) == value for (_, key, _), value in zip(self._dims, chosen, strict=False))
        ]

    def _populate(self, level: int, preferred: ModelEntry) -> None:
        """Refills the combos from ``level`` down, keeping ``preferred``'s values if possible."""
        for lvl in range(level, len(self._dims)):
            name, key, text = self._dims[lvl]
            combo = self.combos[name]
            candidates = self._candidates(lvl)
            values: dict[object, list[ModelEntry]] = {}
            for entry in candidates:
                values.setdefault(key(entry), []).append(entry)
            combo.blockSignals(True)
            combo.clear()
            model = combo.model()
            assert isinstance(model, QStandardItemModel)
            choice, first_enabled = -1, -1
            for index, value in enumerate(sorted(values, key=lambda v: _sort_key(name, v))):
                group = values[value]
                label = text(value)
                if name == "File":
                    label = group[0].name
                combo.addItem(label, value)
                installed = [e for e in group if e.id in self._installed]
                item = model.item(index)
                if installed:
                    item.setToolTip(", ".join(e.id for e in installed))
                    if first_enabled < 0:
                        first_enabled = index
                    if value == key(preferred):
                        choice = index
                else:
                    item.setEnabled(False)
                    item.setToolTip(install_hint(group[0].id))
            if choice < 0:
                choice = first_enabled if first_enabled >= 0 else 0
                if first_enabled < 0:
                    choice = next(
                        (i for i in range(combo.count()) if combo.itemData(i) == key(preferred)),
                        0,
                    )
            combo.setCurrentIndex(choice)
            combo.setEnabled(combo.count() > 1 or name in ("Family", "File"))
            combo.blockSignals(False)
        selected = self.selected_id
        self._current = next((e for e in self._entries if e.id == selected), None)
        if selected and selected not in self._installed:
            self.hint.setText(f"<i>{html.escape(install_hint(selected))}</i>")
        else:
            self.hint.setText("")

    def _on_combo_activated(self, level: int) -> None:
        preferred = self._current or self._entries[0]
        chosen = self._candidates(level + 1)
        # Keep the lower choices of the current model when they exist for the new value.
        if chosen and preferred not in chosen:
            lower = self._dims[level + 1 :]
            preferred = max(
                chosen,
                key=lambda e: (
                    e.id in self._installed,
                    sum(k(e) == k(preferred) for _, k, _ in lower),
                ),
            )
        self._populate(level + 1, preferred)
        selected = self.selected_id
        if selected and selected in self._installed:
            self.model_chosen.emit(selected)


# -- model card ---------------------------------------------------------------------------
def _fmt(value: object, suffix: str = "", digits: int = 1) -> str:
    if value is None or value == "":
        return "not published"
    if isinstance(value, float):
        return f"{value:.{digits}f}{suffix}"
    return f"{value}{suffix}"


class ModelCardPanel(QScrollArea):
    """Who made the model, what it was trained on, published figures and measured speed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.label = QLabel("No model loaded yet.")
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setOpenExternalLinks(True)
        self.label.setContentsMargins(8, 8, 8, 8)
        self.setWidget(self.label)
        self._entry: ModelEntry | None = None
        self._info: ModelInfo | None = None
        self._file_bytes: int | None = None
        self._measured_ms = 0.0

    def show_model(self, info: ModelInfo, entry: ModelEntry | None, file_bytes: int | None) -> None:
        self._info, self._entry, self._file_bytes = info, entry, file_bytes
        self._measured_ms = 0.0
        self._render()

    def set_measured_ms(self, ms: float) -> None:
        """The median inference time measured here (last second)."""
        if abs(ms - self._measured_ms) >= 0.05:
            self._measured_ms = ms
            self._render()

    def text(self) -> str:
        return self.label.text()

    def _render(self) -> None:
        info, entry = self._info, self._entry
        if info is None:
            return
        rows: list[tuple[str, str]] = []
        if entry is not None:
            pub = entry.published
            phones = (
                ", ".join(
                    f"{phone.replace('pixel', 'Pixel ')} {_fmt(ms, ' ms')}"
                    for phone, ms in pub.latency_ms.items()
                )
                or "not published"
            )
            authors = entry.authors
            if len(authors) > 90:
                authors = authors.split(",")[0].strip() + " et al."
            paper = (
                f'<a href="{html.escape(entry.paper_url)}">{html.escape(entry.paper)}</a>'
                if entry.paper_url
                else html.escape(entry.paper or "-")
            )
            rows += [
                ("Authors", f"{html.escape(authors)} ({entry.year or 'year unknown'})"),
                ("Paper", paper),
                ("Trained on", html.escape(entry.dataset or "ImageNet ILSVRC-2012 (1000 classes)")),
                ("Published top-1", _fmt(pub.top1, " %")),
                ("Published top-5", _fmt(pub.top5, " %")),
                ("Multiply-adds", _fmt(pub.macs_m, " M", 0)),
                ("Parameters", _fmt(pub.params_m, " M")),
                ("Phone latency", phones),
                ("Licence", html.escape(entry.license or "unknown")),
            ]
        else:
            rows.append(("Catalog", "not in the catalog (a model file)"))
        size = f"{self._file_bytes / 1e6:.1f} MB" if self._file_bytes else "unknown"
        w, h = info.input_size
        rows += [
            ("File size", size),
            ("Input", f"{w} x {h} {info.input_dtype}"),
            ("Classes", str(len(info.labels))),
            (
                "Runtime",
                f"{html.escape(info.runtime)}, {info.threads} threads"
                f"{', XNNPACK' if info.xnnpack else ''}",
            ),
            ("Loaded in", f"{info.load_ms:.0f} ms"),
            (
                "Measured here",
                f"<b>{self._measured_ms:.1f} ms</b> per image (median, last second)"
                if self._measured_ms
                else "measuring...",
            ),
        ]
        title = html.escape(entry.name if entry else info.name)
        body = "".join(
            f"<tr><td style='padding-right:8px; color:gray'>{k}</td><td>{v}</td></tr>"
            for k, v in rows
        )
        self.label.setText(f"<h3>{title}</h3><table>{body}</table>")


# -- labels -------------------------------------------------------------------------------
class LabelsPanel(QWidget):
    """A searchable list of every class the current model knows."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search the classes...")
        self.search.setClearButtonEnabled(True)
        self.count = QLabel("")
        self.list = QListWidget()
        self.list.setUniformItemSizes(True)
        layout.addWidget(self.search)
        layout.addWidget(self.count)
        layout.addWidget(self.list)
        self.search.textChanged.connect(self._on_search_text_changed)
        self._labels: tuple[str, ...] = ()

    def set_labels(self, labels: Sequence[str]) -> None:
        labels = tuple(labels)
        if labels == self._labels:
            return
        self._labels = labels
        self.list.clear()
        self.list.addItems([f"{i:4d}  {label}" for i, label in enumerate(labels)])
        self._on_search_text_changed(self.search.text())

    def visible_labels(self) -> list[str]:
        return [
            self.list.item(i).text()
            for i in range(self.list.count())
            if not self.list.item(i).isHidden()
        ]

    def _on_search_text_changed(self, text: str) -> None:
        needle = text.strip().lower()
        shown = 0
        for i, label in enumerate(self._labels):
            hide = bool(needle) and needle not in label.lower()
            self.list.item(i).setHidden(hide)
            shown += not hide
        total = len(self._labels)
        self.count.setText(f"{shown} of {total} classes" if needle else f"{total} classes")


# -- no source ----------------------------------------------------------------------------
class NoSourcePanel(QWidget):
    """Shown instead of the video when there is nothing to show (e.g. no camera)."""

    #: The user wants to open ``image``, ``folder`` or ``video``.
    open_requested = pyqtSignal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noSourcePanel")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        self.title = QLabel("No camera found")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 2.2)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail = QLabel("")
        self.detail.setWordWrap(True)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.title)
        layout.addWidget(self.detail)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.buttons: dict[str, QPushButton] = {}
        for kind, text in (
            ("image", "Open image..."),
            ("folder", "Open folder..."),
            ("video", "Open video..."),
        ):
            button = QPushButton(text)
            button.setMinimumHeight(40)
            button.clicked.connect(lambda _checked=False, k=kind: self.open_requested.emit(k))
            buttons.addWidget(button)
            self.buttons[kind] = button
        buttons.addStretch(1)
        layout.addLayout(buttons)
        tip = QLabel("You can also drop a photo onto this window.")
        tip.setAlignment(Qt.AlignmentFlag.AlignCenter)
        tip.setStyleSheet("color: gray")
        layout.addWidget(tip)
        layout.addStretch(1)

    def set_problem(self, title: str, detail: str) -> None:
        self.title.setText(title)
        self.detail.setText(detail)


# -- notices ------------------------------------------------------------------------------
class NoticePanel(QWidget):
    """A yellow bar above the video for start-up warnings; stays until the user closes it.

    Status-bar messages pass; a warning such as "your settings file was broken" must not.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noticePanel")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setStyleSheet(
            "#noticePanel { background: #fff3c4; border-bottom: 1px solid #d9b800; }"
            " QLabel { color: #3a3000; }"
        )
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 4, 4, 4)
        self.label = QLabel("")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QPushButton("Dismiss")
        close.setFlat(True)
        close.clicked.connect(self.clear)
        row.addWidget(self.label, 1)
        row.addWidget(close)
        self._lines: list[str] = []
        self.hide()

    def add(self, line: str) -> None:
        """Shows one more warning line."""
        if line and line not in self._lines:
            self._lines.append(line)
            self.label.setText("\n".join(self._lines))
            self.show()

    def clear(self) -> None:
        self._lines = []
        self.label.setText("")
        self.hide()

    def text(self) -> str:
        return self.label.text()


# -- help ---------------------------------------------------------------------------------
SHORTCUTS: list[tuple[str, str]] = [
    ("Drag inside the box", "move the box"),
    ("Drag a corner", "resize the box"),
    ("Mouse wheel", "make the box larger or smaller"),
    ("Click outside the box", "move the box there"),
    ("Up / Down", "box larger / smaller"),
    ("Left / Right", "box taller and narrower / shorter and wider"),
    ("Space or click", "recognise once (click mode)"),
    ("N / P", "next / previous photo (photos and folders)"),
    ("S", "save a snapshot of the view (PNG)"),
    ("Ctrl+O", "open an image"),
    ("Ctrl+Shift+O", "open a folder of images"),
    ("Ctrl+Alt+O", "open a video"),
    ("F11", "full screen on / off"),
    ("Esc", "leave full screen, close this help"),
    ("F1 or ?", "show / hide this help"),
    ("Ctrl+Q", "quit"),
]


class HelpPanel(QWidget):
    """A translucent overlay listing every shortcut; a click or Esc closes it."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("helpPanel")
        rows = "".join(
            f"<tr><td style='padding:3px 18px 3px 0'><b>{html.escape(k)}</b></td>"
            f"<td style='padding:3px 0'>{html.escape(v)}</td></tr>"
            for k, v in SHORTCUTS
        )
        self.label = QLabel(
            f"<h2>Keys and mouse</h2><table>{rows}</table>"
            "<p style='color:#bbb'>Click anywhere to close.</p>"
        )
        self.label.setStyleSheet("color: white")
        layout = QVBoxLayout(self)
        layout.addWidget(self.label, 0, Qt.AlignmentFlag.AlignCenter)
        self.hide()

    def toggle(self) -> None:
        if self.isVisible():
            self.hide()
        else:
            self.setGeometry(self.parentWidget().rect())
            self.raise_()
            self.show()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(0, 0, 0, 200))

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        self.hide()


def file_size(paths: Sequence[Path]) -> int | None:
    """Total size of existing files, or ``None``."""
    sizes = [p.stat().st_size for p in paths if p.is_file()]
    return sum(sizes) if sizes else None
