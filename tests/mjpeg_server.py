"""A real HTTP MJPEG server on 127.0.0.1 for fault-injection tests: start, stall, kill, restart.

It serves ``multipart/x-mixed-replace`` JPEG frames made from a photo, as IP cameras and
``mjpg-streamer`` do. The faults are real: :meth:`MjpegServer.stall` keeps every connection
open but stops sending, :meth:`MjpegServer.kill` closes the listening socket and every
connection, :meth:`MjpegServer.restart` listens again on the same port.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np

BOUNDARY = "camappframe"


def jpeg_of(path: Path, size: tuple[int, int] = (640, 480)) -> bytes:
    """``path`` resized to ``size`` and encoded as JPEG."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert image is not None, f"cannot read {path}"
    ok, data = cv2.imencode(".jpg", cv2.resize(image, size, interpolation=cv2.INTER_AREA))
    assert ok, "OpenCV cannot encode JPEG"
    return np.asarray(data).tobytes()


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass  # no request lines on stderr

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        owner = self.server.owner
        self.send_response(200)
        self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY}")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        owner.connected.set()
        try:
            while not self.server.closing.is_set():
                if owner.stalled.is_set():
                    self.server.closing.wait(0.05)  # socket open, nothing sent
                    continue
                jpeg = owner.jpeg
                self.wfile.write(
                    f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                    f"Content-Length: {len(jpeg)}\r\n\r\n".encode()
                    + jpeg
                    + b"\r\n"
                )
                self.wfile.flush()
                owner.frames_sent += 1
                self.server.closing.wait(1.0 / owner.fps)
        except OSError:
            pass  # the client went away


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, owner: MjpegServer, port: int) -> None:
        self.owner = owner
        self.closing = threading.Event()
        self.connections: list[socket.socket] = []
        self._lock = threading.Lock()
        super().__init__(("127.0.0.1", port), _Handler)

    def process_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        with self._lock:
            self.connections.append(request)
        super().process_request(request, client_address)

    def drop_connections(self) -> None:
        with self._lock:
            connections, self.connections = self.connections, []
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            connection.close()


class MjpegServer:
    """An MJPEG stream of one photo at ``fps`` on ``http://127.0.0.1:PORT/stream.mjpg``.

    Args:
        image: The photo every frame shows.
        fps: Frames per second sent to each client.
    """

    def __init__(self, image: Path, fps: float = 15.0) -> None:
        self.jpeg = jpeg_of(image)
        self.fps = fps
        self.stalled = threading.Event()
        self.connected = threading.Event()
        self.frames_sent = 0
        self.port = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/stream.mjpg"

    def start(self) -> MjpegServer:
        """Listens (on the same port as before after a :meth:`kill`) and serves."""
        self.stalled.clear()
        self._server = _Server(self, self.port)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="mjpeg-server"
        )
        self._thread.start()
        return self

    def stall(self) -> None:
        """Keeps every connection open and stops sending (a hung camera)."""
        self.stalled.set()

    def resume(self) -> None:
        self.stalled.clear()

    def kill(self) -> None:
        """Stops listening and cuts every connection (the camera's power is pulled)."""
        server, self._server = self._server, None
        if server is None:
            return
        server.closing.set()
        server.shutdown()
        server.server_close()
        server.drop_connections()
        if self._thread is not None:
            self._thread.join(5)
        self.connected.clear()

    def restart(self) -> None:
        """Listens again on the same port, sending frames."""
        self.kill()
        self.start()

    def close(self) -> None:
        self.kill()

    def __enter__(self) -> MjpegServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


class SilentPort:
    """A port that accepts connections and never answers (a dead service behind a firewall)."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(16)  # the kernel accepts; nobody ever reads or writes
        self.port = self._socket.getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/stream.mjpg"

    def close(self) -> None:
        self._socket.close()

    def __enter__(self) -> SilentPort:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
