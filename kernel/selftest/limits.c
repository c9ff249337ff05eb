// SPDX-License-Identifier: GPL-2.0
/*
 * Resources: the per-fd registration cap, the module reference an open fd
 * holds, the slab cache of registrations, which must be empty once the fds
 * are gone, and the memory cgroup that pays for registrations.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "cases.h"
#include "umn.h"
#include "util.h"

#define CAP			16
#define SLAB_DIR		"/sys/kernel/slab/ummunotify_reg"
#define SLAB_REGS		4096
#define SLAB_PAGES		64
/* How long freed registrations may take to leave the cache, in ms. */
#define SLAB_SETTLE_MS		10000

#define MEMCG_ROOT		"/sys/fs/cgroup"
#define MEMCG_DIR		MEMCG_ROOT "/ummunotify-selftest"
#define MEMCG_REGS		20000
/* Half the object size: room for per-CPU charge caching, none for no charge. */
#define MEMCG_MIN_BYTES_PER_REG	64

long long saved_max_registrations = -1;

static bool set_max_registrations(long long val)
{
	char text[32];
	long long now;

	snprintf(text, sizeof(text), "%lld", val);
	if (!write_string(UMN_PARAM_MAX_REGS, text))
		return false;
	return read_number(UMN_PARAM_MAX_REGS, &now) && EXPECT_EQ(now, val);
}

/* Runs in the runner: put the parameter back whatever the case did. */
static void restore_max_registrations(void)
{
	long long now;
	char text[32];
	int fd;

	if (saved_max_registrations < 0)
		return;
	fd = open(UMN_PARAM_MAX_REGS, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return;
	memset(text, 0, sizeof(text));
	now = read(fd, text, sizeof(text) - 1) > 0 ? strtoll(text, NULL, 10) : -1;
	if (now != saved_max_registrations) {
		snprintf(text, sizeof(text), "%lld", saved_max_registrations);
		if (pwrite(fd, text, strlen(text), 0) < 0)
			tap_diag("could not restore %s to %s: %s",
				 UMN_PARAM_MAX_REGS, text, tap_errstr(errno));
	}
	close(fd);
}

static void test_registration_cap(void)
{
	struct ummunotify_event ev[CAP + 2];
	char *p = map_pages(1);
	long long old;
	int before, fd, i;

	ASSERT_TRUE(read_number(UMN_PARAM_MAX_REGS, &old));
	tap_diag("max_registrations was %lld", old);
	ASSERT_MSG(old > CAP + 4, "max_registrations %lld is too small to test",
		   old);
	before = umn_open();
	ASSERT_TRUE(set_max_registrations(CAP));
	fd = umn_open();

	for (i = 1; i <= CAP; i++)
		ASSERT_OK(umn_register(fd, U64(p), U64(p + page_size), i));
	EXPECT_ERRNO(umn_register(fd, U64(p), U64(p + page_size), CAP + 1),
		     ENOSPC);
	EXPECT_ERRNO(umn_register(fd, U64(p), U64(p + page_size), CAP + 2),
		     ENOSPC);
	ASSERT_OK(umn_unregister(fd, 5));
	EXPECT_OK(umn_register(fd, U64(p), U64(p + page_size), CAP + 1));
	EXPECT_ERRNO(umn_register(fd, U64(p), U64(p + page_size), CAP + 2),
		     ENOSPC);

	/* The full fd still reports. */
	ASSERT_OK(munmap(p, page_size));
	EXPECT_EQ(umn_read_reports(fd, ev, ARRAY_SIZE(ev), NULL), CAP + 1);

	/* An fd opened before the change keeps the cap it was opened with. */
	for (i = 1; i <= CAP + 4; i++)
		EXPECT_OK(umn_register(before, 0x10000, 0x20000, i));

	EXPECT_TRUE(set_max_registrations(old));
	/* A new fd gets the restored cap. */
	fd = umn_open();
	for (i = 1; i <= CAP + 4; i++)
		EXPECT_OK(umn_register(fd, 0x10000, 0x20000, i));
}

static void test_module_pinned(void)
{
	struct stat st;
	long long refcnt;
	long ret;
	int fd = umn_open();

	ASSERT_TRUE(read_number(UMN_SYSFS_MODULE "/refcnt", &refcnt));
	/* Unloading with a zero refcount would succeed: never try that. */
	ASSERT_MSG(refcnt > 0,
		   "module refcnt is %lld with an fd open: the fd does not pin the module",
		   refcnt);
	tap_diag("module refcnt %lld with one fd open", refcnt);

	ret = sys_delete_module(UMN_MODULE, O_NONBLOCK);
	EXPECT_MSG(ret == -1 && (errno == EWOULDBLOCK || errno == EBUSY),
		   "delete_module(O_NONBLOCK) with an fd open: expected EWOULDBLOCK or EBUSY, got %s",
		   ret == -1 ? tap_errstr(errno) : "success: module unloaded");
	ASSERT_OK(stat(UMN_SYSFS_MODULE, &st));
	/* Still loaded and working. */
	EXPECT_OK(umn_register(fd, 0x10000, 0x20000, 1));
	close(fd);
	fd = umn_open();
	EXPECT_OK(umn_register(fd, 0x10000, 0x20000, 1));
}

static bool slab_objects(long long *n)
{
	return write_string(SLAB_DIR "/shrink", "1") &&
	       read_number(SLAB_DIR "/objects", n);
}

/*
 * Objects in the cache once it has settled to 0, or what is left after
 * SLAB_SETTLE_MS (frees may be deferred to RCU or a workqueue).
 */
static long long slab_settled(void)
{
	struct timespec t0, t;
	long long n = -1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (!slab_objects(&n))
			return -1;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (!n || (t.tv_sec - t0.tv_sec) * 1000 +
			  (t.tv_nsec - t0.tv_nsec) / 1000000 > SLAB_SETTLE_MS)
			return n;
		usleep(50000);
	}
}

/* Open, register SLAB_REGS ranges and invalidate them all. */
static int fill_fd(void)
{
	int fd = umn_open();
	char *p = map_pages(SLAB_PAGES);
	int i;

	for (i = 0; i < SLAB_REGS; i++) {
		char *r = p + (i % SLAB_PAGES) * page_size;

		ASSERT_OK(umn_register(fd, U64(r + i / SLAB_PAGES),
				       U64(r + page_size), i));
	}
	ASSERT_OK(munmap(p, SLAB_PAGES * page_size));
	return fd;
}

static void test_slab_empty_after_close(void)
{
	struct stat st;
	long long n;
	pid_t pid;
	int fd;

	ASSERT_MSG(!lstat(SLAB_DIR, &st),
		   "%s: %s (the guest must boot with slab_nomerge)", SLAB_DIR,
		   tap_errstr(errno));
	ASSERT_MSG(S_ISDIR(st.st_mode),
		   "%s is %s, not a directory: the cache was merged (boot with slab_nomerge)",
		   SLAB_DIR, S_ISLNK(st.st_mode) ? "a symlink" : "not a dir");

	n = slab_settled();
	ASSERT_MSG(n == 0,
		   "%lld registrations in the cache before the case: leaked by an earlier case?",
		   n);

	/* Closed by close(2), with thousands of reports pending. */
	fd = fill_fd();
	ASSERT_TRUE(slab_objects(&n));
	tap_diag("%lld objects with %d registrations", n, SLAB_REGS);
	EXPECT_MSG(n > 0, "no objects in %s while %d registrations exist",
		   SLAB_DIR, SLAB_REGS);
	ASSERT_OK(close(fd));
	n = slab_settled();
	EXPECT_MSG(n == 0, "%lld objects left %d ms after close", n,
		   SLAB_SETTLE_MS);

	/* Closed by the exit of its process. */
	pid = ASSERT_OK(tap_fork());
	if (pid == 0) {
		fill_fd();
		tap_child_exit();
	}
	tap_wait_child(pid, "child holding registrations");
	n = slab_settled();
	EXPECT_MSG(n == 0, "%lld objects left %d ms after the holder exited",
		   n, SLAB_SETTLE_MS);
}

static void remove_memcg(void)
{
	if (rmdir(MEMCG_DIR) && errno != ENOENT)
		tap_diag("rmdir %s: %s", MEMCG_DIR, tap_errstr(errno));
}

/*
 * Registrations live in kernel memory that the caller asked for, so the
 * caller's memory cgroup pays: a cgroup limit bounds what a process can pin
 * in the kernel through this device.
 */
static void test_memcg_charged(void)
{
	long long before, after;
	char pid[32];
	int fd, i;

	ASSERT_TRUE(write_string(MEMCG_ROOT "/cgroup.subtree_control",
				 "+memory"));
	remove_memcg();
	ASSERT_MSG(!mkdir(MEMCG_DIR, 0755), "mkdir %s: %s", MEMCG_DIR,
		   tap_errstr(errno));
	snprintf(pid, sizeof(pid), "%d", getpid());
	ASSERT_TRUE(write_string(MEMCG_DIR "/cgroup.procs", pid));

	fd = umn_open();
	ASSERT_TRUE(read_number(MEMCG_DIR "/memory.current", &before));
	for (i = 0; i < MEMCG_REGS; i++)
		ASSERT_OK(umn_register(fd, (__u64)(i + 1) * page_size,
				       (__u64)(i + 2) * page_size, i));
	ASSERT_TRUE(read_number(MEMCG_DIR "/memory.current", &after));
	tap_diag("memory.current grew by %lld bytes for %d registrations",
		 after - before, MEMCG_REGS);
	EXPECT_MSG(after - before >= (long long)MEMCG_REGS * MEMCG_MIN_BYTES_PER_REG,
		   "memory.current grew by %lld bytes, want >= %lld",
		   after - before,
		   (long long)MEMCG_REGS * MEMCG_MIN_BYTES_PER_REG);
}

DEFINE_CASES(limits,
	{
		.name = "limits: max_registrations caps an fd with ENOSPC, snapshot at open",
		.fn = test_registration_cap,
		.cleanup = restore_max_registrations,
	},
	CASE(test_module_pinned,
	     "limits: delete_module with an fd open fails, the module stays"),
	CASE(test_slab_empty_after_close,
	     "limits: closing an fd empties the ummunotify_reg slab cache"),
	{
		.name = "limits: registrations are charged to the caller's memory cgroup",
		.fn = test_memcg_charged,
		.cleanup = remove_memcg,
	},
);
