"""ModelCardPanel: who made the model, published figures and speed measured here."""

from __future__ import annotations

import html

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QLabel, QScrollArea, QWidget

from camapp.pipeline.events import ModelInfo
from camapp.store.catalog import ModelEntry
from camapp.store.variants import count_text, figure_text, phone_latency_text, short_authors


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
        """Describes a newly loaded model; the measured time starts again from zero.

        Args:
            info: What the worker loaded.
            entry: Its catalog entry (``None``: a model file outside the catalog).
            file_bytes: Size of its files on disk, if known.
        """
        self._info, self._entry, self._file_bytes = info, entry, file_bytes
        self._measured_ms = 0.0
        self._render()

    def set_measured_ms(self, ms: float) -> None:
        """The median inference time measured here (last second)."""
        if abs(ms - self._measured_ms) >= 0.05:
            self._measured_ms = ms
            self._render()

    def text(self) -> str:
        """The card as shown (HTML)."""
        return self.label.text()

    def _render(self) -> None:
        info, entry = self._info, self._entry
        if info is None:
            return
        rows: list[tuple[str, str]] = []
        if entry is not None:
            pub = entry.published
            phones = phone_latency_text(pub.latency_ms)
            authors = short_authors(entry.authors)
            paper = (
                f'<a href="{html.escape(entry.paper_url)}">{html.escape(entry.paper)}</a>'
                if entry.paper_url
                else html.escape(entry.paper or "-")
            )
            rows += [
                ("Authors", f"{html.escape(authors)} ({entry.year or 'year unknown'})"),
                ("Paper", paper),
                ("Trained on", html.escape(entry.dataset or "ImageNet ILSVRC-2012 (1000 classes)")),
                ("Published top-1", figure_text(pub.top1, " %")),
                ("Published top-5", figure_text(pub.top5, " %")),
                ("Multiply-adds", figure_text(pub.macs_m, " M", 0)),
                ("Parameters", figure_text(pub.params_m, " M")),
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
                f"{html.escape(info.runtime)}, {count_text(info.threads, 'thread')}"
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
