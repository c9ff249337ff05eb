#!/bin/sh
# Runs inside a guest (test/device/in-guest.sh), as root: with Yama's
# ptrace_scope at 1, Ubuntu's default, a target without CAP_SYS_PTRACE whose
# client library spawned its own sidecar must still hand that sidecar its fd.
# The sidecar is the target's child (or, under `ummunotifyd run`, its
# sibling), and under scope 1 neither may pidfd_getfd from it unless the
# target named it with prctl(PR_SET_PTRACER), which each library does before
# Attach. Yama's rule is the same for
# every uid without CAP_SYS_PTRACE; the examples run as root with that
# capability taken out of their bounding set (so neither they nor their
# sidecar have it), because the venv's interpreter lives under /root here.
# Each example must finish; one summary line each.
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo" || exit 125

scope_file=/proc/sys/kernel/yama/ptrace_scope
if [ ! -w "$scope_file" ]; then
	echo "# yama: $scope_file is missing: this kernel has no Yama"
	exit 1
fi
saved=$(cat "$scope_file")
echo 1 >"$scope_file"
trap 'echo "$saved" >"$scope_file"' EXIT

without_ptrace() {
	setpriv --bounding-set -sys_ptrace --inh-caps -sys_ptrace env PATH="$repo/bin:$PATH" "$@"
}

status=0
check() {
	lang=$1
	shift
	echo "# ===== Yama ptrace_scope 1, no CAP_SYS_PTRACE: the $lang example ($(uname -r)) ====="
	if without_ptrace "$@"; then
		printf '# yama %s on %s: PASS\n' "$lang" "$(uname -r)"
	else
		printf '# yama %s on %s: FAIL (exit status %s)\n' "$lang" "$(uname -r)" "$?"
		status=1
	fi
}
check c build/clients/c/regcache
check python .venv/bin/python clients/python/examples/regcache.py
# tsx's own CLI would listen on a socket in /tmp, which is 9p in the guest.
check node node --import tsx clients/node/examples/regcache.ts
# A sidecar the target did not spawn: under `run` it is the target's sibling.
check run ummunotifyd run -- .venv/bin/python clients/python/examples/regcache.py

# The control, without which the lines above would prove nothing: the same
# Python example with the library's prctl taken out must be refused.
echo "# ===== control: the python example without PR_SET_PTRACER must get EPERM ($(uname -r)) ====="
out=$(without_ptrace .venv/bin/python -c '
import runpy, sys
import ummunotify._client as client
client.name_daemon_ptracer = lambda socket_path: None
sys.argv = ["regcache.py"]
runpy.run_path("clients/python/examples/regcache.py", run_name="__main__")
' 2>&1)
code=$?
echo "$out" | grep -v '^{"time"' | tail -3
if [ $code -ne 0 ] && echo "$out" | grep -q 'EPERM'; then
	printf '# yama control on %s: PASS (refused: exit status %s, EPERM)\n' "$(uname -r)" "$code"
else
	printf '# yama control on %s: FAIL (exit status %s; Yama did not refuse a target that named no ptracer)\n' "$(uname -r)" "$code"
	status=1
fi
exit $status
