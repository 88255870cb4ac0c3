"""A teacher's first run from anywhere: models never found relative to the current folder, a
packaged config with no developer path, and with no model at all the window opens the models
manager with a plain explanation (then installs from a USB stick and starts recognising)."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys

import pytest
from conftest import IMAGES, MIRROR, REPO, SHARED

from camapp.base.config import app_defaults, packaged_file
from camapp.base.settings import Settings
from camapp.store.catalog import Catalog
from camapp.store.model_store import ModelStore, model_dirs

SMALL = "mobilenet_v1_0.25_128_uint8"
SMALL_FILE = "mobilenet_v1_0.25_128_quant.tflite"
#: Every variable that could point camapp at a folder other than the fresh home's.
FOLDER_VARIABLES = (
    "CAMAPP_MODELS_DIR",
    "CAMAPP_MODEL_MIRROR",
    "CAMAPP_CONFIG",
    "CAMAPP_STATE",
    "CAMAPP_SETTINGS",
    "CAMAPP_CATALOG",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "XDG_STATE_HOME",
    "XDG_CACHE_HOME",
)


def fresh_env(home, **extra: str) -> dict[str, str]:
    """A fresh home with no camapp variable set and, through a proxy that refuses every
    connection, no network (urllib honours https_proxy)."""
    env = {k: v for k, v in os.environ.items() if k not in FOLDER_VARIABLES}
    env.update(
        HOME=str(home),
        QT_QPA_PLATFORM="offscreen",
        https_proxy="http://127.0.0.1:9",
        HTTPS_PROXY="http://127.0.0.1:9",
        no_proxy="",
        NO_PROXY="",
    )
    env.update(extra)
    return env


def test_models_are_never_looked_for_in_the_current_folder(tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "models").mkdir(parents=True)
    shutil.copyfile(MIRROR / SMALL_FILE, elsewhere / "models" / SMALL_FILE)
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv("CAMAPP_MODELS_DIR", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    store = ModelStore(Catalog.load())
    assert store.dirs == [tmp_path / "data" / "camapp" / "models"]
    assert store.install_dir == tmp_path / "data" / "camapp" / "models"  # was ./models
    assert store.find(SMALL_FILE) is None
    monkeypatch.setenv("CAMAPP_MODELS_DIR", str(tmp_path / "env"))
    assert model_dirs(tmp_path / "given") == [
        tmp_path / "given",
        tmp_path / "env",
        tmp_path / "data" / "camapp" / "models",
    ]
    assert ModelStore(Catalog.load()).install_dir == tmp_path / "env"


def test_the_packaged_config_names_no_developer_folder():
    assert app_defaults()["model_mirrors"] == []
    assert Settings().model_mirrors == ()
    text = packaged_file("camapp.yaml").read_text(encoding="utf-8")
    assert "shared" not in text and "../" not in text


def test_the_readme_set_up_says_how_this_machine_finds_its_models():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    set_up = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)\n```", set_up, re.S)
    assert commands == [  # unchanged
        "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/camapp",
        "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && "
        ".venv/bin/python -m pytest",
    ]
    assert "export CAMAPP_MODEL_MIRROR=../shared/models" in set_up
    assert "~/.local/share/camapp/models" in set_up
    assert "./models" not in readme


@pytest.mark.skipif(
    MIRROR.resolve() != (REPO.parent / "shared" / "models").resolve()
    or SHARED.resolve() != (REPO.parent / "shared").resolve(),
    reason="the README's set-up names ../shared/models beside the clone",
)
def test_the_readme_run_command_installs_the_defaults_here_with_the_mirror_it_names(tmp_path):
    home = tmp_path / "home"
    result = subprocess.run(
        [sys.executable, "-m", "camapp", "--source", str(IMAGES / "cat.bmp"), "--quit-after",
         "0", "--no-save"],
        cwd=REPO,  # where the README's command runs
        env=fresh_env(home, CAMAPP_MODEL_MIRROR="../shared/models"),
        capture_output=True,
        text=True,
        timeout=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    store = home / ".local" / "share" / "camapp" / "models"
    installed = {e.id for e in ModelStore(Catalog.load(), store).installed()}
    assert installed == {e.id for e in Catalog.load().defaults()}
    assert "models manager opened" not in result.stderr


def test_a_fresh_home_elsewhere_offline_with_no_mirror_opens_the_models_manager(tmp_path):
    home, elsewhere = tmp_path / "home", tmp_path / "desktop"
    (elsewhere / "models").mkdir(parents=True)  # a stray models folder where it starts
    shutil.copyfile(MIRROR / SMALL_FILE, elsewhere / "models" / SMALL_FILE)
    result = subprocess.run(
        [sys.executable, "-m", "camapp", "--source", str(IMAGES / "cat.bmp"),
         "--quit-after", "1", "--no-save"],
        cwd=elsewhere,
        env={**fresh_env(home), "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=180,
    )  # fmt: skip
    err = result.stderr
    assert result.returncode == 0, err
    assert "Traceback" not in err
    opened = [line for line in err.splitlines() if "models manager opened" in line]
    assert len(opened) == 1, err
    assert "No model is installed yet, so camapp cannot recognise anything" in opened[0]
    assert "seems to be offline, and no folder of model files is set up" in opened[0]
    assert '"Install from folder..."' in opened[0]
    assert str(home / ".local" / "share" / "camapp" / "models") in opened[0]
    assert sorted(p.name for p in (elsewhere / "models").iterdir()) == [SMALL_FILE]  # untouched


@pytest.mark.gui
def test_with_no_model_the_window_explains_and_a_usb_stick_gets_it_recognising(
    qtbot, tmp_path, catalog, monkeypatch, private_settings
):
    pytest.importorskip("PyQt6")
    from camapp.ui.app import make_session
    from camapp.ui.models_dialog import ModelsDialog, offer_models_if_none_installed
    from camapp.ui.window import MainWindow

    monkeypatch.delenv("CAMAPP_MODEL_MIRROR")
    store = ModelStore(catalog, tmp_path / "models")
    values = {"source": str(IMAGES / "cat.bmp"), "model": "", "roi": [0.1, 0.1, 0.9, 0.9],
              "top_k": 5, "threshold": 0.0, "mode": "continuous", "threads": 2}  # fmt: skip
    args = argparse.Namespace(runtime=None, model=None, labels=None, no_xnnpack=False)
    window = MainWindow(make_session(store, args, values), values)
    qtbot.addWidget(window)
    window.show()
    assert window.video.message_text == "No model installed: File > Models... installs one"
    offer_models_if_none_installed(window, ())  # what run_app does after the first-run install
    qtbot.waitUntil(lambda: window.findChild(ModelsDialog) is not None)
    dialog = window.findChild(ModelsDialog)
    assert dialog.isVisible() and dialog.explanation.isVisible()
    assert dialog.explanation.text().startswith("No model is installed yet")
    assert set(dialog.selected_ids()) == {e.id for e in catalog.defaults()}  # ready to Install
    usb = tmp_path / "usb"
    usb.mkdir()
    for name in (SMALL_FILE, "imagenet_labels.txt"):
        (usb / name).symlink_to(MIRROR / name)
    with qtbot.waitSignal(dialog.models_changed, timeout=30_000):
        dialog.install_from_folder(usb)
    combo = window.settings_panel.combos["File"]
    qtbot.waitUntil(lambda: combo.currentData() == SMALL)
    assert combo.model().item(combo.currentIndex()).isEnabled()  # refreshed: installed now
    qtbot.waitUntil(lambda: window.model_info is not None, timeout=20_000)
    assert window.model_info.spec == SMALL  # the window started it by itself
    qtbot.waitUntil(lambda: window.last_prediction is not None, timeout=20_000)
    window.close()
