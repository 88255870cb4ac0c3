"""ModelsDialog: the models manager of the window, for people who do not use a terminal.

Every catalog variant with its status (installed, available from the model folder or the web,
needs ``--allow-unverified``, not available from here), size, published top-1 and
multiply-adds. Install from the web or a folder (a USB stick) with a progress bar and Cancel,
remove, verify. The work runs on :class:`~camapp.store.manager.ModelJobs`' named thread; its
news reaches the dialog through :class:`JobBridge` (queued signals), never directly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from PyQt6.QtCore import QObject, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QCloseEvent, QColor
from PyQt6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from camapp.base.errors import CamappError
from camapp.base.settings import load_settings
from camapp.store.manager import (
    Availability,
    JobResult,
    ModelJobs,
    ModelRow,
    model_rows,
    no_model_explanation,
    remove_models,
    size_text,
    sources_for,
)
from camapp.store.model_store import ModelStore
from camapp.store.variants import figure_text
from camapp.ui.bridge import connect_queued

if TYPE_CHECKING:
    from camapp.ui.window import MainWindow

log = logging.getLogger(__name__)

COLUMNS = ("Model", "Status", "Size", "Top-1", "MACs")
_GREY = QColor("#8a8a8a")
_GREEN = QColor("#1b7f2a")


class JobBridge(QObject):
    """Turns :class:`ModelJobs`' calls on its thread into Qt signals (queued to the GUI)."""

    #: File name, bytes done, bytes total (``None``: unknown), file number, files in the job.
    progressed = pyqtSignal(str, int, object, int, int)
    #: The job ended: its :class:`~camapp.store.manager.JobResult`.
    finished = pyqtSignal(object)

    def on_progress(self, name: str, done: int, total: int | None, number: int, count: int) -> None:
        self.progressed.emit(name, done, total, number, count)

    def on_done(self, result: JobResult) -> None:
        self.finished.emit(result)


class ModelsDialog(QDialog):
    """The models manager (see the module docstring).

    Args:
        store: The store to list and install into.
        mirrors: The ``model_mirrors`` setting (``$CAMAPP_MODEL_MIRROR`` comes first).
        explanation: Shown above the list (why the dialog opened by itself); ``""``: none.
        in_use: The ids of the models running now, which Remove refuses.
        parent: The window.
    """

    #: Models were installed or removed (the window refreshes its model lists).
    models_changed = pyqtSignal()
    #: A job ended and the list shows its outcome: its JobResult.
    job_finished = pyqtSignal(object)

    def __init__(
        self,
        store: ModelStore,
        mirrors: Iterable[str] = (),
        explanation: str = "",
        in_use: Callable[[], Collection[str]] = tuple,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("modelsDialog")
        self.setWindowTitle("Models")
        screen = self.screen()
        room = screen.availableGeometry() if screen is not None else None
        # 860 x 600, or the whole screen when it is smaller (an 800 x 480 touch screen).
        self.resize(
            min(860, room.width()) if room else 860, min(600, room.height()) if room else 600
        )
        self.store = store
        self.mirrors = tuple(mirrors)
        self._in_use = in_use
        self._rows: list[ModelRow] = []
        self._file_number = 0
        self.bridge = JobBridge(self)
        connect_queued(self.bridge.progressed, self._on_job_progressed)
        connect_queued(self.bridge.finished, self._on_job_finished)
        self.jobs = ModelJobs(store, self.bridge.on_progress, self.bridge.on_done)

        layout = QVBoxLayout(self)
        self.explanation = QLabel("")
        self.explanation.setObjectName("modelsExplanation")
        self.explanation.setWordWrap(True)
        self.explanation.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.explanation.setStyleSheet(
            "#modelsExplanation { background: #fff3c4; border: 1px solid #d9b800;"
            " color: #3a3000; padding: 8px; }"
        )
        layout.addWidget(self.explanation)
        self.where = QLabel("")
        self.where.setWordWrap(True)
        layout.addWidget(self.where)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("modelsTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        rows_header = self.table.verticalHeader()
        assert rows_header is not None
        rows_header.setVisible(False)
        rows_header.setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        assert header is not None
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        layout.addWidget(self.table, 1)
        self.hide_unavailable = QCheckBox("Hide models that cannot be installed from here")
        self.hide_unavailable.toggled.connect(lambda _on: self.refresh())
        layout.addWidget(self.hide_unavailable)

        progress_row = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress_label = QLabel("")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        progress_row.addWidget(self.progress_label, 1)
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        layout.addLayout(progress_row)
        self.summary = QLabel("")
        self.summary.setObjectName("modelsSummary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.summary)

        buttons = QHBoxLayout()
        self.install_button = QPushButton("Install")
        self.install_button.setToolTip(
            "Install the selected models from the model folder or the web"
        )
        self.folder_button = QPushButton("Install from folder...")
        self.folder_button.setToolTip(
            "Install every model a folder holds: a USB stick, a shared folder"
        )
        self.remove_button = QPushButton("Remove")
        self.verify_button = QPushButton("Verify")
        self.verify_button.setToolTip(
            "Check the selected installed models (all when none is selected) against the "
            "catalog's checksums"
        )
        close = QPushButton("Close")
        self.install_button.clicked.connect(self.install_selected)
        self.folder_button.clicked.connect(lambda: self.install_from_folder())
        self.remove_button.clicked.connect(self.remove_selected)
        self.verify_button.clicked.connect(self.verify_selected)
        close.clicked.connect(self.close)
        for button in (self.install_button, self.folder_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addWidget(self.verify_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self.set_explanation(explanation)
        self._show_progress(False)
        self.refresh()

    # -- what it shows ----------------------------------------------------------------------
    def set_explanation(self, text: str) -> None:
        """Shows ``text`` above the list (``""`` hides it)."""
        self.explanation.setText(text)
        self.explanation.setVisible(bool(text))

    @property
    def rows(self) -> list[ModelRow]:
        """The rows listed now, in table order."""
        return list(self._rows)

    def row(self, model_id: str) -> ModelRow:
        """The listed row of ``model_id``.

        Raises:
            KeyError: When it is not listed.
        """
        for row in self._rows:
            if row.id == model_id:
                return row
        raise KeyError(model_id)

    def refresh(self) -> None:
        """Reads the store and the model folders again and refills the list."""
        selected = set(self.selected_ids())
        rows = model_rows(self.store, self.mirrors)
        if self.hide_unavailable.isChecked():
            rows = [r for r in rows if r.installed or r.installable]
        self._rows = rows
        self.table.setRowCount(len(rows))
        for index, row in enumerate(rows):
            pub = row.entry.published
            default = " (default)" if row.entry.default else ""
            kind = "" if row.entry.kind == "classifier" else f" [{row.entry.kind}]"
            cells = (
                f"{row.entry.name}{default}{kind}",
                row.status,
                size_text(row.size),
                figure_text(pub.top1, " %") if pub.top1 is not None else "-",
                f"{pub.macs_m:g} M" if pub.macs_m is not None else "-",
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, row.id)
                item.setToolTip(f"{row.id}: {row.status_tip}")
                if column >= 2:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if row.installed and column == 1:
                    item.setForeground(_GREEN)
                elif not row.installed and not row.installable:
                    item.setForeground(_GREY)
                self.table.setItem(index, column, item)
        self.select(selected)
        installed = sum(r.installed for r in rows)
        folders = sorted({r.source for r in rows if r.available == Availability.MIRROR})
        self.where.setText(
            f"{installed} installed in {self.store.install_dir}. "
            + (f"Model folder: {', '.join(folders)}." if folders else "No model folder is set up.")
        )
        self._update_buttons()

    def selected_ids(self) -> list[str]:
        """The ids of the selected rows, in table order."""
        model = self.table.selectionModel()
        if model is None:
            return []
        rows = sorted(index.row() for index in model.selectedRows())
        return [self._rows[r].id for r in rows if r < len(self._rows)]

    def select(self, ids: Iterable[str]) -> None:
        """Selects the rows of ``ids`` (others are deselected)."""
        wanted = set(ids)
        self.table.clearSelection()
        mode = self.table.selectionMode()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for index, row in enumerate(self._rows):
            if row.id in wanted:
                self.table.selectRow(index)
        self.table.setSelectionMode(mode)

    # -- actions -----------------------------------------------------------------------------
    def install_selected(self) -> None:
        """Installs the selected models that can be installed from here."""
        rows = [self.row(i) for i in self.selected_ids()]
        ids = [r.id for r in rows if r.installable]
        if not ids:
            self._say(
                "Select models that are available from the model folder or to download"
                if not rows or not any(r.installed for r in rows)
                else "The selected models are installed already"
            )
            return
        self._start(lambda: self.jobs.install(ids, sources_for(self.mirrors)), f"{len(ids)}")

    def install_from_folder(self, folder: str | Path | None = None) -> None:
        """Installs every model ``folder`` (asked for when ``None``) holds and lacks here."""
        if folder is None:
            folder = self.ask_folder()
            if not folder:
                return
        where = str(folder)
        self._start(lambda: self.jobs.install_folder(where), f"from {where}")

    def ask_folder(self) -> str:
        """Asks for a folder of model files; ``""`` when cancelled."""
        media = next((p for p in (Path("/media"), Path("/run/media")) if p.is_dir()), Path.home())
        return QFileDialog.getExistingDirectory(self, "Install models from a folder", str(media))

    def remove_selected(self) -> None:
        """Deletes the selected installed models' files (after asking)."""
        ids = [i for i in self.selected_ids() if self.row(i).installed]
        if not ids:
            self._say("Select installed models to remove")
            return
        busy = sorted(set(ids) & set(self._in_use()))
        if busy:
            self._say(f"{', '.join(busy)} is running now: choose another model first")
            return
        if not self.confirm(f"Remove {len(ids)} model(s) ({', '.join(ids)}) from this computer?"):
            return
        problems = remove_models(self.store, ids)
        self.refresh()
        self._say("; ".join(problems) if problems else f"Removed {', '.join(ids)}")
        self.models_changed.emit()

    def confirm(self, question: str) -> bool:
        """Asks ``question`` with Yes / No."""
        answer = QMessageBox.question(self, "Remove models", question)
        return answer == QMessageBox.StandardButton.Yes

    def verify_selected(self) -> None:
        """Checks the selected installed models (all installed ones when none is selected)."""
        ids = [i for i in self.selected_ids() if self.row(i).installed]
        self._start(lambda: self.jobs.verify(ids), "check")

    def cancel(self) -> None:
        """Stops the running install or check at its next chunk."""
        if self.jobs.busy:
            self.jobs.cancel()
            self.progress_label.setText("Cancelling...")
            self.cancel_button.setEnabled(False)

    def shutdown(self) -> None:
        """Cancels a running job and joins its thread (the window is closing); idempotent."""
        self.jobs.close()
        self.hide()

    # -- news from the installer thread (through the bridge) -------------------------------------
    def _start(self, start: Callable[[], None], what: str) -> None:
        try:
            start()
        except CamappError as exc:
            self._say(str(exc))
            return
        self._say("")
        self._file_number = 0
        self.progress.setValue(0)
        self.progress_label.setText("Starting...")
        self._show_progress(True)
        self._update_buttons()
        log.debug("models manager: job started (%s)", what)

    def _on_job_progressed(
        self, name: str, done: int, total: int | None, number: int, count: int
    ) -> None:
        if not self.jobs.busy and self.progress.isHidden():
            return  # the job ended before its news arrived
        if number != self._file_number:  # the files before this one are done: show them
            self._file_number = number
            self.refresh()
        if total:
            self.progress.setRange(0, 100)
            self.progress.setValue(int(100 * done / total))
            amount = f"{done / 1e6:.1f} of {total / 1e6:.1f} MB"
        else:
            self.progress.setRange(0, 0)  # busy indicator: the size is unknown
            amount = f"{done / 1e6:.1f} MB"
        if self.cancel_button.isEnabled():
            self.progress_label.setText(f"{name} (file {number} of {count}): {amount}")

    def _on_job_finished(self, result: JobResult) -> None:
        self.jobs.wait(5.0)  # the thread's last act was to report: it ends at once
        self._show_progress(False)
        self.refresh()
        self._say(result.summary)
        log.info("models manager: %s", result.summary)
        if result.kind == "install":
            self.models_changed.emit()
        self.job_finished.emit(result)

    # -- helpers -------------------------------------------------------------------------------
    def _say(self, text: str) -> None:
        self.summary.setText(text)

    def _show_progress(self, visible: bool) -> None:
        self.progress.setVisible(visible)
        self.progress_label.setVisible(visible)
        self.cancel_button.setVisible(visible)
        self.cancel_button.setEnabled(visible)

    def _update_buttons(self) -> None:
        busy = self.jobs.busy
        selected = [r for r in self._rows if r.id in set(self.selected_ids())]
        self.install_button.setEnabled(not busy and any(r.installable for r in selected))
        self.remove_button.setEnabled(not busy and any(r.installed for r in selected))
        self.folder_button.setEnabled(not busy)
        self.verify_button.setEnabled(not busy and any(r.installed for r in self._rows))

    def closeEvent(self, event: QCloseEvent | None) -> None:  # noqa: N802 - Qt override
        # A running install goes on in the background; the window's close cancels it.
        if event is not None:
            event.accept()


# -- the window's side -------------------------------------------------------------------------
def configured_mirrors() -> tuple[str, ...]:
    """The ``model_mirrors`` setting, read again (the user may have edited the file)."""
    try:
        return load_settings().settings.model_mirrors
    except (OSError, CamappError):
        return ()


def open_models_dialog(
    window: MainWindow, explanation: str = "", mirrors: Iterable[str] | None = None
) -> ModelsDialog:
    """Shows the window's models manager (made on first use, then kept) in front.

    Installs and removals refresh the window's model choices; with no model running, the
    first installed one starts. The window's close cancels a running install.

    Args:
        window: The main window.
        explanation: Why it opens (shown above the list); ``""``: none.
        mirrors: The ``model_mirrors`` setting; ``None`` reads it.
    """
    dialog = window.findChild(ModelsDialog)
    if dialog is None:
        dialog = ModelsDialog(
            window.session.store,
            configured_mirrors() if mirrors is None else mirrors,
            in_use=lambda: _in_use(window),
            parent=window,
        )
        dialog.models_changed.connect(lambda: _on_models_changed(window))
        window.closed.connect(dialog.shutdown)
    dialog.set_explanation(explanation)
    if explanation:
        dialog.select(e.id for e in window.session.store.catalog.defaults())
    dialog.refresh()
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    log.info("models manager opened%s", f": {explanation}" if explanation else "")
    return dialog


def offer_models_if_none_installed(window: MainWindow, mirrors: Iterable[str]) -> None:
    """Opens the models manager with a plain explanation once the window shows, when no
    classifier is installed (a first run offline with no model folder)."""
    store = window.session.store
    if any(entry.kind == "classifier" for entry in store.installed()):
        return
    text = no_model_explanation(store, mirrors)
    mirrors = tuple(mirrors)
    QTimer.singleShot(0, lambda: _open_if_visible(window, text, mirrors))


def _open_if_visible(window: MainWindow, text: str, mirrors: tuple[str, ...]) -> None:
    if window.isVisible():
        open_models_dialog(window, text, mirrors)


def _in_use(window: MainWindow) -> set[str]:
    infos = (window.session.model_info, window.session.compare_info)
    return {info.spec for info in infos if info is not None}


def _on_models_changed(window: MainWindow) -> None:
    store = window.session.store
    window.settings_panel.set_installed({entry.id for entry in store.installed()})
    session = window.session
    if session.model_info is None and not session.loading:
        model = store.usable_model("")
        if model:
            window.request_model(model)
