"""Finds a TFLite runtime: LiteRT (``ai_edge_litert``) first, then ``tflite_runtime``."""

from __future__ import annotations

import functools
import importlib
import logging
import os
from dataclasses import dataclass
from typing import Any

from camapp.base.errors import CamappError

log = logging.getLogger(__name__)

#: Runtime names accepted by ``--runtime``; ``auto`` tries them in this order.
RUNTIMES = ("litert", "tflite-runtime")

_MODULES = {
    "litert": ("ai_edge_litert.interpreter", "ai_edge_litert", "ai-edge-litert"),
    "tflite-runtime": ("tflite_runtime.interpreter", "tflite_runtime", "tflite-runtime"),
}

_INSTALL_HINT = (
    "install one with 'pip install ai-edge-litert' "
    "(or 'pip install tflite-runtime \"numpy<2\"' where LiteRT has no wheel)"
)


@dataclass(frozen=True)
class Runtime:
    """A loaded TFLite runtime.

    Attributes:
        name: ``litert`` or ``tflite-runtime``.
        module: The ``interpreter`` module, holding ``Interpreter`` and ``OpResolverType``.
        dist: Its distribution name on PyPI (``ai-edge-litert``).
        package: Its top-level package (``ai_edge_litert``).
    """

    name: str
    module: Any
    dist: str = ""
    package: str = ""

    @functools.cached_property
    def version(self) -> str:
        """The package version, looked up on first use (importlib.metadata costs 8 ms of a
        ``camapp classify`` that never shows it)."""
        try:
            from importlib.metadata import version

            return version(self.dist)
        except Exception:  # noqa: BLE001 - version is informational only
            return str(getattr(importlib.import_module(self.package), "__version__", "unknown"))

    def interpreter(self, model_path: str, num_threads: int, use_xnnpack: bool = True) -> Any:
        """Creates an interpreter; without XNNPACK the default delegates are switched off."""
        kwargs: dict[str, Any] = {"model_path": model_path, "num_threads": num_threads}
        if not use_xnnpack:
            resolver = getattr(self.module, "OpResolverType", None)
            if resolver is None:
                raise CamappError(
                    f"{self.name} {self.version} cannot turn XNNPACK off",
                    "drop --no-xnnpack or upgrade the runtime",
                )
            kwargs["experimental_op_resolver_type"] = resolver.BUILTIN_WITHOUT_DEFAULT_DELEGATES
        return self.module.Interpreter(**kwargs)


_cache: dict[str, Runtime] = {}


def _numpy_major() -> int:
    import numpy

    return int(numpy.__version__.split(".")[0])


def _load(name: str) -> Runtime:
    if name in _cache:
        return _cache[name]
    module_name, package, dist = _MODULES[name]
    if name == "tflite-runtime" and _numpy_major() >= 2:
        # tflite-runtime 2.14 is built against NumPy 1 and fails at import under NumPy 2.
        raise CamappError(
            "tflite-runtime does not work with NumPy 2",
            "use the LiteRT runtime, or a separate environment with 'pip install "
            'tflite-runtime "numpy<2"\' (both runtimes side by side need NumPy < 2)',
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise CamappError(f"the {name} runtime is not installed ({exc})", _INSTALL_HINT) from exc
    runtime = Runtime(name=name, module=module, dist=dist, package=package)
    _cache[name] = runtime
    return runtime


def load_runtime(name: str | None = None) -> Runtime:
    """Returns the runtime called ``name``, or the first available one for ``auto``.

    Args:
        name: ``auto``, ``litert`` or ``tflite-runtime``. ``None`` reads ``$CAMAPP_RUNTIME``,
            a user setting (camapp passes ``--runtime`` here, never through the environment),
            and defaults to ``auto``.

    Returns:
        The loaded runtime (cached: a second call returns the same one).

    Raises:
        CamappError: When the runtime is unknown or not installed.
    """
    name = (name or os.environ.get("CAMAPP_RUNTIME") or "auto").lower()
    if name == "tflite_runtime":
        name = "tflite-runtime"
    if name == "auto":
        for candidate in RUNTIMES:
            try:
                return _load(candidate)
            except CamappError as exc:
                log.debug("runtime %s: %s", candidate, exc)
        raise CamappError("no TFLite runtime is installed", _INSTALL_HINT)
    if name not in _MODULES:
        raise CamappError(
            f"unknown runtime '{name}'", f"choose one of: auto, {', '.join(RUNTIMES)}"
        )
    return _load(name)


def default_threads() -> int:
    """The number of CPU cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)
