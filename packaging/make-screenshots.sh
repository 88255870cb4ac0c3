#!/bin/sh
# Makes the README screenshots with the real app in a virtual X server (Xvfb):
#   docs/screenshot.png        the window on a 1280x800 screen
#   docs/window-800x480.png    full screen on an 800x480 display (a Pi touch screen)
#   docs/compare-tab.png       the Compare tab at the window's default size: V3 small beside
#                              V2 on a still photo (what each could do here, measured)
#   docs/card-comparison.png   the model cards of V3 large (not installed) and V3 small side
#                              by side: published figures and the time measured here
#
# Usage, from anywhere:  packaging/make-screenshots.sh [window] [small] [compare] [cards]
# (no argument: all four; each shot is a function below).
# Needs xvfb-run (Debian/Ubuntu: apt-get install xvfb). Models come from the offline mirror
# $CAMAPP_MODEL_MIRROR (default ../shared/models) into a throw-away home, so nothing of yours
# is read or written: no settings, no model store.
# Environment: PYTHON (default .venv/bin/python), CAMAPP_MODEL_MIRROR, SCREENSHOT_PHOTO,
# SCREENSHOT_MODEL, SCREENSHOT_ROI, SCREENSHOT_SECONDS, SCREENSHOT_DIR (default docs).
set -eu

# shellcheck source=packaging/screenshot-env.sh
. "$(dirname "$0")/screenshot-env.sh"
photo=${SCREENSHOT_PHOTO:-../shared/images/cat.bmp}
model=${SCREENSHOT_MODEL:-mobilenet_v2_1.0_224_uint8}
roi=${SCREENSHOT_ROI:-0.2,0.1,0.8,0.95}
seconds=${SCREENSHOT_SECONDS:-4}
[ -f "$photo" ] || { echo "$0: no photo at $photo (set SCREENSHOT_PHOTO)" >&2; exit 1; }
photo=$(cd "$(dirname "$photo")" && pwd)/$(basename "$photo")

small=mobilenet_v3_small_1.0_224_uint8 large=mobilenet_v3_large_1.0_224_uint8
"$python" -m camapp -q --models-dir "$models" models install --from "$mirror" "$model" "$small"

shoot() {  # shoot SCREEN OUTPUT [run options...]
    screen=$1 output=$2
    shift 2
    xvfb-run -a -s "-screen 0 ${screen}x24 -nolisten tcp" \
        "$python" -m camapp -q --models-dir "$models" run --source "$photo" --model "$model" \
        --roi "$roi" --quit-after "$seconds" --screenshot "$output" --no-save "$@"
    size=$("$python" -c 'import sys, cv2; h, w = cv2.imread(sys.argv[1]).shape[:2]; print(f"{w}x{h}")' "$output")
    echo "wrote $output ($size)"
}

shot_window() {  # the window on a laptop screen
    shoot 1280x800 "$out/screenshot.png"
}

shot_small() {  # full screen on a 7" Pi touch screen: the window must fit, nothing clipped
    shoot 800x480 "$out/window-800x480.png" --fullscreen
    if [ "$size" != 800x480 ]; then  # the window is larger than its minimum-size layout allows
        echo "$0: the window does not fit an 800x480 screen (its screenshot is $size)" >&2
        exit 1
    fi
}

shot_compare() {  # the Compare tab at the default window size, two models on one photo
    shoot 1280x800 "$out/compare-tab.png" --model "$small" --compare "$model"
}

shot_cards() {  # the card comparison: V3 large (catalog only) and V3 small (installed, measured)
    output="$out/card-comparison.png"
    xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" \
        "$python" - "$models" "$photo" "$roi" "$output" "$large" "$small" <<'PY'
import argparse, sys, time
from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QApplication
from camapp.base.roi import ROI
from camapp.store.catalog import Catalog
from camapp.store.model_store import ModelStore
from camapp.ui.app import make_session
from camapp.ui.window import MainWindow

models, photo, roi, output, large, small = sys.argv[1:]
app = QApplication(sys.argv[:1])
settings = {"source": photo, "model": small, "roi": list(ROI.parse(roi).as_tuple())}
args = argparse.Namespace(runtime=None, labels=None, no_xnnpack=False)
window = MainWindow(make_session(ModelStore(Catalog.load(), models), args, settings), settings)
window.show()
deadline = time.monotonic() + 30
while window.session.worker.measured is None and time.monotonic() < deadline:
    app.processEvents()  # the photo's answer, then the background measurement of V3 small
    time.sleep(0.02)
window.panels.show_card_comparison([large, small])
card, results = window.docks["model_card"], window.docks["results"]
for _ in range(2):  # the card dock gets most of the column (as a teacher would drag it)
    window.resizeDocks([results, card], [200, window.height() - 260], Qt.Orientation.Vertical)
    for _ in range(40):
        app.processEvents()
        time.sleep(0.02)
ok = window.grab().save(output, "PNG")
window.close()
sys.exit(0 if ok and window.session.worker.measured is not None else 1)
PY
    echo "wrote $output"
}

mkdir -p "$out"
[ $# -gt 0 ] || set -- window small compare cards
for shot in "$@"; do
    case $shot in
        window | small | compare | cards) "shot_$shot" ;;
        *) echo "$0: no shot called $shot (window, small, compare, cards)" >&2; exit 2 ;;
    esac
done
