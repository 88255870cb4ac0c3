"""ResultsPanel: what the model sees in the box, with k, threshold and frame rates."""

from __future__ import annotations

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import QDoubleSpinBox, QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from camapp.pipeline.events import Prediction
from camapp.ui.panels.live_text import LiveText
from camapp.ui.panels.rates import RatesPanel
from camapp.ui.panels.score_bars import ScoreBarsView


class ResultsPanel(QWidget):
    """What the model sees in the box: top-k bars, k and threshold, and the frame rates."""

    #: The user changed how many labels to show.
    top_k_changed = pyqtSignal(int)
    #: The user changed the lowest score shown (0..1).
    threshold_changed = pyqtSignal(float)

    def __init__(self, top_k: int, threshold: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        # Text that changes with every answer is LiveText: one line, no re-layout.
        self.heading = LiveText("", scale=1.4, bold=True)
        layout.addWidget(self.heading)
        self.bars = ScoreBarsView()
        layout.addWidget(self.bars)
        controls = QHBoxLayout()
        self.top_k = QSpinBox()
        self.top_k.setRange(1, 10)
        self.top_k.setValue(top_k)
        self.top_k.setToolTip("How many labels to show")
        self.threshold = QDoubleSpinBox()
        self.threshold.setRange(0.0, 99.0)
        self.threshold.setDecimals(1)
        self.threshold.setSingleStep(1.0)
        self.threshold.setSuffix(" %")
        self.threshold.setValue(threshold * 100.0)
        self.threshold.setToolTip("Hide labels scoring below this")
        controls.addWidget(QLabel("Show top"))
        controls.addWidget(self.top_k)
        controls.addSpacing(12)
        controls.addWidget(QLabel("above"))
        controls.addWidget(self.threshold)
        controls.addStretch(1)
        layout.addLayout(controls)
        rates_title = QLabel("<b>Frame rates</b> (last second)")
        layout.addWidget(rates_title)
        self.rates = RatesPanel()
        layout.addWidget(self.rates)
        self.detail = LiveText("", muted=True)
        layout.addWidget(self.detail)
        self.latency = LiveText("", muted=True)
        layout.addWidget(self.latency)
        layout.addStretch(1)
        self.top_k.valueChanged.connect(self.top_k_changed)
        self.threshold.valueChanged.connect(lambda v: self.threshold_changed.emit(v / 100.0))

    def show_prediction(self, prediction: Prediction, live: bool = True) -> None:
        """Shows the labels, scores and stage timings of ``prediction``.

        Args:
            prediction: The answer.
            live: Its frame came from a live source (camera, video, stream): the time from
                capture to answer means something. A still photo's age does not.
        """
        c = prediction.classification
        rows = list(zip(c.labels, c.scores, strict=True))
        self.heading.setText(f"{c.labels[0]} ({c.scores[0] * 100:.0f}%)" if rows else "not sure")
        self.bars.set_rows(rows, placeholder="nothing above the threshold")
        t = c.timings
        self.detail.setText(
            f"preprocess {t.preprocess_ms:.1f} ms, model {t.invoke_ms:.1f} ms, "
            f"top-k {t.postprocess_ms:.1f} ms"
        )
        latency = f", capture to answer {prediction.latency_ms:.0f} ms" if live else ""
        self.latency.setText(f"frame {prediction.frame_id}{latency}")

    def clear(self, placeholder: str) -> None:
        """Shows no answer, only ``placeholder`` where the bars go."""
        self.heading.setText("")
        self.detail.setText("")
        self.latency.setText("")
        self.bars.set_rows([], placeholder=placeholder)
