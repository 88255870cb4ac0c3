"""The real app in a real X server (Xvfb): it names the cat and its screenshot shows the window.

The README's screenshots are made by ``packaging/make-screenshots.sh``, never by a test: the
test suite writes only to temporary folders.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest
from conftest import CAT_LABELS, write_scene_video

pytestmark = [
    pytest.mark.xvfb,
    pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb is not installed"),
]

SCREEN = (1400, 900)

#: ``camapp`` with ``--quit-after`` waiting, if need be, until an answer and a frame are on
#: screen: the test waits for those events, not for a time a loaded machine may overrun.
RUN_APP = """
import sys

from PyQt6.QtCore import QTimer

import camapp.ui.app as app
from camapp.cli import main

finish = app.finish


def finish_once_answered(window, screenshot, stats_json):
    if window.last_prediction is None or not window.video.frames_shown:
        QTimer.singleShot(20, lambda: finish_once_answered(window, screenshot, stats_json))
    else:
        finish(window, screenshot, stats_json)


app.finish = finish_once_answered
sys.exit(main(sys.argv[1:]))
"""


@pytest.fixture
def xserver():
    """A private Xvfb; ``-displayfd`` names its display once it accepts clients."""
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "{}x{}x24".format(*SCREEN)]
        + ["-nolisten", "tcp"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        ready, _, _ = select.select([pipe], [], [], 60.0)
        number = pipe.readline().strip() if ready else ""
    if not number:
        server.kill()
        server.wait(10)
        pytest.skip("Xvfb did not start")
    yield f":{number}"
    server.terminate()
    server.wait(10)


def test_app_under_xvfb_names_the_cat_and_its_screenshot_shows_the_window(
    xserver, models_dir, tmp_path
):
    video = write_scene_video(tmp_path / "cat.avi", ["cat.bmp"], seconds=2.0)
    shot = tmp_path / "screenshot.png"
    stats = tmp_path / "stats.json"
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "CAMAPP_SETTINGS")}
    env.update(
        DISPLAY=xserver,
        CAMAPP_STATE=str(tmp_path / "state.yaml"),
        CAMAPP_CONFIG=str(tmp_path / "config" / "camapp.yaml"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_STATE_HOME=str(tmp_path / "state"),
    )
    result = subprocess.run(
        [sys.executable, "-c", RUN_APP, "--models-dir", str(models_dir), "run"]
        + ["--source", str(video), "--model", "mobilenet_v2_1.0_224_uint8"]
        + ["--roi", "0.2,0.1,0.8,0.95", "--quit-after", "1", "--no-save"]
        + ["--screenshot", str(shot), "--stats-json", str(stats)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    record = json.loads(stats.read_text())
    assert record["model"] == "mobilenet_v2_1.0_224_uint8"
    assert CAT_LABELS & {item["label"] for item in record["top_k"][:3]}
    assert shot.is_file()
    image = cv2.imread(str(shot))
    assert image is not None and image.ndim == 3
    height, width = image.shape[:2]
    assert 800 <= width <= SCREEN[0] and 480 <= height <= SCREEN[1], (width, height)
    # A real picture, not a blank or one-colour window: the photo's many colours are in it.
    assert image.std() > 20
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 1000
