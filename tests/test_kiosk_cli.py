"""``camapp kiosk`` from the command line: automation flags, no display (status 78), Xvfb,
and the packaging (systemd user unit and desktop files) checked by their own tools."""

from __future__ import annotations

import configparser
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import pytest
from conftest import CAT_LABELS, IMAGES, REPO

from camapp.cli import main
from camapp.cli.kiosk import EX_CONFIG, display_problem

PACKAGING = REPO / "packaging"
TIMESTAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} camapp"


@pytest.fixture
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No real settings, state or systemd socket: everything under tmp."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CAMAPP_STATE", str(tmp_path / "state.yaml"))
    monkeypatch.setenv("CAMAPP_CONFIG", str(tmp_path / "camapp.yaml"))
    for name in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "CAMAPP_SETTINGS", "JOURNAL_STREAM"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


@pytest.mark.gui
def test_kiosk_automation_flags_write_stats_and_a_screenshot(
    qapp: Any, models_dir: Path, private_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shot, stats_file = private_home / "kiosk.png", private_home / "stats.json"
    argv = ["--models-dir", str(models_dir), "kiosk", "--source", str(IMAGES / "cat.bmp")]
    argv += ["--quit-after", "0", "--screenshot", str(shot), "--stats-json", str(stats_file)]
    assert main(argv) == 0
    stats = json.loads(stats_file.read_text())
    assert stats["model"] == "mobilenet_v1_0.25_128_uint8" and stats["phase"] == "live"
    assert {b["spec"] for b in stats["buttons"]} == {
        "mobilenet_v1_0.25_128_uint8",
        "mobilenet_v3_small_1.0_224_uint8",
        "mobilenet_v2_1.0_224_uint8",
    }
    assert all(b["fps"] > 0 and b["top1"] > 30 for b in stats["buttons"])
    assert stats["top_k"][0]["label"] in CAT_LABELS and stats["refused"] == []
    image = cv2.imread(str(shot))
    assert image is not None and image.shape[0] > 200 and image.shape[1] > 200
    out = capsys.readouterr().out
    assert re.search(rf"^{TIMESTAMP} INFO: ready: MobileNet V1 0\.25", out, re.MULTILINE), out


@pytest.mark.parametrize(
    "environment, expected",
    [
        ({}, "no display found for the window"),
        ({"DISPLAY": ":987"}, "no display reachable (WAYLAND_DISPLAY=(unset), DISPLAY=:987)"),
        ({"QT_QPA_PLATFORM": "xcb"}, "no display reachable (DISPLAY=(unset))"),
        ({"WAYLAND_DISPLAY": "wayland-9", "XDG_RUNTIME_DIR": "/nonexistent"}, "no display"),
    ],
    ids=["nothing", "dead-x-server", "xcb-without-display", "dead-wayland"],
)
def test_no_display_is_one_timestamped_line_and_status_78(
    environment: dict[str, str],
    expected: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert main(["kiosk"]) == EX_CONFIG == 78
    out = capsys.readouterr().out
    (line,) = out.splitlines()
    assert re.match(rf"^{TIMESTAMP} ERROR: {re.escape(expected)}", line), line
    assert "camapp-kiosk-autostart.desktop" in line


def test_journald_gets_syslog_priorities(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JOURNAL_STREAM", "8:12345")
    assert main(["kiosk"]) == EX_CONFIG
    assert capsys.readouterr().out.startswith("<3>")


@pytest.fixture
def xvfb_800x480() -> Iterator[str]:
    """A private Xvfb with the Raspberry Pi 7" display's size; ``-displayfd`` names it."""
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "800x480x24", "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        ready, _, _ = select.select([pipe], [], [], 60.0)
        number = pipe.readline().strip() if ready else ""
    if not number:
        server.kill()
        server.wait(10)
        pytest.skip("Xvfb did not start")
    yield f":{number}"
    server.terminate()
    server.wait(10)


@pytest.mark.xvfb
@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb is not installed")
def test_kiosk_under_xvfb_fills_an_800x480_screen(
    xvfb_800x480: str,
    models_dir: Path,
    private_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DISPLAY", xvfb_800x480)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert display_problem() is None
    shot, stats_file = private_home / "kiosk.png", private_home / "stats.json"
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "PYTHONPATH": str(REPO)}
    argv = [sys.executable, "-m", "camapp", "--models-dir", str(models_dir), "kiosk"]
    argv += ["--source", str(IMAGES / "cat.bmp"), "--quit-after", "0"]
    argv += ["--screenshot", str(shot), "--stats-json", str(stats_file)]
    result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "kiosk on xcb: 800x480" in result.stdout  # the whole screen
    image = cv2.imread(str(shot))
    assert image is not None and image.shape[:2] == (480, 800)
    assert json.loads(stats_file.read_text())["top_k"][0]["label"] in CAT_LABELS


def test_under_systemd_sigterm_leaves_cleanly_with_stopping(
    models_dir: Path, private_home: Path
) -> None:
    """The unit's life, end to end: READY=1 and pings on $NOTIFY_SOCKET, SIGTERM, STOPPING=1."""
    address = str(private_home / "notify")
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(address)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO)}
    env.update(NOTIFY_SOCKET=address, WATCHDOG_USEC="400000", JOURNAL_STREAM="8:1")
    argv = [sys.executable, "-m", "camapp", "--models-dir", str(models_dir), "kiosk"]
    kiosk = subprocess.Popen(
        [*argv, "--source", str(IMAGES / "cat.bmp")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    messages: list[str] = []
    try:
        while not any(m.startswith("READY=1") for m in messages):
            ready, _, _ = select.select([receiver], [], [], 60.0)
            assert ready, f"no READY=1 within a minute: {messages}"
            messages.append(receiver.recv(4096).decode())
        kiosk.send_signal(signal.SIGTERM)
        out, _ = kiosk.communicate(timeout=60)
    finally:
        if kiosk.poll() is None:
            kiosk.kill()
            kiosk.wait(10)
    receiver.setblocking(False)
    while True:
        try:
            messages.append(receiver.recv(4096).decode())
        except BlockingIOError:
            break
    receiver.close()
    assert kiosk.returncode == 0, out
    assert messages[0].startswith("WATCHDOG=1")  # pinging from the start
    assert messages[-1] == "STOPPING=1\nSTATUS=stopping"
    assert "<6>" in out and "SIGTERM: leaving" in out and "kiosk stopped" in out


# -- packaging ------------------------------------------------------------------------------
def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(PACKAGING / "camapp-kiosk.service")
    return parser


def test_the_unit_is_a_notify_user_service_that_is_not_restarted_without_a_display() -> None:
    service = unit()["Service"]
    assert service["Type"] == "notify" and int(service["WatchdogSec"]) > 0
    assert service["Restart"] == "always" and int(service["RestartSec"]) > 0
    assert str(EX_CONFIG) in service["RestartPreventExitStatus"].split()
    assert service["ExecStart"].startswith("%h/camapp/.venv/bin/camapp kiosk")
    assert "QT_QPA_PLATFORM" not in service.get("Environment", "")
    assert int(unit()["Unit"]["StartLimitBurst"]) > 0
    assert "graphical-session.target" not in " ".join(unit()["Unit"].values())
    autostart = (PACKAGING / "camapp-kiosk-autostart.desktop").read_text()
    labwc = (PACKAGING / "labwc-autostart").read_text()
    for text in (autostart, labwc):
        assert "import-environment DISPLAY WAYLAND_DISPLAY" in text
        assert "restart camapp-kiosk.service" in text


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
@pytest.mark.parametrize("scope", ["--user", "--system"])
def test_systemd_analyze_verify_passes_on_the_unit(scope: str, tmp_path: Path) -> None:
    # %h/camapp/.venv/bin/camapp must exist: a home whose venv is this checkout's.
    home = tmp_path / "home"
    (home / "camapp" / ".venv" / "bin").mkdir(parents=True)
    (home / "camapp" / ".venv" / "bin" / "camapp").symlink_to(Path(sys.executable))
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "HOME": str(home), "XDG_RUNTIME_DIR": str(runtime)}
    command = ["systemd-analyze", scope, "verify", str(PACKAGING / "camapp-kiosk.service")]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    # verify exits 0 even for values it ignores: any line about the unit is a failure.
    assert result.returncode == 0 and "camapp-kiosk" not in result.stdout + result.stderr, (
        result.stdout + result.stderr
    )


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="no desktop-file-utils")
@pytest.mark.parametrize("name", ["camapp.desktop", "camapp-kiosk-autostart.desktop"])
def test_desktop_file_validate_passes(name: str) -> None:
    result = subprocess.run(
        ["desktop-file-validate", str(PACKAGING / name)], capture_output=True, text=True
    )
    assert result.returncode == 0 and result.stdout + result.stderr == "", result.stdout
    assert "Icon=camapp" in (PACKAGING / name).read_text()
    assert (PACKAGING / "camapp.svg").read_text().startswith("<svg")
