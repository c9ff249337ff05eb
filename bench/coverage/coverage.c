// SPDX-License-Identifier: GPL-2.0
/*
 * bench/coverage: which ways of invalidating memory each mechanism catches,
 * measured by doing each one to a watched page and looking for the report.
 *
 *   coverage --engine uffd     the C client, uffd engine (spawns ummunotifyd)
 *   coverage --engine ucm      UCX's memory hooks, UCM_EVENT_VM_UNMAPPED
 *   coverage --engine device   /dev/ummunotify opened directly (in a guest)
 *
 * For every source: fresh memory, watched (registered under a fresh cookie,
 * or for UCM the range remembered by the handler), the operation, then
 * "caught" if a report for that cookie (UCM: a VM_UNMAPPED event overlapping
 * the range) arrived, "missed" otherwise.  A registration the engine refuses
 * is "missed" too, with the reason on stderr.
 *
 * Built with -DSTATIC_TARGET -static (the C client linked in statically,
 * with gRPC and protobuf from their .a archives; UCM from libucm.a), the
 * program runs only the libc munmap case and names it static_munmap: does
 * the mechanism still work in a statically linked target?
 *
 * One JSON figure line per source on stdout (bench/figures.ts): value
 * "caught" or "missed", unit and target null.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/ummunotify.h>
#include <ucm/api/ucm.h>
#include <ummunotify/client.h>

#define BENCH "coverage"

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "coverage: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

enum engine { UFFD, UCM, DEVICE };
static enum engine engine;
static const char *engine_name;
static size_t pg;

/* ---- watchers ----------------------------------------------------------- */

static struct umn_client *client;
static int devfd = -1;
static uint64_t cookie;
static int watching;

static volatile uintptr_t ucm_start, ucm_end;
static volatile int ucm_hit;

static void ucm_handler(ucm_event_type_t type, ucm_event_t *ev, void *arg)
{
	(void)arg;
	if (type != UCM_EVENT_VM_UNMAPPED)
		return;
	uintptr_t a = (uintptr_t)ev->vm_unmapped.address;

	if (a < ucm_end && ucm_start < a + ev->vm_unmapped.size)
		ucm_hit = 1;
}

static void setup(void)
{
	switch (engine) {
	case UFFD: {
		struct umn_open_options o = { .engine = UMN_ENGINE_UFFD };
		int rc = umn_open(&o, &client);

		if (rc)
			die("umn_open(uffd): %s (%s)", strerror(-rc), umn_last_error());
		break;
	}
	case UCM: {
		ucs_status_t st = ucm_set_event_handler(UCM_EVENT_VM_UNMAPPED, 0, ucm_handler, NULL);

		if (st != UCS_OK)
			die("ucm_set_event_handler(UCM_EVENT_VM_UNMAPPED): status %d", (int)st);
		break;
	}
	case DEVICE:
		devfd = open("/dev/ummunotify", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (devfd < 0)
			die("open /dev/ummunotify: %s", strerror(errno));
		break;
	}
}

/* Starts watching [addr, addr + len); 0, or -errno when the engine refuses. */
static int watch(void *addr, size_t len)
{
	uint64_t a = (uint64_t)(uintptr_t)addr;

	cookie++;
	watching = 0;
	switch (engine) {
	case UFFD: {
		int rc = umn_register(client, a, len, cookie);

		if (rc) {
			fprintf(stderr, "coverage: uffd: register refused: %s (%s)\n", strerror(-rc), umn_last_error());
			return rc;
		}
		/* Drop whatever an earlier case left queued. */
		struct umn_report *r = NULL;

		if (umn_read_events_all(client, &r) < 0)
			die("umn_read_events_all: %s", umn_last_error());
		free(r);
		break;
	}
	case UCM:
		ucm_start = a;
		ucm_end = a + len;
		ucm_hit = 0;
		break;
	case DEVICE: {
		struct ummunotify_register_ioctl r = { .start = a, .end = a + len, .user_cookie = cookie };

		if (ioctl(devfd, UMMUNOTIFY_REGISTER_REGION, &r)) {
			int e = errno;

			fprintf(stderr, "coverage: device: register refused: %s\n", strerror(e));
			return -e;
		}
		struct ummunotify_event ev[16];

		while (read(devfd, ev, sizeof(ev)) > 0) /* drain */
			;
		break;
	}
	}
	watching = 1;
	return 0;
}

/* Whether a report for the current cookie arrived; then stops watching. */
static int caught(void)
{
	int hit = 0;

	if (!watching)
		return 0;
	switch (engine) {
	case UFFD: {
		struct umn_report *r = NULL;
		ssize_t n = umn_read_events_all(client, &r);

		if (n < 0)
			die("umn_read_events_all: %s", umn_last_error());
		for (ssize_t i = 0; i < n; i++)
			if (r[i].kind == UMN_REPORT_INVALIDATION && r[i].cookie == cookie)
				hit = 1;
		free(r);
		(void)umn_unregister(client, cookie);
		break;
	}
	case UCM:
		hit = ucm_hit;
		ucm_start = ucm_end = 0;
		break;
	case DEVICE: {
		struct ummunotify_event ev[16];
		ssize_t n;

		while ((n = read(devfd, ev, sizeof(ev))) > 0)
			for (size_t i = 0; i < (size_t)n / sizeof(ev[0]); i++)
				if (ev[i].type == UMMUNOTIFY_EVENT_TYPE_INVAL && ev[i].user_cookie_counter == cookie)
					hit = 1;
		uint64_t c = cookie;

		(void)ioctl(devfd, UMMUNOTIFY_UNREGISTER_REGION, &c);
		break;
	}
	}
	watching = 0;
	return hit;
}

static void report(const char *source, int hit)
{
	printf("{\"bench\":\"" BENCH "\",\"figure\":\"%s_%s\",\"value\":\"%s\",\"unit\":null,\"target\":null}\n",
	       engine_name, source, hit ? "caught" : "missed");
	fflush(stdout);
}

/* ---- sources ------------------------------------------------------------ */

static char *new_page(void)
{
	char *p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	p[0] = 1;
	return p;
}

static int src_munmap_libc(void)
{
	char *p = new_page();

	watch(p, pg);
	if (munmap(p, pg))
		die("munmap: %s", strerror(errno));
	return caught();
}

#ifndef STATIC_TARGET
static int src_munmap_syscall(void)
{
	char *p = new_page();

	watch(p, pg);
	if (syscall(SYS_munmap, p, pg))
		die("munmap syscall: %s", strerror(errno));
	return caught();
}

static int src_brk_shrink(void)
{
	/* malloc (M_TOP_PAD set in main) must not move the break between our sbrk calls. */
	char *cur = sbrk(0);
	char *aligned = (char *)(((uintptr_t)cur + pg - 1) & ~(uintptr_t)(pg - 1));
	intptr_t grow = (aligned - cur) + (intptr_t)pg;

	if (sbrk(grow) == (void *)-1)
		die("sbrk(+%ld): %s", (long)grow, strerror(errno));
	aligned[0] = 1;
	watch(aligned, pg);
	if (sbrk(0) != cur + grow)
		die("the break moved behind our back");
	if (sbrk(-grow) == (void *)-1)
		die("sbrk(-%ld): %s", (long)grow, strerror(errno));
	return caught();
}

static int src_madvise_dontneed(void)
{
	char *p = new_page();

	watch(p, pg);
	if (madvise(p, pg, MADV_DONTNEED))
		die("madvise: %s", strerror(errno));
	int hit = caught();

	munmap(p, pg);
	return hit;
}

static int src_mremap(void)
{
	/*
	 * Grow the page in place is impossible (the next page is mapped), so
	 * MREMAP_MAYMOVE moves it: the old range goes away.  (MREMAP_FIXED is
	 * not used: with UCM's hook installed it fails with ENOMEM.)
	 */
	char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	p[0] = 1;
	p[pg] = 1;
	watch(p, pg);
	char *q = mremap(p, pg, 4 * pg, MREMAP_MAYMOVE);

	if (q == MAP_FAILED)
		die("mremap: %s", strerror(errno));
	if (q == p)
		die("mremap did not move the page");
	int hit = caught();

	munmap(q, 4 * pg);
	munmap(p + pg, pg);
	return hit;
}

static int src_map_fixed(void)
{
	char *p = new_page();

	watch(p, pg);
	if (mmap(p, pg, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) != p)
		die("mmap(MAP_FIXED): %s", strerror(errno));
	int hit = caught();

	munmap(p, pg);
	return hit;
}

static int src_shmdt(void)
{
	int id = shmget(IPC_PRIVATE, pg, IPC_CREAT | 0600);

	if (id < 0)
		die("shmget: %s", strerror(errno));
	char *p = shmat(id, NULL, 0);

	if (p == (void *)-1)
		die("shmat: %s", strerror(errno));
	shmctl(id, IPC_RMID, NULL);
	p[0] = 1;
	watch(p, pg);
	if (shmdt(p))
		die("shmdt: %s", strerror(errno));
	return caught();
}

static int src_fork_write(void)
{
	char *p = new_page();
	int fds[2];

	if (pipe(fds))
		die("pipe: %s", strerror(errno));
	watch(p, pg);
	fflush(NULL);
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		char c;

		/* Stay alive, sharing the page, until the parent has written it: a real COW break. */
		close(fds[1]);
		(void)!read(fds[0], &c, 1);
		_exit(0);
	}
	close(fds[0]);
	((volatile char *)p)[0] = 2;
	int hit = caught();

	close(fds[1]);
	waitpid(pid, NULL, 0);
	munmap(p, pg);
	return hit;
}
#endif

int main(int argc, char **argv)
{
	if (argc != 3 || strcmp(argv[1], "--engine"))
		die("usage: coverage --engine uffd|ucm|device");
	engine_name = argv[2];
	if (!strcmp(engine_name, "uffd"))
		engine = UFFD;
	else if (!strcmp(engine_name, "ucm"))
		engine = UCM;
	else if (!strcmp(engine_name, "device"))
		engine = DEVICE;
	else
		die("unknown engine %s", engine_name);
	pg = (size_t)sysconf(_SC_PAGESIZE);
	/* Keep malloc off the break while src_brk_shrink moves it: grow the heap once, with room to spare. */
	mallopt(M_TOP_PAD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 1 << 30);
	free(malloc(64));
	setup();

#ifdef STATIC_TARGET
	report("static_munmap", src_munmap_libc());
#else
	report("munmap_libc", src_munmap_libc());
	report("munmap_syscall", src_munmap_syscall());
	report("brk_shrink", src_brk_shrink());
	report("madvise_dontneed", src_madvise_dontneed());
	report("mremap", src_mremap());
	report("map_fixed", src_map_fixed());
	report("shmdt", src_shmdt());
	report("fork_write", src_fork_write());
#endif
	if (client)
		umn_close(client);
	return 0;
}
