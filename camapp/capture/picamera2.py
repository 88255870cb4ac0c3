"""The Raspberry Pi camera module through picamera2 (libcamera), read on the capture thread.

OpenCV cannot read a CSI camera on the libcamera stack (and the aarch64 OpenCV wheel has no
GStreamer), so ``--source picamera2`` reads it through picamera2, which comes from apt
(``python3-picamera2``), never from PyPI: the venv must see the system packages. The
library is imported only when such a source is opened.
"""

from __future__ import annotations

import importlib
import logging
import os
import re
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import cv2
import numpy as np

from camapp.base.errors import CamappError
from camapp.capture.frames import FrameSource, SourceLost

log = logging.getLogger(__name__)

#: Where a Raspberry Pi names itself ("Raspberry Pi 5 Model B Rev 1.0", NUL-terminated).
PI_MODEL_FILES: tuple[Path, ...] = (
    Path("/proc/device-tree/model"),
    Path("/sys/firmware/devicetree/base/model"),
)
#: Where the kernel lists video devices; USB ones have a ``/usb`` parent device.
VIDEO4LINUX = Path("/sys/class/video4linux")
#: How to get picamera2 where it is missing.
INSTALL_HINT = "sudo apt install python3-picamera2, and use a venv made with --system-site-packages"
#: Width of the stream the window shows and the model sees; the height follows the sensor.
PREVIEW_WIDTH = 640
#: Seconds without a frame after which the camera counts as lost (and is reopened).
FRAME_TIMEOUT_S = 2.0

_SPEC = re.compile(r"picamera2(?::(?P<num>.*))?")


def raspberry_pi_model(files: Sequence[Path] | None = None) -> str | None:
    """The board's model if this is a Raspberry Pi (``"Raspberry Pi 4 Model B Rev 1.4"``).

    Args:
        files: Device-tree model files to read; by default :data:`PI_MODEL_FILES`.
    """
    for path in PI_MODEL_FILES if files is None else files:
        try:
            text = path.read_bytes().decode("utf-8", "replace").strip("\x00 \n")
        except OSError:
            continue
        if "Raspberry Pi" in text:
            return text
    return None


def usb_video_devices(root: Path | None = None) -> list[str]:
    """``/dev/videoN`` of every USB capture node the kernel lists, in number order.

    A Pi also lists its own video devices (the CSI receiver, the ISP, the codecs), which
    OpenCV may open but never reads a picture from; only USB devices count as "a USB
    camera". A UVC camera has a metadata node beside its capture node; only ``index 0``
    nodes are kept.

    Args:
        root: The sysfs folder to read; by default :data:`VIDEO4LINUX`.
    """
    folder = VIDEO4LINUX if root is None else root
    try:
        entries = [e for e in folder.iterdir() if re.fullmatch(r"video\d+", e.name)]
    except OSError:
        return []
    devices = []
    for entry in sorted(entries, key=lambda e: int(e.name[5:])):
        try:
            parent = (entry / "device").resolve()
            index = (entry / "index").read_text().strip() if (entry / "index").exists() else "0"
        except OSError:
            continue
        if "/usb" in parent.as_posix() and index == "0":
            devices.append(f"/dev/{entry.name}")
    return devices


def import_picamera2() -> ModuleType:
    """The picamera2 module, or one line saying how to get it.

    Raises:
        CamappError: When it is not installed (or not visible from this venv), or when it
            cannot load with the NumPy this venv has.
    """
    os.environ.setdefault("LIBCAMERA_LOG_LEVELS", "*:WARN")  # libcamera's INFO lines flood
    try:
        return importlib.import_module("picamera2")
    except ImportError as exc:
        missing = f" ({exc.name} is missing)" if exc.name and exc.name != "picamera2" else ""
        raise CamappError(f"picamera2 is not installed{missing}", INSTALL_HINT) from exc
    except ValueError as exc:  # "numpy.dtype size changed": apt's modules vs pip's NumPy 2
        raise CamappError(
            f"picamera2 cannot load with NumPy {np.__version__}: {exc}",
            "its apt modules need the system NumPy: reinstall with "
            "packaging/raspberry-pi/install.sh, which keeps it",
        ) from exc


def native_size(pixel_array: object, width: int) -> tuple[int, int]:
    """``(width, height)`` at the sensor's aspect ratio, both even (libcamera needs that).

    Args:
        pixel_array: The sensor's ``PixelArraySize`` ``(width, height)``; 4:3 when unknown.
        width: The width wanted.
    """
    try:
        sensor_w, sensor_h = (int(v) for v in pixel_array)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        sensor_w, sensor_h = 4, 3
    if sensor_w <= 0 or sensor_h <= 0:
        sensor_w, sensor_h = 4, 3
    width = max(64, int(width) // 2 * 2)
    height = max(2, round(width * sensor_h / sensor_w / 2) * 2)
    return width, height


def parse_spec(spec: str) -> int | None:
    """The camera number a ``picamera2[:N]`` spec names, or None for any other spec.

    Raises:
        CamappError: For ``picamera2:`` followed by anything but a number.
    """
    match = _SPEC.fullmatch(spec.strip())
    if match is None:
        return None
    number = match.group("num")
    if number is None:
        return 0
    if not number.isdigit():
        raise CamappError(
            f"not a camera number: {spec}", "use picamera2 or picamera2:N (N = 0, 1, ...)"
        )
    return int(number)


class PiCameraSource(FrameSource):
    """A Raspberry Pi camera module (CSI) through picamera2.

    The main stream is preview-sized (:data:`PREVIEW_WIDTH` wide) at the sensor's own aspect
    ratio, in picamera2's ``RGB888``, which is BGR in memory: OpenCV's order, so frames need
    no conversion. With ``lores_width`` a second, smaller YUV420 stream is configured and
    its frames are published instead (the ISP scales, so a Pi 4 spends no CPU on it).

    The camera is opened here (on the caller's thread), read and released by the capture
    thread. No frame for ``timeout`` seconds counts as lost: the capture thread closes the
    camera and reopens it with backoff until frames arrive again.

    Raises:
        CamappError: When picamera2 is missing, there is no such camera, or it cannot start.
    """

    kind = "picamera2"

    def __init__(
        self,
        camera: int = 0,
        width: int = PREVIEW_WIDTH,
        lores_width: int | None = None,
        timeout: float = FRAME_TIMEOUT_S,
    ) -> None:
        super().__init__(f"picamera2:{camera}")
        if lores_width is not None and lores_width >= width:
            raise CamappError(
                f"the lores stream ({lores_width} wide) must be smaller than the main one "
                f"({width})",
                "give a smaller lores width",
            )
        self.camera = camera
        self.width = width
        self.lores_width = lores_width
        self.stream = "lores" if lores_width else "main"
        self.timeout = timeout
        self.model = ""
        self.size = (0, 0)
        self.lores_size: tuple[int, int] | None = None
        self._picamera2 = import_picamera2()
        self._cam: Any = self._open()

    @classmethod
    def from_spec(cls, spec: str) -> PiCameraSource:
        """``picamera2`` (the first camera) or ``picamera2:N``.

        Raises:
            CamappError: For a spec that names no camera module, or one that cannot open.
        """
        number = parse_spec(spec)
        if number is None:
            raise CamappError(f"not a camera module: {spec}", "use picamera2 or picamera2:N")
        return cls(number)

    def _open(self) -> Any:
        """Opens, configures and starts the camera; returns the ``Picamera2`` object."""
        picamera2 = self._picamera2.Picamera2
        cameras = list(picamera2.global_camera_info())
        if self.camera >= len(cameras):
            found = f"{len(cameras)} camera" + ("" if len(cameras) == 1 else "s")
            raise CamappError(
                f"no camera module {self.camera} (picamera2 finds {found})",
                "check the ribbon cable, then 'rpicam-hello --list-cameras'",
            )
        self.model = str(cameras[self.camera].get("Model", ""))
        try:
            cam = picamera2(self.camera)
        except Exception as exc:  # noqa: BLE001 - libcamera says "did not complete"
            raise CamappError(
                f"cannot open camera module {self.camera}: {exc}",
                "is another program using it (rpicam-hello, another camapp)? close it",
            ) from exc
        try:
            pixels = cam.camera_properties.get("PixelArraySize")
            self.size = native_size(pixels, self.width)
            main = {"size": self.size, "format": "RGB888"}
            lores = None
            if self.lores_width:
                self.lores_size = native_size(pixels, self.lores_width)
                lores = {"size": self.lores_size, "format": "YUV420"}
            cam.configure(cam.create_preview_configuration(main=main, lores=lores))
            cam.start()
        except Exception as exc:  # noqa: BLE001 - any libcamera failure is one line
            _close_quietly(cam)
            raise CamappError(
                f"cannot start camera module {self.camera}: {exc}",
                "try another size, or check 'rpicam-hello' works",
            ) from exc
        log.info("%s: %s at %dx%d (%s)", self.name, self.model, *self.size, self.stream)
        return cam

    def _read(self) -> np.ndarray | None:
        if self._stop.is_set():
            return None
        try:
            array = self._cam.capture_array(self.stream, wait=self.timeout)
        except Exception as exc:  # noqa: BLE001 - a timeout or a dead camera: reconnect
            raise SourceLost(f"{self.name} stopped sending frames ({exc})") from exc
        return to_bgr(np.asarray(array), self.stream)

    def _reopen(self) -> None:
        _close_quietly(self._cam)
        self._cam = None
        self._cam = self._open()

    def _release(self) -> None:
        cam, self._cam = self._cam, None
        if cam is not None:
            _close_quietly(cam)

    def _lost_message(self, attempt: int) -> str:
        return f"camera module lost - reconnecting, attempt {attempt}"


def to_bgr(array: np.ndarray, stream: str = "main") -> np.ndarray:
    """A picamera2 array as an ``H x W x 3`` BGR image.

    ``RGB888`` is already BGR in memory; ``XRGB8888`` has a fourth byte to drop; a YUV420
    array (``lores``) is ``H * 3 / 2`` rows of I420.
    """
    if array.ndim == 2:
        return cv2.cvtColor(array, cv2.COLOR_YUV2BGR_I420)
    if array.ndim == 3 and array.shape[2] == 4:
        return np.ascontiguousarray(array[:, :, :3])
    if array.ndim == 3 and array.shape[2] == 3:
        return np.ascontiguousarray(array)
    raise ValueError(f"unexpected {stream} frame shape {array.shape}")


def _close_quietly(cam: Any) -> None:
    """Stops and closes a ``Picamera2``; failures are logged, never raised."""
    if cam is None:
        return
    for step in ("stop", "close"):
        try:
            getattr(cam, step)()
        except Exception as exc:  # noqa: BLE001 - a dead camera may fail to stop
            log.debug("picamera2 %s failed: %s", step, exc)


def open_first_camera_on_pi(board: str) -> FrameSource:
    """``--source 0`` on a Raspberry Pi: the first USB camera that answers, else the module.

    Args:
        board: The Pi's model, for the message when neither answers.

    Raises:
        CamappError: When no USB camera answers and the camera module cannot be opened.
    """
    from camapp.capture.camera import CameraSource

    candidates: list[int | str] = list(usb_video_devices())
    if not VIDEO4LINUX.is_dir():  # no sysfs to ask (a container): try index 0 as elsewhere
        candidates = [0]
    for device in candidates:
        try:
            return CameraSource(device)
        except CamappError as exc:
            log.debug("USB camera %s: %s", device, exc)
    try:
        return PiCameraSource(0)
    except CamappError as exc:
        raise CamappError(
            f"no camera found on this {board}: no USB camera answered, and {exc.message}",
            exc.hint,
        ) from exc
