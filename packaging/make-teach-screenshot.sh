#!/bin/sh
# Makes the teach-mode screenshot with the real app in a virtual X server (Xvfb):
#   docs/teach.png   the window in teach mode: three classes taught from the teach photos
#                    (cat, dog, hotdog: their train_* photos) recognising a held-out photo
#                    (shown as a short looping video, so the frame rates are live)
#
# Usage, from anywhere:  packaging/make-teach-screenshot.sh
# Needs xvfb-run (Debian/Ubuntu: apt-get install xvfb). The embedding model comes from the
# offline mirror $CAMAPP_MODEL_MIRROR (default ../shared/models) into a throw-away home, so
# nothing of yours is read or written. The class set is made by 'camapp teach' and opened
# with 'camapp run --model SET', as a teacher would run a prepared exhibit.
# Environment: PYTHON (default .venv/bin/python), CAMAPP_MODEL_MIRROR, TEACH_PHOTOS (default
# ../shared/images/teach), TEACH_SHOW (the photo shown; default the held-out cat),
# SCREENSHOT_ROI, SCREENSHOT_SECONDS, SCREENSHOT_DIR (default docs).
set -eu

# shellcheck source=packaging/screenshot-env.sh
. "$(dirname "$0")/screenshot-env.sh"
photos=${TEACH_PHOTOS:-../shared/images/teach}
show=${TEACH_SHOW:-$photos/cat/test_0.bmp}
roi=${SCREENSHOT_ROI:-0.08,0.08,0.92,0.92}
seconds=${SCREENSHOT_SECONDS:-4}
embedder=mobilenet_v1_1.0_224_uint8_embedder
[ -d "$photos" ] || { echo "$0: no teach photos at $photos (set TEACH_PHOTOS)" >&2; exit 1; }
[ -f "$show" ] || { echo "$0: no photo at $show (set TEACH_SHOW)" >&2; exit 1; }
photos=$(cd "$photos" && pwd)
show=$(cd "$(dirname "$show")" && pwd)/$(basename "$show")

"$python" -m camapp -q --models-dir "$models" models install --from "$mirror" "$embedder"

# The train photos only, one folder per class (the test photos stay held out).
for class_dir in "$photos"/*/; do
    name=$(basename "$class_dir")
    mkdir -p "$scratch/classes/$name"
    for photo in "$class_dir"train_*; do
        [ -f "$photo" ] && ln -s "$photo" "$scratch/classes/$name/"
    done
done
"$python" -m camapp -q --models-dir "$models" teach --classes "$scratch/classes" \
    --save "$scratch/classes.zip" --model "$embedder"

# A few seconds of video of the held-out photo: recognised every frame, so the teach-mode
# frame rate shows in the status line as any model's does (a still photo is classified once).
"$python" - "$show" "$scratch/show.avi" <<'PY'
import sys, cv2
image = cv2.imread(sys.argv[1])
writer = cv2.VideoWriter(sys.argv[2], cv2.VideoWriter_fourcc(*"MJPG"), 15.0, image.shape[1::-1])
for _ in range(60):
    writer.write(image)
writer.release()
PY

mkdir -p "$out"
output="$out/teach.png"
xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" \
    "$python" -m camapp -q --models-dir "$models" run --source "$scratch/show.avi" \
    --model "$scratch/classes.zip" --roi "$roi" --quit-after "$seconds" \
    --screenshot "$output" --no-save
size=$("$python" -c 'import sys, cv2; h, w = cv2.imread(sys.argv[1]).shape[:2]; print(f"{w}x{h}")' "$output")
echo "wrote $output ($size)"
