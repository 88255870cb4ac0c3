"""CardCompareView: the model cards of two to four variants side by side, installed or not."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QFont
from PyQt6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from camapp.store.catalog import ModelEntry
from camapp.store.variants import (
    best_in_row,
    card_figures,
    classifiers,
    family_text,
    width_text,
)

#: How many variants the comparison shows at most (and at first).
MOST, FIRST = 4, 2


def short_name(entry: ModelEntry, separator: str = " ") -> str:
    """``V3 large 1.0 224 uint8``: family and size, then width, resolution and quantisation."""
    first = " ".join(p for p in (family_text(entry.family), entry.size or "") if p)
    width = width_text(entry.width_multiplier) if entry.width_multiplier else ""
    rest = " ".join(p for p in (width, str(entry.resolution or ""), entry.quantization) if p)
    return f"{first}{separator}{rest}" if rest else first


def column_title(entry: ModelEntry) -> str:
    """``V3 large`` over ``1.0 224 uint8``: a variant's name in two short lines."""
    return short_name(entry, "\n")


class CardCompareView(QWidget):
    """Published figures (top-1, multiply-adds, parameters, size, phone latency) and the
    time measured on this device, for variants chosen in the lists above the table.

    The best value of each row is bold. Any catalog classifier can be chosen, installed or
    not: the comparison needs only the catalog (the time measured here needs the model to
    have run).

    Args:
        entries: The catalog's entries (the classifiers among them are offered).
    """

    #: The choice of variants changed (their ids, in column order).
    models_changed = pyqtSignal(list)

    def __init__(self, entries: Sequence[ModelEntry], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._entries = classifiers(entries)
        self._by_id = {e.id: e for e in self._entries}
        self._installed: set[str] = set()
        self._sizes: Mapping[str, int | None] = {}
        self._measured: Mapping[str, float] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        intro = QLabel("Published figures (ImageNet top-1, phone latency) and the time here")
        intro.setWordWrap(True)
        intro.setStyleSheet("color: gray")
        self.add_button = QPushButton("+ Variant")
        self.add_button.setToolTip(f"Compare up to {MOST} variants")
        self.add_button.clicked.connect(self._on_add_clicked)
        row = QHBoxLayout()
        row.addWidget(intro, 1)
        row.addWidget(self.add_button)
        layout.addLayout(row)
        self._picks_layout = QGridLayout()  # two choices a row
        self._picks_layout.setSpacing(4)
        layout.addLayout(self._picks_layout)
        self.table = QTableWidget()
        self.table.setObjectName("cardTable")
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.table.setMinimumHeight(80)
        header = self.table.horizontalHeader()
        assert header is not None
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)
        rows = self.table.verticalHeader()
        assert rows is not None
        rows.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.table, 1)
        self.picks: list[QComboBox] = []
        for _ in range(FIRST):
            self._add_pick()

    # -- public ---------------------------------------------------------------------------
    def set_models(self, ids: Sequence[str]) -> None:
        """Compares these catalog ids (unknown ones are left out), two to four of them."""
        known = [i for i in ids if i in self._by_id][:MOST]
        while len(self.picks) < max(FIRST, len(known)):
            self._add_pick()
        while len(self.picks) > max(FIRST, len(known)):
            self._remove_pick(self.picks[-1])
        for combo, model_id in zip(self.picks, known):
            combo.blockSignals(True)
            combo.setCurrentIndex(max(0, combo.findData(model_id)))
            combo.blockSignals(False)
        self._refresh()

    def set_context(
        self,
        installed: set[str],
        sizes: Mapping[str, int | None],
        measured: Mapping[str, float],
    ) -> None:
        """What is installed here, the files' sizes and the times measured here (by id)."""
        self._installed, self._sizes, self._measured = set(installed), sizes, measured
        self._refresh()

    def chosen(self) -> list[str]:
        """The ids compared, in column order."""
        return [str(combo.currentData()) for combo in self.picks]

    def cell(self, row_name: str, column: int) -> str:
        """The text of a figure (by row name) for the variant in ``column``."""
        for row in range(self.table.rowCount()):
            header = self.table.verticalHeaderItem(row)
            if header is not None and header.text() == row_name:
                item = self.table.item(row, column)
                return item.text() if item is not None else ""
        raise KeyError(row_name)

    def is_best(self, row_name: str, column: int) -> bool:
        """Whether the figure in ``column`` is the best of its row (shown bold)."""
        for row in range(self.table.rowCount()):
            header = self.table.verticalHeaderItem(row)
            if header is not None and header.text() == row_name:
                item = self.table.item(row, column)
                return item is not None and item.font().bold()
        raise KeyError(row_name)

    # -- the choices ------------------------------------------------------------------------
    def _add_pick(self) -> None:
        combo = QComboBox()
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(8)
        for index, entry in enumerate(self._entries):
            combo.addItem(short_name(entry), entry.id)
            combo.setItemData(index, entry.name, Qt.ItemDataRole.ToolTipRole)
        taken = set(self.chosen())
        free = next((i for i, e in enumerate(self._entries) if e.id not in taken), 0)
        combo.setCurrentIndex(free)
        combo.activated.connect(lambda _index: self._on_choice_changed())
        remove = QToolButton()
        remove.setText("x")
        remove.setToolTip("Take this variant out of the comparison")
        remove.clicked.connect(lambda _checked=False, c=combo: self._on_remove_clicked(c))
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(combo, 1)
        line.addWidget(remove)
        self.picks.append(combo)
        self._place_picks()
        self._update_buttons()

    def _remove_pick(self, combo: QComboBox) -> None:
        if combo not in self.picks:
            return
        self.picks.remove(combo)
        row = combo.parentWidget()
        if row is not None:
            self._picks_layout.removeWidget(row)
            row.setParent(None)
            row.deleteLater()
        self._place_picks()
        self._update_buttons()

    def _place_picks(self) -> None:
        """Lays the choices out two a row, in column order."""
        for i, combo in enumerate(self.picks):
            row = combo.parentWidget()  # the choice with its remove button
            if row is not None:
                self._picks_layout.addWidget(row, i // 2, i % 2)

    def _update_buttons(self) -> None:
        self.add_button.setEnabled(len(self.picks) < MOST)
        for combo in self.picks:
            row = combo.parentWidget()
            remove = row.findChild(QToolButton) if row is not None else None
            if remove is not None:
                remove.setVisible(len(self.picks) > FIRST)

    def _on_add_clicked(self) -> None:
        if len(self.picks) < MOST:
            self._add_pick()
            self._on_choice_changed()

    def _on_remove_clicked(self, combo: QComboBox) -> None:
        if len(self.picks) > FIRST:
            self._remove_pick(combo)
            self._on_choice_changed()

    def _on_choice_changed(self) -> None:
        self._refresh()
        self.models_changed.emit(self.chosen())

    # -- the table --------------------------------------------------------------------------
    def _refresh(self) -> None:
        entries = [self._by_id[i] for i in self.chosen() if i in self._by_id]
        phones = sorted({phone for e in entries for phone in e.published.latency_ms})
        columns = [
            card_figures(
                e,
                phones,
                self._sizes.get(e.id) if e.id in self._installed else None,
                self._measured.get(e.id),
                e.id in self._installed,
            )
            for e in entries
        ]
        table = self.table
        table.clear()
        table.setColumnCount(len(entries))
        table.setRowCount(len(columns[0]) if columns else 0)
        table.setHorizontalHeaderLabels([column_title(e) for e in entries])
        if not columns:
            return
        # A figure nobody published (top-5 of V3) says nothing here: its row is left out.
        shown = [
            row
            for row in range(len(columns[0]))
            if any(column[row].text != "not published" for column in columns)
        ]
        table.setRowCount(len(shown))
        table.setVerticalHeaderLabels([columns[0][row].name for row in shown])
        for at, row in enumerate(shown):
            figures = [column[row] for column in columns]
            best = best_in_row([f.value for f in figures], figures[0].better)
            for col, figure in enumerate(figures):
                item = QTableWidgetItem(figure.text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if col in best:
                    font = QFont(item.font())
                    font.setBold(True)
                    item.setFont(font)
                table.setItem(at, col, item)
        table.resizeRowsToContents()
