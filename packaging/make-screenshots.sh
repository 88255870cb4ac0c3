#!/bin/sh
# Makes the README screenshots with the real app in a virtual X server (Xvfb):
#   docs/screenshot.png        the window on a 1280x800 screen
#   docs/window-800x480.png    full screen on an 800x480 display (a Pi touch screen)
#
# Usage, from anywhere:  packaging/make-screenshots.sh
# Needs xvfb-run (Debian/Ubuntu: apt-get install xvfb). Models come from the offline mirror
# $CAMAPP_MODEL_MIRROR (default ../shared/models) into a throw-away home, so nothing of yours
# is read or written: no settings, no model store.
# Environment: PYTHON (default .venv/bin/python), CAMAPP_MODEL_MIRROR, SCREENSHOT_PHOTO,
# SCREENSHOT_MODEL, SCREENSHOT_ROI, SCREENSHOT_SECONDS, SCREENSHOT_DIR (default docs).
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
python=${PYTHON:-$repo/.venv/bin/python}
mirror=${CAMAPP_MODEL_MIRROR:-../shared/models}
photo=${SCREENSHOT_PHOTO:-../shared/images/cat.bmp}
model=${SCREENSHOT_MODEL:-mobilenet_v2_1.0_224_uint8}
roi=${SCREENSHOT_ROI:-0.2,0.1,0.8,0.95}
seconds=${SCREENSHOT_SECONDS:-4}
out=${SCREENSHOT_DIR:-docs}

command -v xvfb-run >/dev/null || { echo "$0: needs xvfb-run (apt-get install xvfb)" >&2; exit 1; }
[ -d "$mirror" ] || { echo "$0: no model mirror at $mirror (set CAMAPP_MODEL_MIRROR)" >&2; exit 1; }
[ -f "$photo" ] || { echo "$0: no photo at $photo (set SCREENSHOT_PHOTO)" >&2; exit 1; }
mirror=$(cd "$mirror" && pwd)
photo=$(cd "$(dirname "$photo")" && pwd)/$(basename "$photo")

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT INT TERM
export HOME="$scratch/home" XDG_CONFIG_HOME="$scratch/config" XDG_STATE_HOME="$scratch/state"
export XDG_DATA_HOME="$scratch/data" XDG_CACHE_HOME="$scratch/cache"
export XDG_RUNTIME_DIR="$scratch/runtime" CAMAPP_MODEL_MIRROR="$mirror"
mkdir -p "$HOME" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
unset CAMAPP_SETTINGS CAMAPP_STATE CAMAPP_CONFIG CAMAPP_MODELS_DIR QT_QPA_PLATFORM DISPLAY
models="$scratch/models"

"$python" -m camapp -q --models-dir "$models" models install --from "$mirror" "$model"

shoot() {  # shoot SCREEN OUTPUT [run options...]
    screen=$1 output=$2
    shift 2
    xvfb-run -a -s "-screen 0 ${screen}x24 -nolisten tcp" \
        "$python" -m camapp -q --models-dir "$models" run --source "$photo" --model "$model" \
        --roi "$roi" --quit-after "$seconds" --screenshot "$output" --no-save "$@"
    size=$("$python" -c 'import sys, cv2; h, w = cv2.imread(sys.argv[1]).shape[:2]; print(f"{w}x{h}")' "$output")
    echo "wrote $output ($size)"
}

mkdir -p "$out"
shoot 1280x800 "$out/screenshot.png"
shoot 800x480 "$out/window-800x480.png" --fullscreen
if [ "$size" != 800x480 ]; then  # the window is larger than its minimum-size layout allows
    echo "$0: warning: the window does not fit an 800x480 screen (its screenshot is $size)" >&2
fi
