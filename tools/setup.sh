#!/usr/bin/env bash
# Set up TrainDoc on a Debian/Ubuntu machine: system libraries for Qt, a virtualenv in .venv,
# and the package installed in it (editable).
#   bash tools/setup.sh          what the app needs
#   bash tools/setup.sh --test   plus what the tests and benchmarks need (Xvfb, poppler, pytest ...)
# Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

# Qt's xcb platform plugin and the offscreen plugin need these (list after vorta's CI).
pkgs="python3-venv libegl1 libgl1 libglib2.0-0 libfontconfig1 libfreetype6 libdbus-1-3
      libxkbcommon0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1
      libxcb-randr0 libxcb-render-util0 libxcb-xinerama0 libxcb-xfixes0 libxcb-shape0
      libxcb-cursor0 libxcb-xkb1 libx11-xcb1 fonts-noto-cjk"
[ $want_test = 1 ] && pkgs="$pkgs xvfb xauth poppler-utils"

if command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1; then
  missing=""
  for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
  done
  if [ -n "$missing" ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "setup: installing system packages:$missing"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
  fi
else
  echo "setup: not a Debian/Ubuntu system; install Qt's xcb libraries yourself if the window does not open" >&2
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
if [ $want_test = 1 ]; then
  .venv/bin/python -m pip install -q -e ".[test]"
else
  .venv/bin/python -m pip install -q -e .
fi
echo "setup: ready (.venv/bin/traindoc)"
