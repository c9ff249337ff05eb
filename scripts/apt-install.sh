#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Install Debian packages that are not installed yet.
#
#   scripts/apt-install.sh PKG...        install the missing ones among PKG...
#   scripts/apt-install.sh --lists       only make sure apt has package lists
#
# Idempotent and cheap when everything is present: it never touches the
# network then. `apt-get update` runs at most once, and only when apt has no
# lists, does not know a wanted package, or an install fails on stale lists.
set -eu

export DEBIAN_FRONTEND=noninteractive

SUDO=
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo -E"
	else
		echo "apt-install: not root and no sudo; cannot install: $*" >&2
		exit 1
	fi
fi

updated=no
update_lists() {
	if [ "$updated" = no ]; then
		echo "apt-install: apt-get update" >&2
		$SUDO apt-get update -q >&2
		updated=yes
	fi
}

have_lists() {
	# Lists may be stored compressed (Packages.lz4, .gz, ...).
	ls /var/lib/apt/lists/ 2>/dev/null | grep -q '_Packages'
}

is_installed() {
	[ "$(dpkg-query -W -f '${db:Status-Status}' "$1" 2>/dev/null || true)" = installed ]
}

has_candidate() {
	cand=$(apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: *//p')
	[ -n "$cand" ] && [ "$cand" != "(none)" ]
}

if [ "${1:-}" = "--lists" ]; then
	have_lists || update_lists
	exit 0
fi

missing=
for pkg in "$@"; do
	is_installed "$pkg" || missing="$missing $pkg"
done
[ -n "$missing" ] || exit 0

if ! have_lists; then
	update_lists
else
	for pkg in $missing; do
		if ! has_candidate "$pkg"; then
			update_lists
			break
		fi
	done
fi

echo "apt-install: installing:$missing" >&2
# $missing is a list of package names, split on purpose.
# shellcheck disable=SC2086
if ! $SUDO apt-get install -y -q --no-install-recommends $missing >&2; then
	# A failed download usually means the lists are stale: refresh once, retry.
	[ "$updated" = no ] || exit 1
	update_lists
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -q --no-install-recommends $missing >&2
fi
