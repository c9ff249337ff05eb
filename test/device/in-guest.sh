#!/bin/sh
# Runs inside a guest booted by `npm run test:device`, with the module
# loaded: the conformance suite on the device engine, in node, python and c,
# from the host's files (read-only here); the differential fuzzer on the
# device engine, and on both engines in step, compared (FUZZ_SEED replays a
# seed; otherwise each run prints the one it drew); then with --yama each
# library's handoff under Yama's ptrace_scope 1 (yama.sh). One summary line
# per language and part.
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

# Each runner and the daemon it starts run on CPU 0 alone: a page a runner
# has just faulted in sits in that CPU's LRU batch, which MADV_PAGEOUT
# (scenario 046) drains only on its own CPU; from another CPU the page could
# not be isolated, and nothing would be paged out.
pin="taskset -c 0"

status=0
run() {
	lang=$1
	shift
	echo "# ===== conformance on the device engine: $lang ($(uname -r)) ====="
	# A runner may leave a terminal escape and no newline behind.
	if "$@"; then
		printf '\n# conformance %s on %s: PASS\n' "$lang" "$(uname -r)"
	else
		printf '\n# conformance %s on %s: FAIL (exit status %s)\n' "$lang" "$(uname -r)" "$?"
		status=1
	fi
}
run node $pin node_modules/.bin/vitest run --configLoader runner --config test/conformance/runners/node/vitest.config.ts
# The scenarios only: the runner's own self-tests are host tests.
run python $pin test/conformance/runners/python/run.sh -p no:cacheprovider -k test_scenario
run c $pin test/conformance/runners/c/run.sh

# The fuzzer's daemons need sockets, which this guest's /tmp (9p) cannot
# hold; its target's files go on a ramfs, which the kernel treats as files
# (a tmpfs file would be shmem).
export TMPDIR=/run
files=/run/fuzz-files
mkdir -p "$files" && mount -t ramfs ramfs "$files"
fuzz() {
	engine=$1
	runs=$2
	echo "# ===== fuzz on $engine ($(uname -r)) ====="
	# Pinned as the runners are. Unpinned, node died of SIGSEGV before its
	# first line about once in fifteen starts under TCG with two vCPUs (seen
	# with --help alone, so not in our code); pinned, never in our runs.
	if $pin node --import tsx test/fuzz/cli.ts --engine "$engine" --runs "$runs" --steps 30 \
		--file-dir "$files" ${FUZZ_SEED:+--seed "$FUZZ_SEED"}; then
		echo "# fuzz $engine on $(uname -r): PASS"
	else
		echo "# fuzz $engine on $(uname -r): FAIL (exit status $?)"
		status=1
	fi
}
fuzz device "${FUZZ_RUNS:-30}"
fuzz both "${FUZZ_RUNS:-15}"
if [ "${1:-}" = --yama ]; then
	sh test/device/yama.sh || status=1
fi
exit $status
