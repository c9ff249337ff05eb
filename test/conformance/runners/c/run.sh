#!/bin/sh
# The conformance scenarios, run by the C client with this process as the
# target (uffd engine on a stock kernel, the device where /dev/ummunotify
# exists; UMMUNOTIFY_ENGINE picks one). Builds first where it can (quick when
# nothing changed); a read-only tree, as inside the test:device guest, runs
# what the host built.
#
#   test/conformance/runners/c/run.sh [SCENARIO.json | DIRECTORY]...
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../../.." && pwd)
runner="$repo/build/clients/c/conformance/umn-conformance"

if [ -w "$repo" ] && command -v cmake >/dev/null 2>&1; then
	"$repo/clients/c/build.sh" >/dev/null
elif [ ! -x "$runner" ]; then
	echo "run.sh: no $runner, and this tree cannot be built here; run clients/c/build.sh first" >&2
	exit 1
fi
: "${UMMUNOTIFYD:=$repo/bin/ummunotifyd}"
export UMMUNOTIFYD
exec "$runner" "$@"
