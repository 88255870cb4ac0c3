"""The window's centre: notices above, the video (or the no-source panel), the help overlay."""

from __future__ import annotations

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtGui import QDragEnterEvent, QDropEvent, QResizeEvent
from PyQt6.QtWidgets import QStackedWidget, QVBoxLayout, QWidget

from camapp.base.roi import ROI
from camapp.ui.panels import HelpPanel, NoSourcePanel, NoticePanel
from camapp.ui.video_view import VideoView


class LiveView(QWidget):
    """The central widget: a notice bar, then the video or the friendly no-source panel.

    Files dropped anywhere on it are announced with :attr:`files_dropped`.
    """

    #: Local files were dropped onto the view (paths, in order).
    files_dropped = pyqtSignal(list)

    def __init__(self, roi: ROI, mode: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.video = VideoView()
        self.video.set_roi(roi, notify=False)
        self.video.set_mode(mode)
        self.no_source = NoSourcePanel()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.video)
        self.stack.addWidget(self.no_source)
        self.notices = NoticePanel()
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.notices)
        column.addWidget(self.stack, 1)
        self.help = HelpPanel(self.stack)

    def show_video(self) -> None:
        self.stack.setCurrentWidget(self.video)

    def show_failure(self, spec: str, message: str) -> str:
        """The no-source panel, saying why ``spec`` could not be opened; returns its title."""
        title = self.no_source.show_failure(spec, message)
        self.stack.setCurrentWidget(self.no_source)
        return title

    def resizeEvent(self, event: QResizeEvent | None) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self.help.isVisible():
            self.help.setGeometry(self.stack.rect())

    def dragEnterEvent(self, event: QDragEnterEvent | None) -> None:  # noqa: N802 - Qt override
        mime = event.mimeData() if event is not None else None
        if event is not None and mime is not None and any(u.isLocalFile() for u in mime.urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent | None) -> None:  # noqa: N802 - Qt override
        mime = event.mimeData() if event is not None else None
        paths = [u.toLocalFile() for u in (mime.urls() if mime else []) if u.isLocalFile()]
        if event is not None and paths:
            event.acceptProposedAction()
            self.files_dropped.emit(paths)
