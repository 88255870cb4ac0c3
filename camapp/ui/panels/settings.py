"""SettingsPanel: the model variant cascade, threads, top-k and recognition mode."""

from __future__ import annotations

import html
from collections.abc import Sequence

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtGui import QStandardItemModel
from PyQt6.QtWidgets import QComboBox, QFormLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from camapp.store.catalog import ModelEntry
from camapp.store.variants import (
    candidates,
    choice_index,
    classifiers,
    closest_variant,
    dimensions,
    grouped,
    install_hint,
)


class SettingsPanel(QWidget):
    """Model variant (family, size, width, resolution, quantisation), threads, top-k, mode.

    Every catalog classifier can be chosen. Choosing an installed variant emits
    :attr:`model_chosen`; the window asks the worker to load it in the background.
    Choosing one that is not installed (marked "not installed") emits :attr:`entry_viewed`:
    its card can be read, and a link offers to install it. A line above the choices says
    which model runs now and how fast it runs here, or why none does.
    """

    #: The user chose an installed catalog model (its id).
    model_chosen = pyqtSignal(str)
    #: The user chose a catalog model that is not installed (its id): its card is to read.
    entry_viewed = pyqtSignal(str)
    #: The user asked to see that card now (its id).
    card_requested = pyqtSignal(str)
    #: The user asked to install a catalog model (its id).
    install_requested = pyqtSignal(str)
    #: The installed models changed (their ids): see :meth:`set_installed`.
    installed_changed = pyqtSignal(set)
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
        tuned: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._entries = classifiers(entries)
        self._installed = set(installed)
        self._dims = dimensions()
        self._current: ModelEntry | None = None
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.combos: dict[str, QComboBox] = {}
        for level, name in enumerate(dim.name for dim in self._dims):
            combo = QComboBox()
            combo.setObjectName(f"combo_{name.lower()}")
            # Long file names must not make the dock (and the window) wider than a small screen.
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(8)
            combo.activated.connect(lambda _index, lvl=level: self._on_combo_activated(lvl))
            form.addRow(name, combo)
            self.combos[name] = combo
        layout.addWidget(QLabel("<b>Model</b>"))
        self.running = QLabel("Running: nothing yet")
        self.running.setObjectName("runningModel")
        self.running.setWordWrap(True)
        self.running.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.running)
        layout.addLayout(form)
        self.hint = QLabel("")
        self.hint.setWordWrap(True)
        self.hint.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.hint.linkActivated.connect(self._on_hint_link_activated)
        layout.addWidget(self.hint)
        layout.addWidget(QLabel("<b>Recognition</b>"))
        form2 = QFormLayout()
        self.threads = QSpinBox()
        self.threads.setRange(0, max(1, max_threads))
        # With tuning, "auto" is the fastest threads x XNNPACK timed here (the model card
        # says which); without, every core.
        self.threads.setSpecialValueText("auto (fastest here)" if tuned else "auto (every core)")
        self.threads.setValue(threads)
        self.threads.setToolTip(
            "Interpreter threads; changing it reloads the model"
            + ("; auto uses the fastest count timed on this device" if tuned else "")
        )
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
        """The catalog id in the File choice (installed or not), ``None`` if empty."""
        combo = self.combos["File"]
        return combo.currentData() if combo.count() else None

    def show_running(self, name: str | None, speed: str = "", failure: str = "") -> None:
        """Says which model runs now (``None``: none), its speed here, and a failed load.

        Args:
            name: The running model's name, or ``None`` when no model runs.
            speed: How fast it runs here (``12.1 ms, 83 fps here``), when measured.
            failure: Why the model last asked for did not load (shown until the next load).
        """
        text = f"Running: <b>{html.escape(name)}</b>" if name else "Running: <b>no model</b>"
        if speed:
            text += f"<br>{html.escape(speed)}"
        if failure:
            text += f"<br><span style='color:#b00020'>{html.escape(failure)}</span>"
        if text != self.running.text():
            self.running.setText(text)

    def show_model(self, model_id: str) -> None:
        """Shows ``model_id`` as the current choice (no signal); unknown ids are ignored."""
        entry = next((e for e in self._entries if e.id == model_id), None)
        if entry is not None:
            self._populate(0, entry)

    def set_installed(self, installed: set[str]) -> None:
        """Shows which variants are installed now (after the models manager changed them).

        The current choice stays when it is still installed; no choice is signalled, only
        :attr:`installed_changed` (for the other panels that list installed models).
        """
        self._installed = set(installed)
        if self._entries:
            self._populate(0, self._current or self._entries[0])
        self.installed_changed.emit(set(self._installed))

    def set_mode(self, mode: str) -> None:
        """Shows ``continuous`` or ``click`` as the mode (no signal)."""
        self.mode.setCurrentIndex(0 if mode == "continuous" else 1)

    def set_top_k(self, top_k: int) -> None:
        """Shows ``top_k`` labels as the setting (no signal)."""
        self.top_k.blockSignals(True)
        self.top_k.setValue(top_k)
        self.top_k.blockSignals(False)

    # -- the cascade ----------------------------------------------------------------------
    def _candidates(self, level: int) -> list[ModelEntry]:
        chosen = [self.combos[dim.name].currentData() for dim in self._dims[:level]]
        return candidates(self._entries, self._dims, chosen)

    def _populate(self, level: int, preferred: ModelEntry) -> None:
        """Refills the combos from ``level`` down, keeping ``preferred``'s values if possible."""
        for lvl in range(level, len(self._dims)):
            dim = self._dims[lvl]
            combo = self.combos[dim.name]
            candidates = self._candidates(lvl)
            groups = grouped(candidates, dim)
            # "not installed" once, on the broadest choice it applies to, not on every level.
            marked = any(e.id in self._installed for e in candidates)
            combo.blockSignals(True)
            combo.clear()
            model = combo.model()
            assert isinstance(model, QStandardItemModel)
            for index, (value, group) in enumerate(groups):
                combo.addItem(group[0].name if dim.name == "File" else dim.text(value), value)
                installed = [e for e in group if e.id in self._installed]
                item = model.item(index)
                assert item is not None, "addItem() just added this row"
                if installed:
                    item.setToolTip(", ".join(e.id for e in installed))
                else:  # still a choice: its card can be read
                    if marked:
                        item.setText(f"{item.text()} (not installed)")
                    item.setToolTip(install_hint(group[0].id))
            combo.setCurrentIndex(choice_index(groups, self._installed, dim.key(preferred)))
            combo.setEnabled(combo.count() > 1 or dim.name in ("Family", "File"))
            combo.blockSignals(False)
        selected = self.selected_id
        self._current = next((e for e in self._entries if e.id == selected), None)
        if selected and selected not in self._installed:
            self.hint.setText(
                "<i>Not installed.</i> <a href='card'>Read its card</a> or "
                "<a href='install'>install it...</a>"
            )
            self.hint.setToolTip(install_hint(selected))
        else:
            self.hint.setText("")
            self.hint.setToolTip("")

    def _on_combo_activated(self, level: int) -> None:
        # Keep the lower choices of the current model when they exist for the new value.
        preferred = closest_variant(
            self._candidates(level + 1),
            self._current or self._entries[0],
            self._installed,
            self._dims[level + 1 :],
        )
        self._populate(level + 1, preferred)
        selected = self.selected_id
        if selected and selected in self._installed:
            self.model_chosen.emit(selected)
        elif selected:
            self.entry_viewed.emit(selected)

    def _on_hint_link_activated(self, link: str) -> None:
        selected = self.selected_id
        if link == "install" and selected:
            self.install_requested.emit(selected)
        elif link == "card" and selected:
            self.card_requested.emit(selected)
