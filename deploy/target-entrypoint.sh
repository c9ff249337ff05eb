#!/bin/sh
# Entrypoint of the target container: announce this process to the sidecar,
# wait until its daemon serves, then become the target program (exec keeps
# the pid, and the start time, that the sidecar was told).
#
#   target-entrypoint.sh CMD [ARG]...
#
# UMMUNOTIFY_SOCKET    the daemon's gRPC socket on the shared volume; the
#                      client library connects there instead of spawning a
#                      daemon of its own (clients/README.md)
# UMMUNOTIFY_RUN_DIR   the shared volume (default /run/ummunotify)
# UMMUNOTIFY_WAIT_S    how long to wait for the daemon (default 120)
set -eu
. "$(dirname "$0")/lib.sh"

: "${UMMUNOTIFY_SOCKET:?set UMMUNOTIFY_SOCKET to the daemon socket on the shared volume}"
wait_s=${UMMUNOTIFY_WAIT_S:-120}
[ "$#" -gt 0 ] || { umn_log "usage: $0 CMD [ARG]..."; exit 2; }

# The sidecar joins this container's pid namespace, so it cannot outlive it:
# whatever a daemon left on the volume is from an earlier run and would only
# mislead (a stale socket looks served; a stale lock names a recycled pid).
base=${UMMUNOTIFY_SOCKET%.sock}
rm -f "$UMMUNOTIFY_PID_FILE" "$UMMUNOTIFY_SOCKET" "$base.counter.sock" "$base.lock"

# Written under another name and renamed, so the sidecar never reads half a line.
printf '%s %s\n' "$$" "$(umn_starttime $$)" >"$UMMUNOTIFY_PID_FILE.tmp"
mv -f "$UMMUNOTIFY_PID_FILE.tmp" "$UMMUNOTIFY_PID_FILE"
umn_log "pid $$ announced in $UMMUNOTIFY_PID_FILE; waiting for $UMMUNOTIFY_SOCKET"

# The socket appears once the daemon has claimed its paths and listens.
waited=0
while [ ! -S "$UMMUNOTIFY_SOCKET" ]; do
	if [ "$waited" -ge "$((wait_s * 5))" ]; then
		umn_log "no daemon socket at $UMMUNOTIFY_SOCKET after ${wait_s}s: is the ummunotifyd service running? (docker compose logs ummunotifyd)"
		exit 1
	fi
	sleep 0.2
	waited=$((waited + 1))
done
exec "$@"
