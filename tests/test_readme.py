"""The README's Python example runs as written, on a real model and a real photo."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import cv2
from conftest import CAT_LABELS, IMAGES, REPO


def python_example() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Use it from Python", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the README has no Python example under 'Use it from Python'"
    return match.group(1)


def test_the_readme_python_example_runs_verbatim_and_names_the_cat(tmp_path, models_dir):
    code = python_example()
    assert len(code.strip().splitlines()) <= 12
    cv2.imwrite(str(tmp_path / "cat.jpg"), cv2.imread(str(IMAGES / "cat.bmp")))
    env = {**os.environ, "CAMAPP_MODELS_DIR": str(models_dir), "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 4, result.stdout
    assert any(label in lines[0] for label in CAT_LABELS)  # Classifier.from_model
    assert any(lines[1].startswith(label) for label in CAT_LABELS)  # the session's answer
    assert lines[1].endswith("%")
    assert float(lines[2].split()[0]) > 0 and float(lines[3].split()[0]) > 0


def test_import_camapp_loads_no_heavy_module():
    code = (
        "import camapp, sys; print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('PyQt6', 'cv2', 'ai_edge_litert', 'numpy')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
