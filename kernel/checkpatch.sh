#!/bin/bash
# Run the kernel's checkpatch.pl over every C file and header under kernel/.
#
# Debian ships checkpatch.pl only inside the kernel source tarball, so take
# the three files it needs from linux-source-6.1 (installed on demand).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
tarball=/usr/src/linux-source-6.1.tar.xz
out="$repo/build/checkpatch"

[ -f "$tarball" ] || "$repo/scripts/apt-install.sh" linux-source-6.1

if [ ! -x "$out/scripts/checkpatch.pl" ] || [ "$tarball" -nt "$out/scripts/checkpatch.pl" ]; then
	rm -rf "$out" && mkdir -p "$out"
	tar -xJf "$tarball" -C "$out" --strip-components=1 \
		linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch
	touch "$out/scripts/checkpatch.pl"
fi

cd "$repo"
mapfile -t files < <(git ls-files --cached --others --exclude-standard -- 'kernel/*.c' 'kernel/*.h')
[ "${#files[@]}" -gt 0 ] || { echo "checkpatch: no kernel sources found" >&2; exit 1; }

status=0
for f in "${files[@]}"; do
	perl "$out/scripts/checkpatch.pl" --no-tree --quiet --terse -f "$f" || status=1
done
if [ "$status" -eq 0 ]; then
	echo "checkpatch: ${#files[@]} files, 0 errors, 0 warnings"
fi
exit "$status"
