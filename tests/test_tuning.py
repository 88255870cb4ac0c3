"""The fastest threads x XNNPACK per model: the timed grid, the choice, the cache, the session.

Real models and the real runtime throughout; no assertion on a time (only on what was
measured against itself). The one fake: a cached grid written by the test, so the session's
swap to a tuned path is checked without depending on which path is fastest here.
"""

from __future__ import annotations

import shutil
import time

import pytest
from conftest import IMAGES

from camapp.inference.runtime import default_threads
from camapp.inference.tuning import (
    Tuner,
    TuneTiming,
    TuningCache,
    TuningChoice,
    tune,
    tuning_key,
)
from camapp.pipeline.session import Session

V3 = "mobilenet_v3_small_1.0_224_uint8"
V1 = "mobilenet_v1_0.25_128_uint8"


def test_grid_has_every_combination_and_the_choice_is_its_minimum(store):
    options = store.options_for(V1)
    tuner = Tuner(options, seconds=0.03)
    try:
        choice = tuner.run()
    finally:
        tuner.close()
    cores = default_threads()
    combos = {(t.threads, t.xnnpack) for t in choice.grid}
    assert combos == {(t, x) for t in range(1, cores + 1) for x in (True, False)}
    assert all(t.runs >= 1 and t.median_ms > 0 for t in choice.grid)
    fastest = min(t.median_ms for t in choice.grid)
    assert choice.best.median_ms == fastest
    assert (choice.threads, choice.xnnpack) == (choice.best.threads, choice.best.xnnpack)
    assert choice.describe().startswith(choice.best.describe())
    assert not tuner.step()  # done: no more invokes


def test_cache_keeps_the_choice_and_the_key_follows_the_file(store, tmp_path):
    options = store.options_for(V1)
    cache = TuningCache(tmp_path / "cache" / "tuning.yaml")
    choice = tune(options, cache, seconds=0.03)
    assert cache.path.is_file()
    again = cache.get(choice.key)
    assert again is not None
    assert (again.threads, again.xnnpack) == (choice.threads, choice.xnnpack)
    assert len(again.grid) == len(choice.grid)
    assert tune(options, cache, seconds=0.03).grid == again.grid  # cached, not re-timed

    copy = tmp_path / "model.tflite"
    shutil.copyfile(options.model_paths[0], copy)
    from dataclasses import replace

    same_bytes = replace(options, model_paths=(str(copy),))
    assert tuning_key(same_bytes) == tuning_key(options)
    with open(copy, "ab") as handle:
        handle.write(b"\0")
    assert tuning_key(same_bytes) != tuning_key(options)
    assert tuning_key(options, cpu="another cpu x4") != tuning_key(options)


def test_a_damaged_cache_is_ignored(tmp_path):
    path = tmp_path / "tuning.yaml"
    path.write_text("key: [unclosed\n")
    assert TuningCache(path).get("key") is None


def _cached_choice(store, tmp_path, threads: int, xnnpack: bool) -> TuningCache:
    """A cache whose grid (written here: the plumbing's fake) makes ``threads`` fastest."""
    options = store.options_for(V3)
    key = tuning_key(options)
    grid = (
        TuneTiming(threads, xnnpack, 1.0, 5),
        TuneTiming(threads, not xnnpack, 3.0, 5),
        TuneTiming(threads + 1, True, 2.0, 5),
    )
    cache = TuningCache(tmp_path / "tuning.yaml")
    cache.put(TuningChoice(key, grid))
    return cache


def test_session_on_auto_swaps_to_the_tuned_path(store, tmp_path):
    cache = _cached_choice(store, tmp_path, threads=1, xnnpack=False)
    with Session(
        source=str(IMAGES / "cat.bmp"), model=V3, store=store, tune=True, tuning_cache=cache
    ) as session:
        assert session.latest_prediction(timeout=20) is not None
        deadline = time.monotonic() + 20
        info = session.model_info
        while time.monotonic() < deadline:
            info = session.model_info
            if info is not None and info.threads == 1 and not info.xnnpack:
                break
            session.latest_prediction(timeout=0.5)
        assert info is not None and info.threads == 1 and not info.xnnpack
        assert any(note.startswith("tuned here: 1 thread, no XNNPACK") for note in info.notes)
        tuned = session.tuned(V3)
        assert tuned is not None and tuned.threads == 1


@pytest.mark.parametrize("threads", [2])
def test_a_manual_thread_count_wins(store, tmp_path, threads):
    cache = _cached_choice(store, tmp_path, threads=1, xnnpack=False)
    with Session(
        source=str(IMAGES / "cat.bmp"),
        model=V3,
        store=store,
        threads=threads,
        tune=True,
        tuning_cache=cache,
    ) as session:
        assert session.latest_prediction(timeout=20) is not None
        assert session.worker.wait_idle(20)  # measured; a tuner would have run by now
        info = session.model_info
        assert info is not None and info.threads == threads and info.xnnpack
        assert session.tuned(V3) is None


def test_a_live_video_is_tuned_between_its_frames_and_keeps_answering(store, tmp_path, scene_video):
    # A live source never leaves the worker idle (a frame every 33 ms): tuning must still
    # happen, one invoke at a time between frames, while the answers go on.
    cache = TuningCache(tmp_path / "tuning.yaml")
    with Session(
        source=str(scene_video), model=V3, store=store, tune=True, tuning_cache=cache
    ) as session:
        assert session.latest_prediction(timeout=20) is not None
        deadline = time.monotonic() + 30
        while session.tuned(V3) is None and time.monotonic() < deadline:
            session.latest_prediction(timeout=0.5)
        tuned = session.tuned(V3)
        assert tuned is not None, "a live video was never tuned"
        answered = session.stats().primary.predictions
        later = session.latest_prediction(timeout=10)
        assert later is not None and session.stats().primary.predictions > answered
        assert {(t.threads, t.xnnpack) for t in tuned.grid} >= {(1, True), (1, False)}
        stored = cache.get(tuned.key)
        assert stored is not None and (stored.threads, stored.xnnpack) == (
            tuned.threads,
            tuned.xnnpack,
        )
        while time.monotonic() < deadline:
            info = session.model_info
            if info is not None and (info.threads, info.xnnpack) == (tuned.threads, tuned.xnnpack):
                break
            session.latest_prediction(timeout=0.5)
        info = session.model_info
        assert info is not None and (info.threads, info.xnnpack) == (tuned.threads, tuned.xnnpack)
