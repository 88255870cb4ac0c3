"""The layers hold: import-linter's contracts are kept and the headless code loads no Qt."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: The packages that run without a screen (the contracts in pyproject.toml name the same).
HEADLESS = ("base", "capture", "inference", "store", "pipeline", "bench", "cli")


def _python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_import_contracts_are_kept() -> None:
    # import-linter's module has no __main__ guard: call its click command directly.
    result = _python(
        "from importlinter.cli import lint_imports_command; lint_imports_command()", "--no-cache"
    )
    assert result.returncode == 0, f"lint-imports failed:\n{result.stdout}\n{result.stderr}"
    assert "0 broken" in result.stdout, result.stdout


def test_importing_camapp_loads_no_heavy_dependency() -> None:
    result = _python(
        "import camapp, sys; print(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('PyQt6', 'cv2', 'ai_edge_litert', 'numpy')))"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_every_headless_module_imports_without_pyqt() -> None:
    # The forbidden contract sees direct imports only (the CLI reaches the UI lazily, on
    # purpose); importing every module shows that no chain loads Qt at import time.
    code = (
        "import importlib, pkgutil, sys\n"
        f"for name in {HEADLESS!r}:\n"
        "    package = importlib.import_module('camapp.' + name)\n"
        "    for info in pkgutil.walk_packages(package.__path__, package.__name__ + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'PyQt6'))\n"
    )
    result = _python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
