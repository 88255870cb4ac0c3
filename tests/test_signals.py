"""Ctrl+C, SIGTERM and SIGHUP close a real ``camapp run`` cleanly; slot errors do not abort.

The signal tests start ``python -m camapp`` as a user (or systemd) would, wait for the line
it logs at ``-v`` once its event loop runs, send the real signal, and check what a person
would: the exit status a shell reports, no traceback, and the window's state saved.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml

pytest.importorskip("PyQt6")

from conftest import IMAGES  # noqa: E402

import camapp.ui.app as app_module  # noqa: E402
from camapp.cli import main  # noqa: E402

pytestmark = pytest.mark.gui

MODEL = "mobilenet_v2_1.0_224_uint8"
#: Longest wait for a step that normally takes a second or two (only a failing test waits).
PATIENCE_S = 60.0


class CamappProcess:
    """``python -m camapp -v ...`` with its stderr read line by line on a helper thread."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "camapp", "-v", *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=cwd,
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self.reader = threading.Thread(target=self._read, name="test-stderr-reader")
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for_line(self, text: str) -> None:
        """Returns once a stderr line contains ``text``; fails if the process ends first."""
        while True:
            try:
                line = self._queue.get(timeout=PATIENCE_S)
            except queue.Empty:
                pytest.fail(f"no line with {text!r} in {PATIENCE_S} s:\n" + "\n".join(self.lines))
            if line is None:
                pytest.fail(f"camapp ended before {text!r}:\n" + "\n".join(self.lines))
            self.lines.append(line)
            if text in line:
                return

    def finish(self) -> tuple[int, str]:
        """Waits for the exit; returns the status and all of stderr."""
        try:
            status = self.process.wait(timeout=PATIENCE_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail("camapp did not exit after the signal:\n" + "\n".join(self.lines))
        self.reader.join(timeout=PATIENCE_S)
        while (line := self._queue.get_nowait() if not self._queue.empty() else None) is not None:
            self.lines.append(line)
        return status, "\n".join(self.lines)


@pytest.fixture
def start_camapp():
    """Starts :class:`CamappProcess` es; kills any still running when the test ends."""
    started: list[CamappProcess] = []

    def start(args: list[str], env: dict[str, str], cwd: Path) -> CamappProcess:
        started.append(CamappProcess(args, env, cwd))
        return started[-1]

    yield start
    for run in started:
        if run.process.poll() is None:
            run.process.kill()
        run.process.wait(timeout=PATIENCE_S)
        run.reader.join(timeout=PATIENCE_S)


@pytest.fixture
def user_env(tmp_path) -> dict[str, str]:
    """A user with a private home: state, config and data all under ``tmp_path``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CAMAPP_", "XDG_")) and key != "HOME"
    }
    env.update(
        QT_QPA_PLATFORM="offscreen",
        HOME=str(tmp_path / "home"),
        CAMAPP_STATE=str(tmp_path / "state" / "state.yaml"),
        CAMAPP_CONFIG=str(tmp_path / "config" / "camapp.yaml"),
    )
    return env


@pytest.mark.parametrize(
    ("signum", "status"),
    [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)],
    ids=["SIGINT", "SIGTERM", "SIGHUP"],
)
def test_a_stop_signal_closes_the_window_saves_state_and_exits_with_128_plus_its_number(
    signum, status, user_env, models_dir, tmp_path, start_camapp
):
    run = start_camapp(
        [
            "--models-dir",
            str(models_dir),
            "--source",
            str(IMAGES / "cat.bmp"),
            "--model",
            MODEL,
            "--roi",
            "0.2,0.1,0.8,0.9",
        ],
        user_env,
        tmp_path,
    )
    run.wait_for_line("camapp: window shown")
    run.process.send_signal(signum)
    code, stderr = run.finish()

    assert code == status, stderr  # not -2 / -6 (SIGABRT) / -15: it exited by itself
    assert "Traceback" not in stderr
    state = yaml.safe_load(Path(user_env["CAMAPP_STATE"]).read_text(encoding="utf-8"))
    assert state["model"] == MODEL
    assert state["roi"] == pytest.approx([0.2, 0.1, 0.8, 0.9])


def test_sigterm_in_process_joins_every_thread_and_saves_the_state(
    qapp, models_dir, monkeypatch, tmp_path
):
    """The same real signal, sent to this process once the window answers: run_app returns
    143, and the autouse guard fails the test if a camapp thread is left running.

    Should run_app ever stop taking SIGTERM over, the signal must not kill pytest itself:
    a fallback handler closes the window instead, and the test fails on the status.
    """
    from PyQt6.QtCore import QTimer
    from PyQt6.QtWidgets import QApplication

    state = tmp_path / "state.yaml"
    monkeypatch.setenv("CAMAPP_STATE", str(state))
    monkeypatch.setenv("CAMAPP_CONFIG", str(tmp_path / "camapp.yaml"))
    seen = []

    class SignalledWindow(app_module.MainWindow):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            seen.append(self)
            QTimer.singleShot(0, self._signal_when_answered)

        def _signal_when_answered(self) -> None:
            if self.last_prediction is None:
                QTimer.singleShot(20, self._signal_when_answered)
                return
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(app_module, "MainWindow", SignalledWindow)
    fallback = signal.signal(signal.SIGTERM, lambda *_: QApplication.closeAllWindows())
    try:
        code = main(
            ["--models-dir", str(models_dir), "run", "--source", str(IMAGES / "cat.bmp"),
             "--model", MODEL]
        )  # fmt: skip
    finally:
        signal.signal(signal.SIGTERM, fallback)
    assert code == 143
    assert seen[0].last_prediction.model == MODEL
    assert yaml.safe_load(state.read_text(encoding="utf-8"))["model"] == MODEL


def test_run_app_gives_back_the_signal_handlers_it_took(qapp, models_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("CAMAPP_STATE", str(tmp_path / "state.yaml"))
    monkeypatch.setenv("CAMAPP_CONFIG", str(tmp_path / "camapp.yaml"))
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    code = main(
        [
            "--models-dir",
            str(models_dir),
            "run",
            "--source",
            str(IMAGES / "cat.bmp"),
            "--model",
            MODEL,
            "--quit-after",
            "0",
            "--no-save",
        ]
    )
    assert code == 0
    assert {s: signal.getsignal(s) for s in before} == before
    assert signal.set_wakeup_fd(-1) == -1  # no wakeup descriptor left behind


def test_an_exception_in_a_qt_slot_is_one_line_and_the_window_keeps_running(
    qapp, models_dir, monkeypatch, tmp_path, capsys
):
    """PyQt6 aborts on an exception no slot caught unless sys.excepthook is ours.

    The failing slot is a stand-in (no real slot is known to raise); the hook, the window
    and the run are real.
    """
    from PyQt6.QtCore import QTimer

    monkeypatch.setenv("CAMAPP_STATE", str(tmp_path / "state.yaml"))
    monkeypatch.setenv("CAMAPP_CONFIG", str(tmp_path / "camapp.yaml"))
    windows = []
    ran_after = []

    class FailingWindow(app_module.MainWindow):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            windows.append(self)

            def fail() -> None:
                raise RuntimeError("a slot failed")

            QTimer.singleShot(0, fail)
            QTimer.singleShot(50, lambda: ran_after.append(True))

    monkeypatch.setattr(app_module, "MainWindow", FailingWindow)
    hook = sys.excepthook
    code = main(
        [
            "--models-dir",
            str(models_dir),
            "run",
            "--source",
            str(IMAGES / "cat.bmp"),
            "--model",
            MODEL,
            "--quit-after",
            "0.5",
            "--no-save",
        ]
    )
    err = capsys.readouterr().err
    assert code == 0
    assert ran_after == [True]  # the loop went on after the failure
    assert "camapp: RuntimeError: a slot failed (run with -v for details)" in err
    assert "Traceback" not in err
    assert "RuntimeError: a slot failed" in windows[0].notices.text()
    assert sys.excepthook is hook
