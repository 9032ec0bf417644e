#!/usr/bin/env bash
# Print the path of a Python >= 3.12 to build the environment with, or explain what to install.
set -u
ok() { "$1" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
for candidate in python python3 python3.12 python3.13 python3.14; do
  if command -v "$candidate" >/dev/null 2>&1 && ok "$(command -v "$candidate")"; then
    command -v "$candidate"
    exit 0
  fi
done
# pyenv installs that are not on PATH (e.g. a shell without pyenv's init)
for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python; do
  if [ -x "$candidate" ] && ok "$candidate"; then
    echo "$candidate"
    exit 0
  fi
done
echo "No Python >= 3.12 found. Install one (e.g. 'pyenv install 3.12', which .python-version selects," >&2
echo "or your system's python3.12 package with venv), then run make again." >&2
exit 1
