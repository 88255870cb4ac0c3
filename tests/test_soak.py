"""Soak: a looping video through a real Session, swapping real models every 2 s.

Fails when threads pile up, when answers stop for a whole 10 s window, when a swap never
takes effect, or when anything reports an error. It lasts a minute after the warm-up (the suite
runs on every core, so the rest of it runs alongside); ``CAMAPP_SOAK_S`` changes that.
``packaging/soak.py`` runs the same kind of load for 20 minutes through the real window.
"""

from __future__ import annotations

import os
import threading
import time

import pytest

from camapp.pipeline.events import NullListener, Prediction
from camapp.pipeline.session import Session

#: Seconds of soak after the warm-up.
SOAK_S = float(os.environ.get("CAMAPP_SOAK_S", "60"))
#: A model swap is asked for this often (s).
SWAP_EVERY_S = 2.0
#: Every window of this many seconds must have answers.
WINDOW_S = 10.0
MODELS = [
    "mobilenet_v2_1.0_224_uint8",
    "mobilenet_v1_0.25_128_uint8",
    "mobilenet_v3_small_1.0_224_uint8",
    "mobilenet_v1_0.5_160_uint8",
]


class Log(NullListener):
    """When each answer arrived and from which model, and every error (core threads)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.answers: list[tuple[float, str]] = []
        self.errors: list[str] = []

    def on_prediction(self, prediction: Prediction) -> None:
        with self.lock:
            self.answers.append((time.monotonic(), prediction.model))

    def on_error(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)


def camapp_threads() -> list[str]:
    return sorted(t.name for t in threading.enumerate() if t.name.startswith("camapp"))


@pytest.mark.soak
def test_swaps_every_2_s_for_a_minute_keep_answering_without_growing_threads(store, scene_video):
    log = Log()
    session = Session(str(scene_video), model=MODELS[0], store=store, threads=2, listener=log)
    with session:
        # Warm-up: every model once, so each thread the run needs has started.
        for model in MODELS[1:] + MODELS[:1]:
            session.request_model(model)
            assert session.wait_for_model(model, timeout=30), f"{model} never answered"
        threads_warm, names_warm = threading.active_count(), camapp_threads()
        ticker = threading.Event()  # never set: waits are the soak's clock
        start = time.monotonic()
        swaps = 0
        while time.monotonic() - start < SOAK_S:
            ticker.wait(max(0.0, start + (swaps + 1) * SWAP_EVERY_S - time.monotonic()))
            swaps += 1
            session.request_model(MODELS[swaps % len(MODELS)])
        end = time.monotonic()
        last = MODELS[swaps % len(MODELS)]
        assert session.wait_for_model(last, timeout=30), f"the last swap ({last}) never answered"
        threads_end, names_end = threading.active_count(), camapp_threads()
        stats = session.stats()

    with log.lock:
        answers, errors = list(log.answers), list(log.errors)
    assert not errors, errors
    assert threads_end <= threads_warm, f"threads grew: {names_warm} -> {names_end}"
    windows = int((end - start) // WINDOW_S)
    per_window = [
        sum(1 for t, _ in answers if start + i * WINDOW_S <= t < start + (i + 1) * WINDOW_S)
        for i in range(windows)
    ]
    assert windows >= 1 and all(count > 0 for count in per_window), per_window
    soaked = [swap for swap in stats.swaps if swap.requested >= start]
    assert len(soaked) == swaps >= int(SOAK_S / SWAP_EVERY_S) - 1
    # A swap that a newer one overtook while loading never answers; the rest all did.
    assert sum(swap.changed is not None for swap in soaked) >= swaps // 2
    assert {model for t, model in answers if t >= start} == set(MODELS)
    print(
        f"\nsoak {end - start:.0f} s: {swaps} swaps, {len(answers)} answers, "
        f"answers per {WINDOW_S:.0f} s {per_window}, threads {threads_warm} -> {threads_end}"
    )


@pytest.mark.gui
@pytest.mark.usefixtures("private_settings")
def test_swap_models_swaps_the_window_round_the_list(qtbot, open_window, scene_video):
    from camapp.cli.parser import build_parser, parse_args
    from camapp.ui.app import schedule_swaps

    args = parse_args(build_parser(), ["run", "--swap-models", f"{MODELS[1]}, {MODELS[2]}"])
    assert args.swap_models == f"{MODELS[1]}, {MODELS[2]}" and args.swap_every == 3.0
    window = open_window(str(scene_video), model=MODELS[1])
    timer = schedule_swaps(window, args.swap_models, every=0.1)
    assert timer is not None and schedule_swaps(window, "", 0.1) is None

    def asked() -> list[str]:
        return [swap.model for swap in window.session.stats().swaps]

    qtbot.waitUntil(lambda: len(asked()) >= 4, timeout=20_000)
    timer.stop()
    assert asked()[:4] == [MODELS[1], MODELS[2], MODELS[1], MODELS[2]]
