# Sourced by the make-*screenshot*.sh scripts: the repo, the Python, the model mirror, the
# output folder, and a throw-away home (settings, state, models, caches) so that making a
# screenshot never reads or writes anything of yours. Defines: repo python mirror out scratch
# models. Environment: PYTHON (default .venv/bin/python), CAMAPP_MODEL_MIRROR (default
# ../shared/models), SCREENSHOT_DIR (default docs).
# shellcheck shell=sh

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo" || exit 1
# shellcheck disable=SC2034 # python and models are for the scripts that source this
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
export XDG_RUNTIME_DIR="$scratch/runtime" CAMAPP_MODEL_MIRROR="$mirror"
mkdir -p "$HOME" "$XDG_RUNTIME_DIR" "$out" && chmod 700 "$XDG_RUNTIME_DIR"
unset CAMAPP_SETTINGS CAMAPP_STATE CAMAPP_CONFIG CAMAPP_MODELS_DIR QT_QPA_PLATFORM DISPLAY
unset WAYLAND_DISPLAY NOTIFY_SOCKET WATCHDOG_USEC
# shellcheck disable=SC2034
models="$scratch/models"
