#!/bin/sh
# Entrypoint of the ummunotifyd container: find the target announced on the
# shared volume, then become its daemon.
#
#   sidecar-entrypoint.sh [DAEMON-ARG]...     (e.g. --log-level debug)
#
# This container shares the target's pid namespace (compose: pid:
# "service:target"), so the pid the target wrote is valid here, and the
# daemon's own checks hold as on a host: it opens a pidfd for that pid at
# start, and accepts Attach only from that process (SO_PEERCRED /
# SO_PEERPIDFD). The target announces itself rather than being looked for by
# command line, because the target alone knows which of its processes is the
# one that will call ummunotify.open().
#
# UMMUNOTIFY_SOCKET    where to serve (default $UMMUNOTIFY_RUN_DIR/target.sock)
# UMMUNOTIFY_RUN_DIR   the shared volume (default /run/ummunotify)
# UMMUNOTIFY_WAIT_S    how long to wait for the target (default 120)
set -eu
. "$(dirname "$0")/lib.sh"

socket=${UMMUNOTIFY_SOCKET:-$UMMUNOTIFY_RUN_DIR/target.sock}
wait_s=${UMMUNOTIFY_WAIT_S:-120}

# The file must name a live process with the same start time: one left from
# an earlier run (see lib.sh) is ignored until the target replaces it.
waited=0
while :; do
	if read -r pid started <"$UMMUNOTIFY_PID_FILE" 2>/dev/null &&
		[ -n "$pid" ] && [ "$(umn_starttime "$pid" || true)" = "$started" ]; then
		break
	fi
	if [ "$waited" -ge "$((wait_s * 5))" ]; then
		umn_log "no live target announced in $UMMUNOTIFY_PID_FILE after ${wait_s}s (is this container in the target's pid namespace, pid: \"service:target\"?)"
		exit 1
	fi
	sleep 0.2
	waited=$((waited + 1))
done
umn_log "target is pid $pid; serving it on $socket"
exec ummunotifyd --pid "$pid" --socket "$socket" "$@"
