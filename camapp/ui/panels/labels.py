"""LabelsPanel: a searchable list of the classes the current model knows."""

from __future__ import annotations

from collections.abc import Sequence

from PyQt6.QtWidgets import QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from camapp.inference.labels import short_label

#: Not a class: 1001-output ImageNet models put it at index 0; it is never an answer.
NOT_A_CLASS = {"background"}


class LabelsPanel(QWidget):
    """A searchable list of every class the current model knows.

    Each row reads as the answers do (the first synonym: ``281  tabby``) with the class
    index of the model's output; the search also finds the other synonyms, which the row's
    tooltip lists. ``background`` is no class and is not listed.
    """

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
        self._rows: list[tuple[int, str]] = []  # (output index, full label) of each row

    def set_labels(self, labels: Sequence[str]) -> None:
        """Lists ``labels`` (index and name, as answers name them), keeping the search."""
        labels = tuple(labels)
        if labels == self._labels:
            return
        self._labels = labels
        self._rows = [(i, label) for i, label in enumerate(labels) if label not in NOT_A_CLASS]
        self.list.clear()
        for i, label in self._rows:
            item = QListWidgetItem(f"{i:4d}  {short_label(label)}")
            if short_label(label) != label:
                item.setToolTip(label)
            self.list.addItem(item)
        self._on_search_text_changed(self.search.text())

    def visible_labels(self) -> list[str]:
        """The rows the search leaves visible, as shown."""
        items = (self.list.item(i) for i in range(self.list.count()))
        return [item.text() for item in items if item is not None and not item.isHidden()]

    def _on_search_text_changed(self, text: str) -> None:
        needle = text.strip().lower()
        shown = 0
        for row, (_, label) in enumerate(self._rows):
            hide = bool(needle) and needle not in label.lower()
            item = self.list.item(row)
            if item is not None:  # one row per class, added by set_labels
                item.setHidden(hide)
            shown += not hide
        total = len(self._rows)
        self.count.setText(f"{shown} of {total} classes" if needle else f"{total} classes")
