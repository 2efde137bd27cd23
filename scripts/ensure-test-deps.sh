#!/usr/bin/env bash
# What `npm test` needs that npm cannot install: Debian's Chromium (the end-to-end suite) and a
# Python 3.11+ that can make a venv (the Python suite; training/setup-venv.sh fills the venv).
# Installs the missing ones with apt-get, as root directly or through sudo without a password;
# otherwise names them and the command to run, and fails.
set -euo pipefail
chromium=${CHROMIUM_PATH:-/usr/bin/chromium}
python=${PYTHON:-/usr/bin/python3}
missing=()
[ -x "$chromium" ] || missing+=(chromium)
if ! "$python" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  missing+=(python3 python3-venv)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ]; then
  as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "error: the tests need ${missing[*]} (Debian packages). Install them with:" >&2
  echo "  sudo apt-get install ${missing[*]}" >&2
  echo "(or set CHROMIUM_PATH / PYTHON to ones you have), then run npm test again." >&2
  exit 1
fi
echo "installing ${missing[*]} for the tests (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -q
"${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
