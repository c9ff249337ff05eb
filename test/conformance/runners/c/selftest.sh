#!/bin/sh
# The C conformance runner's own check: runs it on selftest/, scenarios made
# to be rejected or to fail, and requires each verdict and reason below. A
# runner that let a bad scenario pass would pass every real one too.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../../.." && pwd)

"$repo/clients/c/build.sh" >/dev/null
: "${UMMUNOTIFYD:=$repo/bin/ummunotifyd}"
export UMMUNOTIFYD
out=$(mktemp)
trap 'rm -f "$out"' EXIT

status=0
"$repo/build/clients/c/conformance/umn-conformance" "$here/selftest" >"$out" || status=$?

failed=0
check() {
	# $1: scenario stem; $2: "ok" or the text its "not ok" line must hold
	if [ "$2" = ok ]; then
		grep -Eq "^ok [0-9]+ - $1( |\$)" "$out" && return
	else
		grep "^not ok [0-9]* - $1: " "$out" | grep -Fq -- "$2" && return
	fi
	failed=$((failed + 1))
	echo "not ok - selftest $1: expected ${2}, got: $(grep -E " - $1(:| |\$)" "$out" || echo nothing)"
}

check reject-unknown-scenario-field 'scenario: unknown field "comment"'
check reject-unknown-op '1 mlock: unknown op'
check reject-unknown-step-field '0 munmap: unknown field "flags"'
check reject-error-on-memory-step '0 mmap: unknown field "error"'
check reject-matcher-field '0 read-events: expect[0].last: takes no fields'
check reject-unknown-status '0 attach: error.code: expected a gRPC status name'
check reject-stream-last '0 stream-expect: expect[0]: only invalidation matchers here'
check reject-not-json 'not JSON'
check fail-bad-expression '1 register: at: "a+1q": expected + or -'
check fail-unbound-name '1 munmap: at: "b": no mapping is named b'
check fail-out-of-range '0 register: at: "0xffffffffffffffff+1" is outside [0, 2^64)'
check fail-hint-mismatch '3 read-events: cookie 1: hint true, expected false'
check fail-expected-error '1 register: expected Register to fail with INVALID_ARGUMENT/EINVAL, it succeeded'
check fail-unmap-runner-memory 'would unmap memory the runner did not map'
check fail-write-read-only 'not memory the runner mapped writable'
check fail-counter-before-attach '0 check-counter: no counter page'
check fail-stream-silent '1 stream-expect: the stream s delivered 0 of 1 invalidations'
# Another engine's scenario is no test of this run: a comment, no verdict.
grep -q "^# skip-device-only: written for another engine than uffd; not run" "$out" || {
	failed=$((failed + 1))
	echo "not ok - selftest skip-device-only: expected the not-run comment, got: $(grep skip-device-only "$out" || echo nothing)"
}
check own-sidecar-every-op ok
check state-1-leave ok
check state-2-fail-leave '4 check-counter: expected changed false'
check state-3-clean ok

total=$(grep -c '^\(not \)\{0,1\}ok ' "$out" || true)
if [ "$status" -eq 0 ]; then
	failed=$((failed + 1))
	echo "not ok - selftest: the runner exited 0 although scenarios failed"
fi
if [ "$total" -ne 21 ]; then
	failed=$((failed + 1))
	echo "not ok - selftest: $total verdicts, expected 21 (a new file in selftest/ needs a check here)"
fi
if [ $failed -eq 0 ]; then
	echo "# C conformance runner selftest: all 21 verdicts as expected, and the device-only scenario not run (rejections, failures with their reasons, passes, a shared sidecar cleaned after both)"
fi
[ $failed -eq 0 ]
