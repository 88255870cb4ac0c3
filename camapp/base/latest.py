"""A one-thread executor where the latest job wins: pending work is dropped when superseded."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

#: A job receives ``is_current()``: False once a newer job was submitted or the executor closed.
Job = Callable[[Callable[[], bool]], None]


class LatestOnlyExecutor:
    """Runs submitted jobs one at a time on one named thread; only the newest one matters.

    A job submitted while another is waiting replaces it (the waiting one never runs). A job
    already running is not interrupted, but its ``is_current()`` turns False, so it can
    throw its result away instead of delivering it. This is how model loads and source
    opens behave: the user's last choice wins, and nothing waits on the caller's thread.

    With ``synchronous=True`` the job runs inside :meth:`submit` on the caller's thread:
    tests see the outcome when ``submit`` returns and never sleep to prove that something
    did not happen. (napari's ``_LayerSlicer`` has the same switch, ``force_sync``.)

    Args:
        name: The thread's name.
        synchronous: Run jobs in :meth:`submit` instead of on the thread.
    """

    def __init__(self, name: str, synchronous: bool = False) -> None:
        self.name = name
        self.synchronous = synchronous
        self._cond = threading.Condition()
        self._pending: tuple[int, Job] | None = None
        self._running = 0
        self._ticket = 0
        self._closed = False
        self._thread: threading.Thread | None = None

    @property
    def thread(self) -> threading.Thread | None:
        """The worker thread, once a job was submitted."""
        return self._thread

    def submit(self, job: Job) -> int:
        """Queues ``job`` in place of any job still waiting; returns its ticket."""
        with self._cond:
            if self._closed:
                return self._ticket
            self._ticket += 1
            ticket = self._ticket
            if not self.synchronous:
                self._pending = (ticket, job)
                if self._thread is None:
                    self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
                    self._thread.start()
                self._cond.notify_all()
                return ticket
        self._run(ticket, job)
        return ticket

    def is_current(self, ticket: int) -> bool:
        """True while ``ticket`` is the newest job and the executor is open."""
        with self._cond:
            return ticket == self._ticket and not self._closed

    @property
    def busy(self) -> bool:
        """A job is waiting or running."""
        with self._cond:
            return self._pending is not None or self._running > 0

    def wait_idle(self, timeout: float) -> bool:
        """Waits until no job is waiting or running; False on timeout."""
        with self._cond:
            return self._cond.wait_for(
                lambda: self._pending is None and self._running == 0, timeout
            )

    def close(self, timeout: float = 10.0) -> None:
        """Drops the waiting job, lets a running one finish, joins the thread; idempotent."""
        with self._cond:
            self._closed = True
            self._pending = None
            self._cond.notify_all()
            thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():
                log.warning("%s did not finish within %.0f s", self.name, timeout)

    def _loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending is not None or self._closed)
                if self._closed:
                    return
                assert self._pending is not None
                ticket, job = self._pending
                self._pending = None
            self._run(ticket, job)

    def _run(self, ticket: int, job: Job) -> None:
        with self._cond:
            self._running += 1
        try:
            job(lambda: self.is_current(ticket))
        except Exception:  # noqa: BLE001 - a job reports its own errors; never kill the thread
            log.exception("%s: job failed", self.name)
        finally:
            with self._cond:
                self._running -= 1
                self._cond.notify_all()
