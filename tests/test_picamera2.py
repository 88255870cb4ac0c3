"""The Raspberry Pi camera module source (``--source picamera2``).

There is no camera module (and no picamera2) on the machines that run these tests, so the
adapter is tested against a STAND-IN for the picamera2 module, installed into
``sys.modules`` by the ``stand_in`` fixture. The stand-in has picamera2's API shape
(``Picamera2(n)``, ``global_camera_info()``, ``camera_properties["PixelArraySize"]``,
``create_preview_configuration``/``create_video_configuration``, ``configure``, ``start``,
``capture_array(name, wait=)``, ``stop``, ``close``) and its checks (even sizes, lores YUV
and no larger than main, start only once configured) but no camera: it "sees" real photos
from ../shared/images and hands them out as picamera2 would ("RGB888" is BGR in memory,
the lores stream is YUV420). The model that names what it sees is the real one.
"""

from __future__ import annotations

import sys
import threading
import types
from pathlib import Path

import cv2
import numpy as np
import pytest
from conftest import CAT_LABELS, IMAGES

from camapp.base.errors import CamappError
from camapp.capture import picamera2 as pisource
from camapp.capture.frames import Backoff, SourceState
from camapp.capture.picamera2 import PiCameraSource, native_size, to_bgr
from camapp.capture.sources import open_source
from camapp.pipeline.events import NullListener
from camapp.pipeline.session import Session

MODEL = "mobilenet_v2_1.0_224_uint8"
PARROT_LABELS = {"macaw", "lorikeet", "African grey", "sulphur-crested cockatoo"}


# -- the stand-in for picamera2 (plumbing only: no camera, real photos) --------------------
class StandInWorld:
    """What the stand-in's cameras see and how they are plugged in."""

    def __init__(self) -> None:
        # (model, PixelArraySize, photo): a Camera Module 3 (16:9) and a v2 (4:3).
        self.cameras = [
            ("imx708", (4608, 2592), cv2.imread(str(IMAGES / "cat.bmp"))),
            ("imx219", (3280, 2464), cv2.imread(str(IMAGES / "parrot.jpg"))),
        ]
        assert all(photo is not None for _, _, photo in self.cameras), f"photos in {IMAGES}"
        self.plugged = threading.Event()
        self.plugged.set()
        self.opened: list = []  # every stand-in Picamera2 made, in order


def make_stand_in(world: StandInWorld) -> types.ModuleType:
    """A module named ``picamera2`` with the API shape camapp uses; see the module docstring."""

    class Picamera2:
        @staticmethod
        def global_camera_info() -> list[dict[str, object]]:
            if not world.plugged.is_set():
                return []
            return [
                {"Model": model, "Location": 2, "Rotation": 0, "Id": f"/base/i2c@{n}", "Num": n}
                for n, (model, _, _) in enumerate(world.cameras)
            ]

        def __init__(self, camera_num: int = 0) -> None:
            num = self.global_camera_info()[camera_num]["Num"]  # IndexError, as picamera2
            model, pixels, photo = world.cameras[num]
            self.camera_properties = {"Model": model, "PixelArraySize": pixels}
            self.photo = photo
            self.config: dict | None = None
            self.started = False
            self.closed_by: str | None = None
            self.captures = 0
            world.opened.append(self)

        def create_preview_configuration(self, main=None, lores=None, **kw):  # noqa: ANN001
            stream = {"format": "XBGR8888", "size": (640, 480), **(main or {})}
            extra = {"format": "YUV420", **lores} if lores else None
            return {"use_case": "preview", "main": stream, "lores": extra, "buffer_count": 4}

        def create_video_configuration(self, main=None, lores=None, **kw):  # noqa: ANN001
            config = self.create_preview_configuration(main, lores)
            config.update(use_case="video", buffer_count=6)
            return config

        def configure(self, config: dict) -> None:
            assert not self.started, "picamera2: Camera must be stopped before configuring"
            for name in ("main", "lores"):
                stream = config[name]
                if stream is None:
                    continue
                w, h = stream["size"]
                assert w % 2 == 0 and h % 2 == 0, "picamera2: width and height should be even"
            if config["lores"] is not None:
                assert config["lores"]["format"] == "YUV420", "picamera2: lores must be YUV"
                assert config["lores"]["size"][0] <= config["main"]["size"][0]
            self.config = config

        def start(self) -> None:
            assert self.config is not None, "picamera2: Camera has not been configured"
            self.started = True

        def capture_array(self, name: str = "main", wait: float | None = None) -> np.ndarray:
            assert self.started and self.config and self.config[name], f"no {name} stream"
            if not world.plugged.wait(wait if isinstance(wait, float) else None):
                raise TimeoutError("Camera frontend has timed out!")
            threading.Event().wait(1 / 30)  # a camera delivers at its own pace, ~30 fps
            stream = self.config[name]
            size = tuple(stream["size"])
            bgr = cv2.resize(self.photo, size, interpolation=cv2.INTER_AREA)
            self.captures += 1
            if stream["format"] == "YUV420":
                return cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420)
            if stream["format"] == "RGB888":
                return bgr  # picamera2's RGB888 is B, G, R in memory
            return np.dstack([bgr, np.full(bgr.shape[:2], 255, np.uint8)])  # XBGR8888

        def stop(self) -> None:
            self.started = False

        def close(self) -> None:
            self.started = False
            self.closed_by = threading.current_thread().name

    module = types.ModuleType("picamera2")
    module.Picamera2 = Picamera2
    module.__doc__ = "STAND-IN for picamera2 (tests only)"
    return module


@pytest.fixture
def stand_in(monkeypatch) -> StandInWorld:
    """Installs the picamera2 stand-in into ``sys.modules`` for one test."""
    world = StandInWorld()
    monkeypatch.setitem(sys.modules, "picamera2", make_stand_in(world))
    return world


@pytest.fixture
def on_a_pi(tmp_path, monkeypatch) -> Path:
    """This machine reads as a Raspberry Pi 5 whose only video devices are its own."""
    model = tmp_path / "model"
    model.write_bytes(b"Raspberry Pi 5 Model B Rev 1.0\x00")
    monkeypatch.setattr(pisource, "PI_MODEL_FILES", (tmp_path / "absent", model))
    sysfs = fake_sysfs(tmp_path, {"video0": ("platform/1f00110000.csi", "0")})
    monkeypatch.setattr(pisource, "VIDEO4LINUX", sysfs)
    return sysfs


def fake_sysfs(tmp_path: Path, nodes: dict[str, tuple[str, str]]) -> Path:
    """A /sys/class/video4linux with ``name: (parent device path, index)`` entries."""
    root = tmp_path / "video4linux"
    root.mkdir()
    for name, (parent, index) in nodes.items():
        device = tmp_path / "devices" / parent
        device.mkdir(parents=True, exist_ok=True)
        (root / name).mkdir()
        (root / name / "device").symlink_to(device)
        (root / name / "index").write_text(index + "\n")
    return root


def first_frame(source, timeout: float = 5.0):
    frame = source.wait_newer(0, timeout)
    assert frame is not None, f"no frame from {source.name}: {source.error}"
    return frame


# -- frames ----------------------------------------------------------------------------------
def test_frames_are_bgr_at_the_sensors_own_aspect_and_need_no_conversion(stand_in):
    with PiCameraSource(0) as cam3, PiCameraSource(1) as v2:
        wide, square = first_frame(cam3).image, first_frame(v2).image
    assert wide.shape == (360, 640, 3)  # Camera Module 3: 4608 x 2592 is 16:9
    assert square.shape == (480, 640, 3)  # Camera Module 2: 3280 x 2464 is 4:3
    expected = cv2.resize(stand_in.cameras[0][2], (640, 360), interpolation=cv2.INTER_AREA)
    assert np.array_equal(wide, expected)  # "RGB888" is BGR in memory: passed on as it is
    main = stand_in.opened[0].config["main"]
    assert main == {"format": "RGB888", "size": (640, 360)}
    assert stand_in.opened[0].config["lores"] is None


def test_the_lores_stream_is_yuv420_at_the_same_aspect_and_arrives_as_bgr(stand_in):
    with PiCameraSource(0, lores_width=320) as source:
        image = first_frame(source).image
    config = stand_in.opened[0].config
    assert config["lores"] == {"format": "YUV420", "size": (320, 180)}
    assert config["main"]["size"] == (640, 360)
    assert image.shape == (180, 320, 3)
    photo = cv2.resize(stand_in.cameras[0][2], (320, 180), interpolation=cv2.INTER_AREA)
    # I420 halves the colour resolution: close to the photo, channel by channel, not equal.
    for channel in range(3):
        diff = np.abs(image[:, :, channel].astype(int) - photo[:, :, channel].astype(int))
        assert diff.mean() < 8, f"channel {channel} differs by {diff.mean():.1f} on average"


def test_native_size_follows_the_sensor_and_stays_even():
    assert native_size((4608, 2592), 640) == (640, 360)
    assert native_size((4056, 3040), 640) == (640, 480)  # HQ camera
    assert native_size((1456, 1088), 640) == (640, 478)  # Global Shutter camera
    assert native_size(None, 641) == (640, 480)  # unknown sensor: 4:3
    assert to_bgr(np.zeros((4, 6, 4), np.uint8)).shape == (4, 6, 3)  # XRGB8888


def test_the_capture_thread_stops_and_closes_the_camera_and_close_is_idempotent(stand_in):
    source = PiCameraSource(0).start()
    first_frame(source)
    source.close()
    source.close()
    camera = stand_in.opened[0]
    assert camera.closed_by == "camapp-capture-picamera2"
    assert not camera.started


def test_a_source_never_started_releases_the_camera_on_close(stand_in):
    PiCameraSource(1).close()
    assert stand_in.opened[0].closed_by == threading.current_thread().name


# -- specs and messages ----------------------------------------------------------------------
def test_specs_name_the_first_or_the_nth_camera_module(stand_in):
    first, second = open_source("picamera2"), open_source("picamera2:1")
    try:
        assert (first.kind, first.name, first.model) == ("picamera2", "picamera2:0", "imx708")
        assert (second.name, second.model) == ("picamera2:1", "imx219")
    finally:
        first.close()
        second.close()
    with pytest.raises(CamappError, match=r"no camera module 2 \(picamera2 finds 2 cameras\)"):
        open_source("picamera2:2")
    with pytest.raises(CamappError, match="not a camera number: picamera2:x"):
        open_source("picamera2:x")


def test_without_picamera2_the_message_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "picamera2", None)  # import fails, as where it is absent
    with pytest.raises(CamappError) as caught:
        open_source("picamera2")
    text = str(caught.value)
    assert "\n" not in text
    assert text == (
        "picamera2 is not installed (sudo apt install python3-picamera2, and use a venv "
        "made with --system-site-packages)"
    )


def test_picamera2_built_for_another_numpy_is_explained(monkeypatch):
    class BrokenFinder:  # what apt's simplejpeg does under pip's NumPy 2 on Bookworm
        def find_spec(self, name, path=None, target=None):  # noqa: ANN001
            if name == "picamera2":
                raise ValueError("numpy.dtype size changed, may indicate binary incompatibility")
            return None

    monkeypatch.delitem(sys.modules, "picamera2", raising=False)
    monkeypatch.setattr(sys, "meta_path", [BrokenFinder(), *sys.meta_path])
    with pytest.raises(CamappError, match="cannot load with NumPy .*system NumPy"):
        PiCameraSource(0)


def test_the_session_reports_a_missing_picamera2_in_one_line(monkeypatch, store):
    monkeypatch.setitem(sys.modules, "picamera2", None)
    failures: list[str] = []
    done = threading.Event()

    class Failures(NullListener):
        def on_source_failed(self, spec: str, message: str) -> None:
            failures.append(message)
            done.set()

    with Session(source="picamera2", model=MODEL, store=store, listener=Failures()):
        assert done.wait(10)
    assert failures == [f"picamera2 is not installed ({pisource.INSTALL_HINT})"]


# -- on a Raspberry Pi, --source 0 ------------------------------------------------------------
def test_raspberry_pi_detection_reads_the_device_tree_model(tmp_path):
    pi, other = tmp_path / "pi", tmp_path / "other"
    pi.write_bytes(b"Raspberry Pi 4 Model B Rev 1.4\x00")
    other.write_bytes(b"Pine64 RockPro64 v2.1\x00")
    assert (
        pisource.raspberry_pi_model([tmp_path / "absent", pi]) == "Raspberry Pi 4 Model B Rev 1.4"
    )
    assert pisource.raspberry_pi_model([other, tmp_path / "absent"]) is None


def test_only_usb_capture_nodes_count_as_usb_cameras(tmp_path):
    usb = "platform/axi/1000120000.pcie/1f00200000.usb/xhci-hcd.0/usb1/1-1/1-1:1.0"
    sysfs = fake_sysfs(
        tmp_path,
        {
            "video0": ("platform/1f00110000.csi", "0"),  # the CSI receiver (rp1-cfe)
            "video20": ("platform/1000880000.pisp_be", "0"),  # the ISP
            "video9": (usb, "1"),  # a UVC camera's metadata node
            "video8": (usb, "0"),  # its capture node
        },
    )
    assert pisource.usb_video_devices(sysfs) == ["/dev/video8"]
    assert pisource.usb_video_devices(tmp_path / "absent") == []


def test_on_a_pi_source_0_is_the_camera_module_when_no_usb_camera_answers(on_a_pi, stand_in):
    source = open_source("0")
    try:
        assert isinstance(source, PiCameraSource)
        assert source.model == "imx708"
    finally:
        source.close()


def test_on_a_pi_a_usb_camera_that_does_not_answer_is_skipped(tmp_path, on_a_pi, stand_in):
    usb = tmp_path / "devices" / "platform/scb/fd500000.pcie/usb1/1-1/1-1:1.0"
    usb.mkdir(parents=True)
    (on_a_pi / "video8").mkdir()
    (on_a_pi / "video8" / "device").symlink_to(usb)
    (on_a_pi / "video8" / "index").write_text("0\n")
    assert pisource.usb_video_devices() == ["/dev/video8"]
    assert not Path("/dev/video8").exists(), "this test needs /dev/video8 to be absent"
    source = open_source("0")
    try:
        assert isinstance(source, PiCameraSource)
    finally:
        source.close()


def test_on_a_pi_with_neither_camera_the_message_names_both(on_a_pi, monkeypatch):
    monkeypatch.setitem(sys.modules, "picamera2", None)
    with pytest.raises(CamappError) as caught:
        open_source("0")
    assert str(caught.value) == (
        "no camera found on this Raspberry Pi 5 Model B Rev 1.0: no USB camera answered, and "
        f"picamera2 is not installed ({pisource.INSTALL_HINT})"
    )


def test_off_a_pi_source_0_never_touches_picamera2(tmp_path, monkeypatch, stand_in):
    other = tmp_path / "model"
    other.write_bytes(b"Pine64 RockPro64 v2.1\x00")
    monkeypatch.setattr(pisource, "PI_MODEL_FILES", (other,))
    try:
        open_source("0").close()  # a webcam on this machine
    except CamappError as exc:
        assert str(exc).startswith("no camera found at 0")
    assert stand_in.opened == []


# -- lost and back ----------------------------------------------------------------------------
def test_a_camera_that_stops_is_reopened_by_the_capture_thread(stand_in):
    states: list[SourceState] = []
    reconnecting, live_again = threading.Event(), threading.Event()

    def on_state(state: SourceState) -> None:
        states.append(state)
        if state.phase == "reconnecting":
            reconnecting.set()
        elif reconnecting.is_set() and state.live:
            live_again.set()

    source = PiCameraSource(0, timeout=0.2)
    source.backoff = Backoff(first=0.05, cap=0.2)
    source.state_listener = on_state
    with source:
        before = first_frame(source)
        stand_in.plugged.clear()  # the ribbon cable comes out
        assert reconnecting.wait(5)
        stand_in.plugged.set()
        assert live_again.wait(5)
        after = source.wait_newer(before.id, 5)
    assert after is not None and after.image.shape == (360, 640, 3)
    assert states[0].message == "camera module lost - reconnecting, attempt 1"
    first, second = stand_in.opened[0], stand_in.opened[-1]
    assert len(stand_in.opened) >= 2
    assert first.closed_by == second.closed_by == "camapp-capture-picamera2"


# -- what the model sees ----------------------------------------------------------------------
def test_a_session_on_the_camera_module_names_the_cat(stand_in, store):
    with Session(source="picamera2", model=MODEL, store=store, threads=2) as session:
        assert session.wait_for_source(10)
        assert session.wait_for_model(MODEL, 10) is not None
        prediction = session.latest_prediction(timeout=10)
        info = session.source_info
    assert prediction is not None
    assert {c.label for c in prediction.categories[:3]} & CAT_LABELS, prediction.categories
    assert info is not None and (info.kind, info.spec) == ("picamera2", "picamera2")
    assert stand_in.opened[0].closed_by == "camapp-capture-picamera2"


def test_the_second_camera_module_sees_its_own_scene_through_the_lores_stream(stand_in, store):
    source = PiCameraSource(1, lores_width=320)
    with Session(source=source, model=MODEL, store=store, threads=2) as session:
        prediction = session.latest_prediction(timeout=10)
    assert prediction is not None
    assert prediction.top.label in PARROT_LABELS, prediction.categories
