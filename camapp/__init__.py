"""camapp: live camera recognition with quantised MobileNets.

``import camapp`` is cheap: the public names below load their modules (and with them
NumPy, OpenCV and the TFLite runtime) only when first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_EXPORTS = {
    "CamappError": "camapp.base.errors",
    "Category": "camapp.inference.results",
    "Classification": "camapp.inference.results",
    "ClassSet": "camapp.api",
    "Classifier": "camapp.api",
    "InstallStatus": "camapp.store.install",
    "Mode": "camapp.base.types",
    "ModelInfo": "camapp.pipeline.events",
    "OutputKind": "camapp.inference.options",
    "Prediction": "camapp.pipeline.events",
    "Recognition": "camapp.inference.teach_classifier",
    "ROI": "camapp.base.roi",
    "Session": "camapp.pipeline.session",
    "SessionStats": "camapp.pipeline.stats",
    "SourceInfo": "camapp.pipeline.events",
    "Timings": "camapp.inference.results",
}

__all__ = [
    "CamappError",
    "Category",
    "ClassSet",
    "Classification",
    "Classifier",
    "InstallStatus",
    "Mode",
    "ModelInfo",
    "OutputKind",
    "Prediction",
    "ROI",
    "Recognition",
    "Session",
    "SessionStats",
    "SourceInfo",
    "Timings",
    "__version__",
]

if TYPE_CHECKING:
    from camapp.api import Classifier, ClassSet
    from camapp.base.errors import CamappError
    from camapp.base.roi import ROI
    from camapp.base.types import Mode
    from camapp.inference.options import OutputKind
    from camapp.inference.results import Category, Classification, Timings
    from camapp.inference.teach_classifier import Recognition
    from camapp.pipeline.events import ModelInfo, Prediction, SourceInfo
    from camapp.pipeline.session import Session
    from camapp.pipeline.stats import SessionStats
    from camapp.store.install import InstallStatus


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'camapp' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
