"""LabelsPanel: a searchable list of the classes the current model knows."""

from __future__ import annotations

from collections.abc import Sequence

from PyQt6.QtWidgets import QLabel, QLineEdit, QListWidget, QVBoxLayout, QWidget


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
        """Lists ``labels`` (index and name), keeping the current search."""
        labels = tuple(labels)
        if labels == self._labels:
            return
        self._labels = labels
        self.list.clear()
        self.list.addItems([f"{i:4d}  {label}" for i, label in enumerate(labels)])
        self._on_search_text_changed(self.search.text())

    def visible_labels(self) -> list[str]:
        """The rows the search leaves visible, as shown."""
        items = (self.list.item(i) for i in range(self.list.count()))
        return [item.text() for item in items if item is not None and not item.isHidden()]

    def _on_search_text_changed(self, text: str) -> None:
        needle = text.strip().lower()
        shown = 0
        for i, label in enumerate(self._labels):
            hide = bool(needle) and needle not in label.lower()
            item = self.list.item(i)
            if item is not None:  # one row per label, added by set_labels
                item.setHidden(hide)
            shown += not hide
        total = len(self._labels)
        self.count.setText(f"{shown} of {total} classes" if needle else f"{total} classes")
