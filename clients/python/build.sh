#!/bin/sh
# Builds the Python client into the repository's virtual environment,
# <repo>/.venv (created if missing): its build and test tools first, then the
# package itself, from this directory, non-editable. The gRPC modules are
# generated from <repo>/proto during that build (setup.py). Idempotent; works
# from any directory.
#
#   clients/python/build.sh
#
# Packages come from the machine's own pip configuration.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
venv="$repo/.venv"

if ! "$venv/bin/python" -c '' 2>/dev/null; then
	python3 -m venv --clear "$venv"
fi
pip() { "$venv/bin/python" -m pip --disable-pip-version-check "$@"; }

pip install --quiet -r "$here/requirements-dev.txt"
# No build isolation: the tools just installed build it, so a rebuild takes
# seconds and needs no download. pip builds in the tree; setuptools' build
# directory goes first so that nothing stale can reach the wheel.
rm -rf "$here/build"
pip install --quiet --no-build-isolation "$here"

echo "build.sh: ummunotify installed in $venv" >&2
