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

# shellcheck source=packaging/screenshot-env.sh
. "$(dirname "$0")/screenshot-env.sh"
# A first run offline with no mirror configured: the files are on a "USB stick" instead.
unset CAMAPP_MODEL_MIRROR
mkdir -p "$scratch/usb"
for file in "$mirror"/*.tflite "$mirror"/*.txt; do ln -s "$file" "$scratch/usb/"; done

xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" \
    "$python" packaging/models_screenshot.py "$out/models-manager.png" "$scratch/models" "$scratch/usb"
