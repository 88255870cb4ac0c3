"""The Raspberry Pi installer and the aarch64 check: shellcheck-clean, and a dry run on this host.

``install.sh --dry-run`` prints every command that would change something and runs none.
The machine it reads (os-release, architecture, the Pi's device-tree model) can be given
through ``CAMAPP_OS_RELEASE``, ``CAMAPP_ARCH`` and ``CAMAPP_PI_MODEL_FILE``, so the same
dry run plays a Pi 5 on Bookworm, a 32-bit Pi, or simply this Debian host.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO

INSTALL = REPO / "packaging" / "raspberry-pi" / "install.sh"
CHECK = REPO / "packaging" / "check-aarch64.sh"
BASH = shutil.which("bash")

pytestmark = pytest.mark.skipif(BASH is None, reason="needs bash")

BOOKWORM = """PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION_CODENAME=bookworm
ID=debian
"""


def run_install(tmp_path: Path, *args: str, machine: dict[str, str] | None = None, script=INSTALL):
    """Runs install.sh with a throw-away home; returns the finished process."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        **(machine or {}),
    }
    return subprocess.run(
        [BASH, str(script), *args], env=env, capture_output=True, text=True, timeout=120
    )


def commands(output: str) -> list[str]:
    return [line[2:] for line in output.splitlines() if line.startswith("+ ")]


@pytest.fixture
def pi5_bookworm(tmp_path) -> dict[str, str]:
    """This host, seen by the installer as a Raspberry Pi 5 on 64-bit Bookworm."""
    os_release = tmp_path / "os-release"
    os_release.write_text(BOOKWORM)
    model = tmp_path / "model"
    model.write_bytes(b"Raspberry Pi 5 Model B Rev 1.0\x00")
    return {
        "CAMAPP_OS_RELEASE": str(os_release),
        "CAMAPP_ARCH": "arm64",
        "CAMAPP_PI_MODEL_FILE": str(model),
    }


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="apt-get install shellcheck")
@pytest.mark.parametrize("script", [INSTALL, CHECK], ids=["install.sh", "check-aarch64.sh"])
def test_the_scripts_are_shellcheck_clean(script):
    result = subprocess.run(["shellcheck", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_a_dry_run_on_a_pi_prints_every_step_and_changes_nothing(tmp_path, pi5_bookworm):
    result = run_install(tmp_path, "--dry-run", machine=pi5_bookworm)
    assert result.returncode == 0, result.stderr
    home = tmp_path / "home"
    venv = home / "camapp" / ".venv"
    out = commands(result.stdout)
    assert "system: Debian GNU/Linux 12 (bookworm) (bookworm), arm64, Raspberry Pi 5" in (
        result.stdout
    )
    apt = next(c for c in out if " apt-get install " in f" {c}")
    assert "--no-install-recommends" in apt and apt.endswith("python3-picamera2")
    assert f"/usr/bin/python3 -m venv --system-site-packages {venv}" in out
    # apt's picamera2 is built against the system NumPy: the venv keeps that one.
    constraint = venv / "camapp-constraints.txt"
    assert any(c.startswith("/usr/bin/python3 -c ") and c.endswith(f"> {constraint}") for c in out)
    pip = next(c for c in out if " -m pip install " in c)
    assert pip.startswith(f"{venv}/bin/python -m pip install --upgrade --only-binary=numpy,")
    assert f"--constraint {constraint}" in pip and pip.endswith(str(REPO))
    models = home / ".local" / "share" / "camapp" / "models"
    assert f"{venv}/bin/camapp --models-dir {models} models install --defaults" in out
    assert f"ln -sfn {venv}/bin/camapp {home}/.local/bin/camapp" in out
    assert not any("systemctl" in c for c in out)  # no --kiosk
    record = home / ".local" / "state" / "camapp" / "pi-install.record"
    assert f"echo 'apt python3-picamera2' >> {record}" in out
    assert f"echo 'venv {venv}' >> {record}" in out
    assert sorted(p.name for p in home.iterdir()) == []  # a dry run changes nothing


def test_offline_with_kiosk_installs_from_the_folder_and_enables_the_user_unit(
    tmp_path, pi5_bookworm
):
    site = tmp_path / "site"
    (site / "wheels").mkdir(parents=True)
    (site / "models").mkdir()
    (site / "wheels" / "camapp-0.1.0-py3-none-any.whl").write_bytes(b"")
    result = run_install(
        tmp_path, "--dry-run", "--kiosk", "--from", str(site), machine=pi5_bookworm
    )
    assert result.returncode == 0, result.stderr
    out = commands(result.stdout)
    pip = next(c for c in out if " -m pip install " in c)
    assert pip.endswith(f"--no-index --find-links {site}/wheels camapp")
    assert any(c.endswith(f"models install --defaults --from {site}/models") for c in out)
    home = tmp_path / "home"
    unit = home / ".config" / "systemd" / "user" / "camapp-kiosk.service"
    venv = home / "camapp" / ".venv"
    copy = next(c for c in out if c.startswith("sed -E "))
    assert f"\\1{venv}/bin/camapp#" in copy and copy.endswith(f"| tee {unit}")
    assert "systemctl --user daemon-reload" in out
    assert "systemctl --user enable camapp-kiosk.service" in out
    # The desktop session starts it with its display (graphical-session.target is not reached).
    autostart = home / ".config" / "autostart" / "camapp-kiosk.desktop"
    assert any(
        c.startswith("cp ") and c.endswith(f"camapp-kiosk-autostart.desktop {autostart}")
        for c in out
    )


def test_kiosk_is_skipped_with_a_note_when_the_unit_is_absent(tmp_path, pi5_bookworm):
    tree = tmp_path / "tree"
    (tree / "packaging" / "raspberry-pi").mkdir(parents=True)
    (tree / "pyproject.toml").write_text("[project]\nname = 'camapp'\n")
    script = tree / "packaging" / "raspberry-pi" / "install.sh"
    shutil.copy(INSTALL, script)
    result = run_install(tmp_path, "--dry-run", "--kiosk", machine=pi5_bookworm, script=script)
    assert result.returncode == 0, result.stderr
    assert "no kiosk unit (camapp-kiosk.service)" in result.stdout
    assert "skipping --kiosk" in result.stdout
    assert not any("systemctl" in c for c in commands(result.stdout))


def test_32_bit_raspberry_pi_os_is_refused_with_one_clear_message(tmp_path, pi5_bookworm):
    machine = {**pi5_bookworm, "CAMAPP_ARCH": "armhf"}  # a 64-bit kernel can run armhf
    result = run_install(tmp_path, "--dry-run", machine=machine)
    assert result.returncode == 1
    message = result.stderr.strip()
    assert "\n" not in message
    assert "needs a 64-bit OS" in message and "(armhf)" in message
    assert "Install Raspberry Pi OS (64-bit)" in message
    assert commands(result.stdout) == []


def test_a_venv_that_already_sees_the_system_packages_is_kept(tmp_path, pi5_bookworm):
    venv = tmp_path / "home" / "camapp" / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(shutil.which("python3") or "/usr/bin/python3")
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\ninclude-system-site-packages = true\n")
    result = run_install(tmp_path, "--dry-run", machine=pi5_bookworm)
    assert result.returncode == 0, result.stderr
    assert f"venv: {venv} (sees the system packages)" in result.stdout
    assert not any(" -m venv " in c for c in commands(result.stdout))


def test_uninstall_undoes_what_the_record_lists_and_a_dry_run_keeps_it(tmp_path, pi5_bookworm):
    home = tmp_path / "home"
    record = home / ".local" / "state" / "camapp" / "pi-install.record"
    record.parent.mkdir(parents=True)
    venv = home / "camapp" / ".venv"
    unit = home / ".config" / "systemd" / "user" / "camapp-kiosk.service"
    model = home / ".local" / "share" / "camapp" / "models" / "mobilenet_v2_1.0_224_quant.tflite"
    record.write_text(
        f"apt python3-picamera2\napt libxcb-cursor0\nvenv {venv}\nmodel {model}\n"
        f"link {home}/.local/bin/camapp\nunit-user {unit}\n"
    )
    result = run_install(tmp_path, "--uninstall", "--dry-run", machine=pi5_bookworm)
    assert result.returncode == 0, result.stderr
    out = commands(result.stdout)
    assert out[0] == "systemctl --user disable camapp-kiosk.service"  # last added, first undone
    assert f"rm -f {unit}" in out
    assert f"rm -f {model}" in out
    assert f"rm -rf {venv}" in out
    assert any(c.endswith("apt-get remove -y libxcb-cursor0 python3-picamera2") for c in out)
    assert out[-1] == f"rm -f {record}"
    assert record.exists()

    kept = run_install(tmp_path, "--uninstall", "--keep-packages", "--dry-run")
    assert not any("apt-get" in c for c in commands(kept.stdout))
    assert "keeping the apt packages it installed: libxcb-cursor0 python3-picamera2" in kept.stdout


def test_a_dry_run_on_this_host_detects_it(tmp_path):
    if not Path("/etc/os-release").is_file() or shutil.which("dpkg") is None:
        pytest.skip("needs a Debian-like host")
    result = run_install(tmp_path, "--dry-run")
    assert result.returncode == 0, result.stderr
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True)
    first = result.stdout.splitlines()[0]
    assert first.startswith("system: ") and f", {arch.stdout.strip()}" in first
    assert any(" -m venv --system-site-packages " in c for c in commands(result.stdout))
