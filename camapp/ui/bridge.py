"""The one place where core listener calls become Qt signals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PyQt6.QtCore import QObject, Qt, pyqtBoundSignal, pyqtSignal

from camapp.capture.frames import SourceState
from camapp.pipeline.events import ModelInfo, Prediction, SourceInfo


class SessionBridge(QObject):
    """Implements :class:`camapp.pipeline.events.Listener` with Qt signals.

    Core threads call the ``on_*`` methods; the bridge lives in the GUI thread, so every
    signal reaches GUI slots through the event queue (queued connection) and no widget is
    ever touched from a core thread. The bridge only forwards: it keeps no state, so it
    needs no lock.
    """

    #: A :class:`Prediction` is ready (``tag`` says which model).
    prediction_ready = pyqtSignal(object)
    #: A new model (:class:`ModelInfo`) answers from now on.
    model_changed = pyqtSignal(object)
    #: Frames come from a new source (:class:`SourceInfo`).
    source_changed = pyqtSignal(object)
    #: A source could not be opened: spec, message.
    source_failed = pyqtSignal(str, str)
    #: N / P moved to another photo: name, index (from 0), count.
    scene_changed = pyqtSignal(str, int, int)
    #: The source is connecting, lost and reconnecting, or live again: spec, SourceState.
    source_status_changed = pyqtSignal(str, object)
    #: Something went wrong; the message is in plain words.
    error_raised = pyqtSignal(str)
    #: A passing status line.
    status_changed = pyqtSignal(str)

    def on_prediction(self, prediction: Prediction) -> None:
        self.prediction_ready.emit(prediction)

    def on_model_changed(self, info: ModelInfo) -> None:
        self.model_changed.emit(info)

    def on_source_changed(self, info: SourceInfo) -> None:
        self.source_changed.emit(info)

    def on_source_failed(self, spec: str, message: str) -> None:
        self.source_failed.emit(spec, message)

    def on_scene_changed(self, name: str, index: int, count: int) -> None:
        self.scene_changed.emit(name, index, count)

    def on_source_status(self, spec: str, state: SourceState) -> None:
        self.source_status_changed.emit(spec, state)

    def on_error(self, message: str) -> None:
        self.error_raised.emit(message)

    def on_status(self, message: str) -> None:
        self.status_changed.emit(message)


def connect_queued(signal: pyqtBoundSignal, slot: Callable[..., Any]) -> None:
    """Connects ``signal`` so that ``slot`` always runs later on the receiver's (GUI) thread.

    Queued even when the signal is emitted on the GUI thread itself (a synchronous session),
    so a slot never runs inside the core's call that reported the event.
    """
    # PyQt6's stubs omit connect()'s connection-type argument, which Qt has always taken.
    signal.connect(slot, Qt.ConnectionType.QueuedConnection)  # type: ignore[call-arg]
