// SPDX-License-Identifier: GPL-2.0
/*
 * bench/munmap: what watching one page adds to munmap() of that page.
 *
 * Every configuration runs in its own freshly forked child and times the
 * same loop: munmap() of one touched anonymous page (timed on its own), then
 * mmap(MAP_FIXED) at the same address and a write to it (not timed), then
 * whatever re-arming the configuration needs (not timed).  Configurations:
 *
 *   baseline  nothing watches the page
 *   uffd      the C client (libummunotify-client) attached with the uffd
 *             engine, the page registered.  A uffd registration belongs to
 *             the VMA, and munmap destroys it: the new mapping is not watched
 *             until registered again, so after each munmap the old cookie is
 *             unregistered and the page registered again under a new cookie
 *             (two round trips, outside the timed munmap).  Every timed
 *             munmap is therefore of a watched page.
 *   uffd-ctl  control: the same client and the same two round trips per
 *             iteration, but for another page; the timed munmap is of an
 *             unwatched page.  Shows how much of the uffd figure is the
 *             round trips' disturbance (caches) rather than the event.
 *   ucm       UCX's memory hooks: ucm_set_event_handler(UCM_EVENT_VM_UNMAPPED)
 *             with a handler that records unmaps overlapping the page.
 *   device    /dev/ummunotify opened directly, the page registered once (a
 *             device registration is an address range: it outlives munmap
 *             and covers the new mapping at the same address).
 *
 * Each run is `warmup` iterations, then `batches` batches of `iters`; a
 * configuration's figure is the median of its batch means (ns per munmap).
 * The baseline runs first and last and its batches are pooled.  After timing,
 * every watched configuration checks that it saw one invalidation per
 * munmap (the generation counter, or the UCM handler's count); otherwise the
 * run fails, so an engine that watched nothing cannot look fast.
 *
 * Figures are printed on stdout as bench/figures.ts defines them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/ummunotify.h>
#include <ucm/api/ucm.h>
#include <ummunotify/client.h>

#define BENCH "munmap"
/* die(), now_ns(), median(), figure() */
#include "../common.h"
#define MAX_BATCHES 100

struct params {
	long warmup, iters, batches;
};

struct result {
	int ok;
	long batches;
	double batch_ns[MAX_BATCHES];
};

enum config { BASELINE, UFFD, UFFD_CTL, UCM, DEVICE };

static const char *const config_names[] = { "baseline", "uffd", "uffd-ctl", "ucm", "device" };

static size_t pagesz;
static volatile char *page;

/* ---- UCM ---------------------------------------------------------------- */

static volatile long ucm_hits;
/*
 * Set around the timed munmap only: UCM also reports VM_UNMAPPED before the
 * mmap(MAP_FIXED) that follows (it cannot know nothing was mapped there), and
 * that one is not what is being checked.
 */
static volatile int in_munmap;

static void ucm_handler(ucm_event_type_t type, ucm_event_t *ev, void *arg)
{
	(void)arg;
	if (type != UCM_EVENT_VM_UNMAPPED || !in_munmap)
		return;
	uintptr_t a = (uintptr_t)ev->vm_unmapped.address, p = (uintptr_t)page;

	if (a < p + pagesz && p < a + ev->vm_unmapped.size)
		ucm_hits++;
}

/* ---- the loop ----------------------------------------------------------- */

static void remap(void)
{
	void *q = mmap((void *)page, pagesz, PROT_READ | PROT_WRITE,
		       MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (q == MAP_FAILED || q != (void *)page)
		die("mmap(MAP_FIXED): %s", strerror(errno));
	page[0] = 1;
}

struct uffd_state {
	struct umn_client *client;
	uint64_t cookie;
	uint64_t addr; /* what is registered: the page, or (uffd-ctl) the other page */
};

static void uffd_rearm(struct uffd_state *s)
{
	int rc = umn_unregister(s->client, s->cookie);

	if (rc)
		die("umn_unregister(%" PRIu64 "): %s (%s)", s->cookie, strerror(-rc), umn_last_error());
	s->cookie++;
	rc = umn_register(s->client, s->addr, pagesz, s->cookie);
	if (rc)
		die("umn_register: %s (%s)", strerror(-rc), umn_last_error());
	/* Reports coalesce per registration, but unregistered cookies' reports are dropped: keep the queue short. */
	struct umn_report *r = NULL;
	ssize_t n = umn_read_events_all(s->client, &r);

	if (n < 0)
		die("umn_read_events_all: %s (%s)", strerror((int)-n), umn_last_error());
	free(r);
}

static void run_config(const struct params *p, enum config c, struct result *res)
{
	struct uffd_state us = { 0 };
	const volatile uint64_t *counter = NULL;
	int devfd = -1;
	volatile char *other = NULL;

	/*
	 * The timed page plus a touched neighbour that stays mapped, in every
	 * configuration: without it, whether munmap also frees a page table
	 * depends on what else the configuration happens to map nearby (the
	 * device's counter page did), which moved the baseline by a third in
	 * the guest.
	 */
	page = mmap(NULL, 2 * pagesz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	page[0] = 1;
	page[pagesz] = 1;

	if (c == UFFD || c == UFFD_CTL) {
		struct umn_open_options o = { .engine = UMN_ENGINE_UFFD };
		int rc = umn_open(&o, &us.client);

		if (rc)
			die("umn_open(uffd): %s (%s)", strerror(-rc), umn_last_error());
		counter = umn_counter_page(us.client);
		if (c == UFFD_CTL) {
			other = mmap(NULL, pagesz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (other == MAP_FAILED)
				die("mmap: %s", strerror(errno));
			other[0] = 1;
		}
		us.addr = (uint64_t)(uintptr_t)(c == UFFD ? page : other);
		us.cookie = 1;
		rc = umn_register(us.client, us.addr, pagesz, us.cookie);
		if (rc)
			die("umn_register: %s (%s)", strerror(-rc), umn_last_error());
	} else if (c == UCM) {
		ucs_status_t st = ucm_set_event_handler(UCM_EVENT_VM_UNMAPPED, 0, ucm_handler, NULL);

		if (st != UCS_OK)
			die("ucm_set_event_handler(UCM_EVENT_VM_UNMAPPED): status %d", (int)st);
	} else if (c == DEVICE) {
		devfd = open("/dev/ummunotify", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (devfd < 0)
			die("open /dev/ummunotify: %s", strerror(errno));
		struct ummunotify_register_ioctl r = {
			.start = (uint64_t)(uintptr_t)page,
			.end = (uint64_t)(uintptr_t)page + pagesz,
			.user_cookie = 1,
		};
		if (ioctl(devfd, UMMUNOTIFY_REGISTER_REGION, &r))
			die("REGISTER_REGION: %s", strerror(errno));
		counter = mmap(NULL, pagesz, PROT_READ, MAP_SHARED, devfd, 0);
		if (counter == MAP_FAILED)
			die("mapping the counter page: %s", strerror(errno));
	}

	uint64_t before = counter ? *counter : 0;
	long hits_before = ucm_hits;
	long total = p->warmup + p->iters * p->batches;
	double sum = 0;
	long b = 0, in_batch = 0;

	for (long i = 0; i < total; i++) {
		in_munmap = 1;
		double t0 = now_ns();

		if (munmap((void *)page, pagesz))
			die("munmap: %s", strerror(errno));
		double t1 = now_ns();

		in_munmap = 0;

		remap();
		if (c == UFFD || c == UFFD_CTL)
			uffd_rearm(&us);
		if (i < p->warmup)
			continue;
		sum += t1 - t0;
		if (++in_batch == p->iters) {
			res->batch_ns[b++] = sum / (double)p->iters;
			sum = 0;
			in_batch = 0;
		}
	}
	res->batches = b;

	/* Did the watcher see every munmap it was timed on? */
	uint64_t delta = counter ? *counter - before : 0;

	if (c == UFFD && delta < (uint64_t)total)
		die("uffd: counter advanced by %" PRIu64 " for %ld munmaps of a watched page", delta, total);
	if (c == UFFD_CTL && delta != 0)
		die("uffd-ctl: counter advanced by %" PRIu64 " though the munmapped page was not watched", delta);
	if (c == DEVICE && delta < (uint64_t)total)
		die("device: counter advanced by %" PRIu64 " for %ld munmaps of a watched page", delta, total);
	if (c == UCM && ucm_hits - hits_before < total)
		die("ucm: handler saw %ld unmaps of the page for %ld munmaps", ucm_hits - hits_before, total);
	if (delta > (uint64_t)total || (c == UCM && ucm_hits - hits_before > total))
		fprintf(stderr, "munmap: note: %s saw more invalidations (%" PRIu64 ") than munmaps (%ld)\n",
			config_names[c], c == UCM ? (uint64_t)(ucm_hits - hits_before) : delta, total);
	if (us.client)
		umn_close(us.client);
	res->ok = 1;
}

static void run_child(const struct params *p, enum config c, struct result *res)
{
	int pipefd[2];

	if (pipe(pipefd))
		die("pipe: %s", strerror(errno));
	fflush(NULL);
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		static struct result r;

		close(pipefd[0]);
		run_config(p, c, &r);
		if (write(pipefd[1], &r, sizeof(r)) != (ssize_t)sizeof(r))
			die("writing the result: %s", strerror(errno));
		_exit(0);
	}
	close(pipefd[1]);
	memset(res, 0, sizeof(*res));
	ssize_t n = read(pipefd[0], res, sizeof(*res));
	int status;

	close(pipefd[0]);
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid: %s", strerror(errno));
	if (n != (ssize_t)sizeof(*res) || !res->ok || !WIFEXITED(status) || WEXITSTATUS(status))
		die("configuration %s failed (status %#x)", config_names[c], status);
	fprintf(stderr, "munmap: %s done\n", config_names[c]);
}

/* Whole nanoseconds; two decimals for ratios. */
static int decimals(double v)
{
	return v >= 100 ? 0 : 2;
}

int main(int argc, char **argv)
{
	struct params p = { .warmup = 100, .iters = 1000, .batches = 5 };
	int want[5] = { 0 };

	for (int i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			die("option %s needs a value", argv[i]);
		if (!strcmp(argv[i], "--iters"))
			p.iters = atol(argv[++i]);
		else if (!strcmp(argv[i], "--batches"))
			p.batches = atol(argv[++i]);
		else if (!strcmp(argv[i], "--warmup"))
			p.warmup = atol(argv[++i]);
		else if (!strcmp(argv[i], "--configs")) {
			char *list = strdup(argv[++i]);

			for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
				int found = 0;

				for (int c = UFFD; c <= DEVICE; c++)
					if (!strcmp(tok, config_names[c]))
						want[c] = found = 1;
				if (!found)
					die("unknown configuration %s", tok);
			}
			free(list);
		} else
			die("unknown option %s", argv[i]);
	}
	if (p.iters < 1 || p.batches < 1 || p.batches > MAX_BATCHES / 2 || p.warmup < 0)
		die("bad --iters/--batches/--warmup");
	pagesz = (size_t)sysconf(_SC_PAGESIZE);

	static struct result base[2], res[5];

	run_child(&p, BASELINE, &base[0]);
	for (int c = UFFD; c <= DEVICE; c++)
		if (want[c])
			run_child(&p, (enum config)c, &res[c]);
	run_child(&p, BASELINE, &base[1]);

	double pooled[MAX_BATCHES];
	long np = 0;

	for (int k = 0; k < 2; k++)
		for (long i = 0; i < base[k].batches; i++)
			pooled[np++] = base[k].batch_ns[i];
	double b = median(pooled, np);

	figure("munmap_ns_unwatched", b, decimals(b), "ns", NULL);
	static const char *const fig[] = { NULL, "uffd", "uffd_control", "ucm", "device" };
	static const char *const target[] = { NULL, "<= 8", NULL, NULL, "<= 1.5" };

	for (int c = UFFD; c <= DEVICE; c++) {
		if (!want[c])
			continue;
		double m = median(res[c].batch_ns, res[c].batches);
		char name[64];

		snprintf(name, sizeof(name), "munmap_ns_%s", fig[c]);
		figure(name, m, decimals(m), "ns", NULL);
		snprintf(name, sizeof(name), "ratio_%s", fig[c]);
		figure(name, m / b, decimals(m / b), "x", target[c]);
	}
	return 0;
}
