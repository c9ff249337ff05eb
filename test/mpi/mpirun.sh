#!/bin/sh
# The MPI registration-cache example (clients/python/examples/mpi_regcache.py)
# under Debian's Open MPI: NP ranks (default 2) on this machine, each started
# by `ummunotifyd run`, so each has a sidecar of its own.
#
#   test/mpi/mpirun.sh            (npm run example:mpi)
#   NP=4 test/mpi/mpirun.sh
#
# Needs openmpi-bin and python3-mpi4py (scripts/setup.sh installs them) and
# the Python client in .venv (clients/python/build.sh).
set -eu

repo=$(cd "$(dirname "$0")/../.." && pwd)
python="$repo/.venv/bin/python"
np=${NP:-2}

fail() {
	echo "mpirun.sh: $*" >&2
	exit 1
}

command -v mpirun >/dev/null 2>&1 || fail "mpirun not found; apt-get install openmpi-bin (scripts/setup.sh does)"
"$python" -c 'import ummunotify' 2>/dev/null || fail "ummunotify is not installed in $repo/.venv; run clients/python/build.sh"

# Debian's mpi4py is built for the system python3; the venv's interpreter
# does not see system packages, and giving it all of them (PYTHONPATH=
# dist-packages, or a --system-site-packages venv) would let Debian's copies
# of anything shadow the venv's grpcio and protobuf. So a directory holding a
# link to mpi4py alone goes on the path, for this run only.
mpi4py=$(/usr/bin/python3 -c 'import mpi4py, os; print(os.path.dirname(mpi4py.__file__))' 2>/dev/null) ||
	fail "mpi4py not found for /usr/bin/python3; apt-get install python3-mpi4py (scripts/setup.sh does)"
shim="$repo/build/mpi4py-path"
mkdir -p "$shim"
ln -sfn "$mpi4py" "$shim/mpi4py"
PYTHONPATH="$shim${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONPATH
# Loading the extension without MPI_Init checks that it fits this interpreter
# (the same CPython minor version as /usr/bin/python3).
"$python" -c 'import mpi4py; mpi4py.rc.initialize = False; from mpi4py import MPI' ||
	fail "$("$python" -V) cannot load Debian's mpi4py ($mpi4py, built for $(/usr/bin/python3 -V)); build .venv with the same Python minor version"

# Open MPI refuses root unless told; CI runs as root. Shared memory only
# (self, vader with ob1): no network transport, no UCX, no ssh.
root=
[ "$(id -u)" -ne 0 ] || root=--allow-run-as-root
# shellcheck disable=SC2086
exec mpirun $root --oversubscribe --bind-to none -np "$np" \
	--mca pml ob1 --mca btl self,vader --mca plm_rsh_agent false \
	-x PYTHONPATH \
	"$repo/bin/ummunotifyd" run -- "$python" "$repo/clients/python/examples/mpi_regcache.py"
