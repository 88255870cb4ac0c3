"""``camapp eval`` as a user runs it, and what every command's --help promises.

Real models and photos; the set folders are built from ../shared/images in tmp.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import shutil

import pytest
from conftest import IMAGES, REPO

from camapp.base.progress import TextProgress
from camapp.cli import main
from camapp.cli.parser import build_parser

V2 = "mobilenet_v2_1.0_224_uint8"
V1 = "mobilenet_v1_0.25_128_uint8"
#: Photos every mirror model gets right (SOURCES.md), with three ways of labelling them.
PHOTOS = {"cat.bmp": "Egyptian cat", "parrot.jpg": "n01818515", "burger.jpg": "933"}


@pytest.fixture
def csv_set(tmp_path):
    """A folder holding labels.csv and its photos in images/, plus a folder of notes."""
    root = tmp_path / "set"
    (root / "images").mkdir(parents=True)
    (root / "notes").mkdir()
    (root / "notes" / "readme.txt").write_text("where the photos come from\n")
    rows = ["file,label"]
    for name, label in PHOTOS.items():
        shutil.copyfile(IMAGES / name, root / "images" / name)
        rows.append(f"{name},{label}")
    rows.append("lost.jpg,tabby")  # a row whose photo is not there
    (root / "labels.csv").write_text("\n".join(rows) + "\n")
    return root


def run_eval(capsys, models_dir, *args: str) -> tuple[int, str, str]:
    code = main(["--models-dir", str(models_dir), "eval", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_eval_reads_a_folder_holding_labels_csv_and_its_photos_in_a_sub_folder(
    csv_set, models_dir, capsys
):
    code, out, err = run_eval(capsys, models_dir, str(csv_set), "--model", V2, "--model", V1)
    assert code == 0, err
    # was: the sub-folder read as a class "images", and "none of the ... labels match"
    assert "labels.csv: 3 photos in images/" in err
    assert "skipped notes/: no photo of it is named in labels.csv" in err
    assert "skipped 1 photo named in the CSV but not found (lost.jpg)" in err
    assert "crop central 87.5 %" in err
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.startswith("mob")}
    assert set(rows) == {V2, V1}
    assert rows[V2][1] == "3" and rows[V2][2] == "100.0%"  # name, WordNet id and number
    assert re.search(r"^crop 0\.875; 3 photos; total time [\d.]+ (s|min)", out, re.M)


def test_eval_names_the_folders_it_skipped_and_why(tmp_path, models_dir, capsys):
    root = tmp_path / "classes"
    for folder, photo in (("Egyptian_cat", "cat.bmp"), ("macaw", "parrot.jpg")):
        (root / folder).mkdir(parents=True)
        shutil.copyfile(IMAGES / photo, root / folder / photo)
    (root / "my cats").mkdir()
    shutil.copyfile(IMAGES / "cat.bmp", root / "my cats" / "cat.bmp")
    (root / "empty").mkdir()
    code, out, err = run_eval(capsys, models_dir, str(root), "--model", V2)
    assert code == 0, err
    assert "3 class folders, 3 photos" in err
    assert "skipped empty/: no photos in it" in err
    assert f"skipped folder my cats/ (1 photo): 'my cats' is not a class of {V2}" in out
    assert out.splitlines()[1].split()[:3] == [V2, "2", "100.0%"]


def test_eval_shows_progress_with_an_eta_when_stderr_is_not_a_terminal(csv_set, models_dir, capsys):
    code, _, err = run_eval(capsys, models_dir, str(csv_set), "--model", V2)
    assert code == 0
    lines = [line for line in err.splitlines() if line.startswith(f"eval {V2}: ")]
    assert [line.split()[2] for line in lines] == ["33%", "66%", "100%"]
    assert "ETA" in lines[1] and "done in" in lines[-1]


def test_eval_json_carries_the_crop_time_and_unmatched_labels(tmp_path, models_dir, capsys):
    root = tmp_path / "set"
    root.mkdir()
    shutil.copyfile(IMAGES / "cat.bmp", root / "cat.bmp")
    shutil.copyfile(IMAGES / "owl.jpg", root / "owl.jpg")
    (root / "labels.csv").write_text("cat.bmp,tabby\nowl.jpg,not an imagenet class\n")
    code, out, _ = run_eval(capsys, models_dir, str(root), "--model", V2, "--json", "--crop", "1")
    assert code == 0
    (record,) = json.loads(out)
    assert record["crop"] == 1.0 and record["images"] == 1 and record["seconds"] > 0
    assert record["unmatched_labels"] == {"not an imagenet class": 1}


def test_text_progress_writes_one_line_per_tenth_with_the_time_left():
    now = [0.0]
    stream = io.StringIO()  # not a terminal
    progress = TextProgress("eval m", stream, clock=lambda: now[0])
    for done in range(1, 201):
        progress(done, 200)
        now[0] += 0.5  # each photo takes half a second
    lines = stream.getvalue().splitlines()
    assert len(lines) == 10 == progress.lines
    assert lines[0] == "eval m: 10% (20/200), ETA 1 min 30 s"  # 19 photos in 9.5 s, 180 left
    assert lines[4].startswith("eval m: 50% (100/200), ETA 50 s")
    assert lines[-1] == "eval m: 100% (200/200), done in 1 min 40 s"


# -- help texts ------------------------------------------------------------------------------
def _parsers(parser: argparse.ArgumentParser, path: str = "camapp"):
    yield path, parser
    for action in parser._actions:  # noqa: SLF001 - argparse keeps its tree here
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            for name, sub in action.choices.items():
                yield from _parsers(sub, f"{path} {name}")


def test_every_option_and_command_of_every_command_has_help_text():
    missing = []
    for path, parser in _parsers(build_parser()):
        for action in parser._actions:  # noqa: SLF001
            if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
                missing += [f"{path} {c.dest}" for c in action._choices_actions if not c.help]  # noqa: SLF001
            elif not action.help or action.help == argparse.SUPPRESS:
                missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
    assert not missing, f"options without help: {missing}"


def test_the_top_level_help_shows_the_run_options_the_readme_uses(capsys):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    row = next(
        line for line in readme.splitlines() if line.startswith("| `camapp` (= `camapp run`)")
    )
    used = set(re.findall(r"`(--[a-z-]+)", row))
    assert {"--source", "--model", "--roi", "--quit-after", "--screenshot"} <= used
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    actions = {flag: a for a in build_parser()._actions for flag in a.option_strings}  # noqa: SLF001
    for flag in used:
        assert flag in actions and actions[flag].help, flag
        assert re.search(rf"^  {flag}\b", text, re.M), flag
    assert "--roi L,T,R,B" in text  # the README's spelling


# -- words -----------------------------------------------------------------------------------
def test_the_model_card_says_1_thread_not_1_threads(qtbot):
    pytest.importorskip("PyQt6")
    from camapp.pipeline.events import ModelInfo
    from camapp.store.variants import count_text
    from camapp.ui.panels.model_card import ModelCardPanel

    assert [count_text(n, "thread") for n in (1, 2)] == ["1 thread", "2 threads"]
    card = ModelCardPanel()
    qtbot.addWidget(card)
    info = ModelInfo("m.tflite", "m", 1, 12.0, (224, 224), "uint8", 1, True, "litert 2.3", ())
    card.show_model(info, None, None)
    assert "1 thread," in card.text() and "1 threads" not in card.text()
