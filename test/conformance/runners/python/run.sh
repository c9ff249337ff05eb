#!/bin/sh
# The conformance scenarios, run by the Python client with this process as
# the target (uffd engine on a stock kernel; UMMUNOTIFY_ENGINE picks another).
#
#   clients/python/build.sh && test/conformance/runners/python/run.sh [pytest args...]
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../../.." && pwd)

if [ ! -x "$repo/.venv/bin/pytest" ]; then
	echo "run.sh: no $repo/.venv/bin/pytest; run clients/python/build.sh first" >&2
	exit 1
fi
exec "$repo/.venv/bin/pytest" -v "$here" "$@"
