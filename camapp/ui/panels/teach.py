"""TeachPanel: your own classes, their examples and how sure teach mode is about each."""

from __future__ import annotations

import math

import numpy as np
from PyQt6.QtCore import QSize, Qt, pyqtSignal
from PyQt6.QtGui import QAction, QIcon, QImage, QPixmap
from PyQt6.QtWidgets import (
    QButtonGroup,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from camapp.inference.teach import MAX_CLASSES, ClassSet, Example, TaughtClass, VoteRule
from camapp.inference.teach_classifier import Recognition

#: Thumbnails are shown this many pixels square.
ICON_SIDE = 40
_INTRO = (
    "Teach the camera your own objects: switch to <b>Teach</b>, show something in the box "
    "and hold its class key (1 to 9, or press and hold the class's number button) for a "
    "second or two. A few examples per class are enough; start with the background."
)
_BAR_STYLE = "QProgressBar::chunk {{ background: {}; border-radius: 3px; }}"
_BEST, _OTHER, _UNSURE = "#ffc400", "#5aa0ff", "#a0a0a0"


def _icon(picture: np.ndarray) -> QIcon:
    """A BGR thumbnail as an icon (the image data is copied)."""
    rgb = np.ascontiguousarray(picture[:, :, ::-1])
    height, width = rgb.shape[:2]
    data = rgb.tobytes()  # the stub wants bytes; copy() below detaches the image from it
    image = QImage(data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()
    return QIcon(QPixmap.fromImage(image))


class _ClassRow(QWidget):
    """One class on one line (number button, name, confidence, menu), its thumbnails below."""

    def __init__(self, panel: TeachPanel, index: int) -> None:
        super().__init__()
        self.index = index
        self.setObjectName(f"teachClass{index + 1}")
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 3, 0, 3)
        grid.setVerticalSpacing(2)
        self.capture = QPushButton(str(index + 1))
        self.capture.setObjectName(f"teachCapture{index + 1}")
        self.capture.setFixedWidth(34)
        self.capture.setToolTip(f"Press and hold (or hold key {index + 1}) to capture examples")
        self.name = QLineEdit()
        self.name.setObjectName(f"teachName{index + 1}")
        self.name.setToolTip("The class name (edit to rename)")
        self.name.setFixedWidth(112)
        self.count = 0
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(True)
        self.bar.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.bar.setMinimumWidth(60)
        self.more = QToolButton()
        self.more.setText("\u22ef")
        self.more.setToolTip("Clear this class's examples, or remove the class")
        self.more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.more)
        self.clear = QAction("Clear its examples", menu)
        self.remove = QAction("Remove this class", menu)
        menu.addActions([self.clear, self.remove])
        self.more.setMenu(menu)
        self.thumbs = QListWidget()
        self.thumbs.setObjectName(f"teachThumbs{index + 1}")
        self.thumbs.setViewMode(QListWidget.ViewMode.IconMode)
        self.thumbs.setFlow(QListWidget.Flow.LeftToRight)
        self.thumbs.setWrapping(False)
        self.thumbs.setIconSize(QSize(ICON_SIDE, ICON_SIDE))
        self.thumbs.setFixedHeight(ICON_SIDE + 14)
        self.thumbs.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.thumbs.setSpacing(1)
        self.thumbs.setFrameShape(QListWidget.Shape.NoFrame)
        self.thumbs.setStyleSheet("QListWidget { background: transparent; }")
        self.thumbs.hide()  # until there are examples
        self.thumbs.setMovement(QListWidget.Movement.Static)
        self.thumbs.setToolTip("Click an example to remove it")
        grid.addWidget(self.capture, 0, 0)
        grid.addWidget(self.name, 0, 1)
        grid.addWidget(self.bar, 0, 2)
        grid.addWidget(self.more, 0, 3)
        grid.addWidget(self.thumbs, 1, 1, 1, 3)
        grid.setColumnStretch(2, 1)
        self.shown_ids: tuple[int, ...] = ()
        self.capture.pressed.connect(lambda: panel.capture_started.emit(self.index))
        self.capture.released.connect(panel.capture_stopped)
        self.name.editingFinished.connect(
            lambda: panel.class_renamed.emit(self.index, self.name.text())
        )
        self.clear.triggered.connect(lambda: panel.class_cleared.emit(self.index))
        self.remove.triggered.connect(lambda: panel.class_removed.emit(self.index))
        self.thumbs.itemClicked.connect(
            lambda item: panel.example_removed.emit(int(item.data(Qt.ItemDataRole.UserRole)))
        )

    def show_class(self, taught: TaughtClass, icons: dict[int, QIcon]) -> None:
        if not self.name.hasFocus() and self.name.text() != taught.name:
            self.name.setText(taught.name)
        self.count = taught.count
        ids = tuple(e.id for e in taught.examples)
        if ids == self.shown_ids:
            return
        self.shown_ids = ids
        self.thumbs.setVisible(bool(ids))
        self.thumbs.clear()
        for example in taught.examples:
            item = QListWidgetItem(icons[example.id], "")
            item.setData(Qt.ItemDataRole.UserRole, example.id)
            item.setToolTip("Click to remove this example")
            self.thumbs.addItem(item)
        self.thumbs.scrollToBottom()

    @property
    def examples_text(self) -> str:
        return f"{self.count} example{'s' * (self.count != 1)}"

    def show_score(self, score: float | None, colour: str) -> None:
        """The confidence bar; its text also counts the examples."""
        if score is None or not self.count:
            self.bar.setValue(0)
            self.bar.setFormat("no examples yet" if not self.count else self.examples_text)
        else:
            self.bar.setValue(round(score * 1000))
            self.bar.setFormat(f"{score * 100:.0f}%  ({self.examples_text})")
        self.bar.setStyleSheet(_BAR_STYLE.format(colour))


class TeachPanel(QWidget):
    """Teach mode: the ImageNet / Teach choice, the classes with their examples, files.

    It only shows and asks: every request is a signal, which the teach controller of the
    window (:mod:`camapp.ui.teach_controller`) carries out on the session.
    """

    #: ``imagenet`` or ``teach``.
    mode_chosen = pyqtSignal(str)
    #: A class's number button was pressed (0-based class index) ...
    capture_started = pyqtSignal(int)
    #: ... and released.
    capture_stopped = pyqtSignal()
    class_added = pyqtSignal()
    #: Class index and its new name.
    class_renamed = pyqtSignal(int, str)
    class_cleared = pyqtSignal(int)
    class_removed = pyqtSignal(int)
    #: The id of an example whose thumbnail was clicked.
    example_removed = pyqtSignal(int)
    reset_requested = pyqtSignal()
    save_requested = pyqtSignal()
    load_requested = pyqtSignal()
    #: New recognition settings (:class:`VoteRule`).
    rule_changed = pyqtSignal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        modes = QHBoxLayout()
        modes.addWidget(QLabel("Recognise with"))
        self.imagenet_button = QPushButton("ImageNet")
        self.teach_button = QPushButton("Teach")
        self.teach_button.setObjectName("teachModeButton")
        self.mode_group = QButtonGroup(self)
        for button in (self.imagenet_button, self.teach_button):
            button.setCheckable(True)
            self.mode_group.addButton(button)
            modes.addWidget(button)
        self.imagenet_button.setChecked(True)
        modes.addStretch(1)
        layout.addLayout(modes)
        self.heading = QLabel("")
        self.heading.setObjectName("teachHeading")
        self.heading.setWordWrap(True)
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.heading.setFont(font)
        layout.addWidget(self.heading)
        self.intro = QLabel(_INTRO)
        self.intro.setWordWrap(True)
        layout.addWidget(self.intro)
        self.rows_box = QVBoxLayout()
        self.rows_box.setSpacing(0)
        self.rows_box.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.rows_box)
        buttons = QHBoxLayout()
        self.add_button = QPushButton("+ Class")
        self.add_button.setToolTip(f"Add a class (at most {MAX_CLASSES})")
        self.reset_button = QPushButton("Reset all")
        self.reset_button.setToolTip("Forget every class and example")
        self.save_button = QPushButton("Save...")
        self.save_button.setToolTip("Save the classes as a folder or a .zip")
        self.load_button = QPushButton("Load...")
        self.load_button.setToolTip("Load saved classes (a classset.yaml or a .zip)")
        for button in (self.add_button, self.reset_button, self.save_button, self.load_button):
            button.setMinimumWidth(48)  # they may shrink below the style's 80 px in a narrow dock
            buttons.addWidget(button)
        layout.addLayout(buttons)
        tuning = QHBoxLayout()
        self.k = QSpinBox()
        self.k.setRange(1, 20)
        self.k.setToolTip(
            "Nearest examples: each class scores the mean similarity of its k nearest"
        )
        self.smoothing = QSpinBox()
        self.smoothing.setRange(1, 15)
        self.smoothing.setToolTip("Average the answers of the last N frames (1: none)")
        self.unsure_below = QDoubleSpinBox()
        self.unsure_below.setRange(0.0, 1.0)
        self.unsure_below.setSingleStep(0.05)
        self.unsure_below.setToolTip("Not sure when the nearest class is less similar than this")
        for text, box in (
            ("k", self.k),
            ("smooth", self.smoothing),
            ("unsure <", self.unsure_below),
        ):
            label = QLabel(text)
            label.setToolTip(box.toolTip())
            tuning.addWidget(label)
            tuning.addWidget(box)
        tuning.addStretch(1)
        layout.addLayout(tuning)
        layout.addStretch(1)
        self.rows: list[_ClassRow] = []
        self._icons: dict[int, QIcon] = {}
        self._rule = VoteRule()
        self._show_rule(self._rule)
        self.imagenet_button.clicked.connect(lambda: self.mode_chosen.emit("imagenet"))
        self.teach_button.clicked.connect(lambda: self.mode_chosen.emit("teach"))
        self.add_button.clicked.connect(self.class_added)
        self.reset_button.clicked.connect(self.reset_requested)
        self.save_button.clicked.connect(self.save_requested)
        self.load_button.clicked.connect(self.load_requested)
        for box in (self.k, self.smoothing, self.unsure_below):
            box.editingFinished.connect(self._on_rule_edited)
        self.set_mode(False, None)

    # -- what the controller shows ----------------------------------------------------------
    def set_mode(self, teaching: bool, class_set: ClassSet | None) -> None:
        """Shows whether teach mode answers now, and the classes when there are any."""
        (self.teach_button if teaching else self.imagenet_button).setChecked(True)
        ready = class_set is not None
        for button in (self.add_button, self.reset_button, self.save_button):
            button.setEnabled(ready)
        self.intro.setVisible(class_set is None or class_set.size == 0)
        if not teaching:
            self.heading.setText("Recognising ImageNet classes" if not ready else "Paused")
        self.show_class_set(class_set)

    def show_class_set(self, class_set: ClassSet | None) -> None:
        """Shows the classes, counts and thumbnails of ``class_set`` (rows made as needed)."""
        classes = class_set.classes if class_set is not None else ()
        while len(self.rows) > len(classes):
            row = self.rows.pop()
            self.rows_box.removeWidget(row)
            row.deleteLater()
        while len(self.rows) < len(classes):
            row = _ClassRow(self, len(self.rows))
            self.rows_box.addWidget(row)
            self.rows.append(row)
        self._update_icons([e for c in classes for e in c.examples])
        for row, taught in zip(self.rows, classes):
            row.show_class(taught, self._icons)
        if class_set is not None:
            self.add_button.setEnabled(len(classes) < MAX_CLASSES)
            self.intro.setVisible(class_set.size == 0)
            if class_set.rule != self._rule:
                self._show_rule(class_set.rule)

    def show_recognition(self, recognition: Recognition) -> None:
        """Shows the answer: the heading and every class's confidence bar."""
        top = recognition.top
        if not recognition.categories and recognition.reason:
            self.heading.setText(f"Teach me: {recognition.reason}")
        elif recognition.unsure:
            self.heading.setText(f"Not sure: {recognition.reason}")
        else:
            self.heading.setText(f"{top.label} ({top.score * 100:.0f}%)")
        sims, scores = recognition.similarities, recognition.class_scores
        for i, row in enumerate(self.rows):
            taught = i < len(sims) and not math.isnan(sims[i])
            score = scores[i] if taught and i < len(scores) else None
            colour = _UNSURE if recognition.unsure else _BEST if i == top.index else _OTHER
            row.show_score(score, colour)

    def set_capturing(self, index: int | None) -> None:
        """Marks the class whose examples are being captured."""
        for row in self.rows:
            row.capture.setDown(row.index == index)

    # -- internals ----------------------------------------------------------------------------
    def _update_icons(self, examples: list[Example]) -> None:
        wanted = {e.id for e in examples}
        for gone in set(self._icons) - wanted:
            del self._icons[gone]
        for example in examples:
            if example.id not in self._icons:
                self._icons[example.id] = _icon(example.thumbnail)

    def _show_rule(self, rule: VoteRule) -> None:
        self._rule = rule
        for box in (self.k, self.smoothing, self.unsure_below):
            box.blockSignals(True)
        self.k.setValue(rule.k)
        self.smoothing.setValue(rule.smoothing)
        self.unsure_below.setValue(rule.min_similarity)
        for box in (self.k, self.smoothing, self.unsure_below):
            box.blockSignals(False)

    def _on_rule_edited(self) -> None:
        rule = VoteRule(
            k=self.k.value(),
            min_similarity=round(self.unsure_below.value(), 3),
            min_margin=self._rule.min_margin,
            temperature=self._rule.temperature,
            smoothing=self.smoothing.value(),
        )
        if rule != self._rule:
            self._rule = rule
            self.rule_changed.emit(rule)
