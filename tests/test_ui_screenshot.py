"""The real app in a real X server (Xvfb): saves docs/screenshot.png for the README."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import cv2
import pytest
from conftest import CAT_LABELS, REPO, write_scene_video

pytestmark = [
    pytest.mark.xvfb,
    pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb is not installed"),
]


@pytest.fixture
def xserver():
    display = f":{90 + os.getpid() % 100}"
    server = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1400x900x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)
    if server.poll() is not None:
        pytest.skip("Xvfb did not start")
    yield display
    server.terminate()
    server.wait(10)


def test_app_under_xvfb_recognises_the_cat_and_saves_the_readme_screenshot(
    xserver, models_dir, tmp_path
):
    video = write_scene_video(tmp_path / "cat.avi", ["cat.bmp"], seconds=2.0)
    shot = REPO / "docs" / "screenshot.png"
    stats = tmp_path / "stats.json"
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env.update(DISPLAY=xserver, CAMAPP_SETTINGS=str(tmp_path / "settings.yaml"))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "camapp",
            "--models-dir",
            str(models_dir),
            "run",
            "--source",
            str(video),
            "--model",
            "mobilenet_v2_1.0_224_uint8",
            "--roi",
            "0.2,0.1,0.8,0.95",
            "--quit-after",
            "4",
            "--screenshot",
            str(shot),
            "--stats-json",
            str(stats),
            "--no-save",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    record = json.loads(stats.read_text())
    assert CAT_LABELS & {item["label"] for item in record["top_k"][:3]}
    image = cv2.imread(str(shot))
    assert image is not None and image.shape[1] >= 800 and image.shape[0] >= 500
    assert image.std() > 20  # a real picture, not a blank window
