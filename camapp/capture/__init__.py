"""Frame sources: camera, video, stream, still images and scenes, synthetic frames."""

from camapp.capture.sources import (  # noqa: F401
    CameraSource,
    Frame,
    FrameSource,
    LatestSlot,
    SceneSource,
    SyntheticSource,
    VideoSource,
    open_source,
)
