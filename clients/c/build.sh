#!/bin/sh
# Builds the C client, its tests and example, and the C conformance runner
# into <repo>/build/clients/c. Configures only once; later runs rebuild what
# changed (CMake reconfigures itself when a CMakeLists.txt changes).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build="$repo/build/clients/c"

for tool in cmake pkg-config protoc grpc_cpp_plugin; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "clients/c/build.sh: $tool is missing; scripts/setup.sh installs it" >&2
		exit 1
	fi
done

# A cache from another checkout (a copied build directory) cannot be reused.
if [ -f "$build/CMakeCache.txt" ] && ! grep -qx "CMAKE_HOME_DIRECTORY:INTERNAL=$here" "$build/CMakeCache.txt"; then
	rm -rf "$build"
fi
if [ ! -f "$build/CMakeCache.txt" ]; then
	cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" --parallel "$(nproc 2>/dev/null || echo 2)"
