"""Still photos ("scenes"): one photo, a folder or a list, stepped through with N and P."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import cv2

from camapp.base.errors import CamappError
from camapp.capture.frames import IMAGE_EXTENSIONS, Frame, FrameSource


class SceneSource(FrameSource):
    """Still images ("scenes"): one photo, a folder of photos, or a list. N / P move on."""

    kind = "scenes"
    is_still = True

    def __init__(self, paths: Sequence[str | Path], name: str = "scenes") -> None:
        super().__init__(name)
        self.paths = [Path(p) for p in paths]
        if not self.paths:
            raise CamappError(f"no images in {name}", "add .jpg, .png or .bmp files")
        self.position = -1
        self._lock = threading.Lock()

    @classmethod
    def from_path(cls, path: str | Path) -> SceneSource:
        path = Path(path)
        if path.is_dir():
            images = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS)
            if not images:
                raise CamappError(f"no images in folder {path}", "add .jpg, .png or .bmp files")
            return cls(images, name=path.name)
        return cls([path], name=path.name)

    def start(self) -> SceneSource:
        if self.position < 0:
            self.go_to(0)
        return self

    def go_to(self, position: int) -> Frame | None:
        """Shows scene ``position`` (wrapping); unreadable files are skipped with an error."""
        with self._lock:
            self.error = None
            for _ in range(len(self.paths)):
                position %= len(self.paths)
                path = self.paths[position]
                image = cv2.imread(str(path), cv2.IMREAD_COLOR)
                if image is not None:
                    self.position = position
                    frame = Frame.wrap(image, path.name, position)
                    self.fps.tick()
                    self.slot.put(frame)
                    return frame
                self.error = f"cannot read image {path}; skipped"
                position += 1
        raise CamappError(f"none of the images in {self.name} can be read")

    def next_scene(self) -> Frame | None:
        return self.go_to(self.position + 1)

    def previous_scene(self) -> Frame | None:
        return self.go_to(self.position - 1)
