#!/bin/sh
# The conformance scenarios, run by the C client with this process as the
# target (uffd engine on a stock kernel; UMMUNOTIFY_ENGINE picks another).
# Builds first if needed (quick when nothing changed).
#
#   test/conformance/runners/c/run.sh [SCENARIO.json | DIRECTORY]...
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../../.." && pwd)

"$repo/clients/c/build.sh" >/dev/null
: "${UMMUNOTIFYD:=$repo/bin/ummunotifyd}"
export UMMUNOTIFYD
exec "$repo/build/clients/c/conformance/umn-conformance" "$@"
