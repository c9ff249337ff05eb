# Shared by target-entrypoint.sh and sidecar-entrypoint.sh (POSIX sh).
#
# The two containers agree on the target through one file on the shared
# volume, $UMMUNOTIFY_RUN_DIR/target.pid, holding "PID STARTTIME". A pid
# alone is not enough: the file may be left from an earlier run whose pid
# namespace is gone, and a new namespace hands out the same small numbers
# again. The start time (field 22 of /proc/PID/stat, clock ticks since boot)
# tells the process that wrote the file from any other holder of its pid.

UMMUNOTIFY_RUN_DIR=${UMMUNOTIFY_RUN_DIR:-/run/ummunotify}
UMMUNOTIFY_PID_FILE="$UMMUNOTIFY_RUN_DIR/target.pid"

# Prints the start time of process $1; fails if there is no such process.
umn_starttime() {
	umn_stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	# The command name (field 2) may hold spaces and parentheses: cut after its last ')'.
	umn_stat=${umn_stat##*) }
	# shellcheck disable=SC2086 # split on purpose: fields 3... become $1...
	set -- $umn_stat
	shift 19
	echo "$1"
}

umn_log() {
	echo "$(basename "$0"): $*" >&2
}
