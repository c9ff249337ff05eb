// SPDX-License-Identifier: GPL-2.0
/*
 * Cost of one invalidation as a function of the number of registrations in
 * the fd (DESIGN.md section 8, "Scale"): the 2010 v3 driver scanned every
 * registration on every MMU-notifier call, so its cost grew linearly; this
 * driver must grow like log n.
 *
 * One invalidation = madvise(MADV_DONTNEED) of one mapped, watched page
 * followed by a write that faults it back in.  The same loop runs:
 *   - with no ummunotify fd at all (the baseline: what the kernel costs anyway),
 *   - with an fd holding `small` registrations (default 1,000) + the watched one,
 *   - with an fd holding `large` registrations (default 1,000,000) + the watched one.
 * Every configuration runs in its own forked child, so each starts from a
 * fresh address space: the baseline never carries an MMU-notifier
 * subscription left behind by an earlier fd.  The small and baseline
 * configurations run once before and once after the large one, and their
 * batches are pooled, so slow drift of the (emulated) machine does not bias
 * the ratio.
 *
 * Registrations are one page each on every other page of a PROT_NONE
 * reservation: they need no memory, the reservation keeps other mappings
 * (and so stray invalidations) out of the span, and the watched page sits in
 * the middle of the span between two registrations, so every lookup walks
 * the full depth of the tree but matches exactly one registration.
 *
 * Output: one JSON line per figure on stdout, in the shape bench/cli.ts
 * expects; progress and errors on stderr.  Exit status non-zero on any
 * failure, including a driver that misses or misattributes invalidations
 * (then the timings would not measure what they claim).
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
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/ummunotify.h>

/* die(), now_ns(), median(), figure(), count_suffix(), parse_long() */
#define BENCH "kernel"
#include "../common.h"

#define DEVICE "/dev/ummunotify"
#define MAX_BATCHES 1000

struct params {
	long small;      /* registrations in the small configuration */
	long large;      /* registrations in the large configuration */
	long iters;      /* invalidations per timed batch */
	long batches;    /* timed batches per configuration run */
	long warmup;     /* untimed invalidations before the first batch */
};

/* What a child sends its parent through a pipe. */
struct child_result {
	int ok;
	long batches;
	double batch_ns[MAX_BATCHES];  /* mean ns per invalidation, per batch */
	double register_ns;            /* mean ns per REGISTER_REGION ioctl */
};

/* The operation being timed: drop the page, then fault a fresh one in. */
static inline void invalidate_once(volatile char *page, size_t pagesz)
{
	if (madvise((void *)page, pagesz, MADV_DONTNEED))
		die("madvise(MADV_DONTNEED): %s", strerror(errno));
	page[0] = 1;
}

/*
 * Reads every pending report from a non-blocking fd.  Returns the number of
 * INVAL reports; any INVAL for a cookie other than `watched` is a driver bug
 * (only the watched page is ever invalidated), and so is a LAST whose
 * counter disagrees with the mapped page.
 */
static long drain(int fd, uint64_t watched, const volatile uint64_t *counter)
{
	struct ummunotify_event ev[64];
	long inval = 0;

	for (;;) {
		ssize_t n = read(fd, ev, sizeof(ev));

		if (n < 0 && errno == EAGAIN)
			return inval;
		if (n < 0)
			die("read: %s", strerror(errno));
		if (n == 0)
			die("read returned 0 (end of file) while the target lives");
		if (n % (ssize_t)sizeof(ev[0]))
			die("read returned %zd bytes, not a whole number of reports", n);
		for (ssize_t i = 0; i < n / (ssize_t)sizeof(ev[0]); i++) {
			if (ev[i].type == UMMUNOTIFY_EVENT_TYPE_LAST) {
				if (ev[i].user_cookie_counter != *counter)
					die("LAST counter %" PRIu64 " != mapped counter %" PRIu64,
					    (uint64_t)ev[i].user_cookie_counter, *counter);
				return inval;
			}
			if (ev[i].type != UMMUNOTIFY_EVENT_TYPE_INVAL)
				die("unknown report type %u", ev[i].type);
			if (ev[i].user_cookie_counter != watched)
				die("INVAL for cookie %" PRIu64 " [%#" PRIx64 ", %#" PRIx64
				    "), but only the watched cookie %" PRIu64 " was invalidated",
				    (uint64_t)ev[i].user_cookie_counter, (uint64_t)ev[i].hint_start,
				    (uint64_t)ev[i].hint_end, watched);
			inval++;
		}
	}
}

static void reg(int fd, uint64_t start, uint64_t end, uint64_t cookie)
{
	struct ummunotify_register_ioctl r = {
		.start = start, .end = end, .user_cookie = cookie,
	};

	if (ioctl(fd, UMMUNOTIFY_REGISTER_REGION, &r))
		die("REGISTER_REGION #%" PRIu64 " [%#" PRIx64 ", %#" PRIx64 "): %s",
		    cookie, start, end, strerror(errno));
}

/*
 * One configuration, in the calling (child) process: nreg registrations, or
 * no fd at all when nreg < 0.
 */
static void run_config(const struct params *p, long nreg, struct child_result *res)
{
	size_t pagesz = (size_t)sysconf(_SC_PAGESIZE);
	long n = nreg < 0 ? 0 : nreg;
	/* Registrations on even slots 0, 2, .., 2(n-1); the watched page on an odd slot in the middle. */
	size_t slots = 2 * (size_t)n + 2;
	size_t wslot = 2 * (size_t)(n / 2) + 1;
	uint64_t watched_cookie = (uint64_t)n + 1;
	volatile uint64_t *counter = NULL;
	int fd = -1;

	char *span = mmap(NULL, slots * pagesz, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (span == MAP_FAILED)
		die("reserving %zu pages: %s", slots, strerror(errno));
	volatile char *page = mmap(span + wslot * pagesz, pagesz, PROT_READ | PROT_WRITE,
				   MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		die("mapping the watched page: %s", strerror(errno));
	page[0] = 1;

	res->register_ns = 0;
	if (nreg >= 0) {
		/* O_NONBLOCK so that draining stops at EAGAIN instead of blocking. */
		fd = open(DEVICE, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			die("open %s: %s", DEVICE, strerror(errno));
		double t0 = now_ns();
		for (long i = 0; i < n; i++) {
			uint64_t start = (uint64_t)(uintptr_t)span + 2 * (uint64_t)i * pagesz;

			reg(fd, start, start + pagesz, (uint64_t)i + 1);
		}
		double t1 = now_ns();
		if (n)
			res->register_ns = (t1 - t0) / (double)n;
		reg(fd, (uint64_t)(uintptr_t)page, (uint64_t)(uintptr_t)page + pagesz,
		    watched_cookie);
		counter = mmap(NULL, pagesz, PROT_READ, MAP_SHARED, fd, 0);
		if (counter == MAP_FAILED)
			die("mapping the counter page: %s", strerror(errno));
		drain(fd, watched_cookie, counter);
	}

	uint64_t before = counter ? *counter : 0;
	for (long i = 0; i < p->warmup; i++)
		invalidate_once(page, pagesz);
	for (long b = 0; b < p->batches; b++) {
		double t0 = now_ns();

		for (long i = 0; i < p->iters; i++)
			invalidate_once(page, pagesz);
		res->batch_ns[b] = (now_ns() - t0) / (double)p->iters;
	}
	res->batches = p->batches;

	if (fd >= 0) {
		/*
		 * Check that the driver saw what was timed: one counter step per
		 * invalidation, and exactly one (coalesced) report, for the
		 * watched cookie.  Without this a driver that matched nothing
		 * would look fast.
		 */
		uint64_t expect = (uint64_t)(p->warmup + p->iters * p->batches);
		uint64_t delta = *counter - before;
		long inval = drain(fd, watched_cookie, counter);

		if (delta < expect)
			die("counter advanced by %" PRIu64 " for %" PRIu64
			    " invalidations of a watched page (n=%ld)", delta, expect, n);
		if (delta > expect)
			fprintf(stderr, "invalidation: note: counter advanced by %" PRIu64
				" for %" PRIu64 " invalidations (n=%ld)\n", delta, expect, n);
		if (inval != 1)
			die("%ld INVAL reports for the watched cookie after %" PRIu64
			    " invalidations; coalescing allows exactly 1 (n=%ld)", inval, expect, n);
	}
	res->ok = 1;
}

/* One configuration, as run_in_child() passes it to the child. */
struct config {
	const struct params *p;
	long nreg;
};

static void run_config_in_child(void *arg, void *out)
{
	const struct config *c = arg;

	run_config(c->p, c->nreg, out);
}

/* Batches of several runs of the same configuration, pooled. */
struct pool {
	long n;
	double ns[2 * MAX_BATCHES];
};

static void add(struct pool *pool, const struct child_result *r)
{
	for (long i = 0; i < r->batches; i++)
		pool->ns[pool->n++] = r->batch_ns[i];
}

int main(int argc, char **argv)
{
	struct params p = {
		.small = 1000, .large = 1000000, .iters = 10000, .batches = 7, .warmup = 500,
	};

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (i + 1 >= argc)
			die("usage: %s [--small N] [--large N] [--iters N] [--batches N] [--warmup N]",
			    argv[0]);
		const char *v = argv[++i];
		if (!strcmp(a, "--small"))
			p.small = parse_long(a, v, 1);
		else if (!strcmp(a, "--large"))
			p.large = parse_long(a, v, 1);
		else if (!strcmp(a, "--iters"))
			p.iters = parse_long(a, v, 1);
		else if (!strcmp(a, "--batches"))
			p.batches = parse_long(a, v, 1);
		else if (!strcmp(a, "--warmup"))
			p.warmup = parse_long(a, v, 0);
		else
			die("unknown option %s", a);
	}
	if (p.batches > MAX_BATCHES)
		die("--batches: at most %d", MAX_BATCHES);

	struct utsname uts;
	if (uname(&uts))
		die("uname: %s", strerror(errno));

	static struct child_result r;
	static struct pool base, small, large;
	double register_ns_large = 0;

	/* Baseline and small around the large run: see the header comment. */
	const long order[] = { -1, p.small, p.large, p.small, -1 };
	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		long nreg = order[k];

		fprintf(stderr, "invalidation: %s, %ld registrations: %ld x %ld invalidations ...\n",
			nreg < 0 ? "no fd" : "fd", nreg < 0 ? 0 : nreg, p.batches, p.iters);
		struct config c = { &p, nreg };
		char what[64];

		snprintf(what, sizeof(what), "configuration with %ld registrations", nreg);
		run_in_child(run_config_in_child, &c, &r, sizeof(r), what);
		if (!r.ok)
			die("%s failed", what);
		if (k == 2) {
			add(&large, &r);
			register_ns_large = r.register_ns;
		} else if (nreg < 0) {
			add(&base, &r);
		} else {
			add(&small, &r);
		}
		fprintf(stderr, "invalidation:   median %.1f ns%s\n", median(r.batch_ns, r.batches),
			nreg > 0 ? "" : " (no registrations)");
		if (nreg > 0)
			fprintf(stderr, "invalidation:   %.1f ns per REGISTER_REGION\n", r.register_ns);
	}

	double ns_base = median(base.ns, base.n);
	double ns_small = median(small.ns, small.n);
	double ns_large = median(large.ns, large.n);
	char s[32], l[32], name[128];

	count_suffix(s, sizeof(s), p.small);
	count_suffix(l, sizeof(l), p.large);

	figure_text("kernel_release", uts.release);
	figure("invalidation_ns_unwatched", ns_base, 1, "ns", NULL);
	snprintf(name, sizeof(name), "invalidation_ns_%s", s);
	figure(name, ns_small, 1, "ns", NULL);
	snprintf(name, sizeof(name), "invalidation_ns_%s", l);
	figure(name, ns_large, 1, "ns", NULL);
	snprintf(name, sizeof(name), "added_ns_%s", s);
	figure(name, ns_small - ns_base, 1, "ns", NULL);
	snprintf(name, sizeof(name), "added_ns_%s", l);
	figure(name, ns_large - ns_base, 1, "ns", NULL);
	/* The target: log n growth keeps this near 1; a linear scan makes it ~1000 (v3). */
	snprintf(name, sizeof(name), "ratio_%s_over_%s", l, s);
	figure(name, ns_large / ns_small, 3, "x", "< 3");
	snprintf(name, sizeof(name), "register_ns_%s", l);
	figure(name, register_ns_large, 1, "ns", NULL);
	return 0;
}
