#!/bin/sh
# Runs inside a guest booted by `npm run test:device`, with the module
# loaded: the conformance suite on the device engine, in node, python and c,
# from the host's files (read-only here). One summary line per language.
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo" || exit 125

if [ ! -c /dev/ummunotify ]; then
	echo "# no /dev/ummunotify in this guest: the module is not loaded"
	exit 1
fi
# No UMMUNOTIFY_ENGINE: the clients choose the device by themselves because
# /dev/ummunotify exists (on the host the same code chooses uffd), and each
# runner checks that GetInfo names the engine it chose.
unset UMMUNOTIFY_ENGINE
# The bundled daemon (npm run build:daemon) starts in a fraction of the time
# tsx needs under software emulation; it is the same source.
export UMMUNOTIFYD="$repo/daemon/dist/ummunotifyd.mjs"
# Nothing may be written into the host's tree from here.
export PYTHONDONTWRITEBYTECODE=1

status=0
run() {
	lang=$1
	shift
	echo "# ===== conformance on the device engine: $lang ($(uname -r)) ====="
	if "$@"; then
		echo "# conformance $lang on $(uname -r): PASS"
	else
		echo "# conformance $lang on $(uname -r): FAIL (exit status $?)"
		status=1
	fi
}
run node node_modules/.bin/vitest run --configLoader runner --config test/conformance/runners/node/vitest.config.ts
run python test/conformance/runners/python/run.sh -p no:cacheprovider
run c test/conformance/runners/c/run.sh
exit $status
