#!/bin/sh
# Makes the kiosk screenshots of the README with the real app in a virtual X server (Xvfb):
#   docs/kiosk-800x480.png     the official Raspberry Pi 7" touch display
#   docs/kiosk-1920x1080.png   a 1080p monitor
# Other sizes: packaging/make-kiosk-screenshots.sh 1024x600 600x1024 (portrait) ...
#
# Usage, from anywhere:  packaging/make-kiosk-screenshots.sh [WIDTHxHEIGHT ...]
# Needs xvfb-run (Debian/Ubuntu: apt-get install xvfb). The kiosk's models come from the
# offline mirror $CAMAPP_MODEL_MIRROR (default ../shared/models) into a throw-away home, so
# nothing of yours is read or written; the kiosk runs with the packaged kiosk settings.
# Environment: PYTHON (default .venv/bin/python), CAMAPP_MODEL_MIRROR, SCREENSHOT_PHOTO,
# SCREENSHOT_SECONDS, SCREENSHOT_DIR (default docs).
set -eu

# shellcheck source=packaging/screenshot-env.sh
. "$(dirname "$0")/screenshot-env.sh"
photo=${SCREENSHOT_PHOTO:-../shared/images/cat.bmp}
seconds=${SCREENSHOT_SECONDS:-2}
[ $# -gt 0 ] || set -- 800x480 1920x1080
[ -f "$photo" ] || { echo "$0: no photo at $photo (set SCREENSHOT_PHOTO)" >&2; exit 1; }
photo=$(cd "$(dirname "$photo")" && pwd)/$(basename "$photo")

# The kiosk's button models, as the packaged settings name them.
kiosk_models=$("$python" -c 'from camapp.base.settings import Settings; print(*Settings().kiosk.models)')
# shellcheck disable=SC2086 # one word per model id
"$python" -m camapp -q --models-dir "$models" models install --from "$mirror" $kiosk_models

mkdir -p "$out"
for screen in "$@"; do
    output="$out/kiosk-$screen.png"
    xvfb-run -a -s "-screen 0 ${screen}x24 -nolisten tcp" \
        "$python" -m camapp -q --models-dir "$models" kiosk --source "$photo" \
        --quit-after "$seconds" --screenshot "$output"
    size=$("$python" -c 'import sys, cv2; h, w = cv2.imread(sys.argv[1]).shape[:2]; print(f"{w}x{h}")' "$output")
    echo "wrote $output ($size)"
    [ "$size" = "$screen" ] || echo "$0: warning: $output is $size, not $screen" >&2
done
