"""``open_source``: what a ``--source`` spec names, as a frame source (not started yet)."""

from __future__ import annotations

from pathlib import Path

import cv2

from camapp.base.errors import CamappError
from camapp.capture.camera import CameraSource
from camapp.capture.frames import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, FrameSource
from camapp.capture.picamera2 import PiCameraSource, open_first_camera_on_pi, raspberry_pi_model
from camapp.capture.scenes import OPTIONAL_PHOTO_EXTENSIONS, SceneSource, open_photos
from camapp.capture.synthetic import SyntheticSource
from camapp.capture.video import STREAM_TIMEOUT_S, VideoSource


def open_source(
    spec: str | int,
    loop: bool = True,
    realtime: bool = True,
    stream_timeout: float = STREAM_TIMEOUT_S,
) -> FrameSource:
    """Opens what ``--source`` names (not started yet).

    Args:
        spec: Camera index (``0``), device path, video file, stream URL (``rtsp://``,
            ``http://``), image file, folder of images, ``synthetic``, or a Raspberry Pi
            camera module (``picamera2``, ``picamera2:1``). On a Pi, ``0`` is the first USB
            camera that answers, else the camera module.
        loop: Loop video files.
        realtime: Pace video files at their own frame rate.
        stream_timeout: Seconds a stream URL may take to open or to send its next frame.

    Raises:
        CamappError: When nothing usable is there.
    """
    text = str(spec).strip()
    if text.isdigit():
        board = raspberry_pi_model() if text == "0" else None
        return open_first_camera_on_pi(board) if board else CameraSource(int(text))
    if text == "picamera2" or text.startswith("picamera2:"):
        return PiCameraSource.from_spec(text)
    if text == "synthetic":
        return SyntheticSource(fps=30.0 if realtime else None)
    if "://" in text:
        return VideoSource(text, loop=False, realtime=False, timeout=stream_timeout)
    if text.startswith("/dev/video"):
        return CameraSource(text)
    path = Path(text).expanduser()
    if not path.exists():
        raise CamappError(
            f"source not found: {text}",
            "give a camera number, a video, an image or a folder of images",
        )
    suffix = path.suffix.lower()
    if path.is_dir() or suffix in IMAGE_EXTENSIONS or suffix in OPTIONAL_PHOTO_EXTENSIONS:
        return open_photos(path, loop=loop, realtime=realtime)
    if suffix in VIDEO_EXTENSIONS:
        return VideoSource(str(path), loop=loop, realtime=realtime)
    if cv2.haveImageReader(str(path)):
        return SceneSource.from_path(path)
    return VideoSource(str(path), loop=loop, realtime=realtime)
