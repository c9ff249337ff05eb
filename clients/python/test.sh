#!/bin/sh
# Type-checks the Python client (mypy --strict: the package as built, its
# tests and examples) and runs its tests against the real daemon.
#
#   clients/python/build.sh && clients/python/test.sh [pytest args...]
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
python="$repo/.venv/bin/python"

if ! "$python" -c 'import ummunotify' 2>/dev/null; then
	echo "test.sh: ummunotify is not installed in $repo/.venv; run clients/python/build.sh first" >&2
	exit 1
fi

cd "$here"
# The package as installed: the generated modules exist only there.
"$python" -m mypy --strict --config-file "$here/pyproject.toml" -p ummunotify
"$python" -m mypy --strict --config-file "$here/pyproject.toml" tests examples
"$python" -m pytest -v tests "$@"
