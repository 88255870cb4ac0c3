#!/bin/sh
# Makes docs/models-manager.png: the window's models manager (File > Models...) on a first
# run offline, installing from a "USB stick" (a folder holding the mirror's files), in a
# virtual X server (Xvfb). See packaging/models_screenshot.py for the scene.
#
# Usage, from anywhere:  packaging/make-models-screenshot.sh
# Needs xvfb-run (Debian/Ubuntu: apt-get install xvfb). Model files come from the offline
# mirror $CAMAPP_MODEL_MIRROR (default ../shared/models), linked into a throw-away folder;
# nothing of yours is read or written: no settings, no model store.
# Environment: PYTHON (default .venv/bin/python), CAMAPP_MODEL_MIRROR, SCREENSHOT_DIR
# (default docs).
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
python=${PYTHON:-$repo/.venv/bin/python}
mirror=${CAMAPP_MODEL_MIRROR:-../shared/models}
out=${SCREENSHOT_DIR:-docs}

command -v xvfb-run >/dev/null || { echo "$0: needs xvfb-run (apt-get install xvfb)" >&2; exit 1; }
[ -d "$mirror" ] || { echo "$0: no model mirror at $mirror (set CAMAPP_MODEL_MIRROR)" >&2; exit 1; }
mirror=$(cd "$mirror" && pwd)

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT INT TERM
export HOME="$scratch/home" XDG_CONFIG_HOME="$scratch/config" XDG_STATE_HOME="$scratch/state"
export XDG_DATA_HOME="$scratch/data" XDG_CACHE_HOME="$scratch/cache"
export XDG_RUNTIME_DIR="$scratch/runtime"
mkdir -p "$HOME" "$XDG_RUNTIME_DIR" "$scratch/usb" && chmod 700 "$XDG_RUNTIME_DIR"
unset CAMAPP_SETTINGS CAMAPP_STATE CAMAPP_CONFIG CAMAPP_MODELS_DIR CAMAPP_MODEL_MIRROR
unset QT_QPA_PLATFORM DISPLAY
for file in "$mirror"/*.tflite "$mirror"/*.txt; do ln -s "$file" "$scratch/usb/"; done

mkdir -p "$out"
xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" \
    "$python" packaging/models_screenshot.py "$out/models-manager.png" "$scratch/models" "$scratch/usb"
