"""ModelCardPanel: who made the model, published figures and speed measured here."""

from __future__ import annotations

import html

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from camapp.pipeline.events import ModelInfo
from camapp.store.catalog import ModelEntry
from camapp.store.variants import (
    count_text,
    figure_text,
    install_command,
    phone_latency_text,
    short_authors,
)


def catalog_rows(entry: ModelEntry) -> list[tuple[str, str]]:
    """The card's rows from the catalog (HTML-escaped values): authors to licence."""
    pub = entry.published
    paper = (
        f'<a href="{html.escape(entry.paper_url)}">{html.escape(entry.paper)}</a>'
        if entry.paper_url
        else html.escape(entry.paper or "-")
    )
    return [
        (
            "Authors",
            f"{html.escape(short_authors(entry.authors))} ({entry.year or 'year unknown'})",
        ),
        ("Paper", paper),
        ("Trained on", html.escape(entry.dataset or "ImageNet ILSVRC-2012 (1000 classes)")),
        ("Published top-1", figure_text(pub.top1, " %")),
        ("Published top-5", figure_text(pub.top5, " %")),
        ("Multiply-adds", figure_text(pub.macs_m, " M", 0)),
        ("Parameters", figure_text(pub.params_m, " M")),
        ("Phone latency", phone_latency_text(pub.latency_ms)),
        ("Licence", html.escape(entry.license or "unknown")),
    ]


class ModelCardPanel(QScrollArea):
    """Who made the model, what it was trained on, published figures and measured speed.

    It shows the running model's card, or the card of any catalog entry the user picked in
    the settings (installed or not): a model not installed gets an "Install..." button.
    """

    #: The user asked to install this catalog model (its id).
    install_requested = pyqtSignal(str)
    #: The user wants the running model's card back.
    back_requested = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(8, 8, 8, 8)
        self.label = QLabel("No model loaded yet.")
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.label.setOpenExternalLinks(True)
        column.addWidget(self.label)
        buttons = QHBoxLayout()
        self.install_button = QPushButton("Install...")
        self.install_button.setToolTip("Install this model (File > Models...)")
        self.back_button = QPushButton("Back to the running model")
        buttons.addWidget(self.install_button)
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        column.addLayout(buttons)
        column.addStretch(1)
        self.setWidget(body)
        self.install_button.clicked.connect(
            lambda: self.install_requested.emit(self._entry.id if self._entry else "")
        )
        self.back_button.clicked.connect(self.back_requested)
        self._entry: ModelEntry | None = None
        self._info: ModelInfo | None = None
        self._file_bytes: int | None = None
        self._speed = ""
        self._tuned = ""
        self._installed = True
        self._set_buttons(install=False, back=False)

    def show_model(self, info: ModelInfo, entry: ModelEntry | None, file_bytes: int | None) -> None:
        """Describes a newly loaded model; its measured speed is to come.

        Args:
            info: What the worker loaded.
            entry: Its catalog entry (``None``: a model file outside the catalog).
            file_bytes: Size of its files on disk, if known.
        """
        self._info, self._entry, self._file_bytes = info, entry, file_bytes
        self._speed, self._tuned, self._installed = "", "", True
        self._set_buttons(install=False, back=False)
        self._render()

    def show_entry(
        self, entry: ModelEntry, installed: bool, file_bytes: int | None, measured_ms: float | None
    ) -> None:
        """The card of a catalog entry that is not the running model (installed or not).

        Args:
            entry: The catalog entry.
            installed: Whether it is installed here.
            file_bytes: Size of its files on disk, if installed.
            measured_ms: Its median invoke time on this device, if it ran here before.
        """
        self._info, self._entry, self._file_bytes = None, entry, file_bytes
        self._installed = installed
        self._speed = (
            f"<b>{measured_ms:.1f} ms</b> per image, {1000.0 / measured_ms:.0f} fps "
            "(when it ran here)"
            if measured_ms
            else "not measured here yet: choose it to load it"
            if installed
            else "not installed"
        )
        self._set_buttons(install=not installed, back=True)
        self._render()

    def set_speed(self, ms: float, fps: float, how: str, tuned: str = "") -> None:
        """The running model's speed on this device (redrawn only when it changed).

        Args:
            ms: Median time of one invoke (0: not measured yet).
            fps: The rate that time allows.
            how: How it was measured (``median of 5 invokes``).
            tuned: The fastest threads x XNNPACK found here (``1 thread, XNNPACK: 6.6 ms;
                2 threads, XNNPACK: 7.6 ms``), or why there is none yet.
        """
        text = f"<b>{ms:.1f} ms</b> per image, {fps:.0f} fps ({how})" if ms > 0 else ""
        path = html.escape(tuned)
        if self._info is not None and (text, path) != (self._speed, self._tuned):
            self._speed, self._tuned = text, path  # only on the running model's card
            self._render()

    @property
    def entry(self) -> ModelEntry | None:
        """The catalog entry whose card is shown (``None``: a model file, or nothing)."""
        return self._entry

    @property
    def showing_running_model(self) -> bool:
        """Whether the card is the running model's (not one picked to read)."""
        return self._info is not None

    def text(self) -> str:
        """The card as shown (HTML)."""
        return self.label.text()

    def _set_buttons(self, install: bool, back: bool) -> None:
        self.install_button.setVisible(install)
        self.back_button.setVisible(back)

    def _render(self) -> None:
        info, entry = self._info, self._entry
        if info is None and entry is None:
            return
        rows = catalog_rows(entry) if entry is not None else []
        if entry is None:
            rows.append(("Catalog", "not in the catalog (a model file)"))
        size = f"{self._file_bytes / 1e6:.1f} MB" if self._file_bytes else "unknown"
        if info is not None:
            w, h = info.input_size
            runtime = f"{html.escape(info.runtime)}, {count_text(info.threads, 'thread')}"
            rows += [
                ("File size", size),
                ("Input", f"{w} x {h} {info.input_dtype}"),
                ("Classes", str(len(info.labels))),
                ("Runtime", runtime + (", XNNPACK" if info.xnnpack else "")),
                ("Loaded in", f"{info.load_ms:.0f} ms"),
                ("Measured here", self._speed or "measuring..."),
                ("Fastest here", self._tuned or "-"),
            ]
        else:
            state = "yes" if self._installed else "no"
            rows += [("File size", size if self._installed else "unknown until installed")]
            rows += [("Installed", state), ("Measured here", self._speed)]
        title = html.escape(entry.name if entry else info.name if info else "")
        body = "".join(
            f"<tr><td style='padding-right:8px; color:gray'>{k}</td><td>{v}</td></tr>"
            for k, v in rows
        )
        note = ""
        if info is None and entry is not None:
            note = "<p><i>Not the model running now: its card, to read.</i></p>"
            if not self._installed:
                note += f"<p>Install it: <code>{html.escape(install_command(entry.id))}</code></p>"
        self.label.setText(f"<h3>{title}</h3>{note}<table>{body}</table>")
