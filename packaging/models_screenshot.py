"""Screenshot of the models manager (docs/models-manager.png), run by make-models-screenshot.sh.

The scene: a first run on a machine without internet and without a model folder, so the
window opened the models manager with its explanation; the teacher then put in a USB stick
and pressed "Install from folder...". The picture is taken while the third file is being
copied: the installer thread is held at 40 % of it until the grab is done (only here, so the
picture does not depend on the disk's speed).

Usage (under an X server; make-models-screenshot.sh runs it in Xvfb):
    python packaging/models_screenshot.py OUT.png MODELS_DIR USB_FOLDER
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from PyQt6.QtWidgets import QApplication

from camapp.store.catalog import Catalog
from camapp.store.manager import no_model_explanation
from camapp.store.model_store import ModelStore
from camapp.ui.models_dialog import ModelsDialog

HOLD_FILE = 3
HOLD_AT = 0.4


def main(out: str, models_dir: str, usb: str) -> int:
    app = QApplication(sys.argv[:1])
    store = ModelStore(Catalog.load(), models_dir)
    dialog = ModelsDialog(store, (), explanation=no_model_explanation(store, ()))
    held, resume = threading.Event(), threading.Event()
    forward = dialog.bridge.on_progress

    def on_progress(name: str, done: int, total: int | None, number: int, count: int) -> None:
        forward(name, done, total, number, count)
        if number == HOLD_FILE and total and done >= HOLD_AT * total and not held.is_set():
            held.set()
            resume.wait(30)

    dialog.jobs._on_progress = on_progress  # noqa: SLF001 - a documentation tool's hold
    dialog.show()
    dialog.install_from_folder(usb)
    deadline = time.monotonic() + 30
    while not held.is_set() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    for _ in range(20):  # let the queued progress reach the bar and the table repaint
        app.processEvents()
        time.sleep(0.02)
    ok = dialog.grab().save(out, "PNG")
    resume.set()
    dialog.shutdown()
    print(f"wrote {out} ({dialog.width()}x{dialog.height()})" if ok else f"cannot write {out}")
    return 0 if ok and held.is_set() else 1


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    Path(sys.argv[1]).parent.mkdir(parents=True, exist_ok=True)
    sys.exit(main(*sys.argv[1:]))
