"""The one place where core listener calls become Qt signals."""

from __future__ import annotations

from PyQt6.QtCore import QObject, pyqtSignal

from camapp.pipeline.worker import ModelInfo, Prediction


class WorkerBridge(QObject):
    """Implements :class:`camapp.pipeline.worker.Listener` with Qt signals.

    The worker and loader threads call the ``on_*`` methods; the bridge lives in the GUI
    thread, so every signal reaches GUI slots through the event queue (queued connection)
    and no widget is ever touched from a worker thread. The bridge only forwards: it keeps
    no state, so it needs no lock.
    """

    #: A :class:`Prediction` is ready.
    prediction_ready = pyqtSignal(object)
    #: A new model (:class:`ModelInfo`) answers from now on.
    model_changed = pyqtSignal(object)
    #: Something went wrong; the message is in plain words.
    error_raised = pyqtSignal(str)
    #: A passing status line.
    status_changed = pyqtSignal(str)

    def on_prediction(self, prediction: Prediction) -> None:
        """Called on the inference thread."""
        self.prediction_ready.emit(prediction)

    def on_model_changed(self, info: ModelInfo) -> None:
        """Called on the inference thread after a swap."""
        self.model_changed.emit(info)

    def on_error(self, message: str) -> None:
        """Called on the inference or loader thread."""
        self.error_raised.emit(message)

    def on_status(self, message: str) -> None:
        """Called on any core thread."""
        self.status_changed.emit(message)
