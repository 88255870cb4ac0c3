"""Shared fixtures: real models installed from ../shared/models, real photos, a test video."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from camapp.store.install import install as install_models

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("CAMAPP_SHARED", REPO.parent / "shared"))
MIRROR = Path(os.environ.get("CAMAPP_MODEL_MIRROR", SHARED / "models"))
# The packaged config names no mirror: the tests (and the camapp processes they start) name
# theirs here, explicitly. A test of the unconfigured case removes it.
os.environ["CAMAPP_MODEL_MIRROR"] = str(MIRROR)
# The user's folders are never read or written by the tests: models installed in
# ~/.local/share/camapp (a developer's own first run) would show as installed in every store,
# tuned threads x XNNPACK choices would come from ~/.cache. This run gets folders of its own;
# private_settings gives a test settings and a cache of its own.
_USER = tempfile.mkdtemp(prefix="camapp-test-user-")
for _kind in ("DATA", "STATE", "CACHE"):
    os.environ[f"XDG_{_kind}_HOME"] = os.path.join(_USER, _kind.lower())
IMAGES = SHARED / "images"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

#: Top-3 labels that count as "a cat" for cat.bmp.
CAT_LABELS = {"tabby", "tiger cat", "Egyptian cat", "Persian cat"}


def pytest_configure(config: pytest.Config) -> None:
    if not MIRROR.is_dir():
        raise pytest.UsageError(
            f"model mirror not found at {MIRROR}; set CAMAPP_MODEL_MIRROR to a folder of models"
        )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The minute-long soak first: with one process per core, the rest runs beside it."""
    items.sort(key=lambda item: item.get_closest_marker("soak") is None)


@pytest.fixture(scope="session")
def catalog():
    from camapp.store.catalog import Catalog

    return Catalog.load()


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory, catalog) -> Path:
    """Every catalog model available in the mirror, installed (and verified) once per run."""
    from camapp.store.model_store import ModelStore

    folder = tmp_path_factory.mktemp("models")
    store = ModelStore(catalog, folder)
    results = install_models(store, list(catalog), str(MIRROR))
    installed = [r.model_id for r in results if r.status == "installed"]
    assert installed, f"nothing installed from {MIRROR}"
    return folder


@pytest.fixture(scope="session")
def store(catalog, models_dir):
    from camapp.store.model_store import ModelStore

    return ModelStore(catalog, models_dir)


@pytest.fixture(scope="session")
def installed_classifiers(store) -> list[str]:
    return [e.id for e in store.installed() if e.kind == "classifier"]


@pytest.fixture(scope="session")
def load_image():
    def load(name: str) -> np.ndarray:
        image = cv2.imread(str(IMAGES / name), cv2.IMREAD_COLOR)
        assert image is not None, f"cannot read {IMAGES / name}"
        return image

    return load


@pytest.fixture(scope="session")
def scene_video(tmp_path_factory) -> Path:
    """A 30 fps 640x480 MJPG video: each photo of ../shared/images for one second."""
    path = tmp_path_factory.mktemp("video") / "scenes.avi"
    write_scene_video(path, ["cat.bmp", "parrot.jpg", "burger.jpg", "owl.jpg"], seconds=1.0)
    return path


@pytest.fixture
def photos(tmp_path) -> Path:
    """A folder of three real photos (cat, owl, parrot), for N / P and your own photos."""
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("cat.bmp", "owl.jpg", "parrot.jpg"):
        shutil.copy(IMAGES / name, folder / name)
    return folder


@pytest.fixture
def tiny_tmpfs(tmp_path):
    """A 1 MB tmpfs, where this machine lets us mount one (root with CAP_SYS_ADMIN)."""
    mount_point = tmp_path / "tmpfs"
    mount_point.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip() or result.returncode}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=False)


def write_scene_video(
    path: Path,
    names: list[str],
    seconds: float = 1.0,
    fps: float = 30.0,
    size: tuple[int, int] = (640, 480),
) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, size)
    assert writer.isOpened(), "OpenCV cannot write MJPG video"
    for name in names:
        image = cv2.imread(str(IMAGES / name), cv2.IMREAD_COLOR)
        frame = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        for _ in range(int(seconds * fps)):
            writer.write(frame)
    writer.release()
    return path


@pytest.fixture(autouse=True)
def no_thread_left_behind():
    """Fails a test that leaves a camapp thread running."""
    before = {t.ident for t in threading.enumerate()}
    yield
    leftover = [
        t.name
        for t in threading.enumerate()
        if t.ident not in before and t.name.startswith("camapp") and t.is_alive()
    ]
    assert not leftover, f"threads left running: {leftover}"


# -- the live window (PyQt6 is imported only by the tests that use these) -----------------
@pytest.fixture
def private_settings(tmp_path, monkeypatch):
    """Never touch the real home: settings and snapshots go to tmp."""
    monkeypatch.setenv("CAMAPP_STATE", str(tmp_path / "state.yaml"))
    monkeypatch.setenv("CAMAPP_CONFIG", str(tmp_path / "config" / "camapp.yaml"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # tuned paths


@pytest.fixture
def open_window(qtbot, store):
    """Builds a shown :class:`MainWindow` over a real session; closes it afterwards.

    Waits until the first source has opened (or failed), as a user would before acting.
    """
    from camapp.ui.app import make_session
    from camapp.ui.window import MainWindow

    windows: list[MainWindow] = []

    def build(source: str, model: str = "mobilenet_v2_1.0_224_uint8", **settings) -> MainWindow:
        values = {
            "source": source,
            "model": model,
            "roi": [0.1, 0.1, 0.9, 0.9],
            "top_k": 5,
            "threshold": 0.0,
            "mode": "continuous",
            "threads": 2,
        }
        values.update(settings)
        args = argparse.Namespace(runtime=None, model=None, labels=None, no_xnnpack=False)
        window = MainWindow(make_session(store, args, values), values)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        window.windowHandle().requestActivate()  # shortcuts need the active window
        qtbot.waitUntil(window.isActiveWindow, timeout=2000)
        qtbot.waitUntil(lambda: not window.source_pending, timeout=5000)
        windows.append(window)
        return window

    yield build
    for window in windows:
        window.close()
