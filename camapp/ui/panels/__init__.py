"""The side panels and overlays of the live window, one widget per module."""

from camapp.store.variants import FAMILY_NAMES, file_size, install_hint
from camapp.ui.panels.compare import ComparePanel
from camapp.ui.panels.fps_chart import FpsChartView
from camapp.ui.panels.help import HelpPanel
from camapp.ui.panels.labels import LabelsPanel
from camapp.ui.panels.model_card import ModelCardPanel
from camapp.ui.panels.no_source import NoSourcePanel
from camapp.ui.panels.notice import NoticePanel
from camapp.ui.panels.rates import RatesPanel
from camapp.ui.panels.results import ResultsPanel
from camapp.ui.panels.score_bars import ScoreBarsView
from camapp.ui.panels.settings import SettingsPanel

__all__ = [
    "FAMILY_NAMES",
    "ComparePanel",
    "FpsChartView",
    "HelpPanel",
    "LabelsPanel",
    "ModelCardPanel",
    "NoSourcePanel",
    "NoticePanel",
    "RatesPanel",
    "ResultsPanel",
    "ScoreBarsView",
    "SettingsPanel",
    "file_size",
    "install_hint",
]
