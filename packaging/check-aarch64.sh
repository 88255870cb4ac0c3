#!/usr/bin/env bash
# Checks the 64-bit Raspberry Pi OS route without a Pi; rerun it after any dependency change.
#
#  1. Resolves camapp's full dependency set as aarch64 wheels, with the markers of
#     pyproject.toml evaluated for each target, for
#       bookworm        CPython 3.11, glibc 2.36 (Raspberry Pi OS Bookworm)
#       bookworm-apt    the same next to apt's picamera2: NumPy pinned to Bookworm's 1.24.2
#                       (what install.sh does), plus the tflite-runtime extra
#       trixie          CPython 3.13, glibc 2.41 (Raspberry Pi OS Trixie)
#     passing every manylinux tag from 2_17 up to the target's glibc (pip does not expand
#     manylinux_2_28 to older tags by itself). Lists every wheel with its tag, checks that
#     every requirement of every wheel (markers evaluated for the target) is in the set, and
#     FAILS if anything would be built from source.
#  2. Runs `camapp classify` on a photo under qemu user-mode emulation: a Bookworm arm64 root
#     from debootstrap's first stage (its .debs unpacked with dpkg-deb), the bookworm-apt
#     wheels unzipped onto PYTHONPATH, and ROOT/usr/bin/python3.11 run by qemu-aarch64-static
#     by name. It never registers binfmt handlers (that would change the whole host).
#     LiteRT first, then tflite-runtime; prints what each did and the time per image.
#
# Usage: packaging/check-aarch64.sh [--no-emulation] [--image FILE] [--model ID] [--repeat N]
# Downloads are kept in ${CAMAPP_AARCH64_CACHE:-~/.cache/camapp-aarch64}, never in the repo.
# Step 2 needs root, qemu-user-static and debootstrap (apt-installed when missing).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${CAMAPP_AARCH64_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/camapp-aarch64}"
PYTHON="${PYTHON:-python3}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
MODEL_MIRROR="${CAMAPP_MODEL_MIRROR:-$REPO/../shared/models}"
IMAGE="$REPO/../shared/images/cat.bmp"
MODEL="mobilenet_v2_1.0_224_uint8"
REPEAT=5
EMULATE=1
# Bookworm's python3-numpy: what apt's picamera2 (and its simplejpeg) are built against.
BOOKWORM_NUMPY="1.24.2"

while [ $# -gt 0 ]; do
  case "$1" in
    --no-emulation) EMULATE=0 ;;
    --image) IMAGE="$2"; shift ;;
    --model) MODEL="$2"; shift ;;
    --repeat) REPEAT="$2"; shift ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

say() { printf '%s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

mkdir -p "$CACHE"
say "cache: $CACHE"

# -- 1. wheels ------------------------------------------------------------------------------
# A camapp wheel: its Requires-Dist is exactly what pip sees on the Pi.
rm -rf "$CACHE/dist"
"$PYTHON" -m pip wheel -q --no-deps -w "$CACHE/dist" "$REPO" >"$CACHE/build.log" 2>&1 \
  || { cat "$CACHE/build.log" >&2; fail "cannot build the camapp wheel"; }
CAMAPP_WHEEL="$(ls "$CACHE"/dist/camapp-*.whl)"

# Evaluates the requirements of a wheel (camapp's, or every downloaded one) for a target.
# pip download evaluates markers for the machine it runs on, not for --platform, so the
# markers are evaluated here and the set is checked afterwards.
helper() {
  "$PYTHON" - "$@" <<'PY'
import sys, zipfile, pathlib, re
try:
    from packaging.markers import Marker
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
except ImportError:
    from pip._vendor.packaging.markers import Marker
    from pip._vendor.packaging.requirements import Requirement
    from pip._vendor.packaging.utils import canonicalize_name

def env(pyver):
    return {"python_version": pyver, "python_full_version": pyver + ".0",
            "platform_machine": "aarch64", "platform_system": "Linux", "sys_platform": "linux",
            "os_name": "posix", "implementation_name": "cpython",
            "platform_python_implementation": "CPython", "platform_release": "",
            "platform_version": "", "implementation_version": pyver + ".0"}

def requires(wheel):
    with zipfile.ZipFile(wheel) as z:
        meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        text = z.read(meta).decode()
    return [Requirement(l.split(":", 1)[1].strip()) for l in text.splitlines()
            if l.startswith("Requires-Dist:")]

def applies(req, pyver, extras):
    if req.marker is None:
        return True
    return any(req.marker.evaluate({**env(pyver), "extra": e}) for e in extras or [""])

cmd, pyver = sys.argv[1], sys.argv[2]
if cmd == "top":  # camapp's requirements for this target, markers evaluated
    wheel, extras = sys.argv[3], sys.argv[4:]
    for req in requires(wheel):
        if applies(req, pyver, extras):
            req.marker = None
            print(str(req))
elif cmd == "closure":  # every requirement of every wheel is in the folder, in range
    folder = pathlib.Path(sys.argv[3])
    have = {}
    for w in folder.glob("*.whl"):
        name, version = w.name.split("-")[:2]
        have[canonicalize_name(name)] = version
    missing = []
    for w in sorted(folder.glob("*.whl")):
        for req in requires(w):
            if not applies(req, pyver, []):
                continue
            version = have.get(canonicalize_name(req.name))
            if version is None or not req.specifier.contains(version, prereleases=True):
                missing.append(f"{w.name.split('-')[0]} needs {req} (have {version})")
    print("\n".join(missing))
    sys.exit(1 if missing else 0)
PY
}

# The --platform tags for glibc 2.<minor>: manylinux2014 and every manylinux_2_17 .. 2_<minor>.
platform_args() {
  local minor=$1 i
  printf -- '--platform\nmanylinux2014_aarch64\n'
  for ((i = 17; i <= minor; i++)); do printf -- '--platform\nmanylinux_2_%d_aarch64\n' "$i"; done
}

# resolve NAME PYVER GLIBC_MINOR [EXTRA_REQUIREMENT...]: downloads into $CACHE/wheels/NAME.
resolve() {
  local name=$1 pyver=$2 minor=$3
  shift 3
  local abi="cp${pyver/./}" dest="$CACHE/wheels/$name" extras=() reqs=() plats=()
  [[ "$name" == *-apt ]] && extras=(tflite-runtime)
  mapfile -t reqs < <(helper top "$pyver" "$CAMAPP_WHEEL" "${extras[@]}")
  mapfile -t plats < <(platform_args "$minor")
  rm -rf "$dest" && mkdir -p "$dest"
  say ""
  say "== $name: CPython $pyver ($abi), glibc 2.$minor: manylinux2014 + manylinux_2_17..2_${minor}"
  say "   requirements: ${reqs[*]}${*:+ $*}"
  if ! "$PYTHON" -m pip download -q --only-binary=:all: "${plats[@]}" \
      --python-version "$pyver" --implementation cp --abi "$abi" -d "$dest" \
      "${reqs[@]}" "$@" >"$dest.log" 2>&1; then
    grep -v "is ignored: it is neither" "$dest.log" >&2 || true
    fail "$name: not every dependency has an aarch64 wheel; pip would build one from source"
  fi
  if compgen -G "$dest/*.tar.gz" >/dev/null || compgen -G "$dest/*.zip" >/dev/null; then
    fail "$name: a source distribution was downloaded"
  fi
  local missing
  if ! missing="$(helper closure "$pyver" "$dest")"; then
    printf '%s\n' "$missing" >&2
    fail "$name: the wheel set misses requirements evaluated for the target"
  fi
  local wheel base parts n
  for wheel in "$dest"/*.whl; do
    base="$(basename "$wheel" .whl)"
    IFS=- read -r -a parts <<<"$base"
    n=${#parts[@]}
    printf '   %-24s %-12s %s-%s-%s\n' "${parts[0]}" "${parts[1]}" \
      "${parts[n - 3]}" "${parts[n - 2]}" "${parts[n - 1]}"
  done
  say "   OK: $(find "$dest" -name '*.whl' | wc -l) wheels, nothing to build"
}

# expect_no_wheel NAME PYVER GLIBC_MINOR REQUIREMENT WHY: a known gap, shown, not a failure.
expect_no_wheel() {
  local name=$1 pyver=$2 minor=$3 req=$4 why=$5 plats=()
  mapfile -t plats < <(platform_args "$minor")
  if "$PYTHON" -m pip download -q --no-deps --only-binary=:all: "${plats[@]}" \
      --python-version "$pyver" --implementation cp --abi "cp${pyver/./}" \
      -d "$CACHE/wheels/probe" "$req" >/dev/null 2>&1; then
    say "   note: $name: '$req' now has a wheel ($(ls "$CACHE/wheels/probe")): $why may be stale"
  else
    say "   as expected, $name has no wheel for '$req': $why"
  fi
  rm -rf "$CACHE/wheels/probe"
}

say "camapp wheel: $(basename "$CAMAPP_WHEEL")"
resolve bookworm 3.11 36
expect_no_wheel bookworm 3.11 36 "PyQt6>=6.8" "why PyQt6 stays below 6.8 there"
resolve bookworm-apt 3.11 36 "numpy==$BOOKWORM_NUMPY"
resolve trixie 3.13 41
expect_no_wheel trixie 3.13 41 "tflite-runtime" "the tflite-runtime fallback does not exist there"

if [ "$EMULATE" = 0 ]; then
  say ""
  say "wheels: OK for bookworm, bookworm-apt and trixie (emulation skipped)"
  exit 0
fi

# -- 2. camapp classify under emulation ------------------------------------------------------
say ""
say "== emulated Bookworm arm64: camapp classify $(basename "$IMAGE")"
[ "$(id -u)" = 0 ] || fail "the emulation step needs root (debootstrap); or pass --no-emulation"
if ! command -v qemu-aarch64-static >/dev/null || ! command -v debootstrap >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-user-static debootstrap >/dev/null
fi
[ -f "$IMAGE" ] || fail "no photo at $IMAGE (--image FILE)"

ROOT="$CACHE/bookworm-arm64"
if [ ! -x "$ROOT/usr/bin/python3.11" ]; then
  say "   debootstrap (first stage only) into $ROOT"
  rm -rf "$ROOT"
  debootstrap --foreign --arch=arm64 --variant=minbase --include=python3 bookworm "$ROOT" \
    "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
    || { tail -20 "$CACHE/debootstrap.log" >&2; fail "debootstrap failed"; }
  # The first stage unpacks only the required base; unpack the rest (python3 and its
  # libraries) the same way, keeping the merged-/usr symlinks (/lib -> usr/lib).
  for deb in "$ROOT"/var/cache/apt/archives/*.deb; do
    dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$ROOT" --keep-directory-symlink
  done
fi
[ -x "$ROOT/usr/bin/python3.11" ] || fail "no python3.11 in $ROOT"
say "   root: $ROOT ($(du -sh "$ROOT" | cut -f1)), $(qemu-aarch64-static --version | head -1)"

SITE="$CACHE/site-bookworm-apt"
rm -rf "$SITE" && mkdir -p "$SITE"
for wheel in "$CACHE"/wheels/bookworm-apt/*.whl "$CAMAPP_WHEEL"; do
  "$PYTHON" -m zipfile -e "$wheel" "$SITE"
done
say "   site: $SITE ($(find "$CACHE/wheels/bookworm-apt" -name '*.whl' | wc -l) wheels + camapp)"

# qemu-user 7.2 shows an aarch64 program the host's own /proc/cpuinfo (x86 lines, no ARM
# cores). A Pi's lists its Cortex cores; the run below gives the root a Pi 4's (Cortex-A72,
# as many cores as this host has), which qemu finds through QEMU_LD_PREFIX before the host's.
# debootstrap may leave ROOT/proc as a link to the host's /proc: never write through it.
if [ -L "$ROOT/proc" ]; then rm "$ROOT/proc"; fi
mountpoint -q "$ROOT/proc" && fail "$ROOT/proc is a mount point; unmount it first"
mkdir -p "$ROOT/proc"
PI_CPUINFO="$ROOT/proc/cpuinfo"
write_pi_cpuinfo() {
  local n
  for ((n = 0; n < $(nproc); n++)); do
    printf 'processor\t: %d\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm crc32 cpuid\n' "$n"
    printf 'CPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x0\n'
    printf 'CPU part\t: 0xd08\nCPU revision\t: 3\n\n'
  done
  printf 'Hardware\t: BCM2835\nModel\t\t: Raspberry Pi 4 Model B Rev 1.4\n'
}

HOME_DIR="$CACHE/home"
MODELS="$CACHE/models"
rm -rf "$HOME_DIR" && mkdir -p "$HOME_DIR" "$MODELS"
emulate() {
  env -i PATH=/usr/bin:/bin HOME="$HOME_DIR" LANG=C.UTF-8 PYTHONNOUSERSITE=1 \
    PYTHONPATH="$SITE" QEMU_LD_PREFIX="$ROOT" QEMU_CPU="${QEMU_CPU:-cortex-a72}" \
    timeout 900 qemu-aarch64-static "$ROOT/usr/bin/python3.11" -m camapp "$@"
}
if [ -d "$MODEL_MIRROR" ]; then from=(--from "$MODEL_MIRROR"); else from=(); fi
emulate -q --models-dir "$MODELS" models install "$MODEL" "${from[@]}" >/dev/null \
  || fail "cannot install $MODEL under emulation"
say "   python: $(emulate --version 2>&1 | head -1), CPU ${QEMU_CPU:-cortex-a72}"

images=()
for ((i = 0; i < REPEAT; i++)); do images+=("$IMAGE"); done
# classify RUNTIME CPUINFO: one emulated `camapp classify`; prints what happened.
classify() {
  local runtime=$1 cpuinfo=$2 tag="$1, $2 /proc/cpuinfo" out status started ms
  out="$CACHE/classify-$runtime-$cpuinfo.jsonl"
  if [ "$cpuinfo" = pi ]; then write_pi_cpuinfo >"$PI_CPUINFO"; else rm -f "$PI_CPUINFO"; fi
  started=$(date +%s%N)
  set +e
  emulate --runtime "$runtime" --models-dir "$MODELS" classify "${images[@]}" --model "$MODEL" \
    --json >"$out" 2>"${out%.jsonl}.err"
  status=$?
  set -e
  ms=$((($(date +%s%N) - started) / 1000000))
  if [ "$status" != 0 ] || [ ! -s "$out" ]; then
    local reason
    reason="$(grep -v '^ *$' "${out%.jsonl}.err" | grep -v 'line [0-9]*: *[0-9]* Segm' \
      | tail -1 | cut -c1-160)"
    [ "$status" -gt 128 ] && reason="killed by signal $((status - 128))${reason:+: $reason}"
    say "   $tag: FAILED (exit $status after $((ms / 1000)) s) $reason"
    return 1
  fi
  "$PYTHON" - "$out" "$tag" "$ms" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
tag, wall_s = sys.argv[2], int(sys.argv[3]) / 1000
first = rows[0]
top = ", ".join(f"{l} {s:.0%}" for l, s in zip(first["labels"][:3], first["scores"][:3]))
warm = rows[1:] or rows
total = statistics.median(r["timings_ms"]["total"] for r in warm)
invoke = statistics.median(r["timings_ms"]["invoke"] for r in warm)
print(f"   {tag}: {first['model']}: {top}")
print(f"   {tag}: {total:.0f} ms per image (median of {len(warm)} after the first; invoke "
      f"{invoke:.0f} ms; the first took {first['timings_ms']['total']:.0f} ms); the command "
      f"ran {wall_s:.1f} s for {len(rows)} images, start-up included")
PY
}

worked=""
say "   qemu by itself, with the host's x86 /proc/cpuinfo:"
classify litert host || say "     -> LiteRT's CPU detection (cpuinfo, used by XNNPACK) finds no" \
  "ARM core in an x86 /proc/cpuinfo and dereferences a null pointer in allocate_tensors," \
  "with or without XNNPACK; a real Pi lists its cores"
classify tflite-runtime host || true
say "   with a Pi 4's /proc/cpuinfo, as on the Pi:"
for runtime in litert tflite-runtime; do
  if classify "$runtime" pi && [ -z "$worked" ]; then worked="$runtime"; fi
done
rm -f "$PI_CPUINFO"
[ -n "$worked" ] || fail "no runtime classified the photo under emulation"
top1="$("$PYTHON" -c 'import json, sys; print(json.loads(open(sys.argv[1]).readline())["labels"][0])' \
  "$CACHE/classify-$worked-pi.jsonl")"
if ! [[ "$top1" =~ ^(tabby|tiger\ cat|Egyptian\ cat|Persian\ cat)$ ]]; then
  [ "$IMAGE" -ef "$REPO/../shared/images/cat.bmp" ] && fail "the cat photo was not named a cat"
  say "   note: the top label is $top1; is $IMAGE a cat?"
fi
say ""
say "OK: wheels for bookworm, bookworm-apt and trixie; emulated classify ran on $worked"
