#!/usr/bin/env bash
# Installs camapp on 64-bit Raspberry Pi OS (Bookworm or Trixie), or on any 64-bit Debian.
#
#   packaging/raspberry-pi/install.sh [--from DIR] [--kiosk] [--venv DIR] [--dry-run]
#   packaging/raspberry-pi/install.sh --uninstall [--keep-packages] [--dry-run]
#
# What it does, each step skipped when already done (run it again at any time):
#   1. detects the OS release and architecture; refuses 32-bit (PyPI has no 32-bit ARM
#      wheels of PyQt6, OpenCV or LiteRT);
#   2. apt-installs what must come from apt: python3-venv, picamera2 for the camera module
#      (python3-picamera2, on a Pi), and the system libraries Qt's platform plugins load
#      (the PyQt6 wheel brings Qt, not these); only packages that are missing;
#   3. makes a venv that sees the system packages (--system-site-packages: picamera2 is
#      apt-only), pins NumPy to the system's (apt's picamera2 is built against it) and
#      installs camapp from this checkout (or from DIR's wheels) as wheels only;
#   4. installs the default models (from the web, or from DIR with --from);
#   5. links ~/.local/bin/camapp, and with --kiosk enables the kiosk unit
#      (camapp-kiosk.service from packaging/, skipped with a note when it is not there).
# Everything it adds is written to a record, and --uninstall removes exactly that.
#
# Options:
#   --from DIR       offline: wheels from DIR/wheels (or DIR), models from DIR/models (or DIR)
#   --kiosk          enable the kiosk unit (starts camapp full screen at login)
#   --venv DIR       the venv (default ~/camapp/.venv, where the kiosk unit looks for it)
#   --python PATH    the Python for the venv (default /usr/bin/python3: apt's picamera2 is
#                    built for it)
#   --uninstall      remove what earlier runs added (venv, models, link, unit, apt packages)
#   --keep-packages  with --uninstall: leave the apt packages installed
#   --dry-run        print every command that would change something, and run none of them
#                    (it still reads: os-release, dpkg, apt-cache)
set -euo pipefail

SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OS_RELEASE="${CAMAPP_OS_RELEASE:-/etc/os-release}"
PI_MODEL_FILE="${CAMAPP_PI_MODEL_FILE:-/proc/device-tree/model}"
STATE_DIR="${XDG_STATE_HOME:-$HOME/.local/state}/camapp"
RECORD="$STATE_DIR/pi-install.record"
MODELS_DIR="${XDG_DATA_HOME:-$HOME/.local/share}/camapp/models"
UNIT_NAME="camapp-kiosk.service"
LINK="$HOME/.local/bin/camapp"

VENV="$HOME/camapp/.venv"
PYTHON="/usr/bin/python3"
FROM=""
KIOSK=0
UNINSTALL=0
KEEP_PACKAGES=0
DRY_RUN=0

usage() { sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --from) FROM="${2:?--from needs a folder}"; shift ;;
    --kiosk) KIOSK=1 ;;
    --venv) VENV="${2:?--venv needs a folder}"; shift ;;
    --python) PYTHON="${2:?--python needs a path}"; shift ;;
    --uninstall) UNINSTALL=1 ;;
    --keep-packages) KEEP_PACKAGES=1 ;;
    --dry-run) DRY_RUN=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# -- helpers ---------------------------------------------------------------------------------
say() { printf '%s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }
# quoted ARG...: the words as a shell would need them typed ('...' only where needed).
quoted() {
  local a out=()
  for a in "$@"; do
    case "$a" in
      '' | *[!A-Za-z0-9_./=:,@%+-]*) out+=("'${a//\'/\'\\\'\'}'") ;;
      *) out+=("$a") ;;
    esac
  done
  say "${out[*]}"
}

# run CMD...: prints a command that changes something, and runs it unless --dry-run.
run() {
  say "+ $(quoted "$@")"
  [ "$DRY_RUN" = 1 ] || "$@"
}

# run_to FILE CMD...: the same, with the command's output written to FILE.
run_to() {
  local file=$1
  shift
  say "+ $(quoted "$@") > $(quoted "$file")"
  [ "$DRY_RUN" = 1 ] || "$@" >"$file"
}

# remember KIND VALUE: adds a line to the record (once), for --uninstall.
remember() {
  local line="$1 $2"
  if [ -f "$RECORD" ] && grep -qxF -- "$line" "$RECORD"; then
    return
  fi
  if [ ! -d "$STATE_DIR" ] && [ -z "${STATE_DIR_MADE:-}" ]; then
    run mkdir -p "$STATE_DIR"
    STATE_DIR_MADE=1
  fi
  say "+ echo $(quoted "$line") >> $(quoted "$RECORD")"
  [ "$DRY_RUN" = 1 ] || printf '%s\n' "$line" >>"$RECORD"
}

# installed_of PKG...: those installed; available_of PKG...: those apt could install (one
# query each: apt-cache takes a second per call on a Pi).
installed_of() {
  dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null | awk '/ install ok installed$/ {print $1}'
}
available_of() { apt-cache show --no-all-versions "$@" 2>/dev/null | sed -n 's/^Package: //p' || true; }

SUDO=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || die "apt needs root: install sudo, or run this as root"
  SUDO=(sudo)
fi

# -- uninstall -------------------------------------------------------------------------------
if [ "$UNINSTALL" = 1 ]; then
  [ "$DRY_RUN" = 1 ] && say "dry run: nothing is changed"
  if [ ! -f "$RECORD" ]; then
    say "nothing to uninstall: no record of an install at $RECORD"
    exit 0
  fi
  packages=()
  # Undo in the reverse order of the install.
  mapfile -t lines < <(tac "$RECORD")
  for line in "${lines[@]}"; do
    kind=${line%% *}
    value=${line#* }
    case "$kind" in
      unit-user)
        run systemctl --user disable "$UNIT_NAME" || say "  (systemd not reachable, or not enabled)"
        run rm -f "$value"
        run systemctl --user daemon-reload || true ;;
      unit-system)
        run "${SUDO[@]}" systemctl disable "$UNIT_NAME" || true
        run "${SUDO[@]}" rm -f "$value"
        run "${SUDO[@]}" systemctl daemon-reload || true ;;
      link|model|autostart) run rm -f "$value" ;;
      venv) run rm -rf "$value" ;;
      apt) packages+=("$value") ;;
      *) say "  (skipping an unknown record line: $line)" ;;
    esac
  done
  if [ ${#packages[@]} -gt 0 ]; then
    if [ "$KEEP_PACKAGES" = 1 ]; then
      say "keeping the apt packages it installed: ${packages[*]}"
    else
      run "${SUDO[@]}" apt-get remove -y "${packages[@]}"
    fi
  fi
  run rm -f "$RECORD"
  dirs=()
  for line in "${lines[@]}"; do  # the folders made for what it removed, once empty
    case "${line%% *}" in
      venv | link | model | unit-user | autostart) dirs+=("$(dirname "${line#* }")") ;;
    esac
  done
  dirs+=("$(dirname "$MODELS_DIR")" "$STATE_DIR")
  if [ "$DRY_RUN" = 0 ]; then
    for dir in "${dirs[@]}"; do rmdir "$dir" 2>/dev/null || true; done
  fi
  say "camapp uninstalled"
  exit 0
fi

# -- 1. what is this machine ------------------------------------------------------------------
[ -r "$OS_RELEASE" ] || die "cannot read $OS_RELEASE: is this Debian or Raspberry Pi OS?"
field() { sed -n "s/^$1=//p" "$OS_RELEASE" | tr -d '"'; }
PRETTY="$(field PRETTY_NAME)"
CODENAME="$(field VERSION_CODENAME)"
ARCH="${CAMAPP_ARCH:-$(dpkg --print-architecture 2>/dev/null || uname -m)}"
BOARD=""
if [ -r "$PI_MODEL_FILE" ]; then BOARD="$(tr -d '\0' <"$PI_MODEL_FILE")"; fi
[[ "$BOARD" == *"Raspberry Pi"* ]] || BOARD=""

say "system: ${PRETTY:-unknown} (${CODENAME:-no codename}), $ARCH${BOARD:+, $BOARD}"
[ "$DRY_RUN" = 1 ] && say "dry run: printing the commands that change something, running none"

case "$ARCH" in
  arm64|aarch64|amd64|x86_64) ;;
  armhf|armel|armv6l|armv7l|arm|i386|i686)
    die "camapp needs a 64-bit OS, and this one is 32-bit ($ARCH): PyPI has no 32-bit ARM" \
      "wheels of PyQt6, OpenCV or LiteRT. Install Raspberry Pi OS (64-bit), Bookworm or" \
      "Trixie, and run this again" ;;
  *) die "unsupported architecture $ARCH: camapp's wheels exist for arm64 and amd64" ;;
esac
case "$CODENAME" in
  bookworm) say "Bookworm: Python 3.11, PyQt6 6.7 wheels (newer ones need glibc 2.39)" ;;
  trixie) say "Trixie: Python 3.13, the newest PyQt6 wheels; no tflite-runtime fallback" ;;
  *) say "note: ${CODENAME:-this release} is untested; Bookworm and Trixie are checked" ;;
esac
if [ "$(id -u)" = 0 ] && [ -n "${SUDO_USER:-}" ]; then
  say "note: running under sudo installs camapp for root; run it as your user instead" \
    "(it calls sudo for apt itself)"
fi

# -- 2. apt ----------------------------------------------------------------------------------
# What Qt's xcb and wayland platform plugins load from the system (the wheel brings Qt).
QT_LIBS=(libegl1 libgl1 libfontconfig1 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0
  libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0
  libxcb-shape0 libxcb-xinerama0 libwayland-client0 libwayland-cursor0 libwayland-egl1)
wanted=(python3-venv "${QT_LIBS[@]}" python3-picamera2)
mapfile -t have < <(installed_of "${wanted[@]}")
absent=()
for pkg in "${wanted[@]}"; do
  [[ " ${have[*]} " == *" $pkg "* ]] || absent+=("$pkg")
done
offered=""
[ ${#absent[@]} -gt 0 ] && offered=" $(available_of "${absent[@]}" | tr '\n' ' ')"
PICAMERA2=1
missing=()
for pkg in "${absent[@]}"; do
  if [[ "$offered" == *" $pkg "* ]] || { [ "$pkg" = python3-picamera2 ] && [ -n "$BOARD" ]; }; then
    missing+=("$pkg")
  elif [ "$pkg" = python3-picamera2 ]; then
    PICAMERA2=0
    say "no python3-picamera2 in apt (it comes with Raspberry Pi OS): no camera module;" \
      "USB cameras, videos and photos work"
  else
    say "note: apt has no $pkg here; skipping it"
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  run "${SUDO[@]}" apt-get update
  # No recommends: picamera2 recommends a desktop preview stack camapp does not use.
  run "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y \
    --no-install-recommends "${missing[@]}"
  for pkg in "${missing[@]}"; do remember apt "$pkg"; done
else
  say "apt: everything needed is installed"
fi

# -- 3. the venv and camapp ------------------------------------------------------------------
[ -x "$PYTHON" ] || [ "$DRY_RUN" = 1 ] || die "no Python at $PYTHON (--python PATH)"
if [ -x "$VENV/bin/python" ] && grep -qi '^include-system-site-packages *= *true' \
    "$VENV/pyvenv.cfg" 2>/dev/null; then
  say "venv: $VENV (sees the system packages)"
else
  [ -e "$VENV" ] || created_venv=1
  run mkdir -p "$(dirname "$VENV")"
  run "$PYTHON" -m venv --system-site-packages "$VENV"
  [ "${created_venv:-0}" = 1 ] && remember venv "$VENV"
fi

# apt's picamera2 (its simplejpeg, pidng) is built against the system NumPy; NumPy 2 from pip
# in the venv would break `import picamera2`. Keep the system one.
CONSTRAINTS="$VENV/camapp-constraints.txt"
constraint=()
if [ "$PICAMERA2" = 1 ] || "$PYTHON" -c "import numpy" 2>/dev/null; then
  run_to "$CONSTRAINTS" "$PYTHON" -c "import numpy; print('numpy==' + numpy.__version__)"
  constraint=(--constraint "$CONSTRAINTS")
fi

# Wheels only for everything compiled: pip never builds PyQt6, NumPy or OpenCV on a Pi.
binary=("--only-binary=numpy,opencv-python-headless,ai-edge-litert,PyQt6,PyQt6-Qt6,PyQt6-sip")
binary+=("--only-binary=PyYAML,tflite-runtime,ml-dtypes" --prefer-binary)
source=()
models_from=()
if [ -n "$FROM" ]; then
  [ -d "$FROM" ] || [ "$DRY_RUN" = 1 ] || die "--from: no folder at $FROM"
  wheels="$FROM"; [ -d "$FROM/wheels" ] && wheels="$FROM/wheels"
  models="$FROM"; [ -d "$FROM/models" ] && models="$FROM/models"
  source=(--no-index --find-links "$wheels")
  models_from=(--from "$models")
  target=camapp
  compgen -G "$wheels/camapp-*.whl" >/dev/null || target="$SRC"
else
  target="$SRC"
fi
[ -f "$SRC/pyproject.toml" ] || [ "$target" = camapp ] || target=camapp
run "$VENV/bin/python" -m pip install --upgrade "${binary[@]}" "${constraint[@]}" \
  "${source[@]}" "$target"

# -- 4. models -------------------------------------------------------------------------------
model_files() { find "$MODELS_DIR" -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort; }
before="$(model_files || true)"
run "$VENV/bin/camapp" --models-dir "$MODELS_DIR" models install --defaults "${models_from[@]}"
if [ "$DRY_RUN" = 0 ]; then
  while IFS= read -r name; do
    [ -n "$name" ] && remember model "$MODELS_DIR/$name"
  done < <(comm -13 <(printf '%s\n' "$before") <(model_files))
fi

# -- 5. the command and the kiosk ------------------------------------------------------------
if [ "$(readlink "$LINK" 2>/dev/null || true)" != "$VENV/bin/camapp" ]; then
  [ -e "$LINK" ] || [ -L "$LINK" ] || new_link=1
  run mkdir -p "$(dirname "$LINK")"
  run ln -sfn "$VENV/bin/camapp" "$LINK"
  [ "${new_link:-0}" = 1 ] && remember link "$LINK"
fi

if [ "$KIOSK" = 1 ]; then
  unit=""
  for candidate in "$SRC/packaging/$UNIT_NAME" ${FROM:+"$FROM/$UNIT_NAME"}; do
    [ -f "$candidate" ] && { unit="$candidate"; break; }
  done
  if [ -z "$unit" ]; then
    say "note: no kiosk unit ($UNIT_NAME) in $SRC/packaging: skipping --kiosk"
  else
    # A unit with User= is a system unit; otherwise a user unit (started at login).
    if grep -q '^User=' "$unit"; then
      scope=system
      dest="/etc/systemd/system/$UNIT_NAME"
      ctl=("${SUDO[@]}" systemctl)
      tee=("${SUDO[@]}" tee)
    else
      scope=user
      dest="${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user/$UNIT_NAME"
      ctl=(systemctl --user)
      tee=(tee)
    fi
    # The unit runs this venv's camapp, wherever it is.
    edit=(sed -E "s#^(ExecStart=)[^ ]*/bin/camapp#\\1$VENV/bin/camapp#" "$unit")
    if [ -f "$dest" ] && cmp -s <("${edit[@]}") "$dest"; then
      say "kiosk: $dest is up to date"
    else
      if [ "$scope" = system ]; then
        run "${SUDO[@]}" mkdir -p "$(dirname "$dest")"
      else
        run mkdir -p "$(dirname "$dest")"
      fi
      say "+ $(quoted "${edit[@]}") | $(quoted "${tee[@]}" "$dest")"
      [ "$DRY_RUN" = 1 ] || "${edit[@]}" | "${tee[@]}" "$dest" >/dev/null
      remember "unit-$scope" "$dest"
    fi
    # A user unit needs the desktop session's display: the XDG autostart entry hands it over
    # and starts the unit at login (graphical-session.target is not reached on Bookworm).
    autostart_src="$SRC/packaging/camapp-kiosk-autostart.desktop"
    autostart="${XDG_CONFIG_HOME:-$HOME/.config}/autostart/camapp-kiosk.desktop"
    if [ "$scope" = user ] && [ -f "$autostart_src" ]; then
      if [ -f "$autostart" ] && cmp -s "$autostart_src" "$autostart"; then
        say "kiosk: $autostart is up to date"
      else
        run mkdir -p "$(dirname "$autostart")"
        run cp "$autostart_src" "$autostart"
        remember autostart "$autostart"
      fi
    fi
    if run "${ctl[@]}" daemon-reload && run "${ctl[@]}" enable "$UNIT_NAME"; then
      say "kiosk: $UNIT_NAME starts camapp full screen at the next login"
    else
      say "kiosk: could not reach systemd from here (no user session?): log in on the" \
        "Pi's desktop and run '${ctl[*]} daemon-reload && ${ctl[*]} enable $UNIT_NAME'"
    fi
  fi
fi

say ""
say "done: run 'camapp' (or $VENV/bin/camapp); --source picamera2 for the camera module"
[ -n "$BOARD" ] && say "this Pi: 'camapp bench --json pi.json' measures the models here"
exit 0
