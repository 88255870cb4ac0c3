"""Hostile or broken files: one clear line each, never a hang, a traceback or a crash.

Alias bombs and deep nesting in every YAML camapp reads, a model whose tensor names are not
UTF-8, catalog fields of the wrong kind, a label file with a byte-order mark and an index
column, output paths that cannot be written, and ROI values in percent.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import IMAGES, MIRROR

from camapp.cli import main
from camapp.inference.labels import read_labels

SMALL_MODEL = MIRROR / "mobilenet_v1_0.25_128_quant.tflite"
CAT_WORDS = ("cat", "tabby")
#: Longest a subprocess may take; a hang (an alias bomb) would take minutes.
PATIENCE_S = 60.0


def alias_bomb() -> str:
    """Nine levels of nine aliases: 432 bytes that stand for 9**9 strings."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 9):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 9)}]")
    lines.append("model: *a8")  # a known key: validating or showing it walks every value
    return "\n".join(lines) + "\n"


def run_camapp(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    """``python -m camapp`` as a user runs it, with a private home."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "camapp", *args],
        capture_output=True,
        text=True,
        env=full,
        cwd=cwd,
        timeout=PATIENCE_S,
    )


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.fixture
def user_env(tmp_path) -> dict[str, str]:
    return {
        "HOME": str(tmp_path / "home"),
        "QT_QPA_PLATFORM": "offscreen",
        "CAMAPP_STATE": str(tmp_path / "state" / "state.yaml"),
        "CAMAPP_CONFIG": str(tmp_path / "config" / "camapp.yaml"),
    }


# -- YAML ----------------------------------------------------------------------------------
@pytest.mark.gui
def test_an_alias_bomb_in_the_users_config_is_one_line_and_the_window_still_opens(
    user_env, models_dir, tmp_path
):
    config = Path(user_env["CAMAPP_CONFIG"])
    config.parent.mkdir(parents=True)
    config.write_text(alias_bomb())
    stats = tmp_path / "stats.json"
    result = run_camapp(
        "--models-dir",
        str(models_dir),
        "run",
        "--source",
        str(IMAGES / "cat.bmp"),
        "--quit-after",
        "0",
        "--stats-json",
        str(stats),
        env=user_env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert f"{config} uses YAML aliases (&/*), which camapp does not read" in result.stderr
    assert "Traceback" not in result.stderr
    assert stats.is_file()  # the run happened
    assert config.read_text() == alias_bomb()  # the user's file is never rewritten


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (alias_bomb(), "uses YAML aliases (&/*), which camapp does not read"),
        ("models:\n  - &x {id: a, files: [{file: a.tflite}]}\n  - *x\n", "uses YAML aliases"),
        ("models: " + "[" * 50000 + "]" * 50000 + "\n", "is nested more than 64 levels deep"),
        ("models: []\n# " + "x" * (5 << 20) + "\n", "larger than 4096 KB"),
    ],
    ids=["alias-bomb", "merge-alias", "deep-nesting", "oversize"],
)
def test_a_hostile_catalog_is_one_line_and_never_a_hang_or_a_crash(text, problem, tmp_path):
    catalog = tmp_path / "models.yaml"
    catalog.write_text(text)
    result = run_camapp("--catalog", str(catalog), "models", "list")  # 50000 [ segfaulted (-11)
    assert result.returncode == 1, result.stderr
    assert problem in one_line(result.stderr)


def test_an_alias_bomb_in_a_shared_class_set_is_one_line(models_dir, tmp_path):
    """Class sets (teach mode) are files people pass around: their header is YAML too."""
    class_set = tmp_path / "bomb-set"
    class_set.mkdir()
    (class_set / "classset.yaml").write_text(alias_bomb().replace("model: *a8", "format: *a8"))
    result = run_camapp(
        "--models-dir", str(models_dir), "classify", str(IMAGES / "cat.bmp"),
        "--class-set", str(class_set),
    )  # fmt: skip
    assert result.returncode == 1
    assert "bomb-set: classset.yaml uses YAML aliases (&/*)" in one_line(result.stderr)


@pytest.mark.parametrize("which", ["config", "state"])
def test_an_alias_bomb_in_a_settings_file_is_refused_with_one_warning(which, tmp_path):
    from camapp.base.settings import load_settings

    files = {"config": tmp_path / "config.yaml", "state": tmp_path / "state.yaml"}
    files[which].write_text(alias_bomb())
    loaded = load_settings(config_path=files["config"], state_path=files["state"])
    warned = [line for line in loaded.warnings if "uses YAML aliases" in line]
    assert len(warned) == 1 and str(files[which].name) in warned[0]
    defaults = load_settings(tmp_path / "none.yaml", tmp_path / "none-state.yaml")
    assert loaded.settings == defaults.settings


def test_a_settings_file_over_a_megabyte_is_refused_unread(tmp_path):
    from camapp.base.settings import load_settings

    config = tmp_path / "config.yaml"
    config.write_text("top_k: 3\n# " + "x" * (2 << 20) + "\n")
    loaded = load_settings(config_path=config, state_path=tmp_path / "state.yaml")
    assert [line for line in loaded.warnings if "larger than 1024 KB" in line]
    assert loaded.settings.top_k == 5  # not read at all


# -- the catalog's fields ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ("published: 5", "entry 'odd': 'published' must be a mapping"),
        ("input_norm: 3", "entry 'odd': 'input_norm' must be a mapping"),
        ("input_norm: {mean: 127.5, std: 0}", "entry 'odd': 'input_norm' std must not be 0"),
        ("published: {top1: high}", "entry 'odd': 'top1' must be a number, not 'high'"),
        ("published: {latency_ms: [1, 2]}", "entry 'odd': 'latency_ms' must be a mapping"),
        ("resolution: big", "entry 'odd': 'resolution' must be a whole number, not 'big'"),
        ("default: 'yes please'", "entry 'odd': 'default' must be true or false"),
        ("labels: nowhere", "entry 'odd': 'labels' names an unknown label file 'nowhere'"),
    ],
)
def test_a_catalog_field_of_the_wrong_kind_is_one_line_naming_the_entry_and_field(
    fields, expected, tmp_path
):
    catalog = tmp_path / "models.yaml"
    catalog.write_text(f"models:\n  - id: odd\n    files: [{{file: a.tflite}}]\n    {fields}\n")
    result = run_camapp("--catalog", str(catalog), "models", "list")
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert expected in line and str(catalog) in line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("models: 5\n", "has no list of 'models'"),
        ("models: [5]\n", "entry number 1: 'models' entries must be mappings"),
        ("models:\n  - files: [{file: a.tflite}]\n", "entry number 1: 'id' is missing"),
        ("models:\n  - id: x\n    files: 5\n", "entry 'x': 'files' must be a list of files"),
        ("models:\n  - id: x\n    files: [5]\n", "entry 'x': 'files' must be a mapping"),
    ],
)
def test_a_catalog_of_the_wrong_shape_is_one_line(text, expected, tmp_path):
    catalog = tmp_path / "models.yaml"
    catalog.write_text(text)
    result = run_camapp("--catalog", str(catalog), "models", "list")
    assert result.returncode == 1
    assert expected in one_line(result.stderr)


# -- models and labels ---------------------------------------------------------------------
@pytest.fixture
def garbled_model(tmp_path) -> Path:
    """A real model whose input tensor's name bytes are no longer UTF-8."""
    data = bytearray(SMALL_MODEL.read_bytes())
    at = data.find(b"input\x00")
    assert at > 0, "the model's input tensor is no longer called 'input'"
    data[at : at + 2] = b"\xff\xfe"
    path = tmp_path / "garbled.tflite"
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("command", ["classify", "eval"])
def test_a_model_whose_tensor_names_are_not_utf8_is_one_line(command, garbled_model, tmp_path):
    if command == "classify":
        args = ["classify", str(IMAGES / "cat.bmp"), "--model", str(garbled_model)]
        args += ["--labels", str(MIRROR / "labels.txt")]
    else:
        dataset = tmp_path / "photos" / "tabby"
        dataset.mkdir(parents=True)
        (dataset / "cat.bmp").write_bytes((IMAGES / "cat.bmp").read_bytes())
        args = ["eval", str(dataset.parent), "--model", str(garbled_model)]
    result = run_camapp(*args)
    assert result.returncode == 1
    line = one_line(result.stderr)
    assert "garbled.tflite has tensor names that are not UTF-8 text" in line
    assert "UnicodeDecodeError" not in line


def test_a_label_file_with_a_bom_and_an_index_column_gives_the_names_only(tmp_path, capsys):
    names = (MIRROR / "labels.txt").read_text(encoding="utf-8").splitlines()
    labels = tmp_path / "labels.txt"
    text = "\r\n".join(f"{i} {name}" for i, name in enumerate(names)) + "\r\n"
    labels.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))  # as Notepad saves it
    assert read_labels(labels) == names
    code = main(
        ["classify", str(IMAGES / "cat.bmp"), "--model", str(SMALL_MODEL), "--labels", str(labels)]
    )
    out = capsys.readouterr().out
    top = [line.split("%", 1)[1].strip() for line in out.splitlines() if "%" in line]
    assert code == 0
    assert not [label for label in top if label[:1].isdigit()], top
    assert any(word in top[0] for word in CAT_WORDS), top


# -- output paths --------------------------------------------------------------------------
@pytest.mark.gui
@pytest.mark.parametrize("flag", ["--stats-json", "--screenshot"])
def test_an_output_path_under_a_file_is_one_line_before_the_window_opens(
    flag, user_env, models_dir, tmp_path
):
    blocker = tmp_path / "file.txt"
    blocker.write_text("a file, not a folder")
    result = run_camapp(
        "--models-dir",
        str(models_dir),
        "run",
        "--source",
        str(IMAGES / "cat.bmp"),
        "--quit-after",
        "0",
        flag,
        str(blocker / "out" / "result"),
        env=user_env,
        cwd=tmp_path,
    )
    assert result.returncode == 1  # was 134 (abort) after the whole run
    line = one_line(result.stderr)
    assert f"cannot write {flag}" in line and f"{blocker} is a file, not a folder" in line


@pytest.fixture
def full_tmpfs(tiny_tmpfs):
    """A 1 MB tmpfs filled to the last byte, where this machine lets us mount one."""
    with open(tiny_tmpfs / "filler", "wb") as filler:
        try:
            while True:
                filler.write(b"\0" * 65536)
                filler.flush()
        except OSError:
            pass
    return tiny_tmpfs


@pytest.mark.gui
@pytest.mark.parametrize("flag", ["--stats-json", "--screenshot"])
def test_an_output_on_a_full_disk_is_one_line_and_exit_1_after_the_run(
    flag, full_tmpfs, user_env, models_dir, tmp_path
):
    target = full_tmpfs / "out.dat"
    result = run_camapp(
        "--models-dir",
        str(models_dir),
        "run",
        "--source",
        str(IMAGES / "cat.bmp"),
        "--quit-after",
        "0",
        flag,
        str(target),
        env=user_env,
        cwd=tmp_path,
    )
    assert result.returncode == 1, result.stderr  # was 134: abort() from the Qt slot
    assert f"camapp: cannot write {flag} {target}: No space left on device" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in full_tmpfs.iterdir()) == ["filler"]  # no empty file left
    assert Path(user_env["CAMAPP_STATE"]).is_file()  # the rest of the exit still happened


# -- the ROI -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("roi", "expected"),
    [
        ("10,10,90,90", "10,10,90,90 looks like percent: use 0.1,0.1,0.9,0.9"),
        ("100,50,540,430", "100,50,540,430 looks like pixels: divide by the frame's width"),
        ("-0.2,0,1.2,1", "-0.2,0,1.2,1 goes outside the frame: use 0,0,1,1"),
    ],
)
def test_roi_values_outside_0_to_1_name_the_likely_mistake(roi, expected, models_dir, capsys):
    code = main(
        ["--models-dir", str(models_dir), "classify", str(IMAGES / "cat.bmp"), f"--roi={roi}"]
    )
    out, err = capsys.readouterr()
    assert code == 1 and out == ""  # nothing classified: a 2 % sliver is not an answer
    assert err.startswith("camapp: --roi values are fractions of the frame from 0 to 1; ")
    assert expected in err and err.count("\n") == 1


@pytest.mark.gui
def test_a_percent_roi_for_the_window_is_refused_before_it_opens(user_env, models_dir, tmp_path):
    result = run_camapp(
        "--models-dir",
        str(models_dir),
        "--source",
        str(IMAGES / "cat.bmp"),
        "--roi",
        "10,10,90,90",
        env=user_env,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "looks like percent: use 0.1,0.1,0.9,0.9" in one_line(result.stderr)
