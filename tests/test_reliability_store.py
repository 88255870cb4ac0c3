"""The model store under real faults: a folder under a file, a full tmpfs, a corrupt mirror,
an interrupted download, stale partial files, insecure URLs and hostile catalog file names.

Downloads go to a local HTTPS server on 127.0.0.1 (certificate made with the openssl command,
trusted through ``SSL_CERT_FILE``); it serves the real mirror files, and can stall mid-file.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tarfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import IMAGES, MIRROR

from camapp.base.config import sweep_partials
from camapp.base.errors import CamappError
from camapp.cli import main
from camapp.store.catalog import Catalog
from camapp.store.install import install, install_from
from camapp.store.install import install as install_models
from camapp.store.model_store import ModelStore, sha256_of

SMALL = "mobilenet_v1_0.25_128_uint8"  # 525 KB model + 21 KB labels: fits a 1 MB tmpfs
#: Longest wait for a step that normally takes a moment (only a failing test waits).
PATIENCE_S = 60.0


def partial_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob(".*.part")) if folder.is_dir() else []


# -- a local HTTPS server ------------------------------------------------------------------
class _Files(http.server.BaseHTTPRequestHandler):
    server: _FileServer

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        name = self.path.lstrip("/")
        data = self.server.files.get(name)
        if data is None and (MIRROR / name).is_file():
            data = (MIRROR / name).read_bytes()
        if data is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if not self.server.stall.is_set():
            self.wfile.write(data)
            return
        self.wfile.write(data[: 1 << 17])  # the first 128 KB, then nothing more
        self.wfile.flush()
        self.server.release.wait(PATIENCE_S)

    def log_message(self, *args: object) -> None:
        pass


class _FileServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), _Files)
        self.socket = context.wrap_socket(self.socket, server_side=True)
        self.files: dict[str, bytes] = {}
        self.stall = threading.Event()
        self.release = threading.Event()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.server_address[1]}"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> Path:
    """A self-signed certificate for 127.0.0.1, made by the openssl command."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the local HTTPS server needs the openssl command for its certificate")
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(folder / "key.pem"),
            "-out",
            str(folder / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    return folder


@pytest.fixture
def https(certificate, monkeypatch):
    """A running HTTPS file server this process (and its children) trusts."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate / "cert.pem", certificate / "key.pem")
    server = _FileServer(context)
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="test-https", daemon=True
    )
    thread.start()
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate / "cert.pem"))
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()
    thread.join(timeout=PATIENCE_S)


# -- folders that cannot take the files ----------------------------------------------------
def test_a_models_folder_under_a_file_is_one_line_per_model_and_every_model_is_tried(
    tmp_path, capsys
):
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    target = blocker / "models"
    code = main(
        ["--models-dir", str(target), "models", "install", "--defaults", "--from", str(MIRROR)]
    )
    out, err = capsys.readouterr()
    failed = [line for line in out.splitlines() if line.startswith("failed")]
    assert code == 1
    assert len(failed) == len(Catalog.load().defaults()) == 4  # all tried, none aborted
    assert all("Not a directory" in line and "--models-dir" in line for line in failed)
    assert "Traceback" not in err and "NotADirectoryError" not in err
    assert err.strip() == "camapp: 4 model(s) could not be installed (failed)"


def test_a_read_only_models_folder_is_one_line_per_model(tmp_path, capsys):
    if os.geteuid() == 0:
        pytest.skip("running as root, which writes into a mode 0555 folder anyway")
    target = tmp_path / "models"
    target.mkdir()
    target.chmod(0o555)
    try:
        code = main(
            ["--models-dir", str(target), "models", "install", SMALL, "--from", str(MIRROR)]
        )
    finally:
        target.chmod(0o755)
    out, err = capsys.readouterr()
    assert code == 1
    assert "the folder is read-only" in out
    assert "Traceback" not in err


def test_a_full_disk_fails_each_model_that_does_not_fit_and_installs_the_one_that_does(
    tiny_tmpfs, capsys
):
    target = tiny_tmpfs / "models"
    code = main(
        ["--models-dir", str(target), "models", "install", "--defaults", "--from", str(MIRROR)]
    )
    out, err = capsys.readouterr()
    full = [line for line in out.splitlines() if "No space left on device" in line]
    assert code == 1
    assert len(full) == 3, out
    assert f"installed   {SMALL}" in out  # tried after three failures, and it fits
    assert partial_files(target) == []  # no half-written file takes the space
    assert ModelStore(Catalog.load(), target).is_installed(Catalog.load().get(SMALL))
    assert "Traceback" not in err and "OSError" not in err


# -- what --all reports ------------------------------------------------------------------------
def test_install_all_fails_after_a_checksum_mismatch_and_summarises_what_the_source_lacks(
    tmp_path, capsys
):
    mirror = tmp_path / "mirror"
    shutil.copytree(MIRROR, mirror)
    model = mirror / "mobilenet_v2_1.0_224_quant.tflite"
    data = bytearray(model.read_bytes())
    data[1000] ^= 0xFF
    model.write_bytes(bytes(data))
    code = main(
        ["--models-dir", str(tmp_path / "m"), "models", "install", "--all", "--from", str(mirror)]
    )
    out, err = capsys.readouterr()
    assert code == 1
    corrupt = [line for line in out.splitlines() if line.startswith("corrupt")]
    assert len(corrupt) == 1 and "mobilenet_v2_1.0_224_uint8:" in corrupt[0]
    assert "expected" in corrupt[0] and "nothing was installed" in corrupt[0]
    skipped = [line for line in out.splitlines() if line.startswith("skipped")]
    assert len(skipped) == 1 and f"not available from {mirror}" in skipped[0]
    assert not [line for line in out.splitlines() if line.startswith("unavailable")]
    assert "could not be installed (corrupt)" in err


def test_install_all_from_a_good_mirror_succeeds_with_one_summary_line(tmp_path, capsys):
    code = main(
        ["--models-dir", str(tmp_path / "m"), "models", "install", "--all", "--from", str(MIRROR)]
    )
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert code == 0, out + err
    assert sum(line.startswith("skipped") for line in lines) == 1
    assert not [line for line in lines if line.startswith(("unavailable", "failed", "corrupt"))]
    assert err == ""


# -- partial files and file modes --------------------------------------------------------------
def test_stale_partial_files_are_swept_at_the_start_of_an_install_and_fresh_ones_kept(
    tmp_path, catalog
):
    target = tmp_path / "models"
    target.mkdir()
    stale = target / ".v3-small_224_1.0_uint8.tflite.1a2b3c4d.part"
    fresh = target / ".mobilenet_v2_1.0_224_quant.tflite.5e6f7a8b.part"  # another install's
    for path in (stale, fresh):
        path.write_bytes(b"half a model")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    results = install(ModelStore(catalog, target), [catalog.get(SMALL)], str(MIRROR))
    assert [r.status for r in results] == ["installed"]
    assert partial_files(target) == [fresh.name]
    assert sweep_partials(target, older_than_s=3600) == []  # fresh is still fresh


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_installed_files_are_readable_as_the_umask_allows(umask, mode, tmp_path, catalog):
    previous = os.umask(umask)
    try:
        install(ModelStore(catalog, tmp_path), [catalog.get(SMALL)], str(MIRROR))
    finally:
        os.umask(previous)
    modes = {p.name: p.stat().st_mode & 0o777 for p in tmp_path.iterdir()}
    assert modes == {f.file: mode for f in catalog.get(SMALL).all_files}


# -- downloads ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "source",
    ["http://127.0.0.1:9/models", "file:///srv/models", "ftp://example.org/models"],
)
def test_only_https_and_folders_are_model_sources(source, tmp_path, catalog, capsys):
    with pytest.raises(CamappError, match="model source"):
        install(ModelStore(catalog, tmp_path), [catalog.get(SMALL)], source)
    code = main(["--models-dir", str(tmp_path), "models", "install", SMALL, "--from", source])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and ("HTTPS only" in err or "give the folder itself" in err)
    assert list(tmp_path.iterdir()) == []


def test_a_catalog_address_that_is_not_https_is_refused_not_fetched(tmp_path, catalog):
    entry = catalog.get(SMALL)
    insecure = replace(entry, files=(replace(entry.files[0], url="http://example.org/m.tflite"),))
    results = install_from(ModelStore(catalog, tmp_path), [insecure], [None])
    assert results[0].status == "failed"
    assert "is not https://" in results[0].detail
    assert partial_files(tmp_path) == []


def test_install_from_an_https_url_downloads_extracts_archives_and_verifies(
    https, tmp_path, catalog
):
    entry = catalog.get("mobilenet_v1_0.5_160_uint8")
    archive = tmp_path / "release.tgz"
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(MIRROR / entry.files[0].file, arcname=f"./{entry.files[0].file}")
    https.files["release.tgz"] = archive.read_bytes()
    model = replace(
        entry.files[0], url=f"{https.url}/release.tgz", archive_member=entry.files[0].file
    )
    labels = replace(entry.labels, url=f"{https.url}/{entry.labels.file}")
    remote = replace(entry, files=(model,), labels=labels)
    store = ModelStore(catalog, tmp_path / "models")
    results = install_models(store, [remote])
    assert results[0].status == "installed", results[0].detail
    assert sha256_of(tmp_path / "models" / model.file) == model.sha256
    assert partial_files(tmp_path / "models") == []


def test_a_base_url_mirror_over_https_installs_and_verifies(https, tmp_path, catalog):
    results = install(ModelStore(catalog, tmp_path), [catalog.get(SMALL)], https.url)
    assert [r.status for r in results] == ["installed"]
    assert ModelStore(catalog, tmp_path).is_installed(catalog.get(SMALL))


@pytest.mark.parametrize(
    ("command", "signum", "status"),
    [
        ("install", signal.SIGTERM, 143),
        ("install", signal.SIGHUP, 129),
        ("install", signal.SIGINT, 130),
        ("first run", signal.SIGTERM, 143),
    ],
)
def test_a_stop_signal_during_a_download_leaves_no_partial_file(
    command, signum, status, https, tmp_path
):
    https.stall.set()
    target = tmp_path / "models"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CAMAPP_", "XDG_")) and key != "HOME"
    }
    env.update(
        HOME=str(tmp_path / "home"),
        QT_QPA_PLATFORM="offscreen",
        CAMAPP_STATE=str(tmp_path / "state.yaml"),
        CAMAPP_CONFIG=str(tmp_path / "camapp.yaml"),
        SSL_CERT_FILE=os.environ["SSL_CERT_FILE"],
    )
    if command == "install":
        args = ["models", "install", SMALL, "--from", https.url]
    else:  # camapp run on an empty models folder, with the HTTPS mirror as its only source
        env["CAMAPP_MODEL_MIRROR"] = https.url
        args = ["run", "--source", str(IMAGES / "cat.bmp")]
    process = subprocess.Popen(
        [sys.executable, "-m", "camapp", "--models-dir", str(target), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + PATIENCE_S
        while not any(p.stat().st_size for p in target.glob(".*.part")):  # the download runs
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "no partial file appeared"
            time.sleep(0.02)
        process.send_signal(signum)
        _, err = process.communicate(timeout=PATIENCE_S)
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
    assert process.returncode == status, err
    assert "Traceback" not in err
    assert partial_files(target) == []
    assert not any(p.suffix == ".tflite" for p in target.iterdir())


# -- catalog file names ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    [
        "./../../../../../../../../{victim}",
        "../victim.conf",
        "{victim}",
        "sub/model.tflite",
        "..\\victim.conf",
        "C:victim.conf",
        ".hidden.tflite",
    ],
)
def test_a_catalog_file_name_that_is_not_a_plain_name_is_refused_at_load(name, tmp_path, capsys):
    victim = tmp_path / "victim.conf"
    victim.write_text("original\n")
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(
        "models:\n"
        "  - id: evil\n"
        "    files:\n"
        f"      - file: '{name.format(victim=victim)}'\n"
        f"        sha256: '{'0' * 64}'\n"
    )
    code = main(
        ["--catalog", str(catalog), "--models-dir", str(tmp_path / "models"), "models", "install",
         "evil", "--from", str(tmp_path)]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1
    assert "entry 'evil': 'file' must be a plain file name" in err
    assert victim.read_text() == "original\n"
    assert not (tmp_path / "models").exists()


# -- the first run -----------------------------------------------------------------------------
@pytest.mark.gui
def test_a_first_run_that_can_install_no_model_opens_the_window_with_one_notice(
    qapp, tmp_path, monkeypatch, capsys
):
    pytest.importorskip("PyQt6")
    import camapp.ui.app as app_module

    windows = []

    class RecordingWindow(app_module.MainWindow):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            windows.append(self)

    monkeypatch.setattr(app_module, "MainWindow", RecordingWindow)
    monkeypatch.setenv("CAMAPP_STATE", str(tmp_path / "state.yaml"))
    monkeypatch.setenv("CAMAPP_CONFIG", str(tmp_path / "camapp.yaml"))
    monkeypatch.delenv("CAMAPP_MODEL_MIRROR", raising=False)
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    target = blocker / "models"
    code = main(
        ["--models-dir", str(target), "run", "--source", str(IMAGES / "cat.bmp"),
         "--quit-after", "0"]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0  # was a NotADirectoryError and no window at all
    notice = windows[0].notices.text()
    assert notice.startswith("No model is installed, so nothing can be recognised")
    assert f"could be installed into {target}" in notice
    assert "choose another --models-dir" in notice and "\n" not in notice
    assert err.count("camapp: could not install") == 4
    assert "Traceback" not in err
