#!/bin/sh
# Runs the C client's tests against the real daemon, each under valgrind:
# any memory error, and any definite, indirect or possible leak, fails it
# (tests/valgrind.supp names the few process-wide allocations of gRPC,
# protobuf and abseil that are exempt). Then the regcache example, under
# valgrind too, must show the stale entry evicted; a program must build from
# the pkg-config file alone, and statically from libummunotify-client.a; and
# the C conformance runner must reject and fail its self-test scenarios for
# the right reasons.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build="$repo/build/clients/c"

"$here/build.sh" >/dev/null
if ! command -v valgrind >/dev/null 2>&1; then
	echo "clients/c/test.sh: valgrind is missing; scripts/setup.sh installs it" >&2
	exit 1
fi
: "${UMMUNOTIFYD:=$repo/bin/ummunotifyd}"
export UMMUNOTIFYD

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
valgrind_exit=97
set -- valgrind -q --leak-check=full \
	--show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible \
	--error-exitcode=$valgrind_exit --num-callers=40 --suppressions="$here/tests/valgrind.supp"

failed=0
programs=0
tests=0

# Runs "$@" with stdout to $logs/$name.out and stderr (the daemon's log and
# valgrind's findings) to $logs/$name.err, shown only on failure.
run() {
	name=$1
	shift
	status=0
	timeout 600 "$@" >"$logs/$name.out" 2>"$logs/$name.err" || status=$?
	return $status
}

report_failure() {
	name=$1
	status=$2
	failed=$((failed + 1))
	case $status in
	$valgrind_exit) echo "not ok - $name: valgrind found memory errors or leaks" ;;
	124) echo "not ok - $name: timed out" ;;
	*) echo "not ok - $name: exit status $status" ;;
	esac
	echo "# --- stderr of $name (daemon log, valgrind) ---"
	grep -v '^{"time"' "$logs/$name.err" | sed 's/^/# /' || true
}

for program in "$build"/tests/test_*; do
	name=$(basename "$program")
	programs=$((programs + 1))
	echo "# $name, under valgrind"
	status=0
	run "$name" "$@" "$program" || status=$?
	cat "$logs/$name.out"
	planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$logs/$name.out")
	tests=$((tests + ${planned:-0}))
	todos=$(grep -c '^not ok .* # TODO ' "$logs/$name.out" || true)
	if [ $status -eq 0 ] && [ "$todos" -gt 0 ]; then
		echo "# $name: all ${planned:-?} ok, $todos of them TODO (a known bug outside this library, named on its line), valgrind clean"
	elif [ $status -eq 0 ]; then
		echo "# $name: all ${planned:-?} passed, valgrind clean"
	else
		report_failure "$name" $status
	fi
done

programs=$((programs + 1))
echo "# regcache example, under valgrind"
status=0
run regcache "$@" "$build/regcache" || status=$?
cat "$logs/regcache.out"
if [ $status -ne 0 ]; then
	report_failure regcache $status
elif grep -q '^regcache: evicted stale entry .* cookie 1 (invalidated by unmap)$' "$logs/regcache.out" &&
	grep -q '^regcache: miss for .*: registered fresh as cookie 2$' "$logs/regcache.out"; then
	echo "# regcache: the stale entry of a was evicted and b registered fresh, valgrind clean"
else
	failed=$((failed + 1))
	echo "not ok - regcache: the output shows no eviction of a's entry and fresh registration of b"
fi

# pkg-config's flags, as a shell must read them: escaped blanks (a checkout
# under "/tmp/x y/") stay inside their word, so they go through eval, never
# through plain word splitting. The rest of each command is quoted for eval.
pc() {
	PKG_CONFIG_PATH="$build" pkg-config "$@" ummunotify-client
}

programs=$((programs + 1))
echo "# a program built with pkg-config ummunotify-client alone"
if eval "cc -Wall -Wextra -Werror -o \"\$logs/regcache-pc\" \"\$here/examples/regcache.c\" $(pc --cflags --libs)" 2>"$logs/pc.err"; then
	echo "# pkg-config: compiles and links"
else
	failed=$((failed + 1))
	echo "not ok - pkg-config: building against ummunotify-client.pc failed"
	sed 's/^/# /' "$logs/pc.err"
fi

programs=$((programs + 1))
echo "# a fully static program: libummunotify-client.a with pkg-config --static, linked by g++"
# glibc warns that getaddrinfo and friends need its shared libraries at run
# time; the client only ever opens a Unix socket, so the link's output is
# shown only when it fails.
if eval "cc -Wall -Wextra -Werror -c -o \"\$logs/regcache-static.o\" \"\$here/examples/regcache.c\" $(pc --cflags)" 2>"$logs/static.err" &&
	eval "g++ -static -o \"\$logs/regcache-static\" \"\$logs/regcache-static.o\" $(pc --static --libs)" 2>>"$logs/static.err"; then
	status=0
	run regcache-static "$logs/regcache-static" || status=$?
	if [ $status -eq 0 ] && grep -q '^regcache: evicted stale entry .* cookie 1 (invalidated by unmap)$' "$logs/regcache-static.out"; then
		echo "# static: links, runs and evicts the stale entry"
	else
		failed=$((failed + 1))
		echo "not ok - static: the statically linked regcache did not evict the stale entry (exit status $status)"
		sed 's/^/# /' "$logs/regcache-static.out" "$logs/regcache-static.err"
	fi
else
	failed=$((failed + 1))
	echo "not ok - static: building against libummunotify-client.a failed"
	grep -v 'statically linked applications requires at runtime' "$logs/static.err" | sed 's/^/# /'
fi

programs=$((programs + 1))
echo "# the C conformance runner's selftest"
status=0
run selftest "$repo/test/conformance/runners/c/selftest.sh" || status=$?
cat "$logs/selftest.out"
[ $status -eq 0 ] || report_failure selftest $status

echo "# C client: $((programs - failed)) of $programs passed ($tests tests in $((programs - 4)) test programs under valgrind; the regcache example; the pkg-config build; the static build; the runner's selftest)"
[ $failed -eq 0 ]
