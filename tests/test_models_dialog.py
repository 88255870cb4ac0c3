"""The models manager: its rows (dialog and ``camapp models list``), install from a mirror folder
with progress and Cancel, install from a folder, remove, verify, and the window's File menu.

Real mirror files are copied on the installer thread; the only stand-ins are the file picker
(a folder path instead of a QFileDialog), the Yes of the removal question, and, in the cancel
test, a hold in the progress callback so Cancel lands mid-file whatever the disk's speed.
"""

from __future__ import annotations

import os
import threading

import pytest
from conftest import MIRROR

from camapp.cli import main
from camapp.store.install import install as install_models
from camapp.store.manager import Availability, ModelJobs, model_rows, remove_models
from camapp.store.model_store import ModelStore

pytest.importorskip("PyQt6")

from camapp.ui.models_dialog import ModelsDialog  # noqa: E402

pytestmark = pytest.mark.gui

SMALL = "mobilenet_v1_0.25_128_uint8"  # 0.5 MB + the shared imagenet_labels.txt
V2 = "mobilenet_v2_1.0_224_uint8"  # 3.6 MB
LARGE = "mobilenet_v3_large_1.0_224_uint8"  # has a checksum and a URL, not in the mirror
UNVERIFIED = "mobilenet_v3_small_1.0_224_float32"  # no known sha256


@pytest.fixture
def empty_store(tmp_path, catalog):
    return ModelStore(catalog, tmp_path / "models")


@pytest.fixture
def dialog(qtbot, empty_store):
    """The dialog over an empty store with the real mirror as the configured model folder."""
    made = ModelsDialog(empty_store, [str(MIRROR)])
    qtbot.addWidget(made)
    made.show()
    yield made
    made.shutdown()


def partials(folder) -> list[str]:
    return [p.name for p in folder.glob(".*")] if folder.is_dir() else []


# -- rows ------------------------------------------------------------------------------------
def test_rows_say_where_each_variant_is_available_from(empty_store, catalog, monkeypatch):
    monkeypatch.delenv("CAMAPP_MODEL_MIRROR")
    rows = {row.id: row for row in model_rows(empty_store, [str(MIRROR)])}
    assert len(rows) == len(catalog)
    assert rows[SMALL].available == Availability.MIRROR and rows[SMALL].source == str(MIRROR)
    assert rows[SMALL].status == "available from the model folder" and rows[SMALL].installable
    assert (
        rows[LARGE].available == Availability.WEB and rows[LARGE].status == "available to download"
    )
    assert (
        rows[UNVERIFIED].status == "needs --allow-unverified" and not rows[UNVERIFIED].installable
    )
    assert rows[SMALL].size == (MIRROR / "mobilenet_v1_0.25_128_quant.tflite").stat().st_size
    offline = {row.id: row for row in model_rows(empty_store, [])}
    assert offline[SMALL].available == Availability.WEB  # no folder: it would be downloaded


def test_models_list_has_an_available_column(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert main(["--models-dir", str(tmp_path / "models"), "models", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["id", "inst", "available"]
    table = {line.split()[0]: line.split() for line in lines[1:] if line.startswith("mobilenet")}
    assert table[SMALL][1:3] == ["no", "mirror"]  # $CAMAPP_MODEL_MIRROR is the tests' mirror
    assert table[LARGE][2] == "web" and table[UNVERIFIED][2] == "unverified"
    assert lines[-1].startswith(f"available: mirror = {MIRROR}")
    assert main(["--models-dir", str(tmp_path / "models"), "models", "list", "--json"]) == 0
    import json

    records = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert records[SMALL]["available"] == "mirror"
    assert records[SMALL]["available_from"] == str(MIRROR)


def test_install_all_installs_what_it_can_and_sums_up_the_rest_in_one_line(tmp_path, capsys):
    code = main(["--models-dir", str(tmp_path / "m"), "models", "install", "--all"])
    out, err = capsys.readouterr()
    ready = [line for line in out.splitlines() if line.startswith(("installed", "present"))]
    skipped = [line for line in out.splitlines() if line.startswith("skipped")]
    assert code == 0 and len(ready) >= 13
    assert len(skipped) == 1 and "with no known sha256" in skipped[0]
    assert len(out.splitlines()) == len(ready) + 2  # + the skipped line + the total
    assert "Traceback" not in err


def test_the_dialog_lists_every_catalog_variant_with_status_size_top1_and_macs(dialog, catalog):
    table = dialog.table
    assert table.rowCount() == len(catalog)
    header = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert header == ["Model", "Status", "Size", "Top-1", "MACs"]
    index = [r.id for r in dialog.rows].index(V2)
    cells = [table.item(index, c).text() for c in range(5)]
    assert cells == [
        "MobileNet V2 1.0 224 (uint8) (default)",
        "available from the model folder",
        "3.6 MB",
        "70.8 %",
        "300 M",
    ]
    dialog.hide_unavailable.setChecked(True)
    assert all(r.installed or r.installable for r in dialog.rows)
    assert len(dialog.rows) < len(catalog)


# -- install with progress and cancel --------------------------------------------------------
def test_install_from_the_mirror_folder_shows_progress_and_installs_verified_files(
    dialog, qtbot, empty_store
):
    seen: list[tuple[str, int, int | None, int, int]] = []
    dialog.bridge.progressed.connect(lambda *args: seen.append(args))
    values: list[int] = []
    dialog.progress.valueChanged.connect(values.append)
    dialog.select([V2, SMALL])
    assert dialog.install_button.isEnabled()
    with qtbot.waitSignal(dialog.job_finished, timeout=30_000) as done:
        dialog.install_button.click()
        assert dialog.progress.isVisible() and dialog.cancel_button.isEnabled()
        assert not dialog.install_button.isEnabled()  # one job at a time
    result = done.args[0]
    assert not result.cancelled and result.summary.startswith("2 of 2 ready")
    assert {e.id for e in empty_store.installed()} == {V2, SMALL}
    assert empty_store.verify() and all(s == "ok" for _, _, s in empty_store.verify())
    names = {name for name, *_ in seen}
    assert names == {"mobilenet_v2_1.0_224_quant.tflite", "imagenet_labels.txt",
                     "mobilenet_v1_0.25_128_quant.tflite"}  # fmt: skip
    assert {count for *_, count in seen} == {3}
    assert max(values) == 100 and len(values) > 3  # the bar moved on the way
    assert dialog.row(V2).status == "installed" and not dialog.progress.isVisible()
    assert dialog.summary.text() == result.summary


def test_cancel_stops_the_install_mid_file_and_leaves_no_file_behind(dialog, qtbot, empty_store):
    reached, proceed = threading.Event(), threading.Event()
    forward = dialog.jobs._on_progress  # noqa: SLF001

    def held(name, done, total, number, count):  # on the installer thread
        forward(name, done, total, number, count)
        if not reached.is_set():
            reached.set()
            proceed.wait(10)

    dialog.jobs._on_progress = held  # noqa: SLF001 - see the module docstring
    dialog.select([V2])
    with qtbot.waitSignal(dialog.job_finished, timeout=30_000) as done:
        dialog.install_button.click()
        qtbot.waitUntil(reached.is_set)
        qtbot.waitUntil(lambda: dialog.progress_label.text().startswith("mobilenet_v2"))
        dialog.cancel_button.click()
        assert dialog.progress_label.text() == "Cancelling..."
        proceed.set()
    result = done.args[0]
    assert result.cancelled and result.summary == "Cancelled; nothing installed"
    target = empty_store.install_dir
    assert not (target / "mobilenet_v2_1.0_224_quant.tflite").exists()
    assert partials(target) == []  # the partial file went too
    assert not empty_store.is_installed(empty_store.catalog.get(V2))
    assert dialog.row(V2).installable
    assert dialog.selected_ids() == [V2] and dialog.install_button.isEnabled()  # another go


def test_install_from_folder_installs_what_a_usb_stick_holds(dialog, qtbot, tmp_path, monkeypatch):
    usb = tmp_path / "usb"
    usb.mkdir()
    for name in ("mobilenet_v1_0.25_128_quant.tflite", "imagenet_labels.txt", "notes.txt"):
        source = MIRROR / name
        if source.exists():
            os.symlink(source, usb / name)
        else:
            (usb / name).write_text("not a model\n")
    monkeypatch.setattr(
        "camapp.ui.models_dialog.QFileDialog.getExistingDirectory", lambda *a, **k: str(usb)
    )
    with qtbot.waitSignal(dialog.job_finished, timeout=30_000) as done:
        dialog.folder_button.click()
    assert done.args[0].summary == "1 of 1 ready"
    assert dialog.row(SMALL).status == "installed"
    with qtbot.waitSignal(dialog.job_finished, timeout=30_000) as again:
        dialog.install_from_folder(usb)
    assert again.args[0].summary == f"{usb} holds no model that is not installed already"


# -- remove and verify -----------------------------------------------------------------------
def test_remove_keeps_a_label_file_another_installed_model_needs(empty_store):
    install_models(empty_store, [empty_store.catalog.get(i) for i in (SMALL, V2)], str(MIRROR))
    folder = empty_store.install_dir
    assert remove_models(empty_store, [SMALL]) == []
    assert not (folder / "mobilenet_v1_0.25_128_quant.tflite").exists()
    assert (folder / "imagenet_labels.txt").exists()  # V2 uses it
    assert [e.id for e in empty_store.installed()] == [V2]
    assert remove_models(empty_store, [V2]) == []
    assert sorted(p.name for p in folder.iterdir()) == []


def test_remove_in_the_dialog_asks_and_refuses_the_running_model(dialog, empty_store, qtbot):
    install_models(empty_store, [empty_store.catalog.get(SMALL)], str(MIRROR))
    dialog._in_use = lambda: {SMALL}  # noqa: SLF001 - what the window reports
    dialog.refresh()
    dialog.select([SMALL])
    asked: list[str] = []
    dialog.confirm = lambda question: asked.append(question) or True
    with qtbot.assertNotEmitted(dialog.models_changed):
        dialog.remove_button.click()
    assert "is running now" in dialog.summary.text() and asked == []
    dialog._in_use = tuple  # noqa: SLF001
    with qtbot.waitSignal(dialog.models_changed):
        dialog.remove_button.click()
    assert asked and SMALL in asked[0]
    assert dialog.row(SMALL).status == "available from the model folder"


def test_verify_names_a_file_that_no_longer_matches_the_catalog(dialog, empty_store, qtbot):
    install_models(empty_store, [empty_store.catalog.get(i) for i in (SMALL, V2)], str(MIRROR))
    model = empty_store.install_dir / "mobilenet_v1_0.25_128_quant.tflite"
    data = bytearray(model.read_bytes())
    data[1000] ^= 0xFF
    model.write_bytes(bytes(data))
    dialog.refresh()
    with qtbot.waitSignal(dialog.job_finished, timeout=30_000) as done:
        dialog.verify_button.click()
    result = done.args[0]
    assert dict(result.checks) == {SMALL: "mismatch", V2: "ok"}
    assert result.summary.startswith(f"1 of 2 do not match the catalog ({SMALL})")


def test_jobs_run_one_at_a_time_on_a_named_thread(empty_store):
    names: list[str] = []
    finished = threading.Event()
    jobs = ModelJobs(
        empty_store,
        on_progress=lambda *_: names.append(threading.current_thread().name),
        on_done=lambda _r: finished.set(),
    )
    jobs.install([SMALL], [str(MIRROR)])
    with pytest.raises(Exception, match="being installed or checked already"):
        jobs.install([SMALL], [str(MIRROR)])
    assert finished.wait(30)
    jobs.close()
    assert set(names) == {"camapp-model-installer"}


# -- the window --------------------------------------------------------------------------------
def test_file_models_opens_the_manager_and_closing_the_window_closes_it(open_window, qtbot):
    from conftest import IMAGES

    window = open_window(str(IMAGES / "cat.bmp"), model=SMALL)
    file_menu = window.menuBar().actions()[0].menu()
    assert "Mo&dels..." in [a.text() for a in file_menu.actions()]
    window.actions_by_name["models"].trigger()
    dialog = window.findChild(ModelsDialog)
    assert dialog is not None and dialog.isVisible()
    assert not dialog.explanation.isVisible()  # a model runs: nothing to explain
    assert dialog.row(SMALL).status == "installed"
    window.actions_by_name["models"].trigger()
    assert window.findChildren(ModelsDialog) == [dialog]  # one manager, brought to the front
    window.close()
    assert not dialog.isVisible() and not dialog.jobs.busy
