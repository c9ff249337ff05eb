#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the test guest booted by kernel/vm/ (`npm run vm`).
#
# Contract with the host (kernel/vm/vm.ts):
#   9p tag hostroot   the host's / (read-only), mounted at /host and chrooted into
#   9p tag scratch    a host temp dir: ctl/ (cmd.sh and keep in, status or error
#                     out) and tmp/ (the guest's writable /tmp)
#   ttyS0             console: kernel log, messages from here, the command's stderr
#   ttyS1             the command's stdout, byte for byte
# The host decides the result from ctl/status alone: if this script dies
# without writing it (panic, oops=panic, a failed step) the run has failed.

/bin/busybox mkdir -p /proc /sys /dev /usr/bin /usr/sbin /hostro
/bin/busybox --install -s
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

say() { echo "vm-init: $*"; }

# Writing to a serial port only queues the bytes; a tcsetattr with
# TCSADRAIN (what stty does) waits until the UART has handed them to QEMU,
# so nothing is lost to the power-off that follows.
drain() {
	stty -F /dev/ttyS1 raw -echo 2>/dev/null
	stty -F /dev/ttyS0 -echo 2>/dev/null
}

die() {
	say "FAILED: $*"
	echo "$*" 2>/dev/null >/scratch/ctl/error
	sync
	drain
	poweroff -f
	exit 1
}

mount -t proc proc /proc || die "mount /proc"
mount -t sysfs sysfs /sys || die "mount /sys"
mount -t devtmpfs devtmpfs /dev || die "mount /dev"

while read -r mod; do
	insmod "/modules/$mod" || die "insmod $mod"
done </modules/order

# msize: bigger messages mean fewer round trips through the (emulated) virtqueue.
opts=trans=virtio,version=9p2000.L,msize=512000
# cache=mmap: writes go straight to the host (the status file must survive
# power-off) while shared writable mmap of files in /tmp still works.
mount -t 9p -o "$opts,cache=mmap" scratch /scratch || die "mount the scratch dir (9p tag scratch)"
# The host's root does not change under a run, so the guest may cache it.
mount -t 9p -o "ro,$opts,cache=loose" hostroot /host || die "mount the host root (9p tag hostroot)"

# An untouched view of the host root, for the directories bound back below.
mount --bind /host /hostro || die "bind /hostro"

taint_before=$(cat /proc/sys/kernel/tainted)
# Tells the host that from here on a crash may be ours: never retried.
: >/scratch/ctl/loading-module && sync
insmod /ummunotify.ko || die "insmod ummunotify.ko"
[ -c /dev/ummunotify ] || die "/dev/ummunotify did not appear after insmod"

mount -t proc proc /host/proc || die "mount /host/proc"
mount -t sysfs sysfs /host/sys || die "mount /host/sys"
mount -t devtmpfs devtmpfs /host/dev || die "mount /host/dev"
mkdir -p /host/dev/pts /host/dev/shm
mount -t devpts -o gid=5,mode=0620,ptmxmode=0666 devpts /host/dev/pts || die "mount /host/dev/pts"
mount -t tmpfs -o mode=1777 shm /host/dev/shm || die "mount /host/dev/shm"
mount -t tmpfs -o mode=0755 run /host/run || die "mount /host/run"
mount --bind /scratch/tmp /host/tmp || die "bind /host/tmp"
# The command's own directories may live under what the lines above hid (a
# clone in /tmp): ctl/keep names them, one per line, and they come back.
while read -r dir; do
	mkdir -p "/host$dir" && mount --bind "/hostro$dir" "/host$dir" ||
		die "bind $dir through the guest's own mounts"
done </scratch/ctl/keep
# Optional: useful to tests (memcg charging, kernel debug files), never fatal.
mount -t cgroup2 cgroup2 /host/sys/fs/cgroup 2>/dev/null
mount -t debugfs debugfs /host/sys/kernel/debug 2>/dev/null
# devtmpfs has no /dev/fd; bash process substitution and many tools want it.
ln -sf /proc/self/fd /host/dev/fd
ln -sf /proc/self/fd/0 /host/dev/stdin
ln -sf /proc/self/fd/1 /host/dev/stdout
ln -sf /proc/self/fd/2 /host/dev/stderr

# No network device, but loopback sockets (a daemon on 127.0.0.1) should work.
ip link set lo up 2>/dev/null

stty -F /dev/ttyS1 raw -echo || die "set up /dev/ttyS1"
script=$(cat /scratch/ctl/cmd.sh) || die "read ctl/cmd.sh"

say "$(uname -r) up after $(cut -d' ' -f1 /proc/uptime) s; running the command"
# The host's own /bin/sh runs the command script inside the chroot, from an
# empty environment (cmd.sh exports what the command gets).
env -i /bin/busybox chroot /host /bin/sh -c "$script" </dev/null >/dev/ttyS1
status=$?

taint_after=$(cat /proc/sys/kernel/tainted)
echo "$status $taint_before $taint_after" >/scratch/ctl/status.tmp &&
	mv /scratch/ctl/status.tmp /scratch/ctl/status || die "write ctl/status"
sync
drain
poweroff -f
