#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Set up a fresh Debian bookworm machine (as root, or with sudo) to build and
# test everything in this repository. Idempotent: a second run installs
# nothing and only re-checks.
#
#   scripts/setup.sh
#
# Node.js (20 or newer) and npm must already be there; the package registry
# is the machine's npm configuration, not this script's.
set -eu

cd "$(dirname "$0")/.."

# Build tools for the module, the selftest and native addons; the guest
# harness's tools (kernel/vm/kernels.ts TOOL_PACKAGES installs the same ones
# on demand, so `npm run vm` also works without this script); Debian's gRPC
# and json-c for the C client and its conformance runner; valgrind for the C
# client's tests; Python's venv; Open MPI and mpi4py for the MPI example
# (npm run test:mpi); UCX's memory hooks (UCM), the peer the benchmarks
# compare with.
scripts/apt-install.sh \
	build-essential gcc make \
	qemu-system-x86 busybox-static kmod cpio xz-utils zstd \
	linux-source-6.1 \
	cmake pkg-config libgrpc++-dev libprotobuf-dev protobuf-compiler \
	protobuf-compiler-grpc libjson-c-dev valgrind \
	python3 python3-venv python3-pip \
	openmpi-bin python3-mpi4py \
	docker-compose python3-seccomp \
	libucx-dev

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	echo "setup: node and npm are needed (Node.js 20 or newer)" >&2
	exit 1
fi

# node_modules exactly as package-lock.json says; its postinstall builds the
# gRPC types from proto/ and the native addons (node-gyp, installed headers).
npm ci

# The C client (CMake, Debian's gRPC) and the Python client's virtual
# environment (.venv, packages from the machine's PyPI configuration).
npm run build:c
npm run build:python

# Both test kernels' images and headers: Debian's 6.1 and the newest 6.12
# that has headers (the harness decides which packages that means).
for kernel in 6.1 6.12; do
	npx tsx kernel/vm/cli.ts --install-only --kernel "$kernel"
done

echo "setup: done" >&2
