#!/usr/bin/env bash
# Creates training/.venv from training/requirements.txt, or brings it up to date; does
# nothing when the venv was built from the current requirements. PYTHON picks the base
# interpreter (default /usr/bin/python3, Debian's). pip options come from the environment
# (PIP_EXTRA_INDEX_URL etc.; docs/training.md).
set -euo pipefail
cd "$(dirname "$0")"
python=${PYTHON:-/usr/bin/python3}
venv=.venv
stamp=$venv/requirements.sha256
want=$(sha256sum requirements.txt | cut -d' ' -f1)

# A venv whose interpreter no longer runs (its base Python was upgraded or removed) is rebuilt.
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && "$venv/bin/python" -c '' 2>/dev/null; then
  exit 0
fi
if ! command -v "$python" >/dev/null; then
  echo "error: $python not found: install Python 3.11+ (Debian: apt-get install python3 python3-venv) or set PYTHON" >&2
  exit 1
fi
# numpy 2.4 and onnxruntime 1.30 need 3.11 (torch 2.13 alone would take 3.10).
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "error: $python is Python $("$python" -c 'import platform; print(platform.python_version())'); the pinned libraries need 3.11+ (set PYTHON)" >&2
  exit 1
fi
if ! "$python" -c 'import venv, ensurepip' 2>/dev/null; then
  echo "error: $python cannot create a venv: install Debian's python3-venv (apt-get install python3-venv)" >&2
  exit 1
fi
# A venv left without pip by an interrupted creation is created again.
if ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
  rm -rf "$venv"
  "$python" -m venv "$venv"
fi
rm -f "$stamp"
"$venv/bin/python" -m pip install --disable-pip-version-check -r requirements.txt
echo "$want" > "$stamp"
