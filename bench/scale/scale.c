// SPDX-License-Identifier: GPL-2.0
/*
 * bench/scale: cost of one invalidation through ummunotifyd as a function of
 * the number of registrations the daemon holds (DESIGN.md section 8,
 * "Scale"): it must grow like log n, not n.  bench/kernel measures the same
 * for the module's own fd; this measures the daemon, per engine:
 *
 *   uffd    (host)  the daemon reads the target's userfaultfd and matches
 *                   each event against its interval index
 *                   (daemon/native/src/interval_index.h).  The target is
 *                   blocked until the daemon has read the event, and the
 *                   daemon matches it before it reads the next one, so a
 *                   loop of invalidations runs at the daemon's pace.
 *   device  (guest) the module matches ranges (its interval tree, what
 *                   bench/kernel measures); the daemon drains the fd on its
 *                   own thread and looks each report's cookie up in a hash
 *                   map.  That work is off the target's path, so the
 *                   daemon's CPU time per invalidation is reported too.
 *
 * One invalidation = madvise(MADV_DONTNEED) of one mapped, watched page and
 * a write that faults it back in, as in bench/kernel.  Configurations, each
 * in its own forked child with its own daemon (a fresh address space):
 *
 *   baseline  no client at all
 *   small     the C client attached, `small` + 1 registrations
 *   large     the same with `large` + 1 registrations
 *
 * run in the order baseline, small, large, small, baseline, with the
 * batches of the repeated ones pooled, so slow drift does not bias the ratio.
 *
 * Layout: one anonymous mapping of n + 1 pages (MAP_NORESERVE: only the
 * watched page is ever touched), one registration per page, consecutive, so
 * the uffd registrations merge into one VMA whatever n (vm.max_map_count,
 * 65530, would stop registrations on every other page long before 1M).  The
 * watched page is the middle one: its invalidation overlaps exactly one
 * registration, and every lookup walks the full depth of the index.
 * Registrations go in batches (`batch` ranges per Register call).
 *
 * After timing, the run fails unless the daemon caught every timed
 * invalidation: its generation counter advanced at least once per
 * invalidation, and ReadEvents returns exactly one (coalesced) report, for
 * the watched cookie.  A daemon that matched nothing would look fast.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <sys/mman.h>
#include <sys/utsname.h>

#include <ummunotify/client.h>

#define BENCH "scale"
#include "../common.h"

#define MAX_BATCHES 200

struct params {
	enum umn_engine engine;
	const char *engine_name;
	long small, large;	/* registrations (plus the watched one) */
	long iters, batches, warmup;
	long batch;		/* ranges per Register call */
};

struct result {
	int ok;
	long batches;
	double batch_ns[MAX_BATCHES];	/* mean ns per invalidation, per batch */
	double register_ns;		/* ns per registration while filling */
	double daemon_cpu_ns;		/* daemon CPU ns per timed invalidation */
};

static const struct params *P;

static inline void invalidate_once(volatile char *page, size_t pagesz)
{
	if (madvise((void *)page, pagesz, MADV_DONTNEED))
		die("madvise(MADV_DONTNEED): %s", strerror(errno));
	page[0] = 1;
}

static struct umn_client *open_client(long nreg)
{
	char max[32];
	long cap = nreg + 1 > (1L << 21) ? nreg + 1 : (1L << 21);

	snprintf(max, sizeof(max), "%ld", cap);
	const char *args[] = { "--log-level", "warn", "--max-registrations", max };
	struct umn_open_options o = {
		.engine = P->engine, .daemon_args = args, .n_daemon_args = 4,
		/* Filling 1M registrations under emulation: no single call nears this. */
		.call_timeout_ms = 600000,
	};
	struct umn_client *c;
	int rc = umn_open(&o, &c);

	if (rc)
		die("umn_open(%s): %s (%s)", P->engine_name, strerror(-rc), umn_last_error());
	return c;
}

/* Registers every page of the span, in batches of P->batch: cookie = slot + 1. */
static double fill(struct umn_client *c, char *span, size_t pagesz, long slots)
{
	struct umn_range *r = calloc((size_t)P->batch, sizeof(*r));
	double t0 = now_ns(), next_note = t0 + 10e9;

	if (!r)
		die("out of memory");
	for (long s = 0; s < slots;) {
		long n = 0;

		for (; n < P->batch && s < slots; n++, s++) {
			r[n].addr = (uint64_t)(uintptr_t)span + (uint64_t)s * pagesz;
			r[n].length = pagesz;
			r[n].cookie = (uint64_t)s + 1;
		}
		int rc = umn_register_batch(c, r, (size_t)n);

		if (rc)
			die("umn_register_batch (up to slot %ld of %ld): %s (%s)", s, slots,
			    strerror(-rc), umn_last_error());
		if (now_ns() > next_note) {
			note("  %ld of %ld registered", s, slots);
			next_note = now_ns() + 10e9;
		}
	}
	free(r);
	return (now_ns() - t0) / (double)slots;
}

/*
 * Drains the daemon's queue; returns the number of invalidation reports and
 * dies on one for any cookie but `watched` (only the watched page is ever
 * invalidated).
 */
static long drain(struct umn_client *c, uint64_t watched)
{
	struct umn_report *r = NULL;
	ssize_t n = umn_read_events_all(c, &r);
	long inval = 0;

	if (n < 0)
		die("umn_read_events_all: %s (%s)", strerror((int)-n), umn_last_error());
	for (ssize_t i = 0; i < n; i++) {
		if (r[i].kind != UMN_REPORT_INVALIDATION)
			continue;
		if (r[i].cookie != watched)
			die("report for cookie %" PRIu64 " [%#" PRIx64 ", %#" PRIx64
			    "), but only cookie %" PRIu64 " was invalidated",
			    r[i].cookie, r[i].start, r[i].end, watched);
		inval++;
	}
	free(r);
	return inval;
}

/* One configuration in the calling (child) process; nreg < 0: no client. */
static void run_config(void *arg, void *out)
{
	long nreg = *(const long *)arg;
	struct result *res = out;
	size_t pagesz = (size_t)sysconf(_SC_PAGESIZE);
	long n = nreg < 0 ? P->small : nreg;
	long slots = n + 1, wslot = n / 2;
	uint64_t watched = (uint64_t)wslot + 1;
	struct umn_client *c = NULL;
	const volatile uint64_t *counter = NULL;
	pid_t daemon = 0;

	char *span = mmap(NULL, (size_t)slots * pagesz, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (span == MAP_FAILED)
		die("mapping %ld pages: %s", slots, strerror(errno));
	/* A 4 KiB page, in every configuration: THP would make DONTNEED split a huge page. */
	if (madvise(span, (size_t)slots * pagesz, MADV_NOHUGEPAGE))
		die("madvise(MADV_NOHUGEPAGE): %s", strerror(errno));
	volatile char *page = span + (size_t)wslot * pagesz;

	page[0] = 1;
	if (nreg >= 0) {
		struct umn_info info;

		c = open_client(nreg);
		daemon = find_daemon_pid();
		res->register_ns = fill(c, span, pagesz, slots);
		if (umn_info(c, &info))
			die("umn_info: %s", umn_last_error());
		if (info.registrations != (uint64_t)slots)
			die("GetInfo says %" PRIu64 " registrations, %ld were made",
			    info.registrations, slots);
		umn_info_release(&info);
		counter = umn_counter_page(c);
		drain(c, watched);
		wait_idle(daemon, 60);
	}

	uint64_t before = counter ? umn_counter_load(counter) : 0;

	for (long i = 0; i < P->warmup; i++)
		invalidate_once(page, pagesz);
	double cpu0 = daemon ? cpu_ns(daemon) : 0;

	for (long b = 0; b < P->batches; b++) {
		double t0 = now_ns();

		for (long i = 0; i < P->iters; i++)
			invalidate_once(page, pagesz);
		res->batch_ns[b] = (now_ns() - t0) / (double)P->iters;
	}
	res->batches = P->batches;

	if (c) {
		/* Let the device engine's reader catch up before its CPU time is read. */
		usleep(200000);
		res->daemon_cpu_ns = (cpu_ns(daemon) - cpu0) / (double)(P->iters * P->batches);

		uint64_t expect = (uint64_t)(P->warmup + P->iters * P->batches);
		uint64_t delta = umn_counter_load(counter) - before;
		long inval = drain(c, watched);

		if (delta < expect)
			die("counter advanced by %" PRIu64 " for %" PRIu64
			    " invalidations of a watched page (n=%ld)", delta, expect, n);
		if (delta > expect)
			note("note: counter advanced by %" PRIu64 " for %" PRIu64
			     " invalidations (n=%ld)", delta, expect, n);
		if (inval != 1)
			die("%ld reports for the watched cookie after %" PRIu64
			    " invalidations; coalescing allows exactly 1 (n=%ld)", inval, expect, n);
		umn_close(c);
	}
	res->ok = 1;
}

struct pool {
	long n;
	double ns[2 * MAX_BATCHES];
	double cpu[2];
	long ncpu;
};

static void add(struct pool *pool, const struct result *r)
{
	for (long i = 0; i < r->batches; i++)
		pool->ns[pool->n++] = r->batch_ns[i];
	pool->cpu[pool->ncpu++] = r->daemon_cpu_ns;
}

static double mean_cpu(const struct pool *pool)
{
	double s = 0;

	for (long i = 0; i < pool->ncpu; i++)
		s += pool->cpu[i];
	return pool->ncpu ? s / (double)pool->ncpu : 0;
}

int main(int argc, char **argv)
{
	static struct params p = {
		.engine = UMN_ENGINE_UFFD, .engine_name = "uffd",
		.small = 1000, .large = 1000000, .iters = 2000, .batches = 5, .warmup = 200,
		.batch = 1000,
	};

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (i + 1 >= argc)
			die("usage: %s [--engine uffd|device] [--small N] [--large N] [--iters N]"
			    " [--batches N] [--warmup N] [--batch N]", argv[0]);
		const char *v = argv[++i];

		if (!strcmp(a, "--engine")) {
			if (!strcmp(v, "uffd"))
				p.engine = UMN_ENGINE_UFFD;
			else if (!strcmp(v, "device"))
				p.engine = UMN_ENGINE_DEVICE;
			else
				die("--engine: uffd or device, not %s", v);
			p.engine_name = v;
		} else if (!strcmp(a, "--small")) {
			p.small = parse_long(a, v, 1);
		} else if (!strcmp(a, "--large")) {
			p.large = parse_long(a, v, 1);
		} else if (!strcmp(a, "--iters")) {
			p.iters = parse_long(a, v, 1);
		} else if (!strcmp(a, "--batches")) {
			p.batches = parse_long(a, v, 1);
		} else if (!strcmp(a, "--warmup")) {
			p.warmup = parse_long(a, v, 0);
		} else if (!strcmp(a, "--batch")) {
			p.batch = parse_long(a, v, 1);
		} else {
			die("unknown option %s", a);
		}
	}
	if (p.batches > MAX_BATCHES)
		die("--batches: at most %d", MAX_BATCHES);
	if (p.small >= p.large)
		die("--small must be less than --large");
	P = &p;

	struct utsname uts;

	if (uname(&uts))
		die("uname: %s", strerror(errno));

	static struct result r;
	static struct pool base, small, large;
	double register_ns_large = 0;
	const long order[] = { -1, p.small, p.large, p.small, -1 };

	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
		long nreg = order[k];
		char what[64];

		note("%s, %s: %ld registrations, %ld x %ld invalidations ...", p.engine_name,
		     nreg < 0 ? "no client" : "daemon", nreg < 0 ? 0 : nreg + 1, p.batches, p.iters);
		snprintf(what, sizeof(what), "configuration with %ld registrations", nreg);
		run_in_child(run_config, &nreg, &r, sizeof(r), what);
		if (nreg < 0)
			add(&base, &r);
		else if (nreg == p.large)
			add(&large, &r), register_ns_large = r.register_ns;
		else
			add(&small, &r);
		note("  median %.1f ns per invalidation", median(r.batch_ns, r.batches));
		if (nreg >= 0)
			note("  %.1f ns per registration while filling, daemon CPU %.1f ns per invalidation",
			     r.register_ns, r.daemon_cpu_ns);
	}

	double ns_base = median(base.ns, base.n);
	double ns_small = median(small.ns, small.n);
	double ns_large = median(large.ns, large.n);
	char s[32], l[32], name[128];
	const char *e = p.engine_name;

	count_suffix(s, sizeof(s), p.small);
	count_suffix(l, sizeof(l), p.large);
	snprintf(name, sizeof(name), "%s_kernel_release", e);
	figure_text(name, uts.release);
	snprintf(name, sizeof(name), "%s_invalidation_ns_unwatched", e);
	figure(name, ns_base, 1, "ns", NULL);
	snprintf(name, sizeof(name), "%s_invalidation_ns_%s", e, s);
	figure(name, ns_small, 1, "ns", NULL);
	snprintf(name, sizeof(name), "%s_invalidation_ns_%s", e, l);
	figure(name, ns_large, 1, "ns", NULL);
	snprintf(name, sizeof(name), "%s_added_ns_%s", e, s);
	figure(name, ns_small - ns_base, 1, "ns", NULL);
	snprintf(name, sizeof(name), "%s_added_ns_%s", e, l);
	figure(name, ns_large - ns_base, 1, "ns", NULL);
	/* log n growth keeps this near 1; a linear scan of 1M entries would put it in the hundreds. */
	snprintf(name, sizeof(name), "%s_ratio_%s_over_%s", e, l, s);
	figure(name, ns_large / ns_small, 3, "x", "< 3");
	snprintf(name, sizeof(name), "%s_daemon_cpu_ns_%s", e, s);
	figure(name, mean_cpu(&small), 1, "ns", NULL);
	snprintf(name, sizeof(name), "%s_daemon_cpu_ns_%s", e, l);
	figure(name, mean_cpu(&large), 1, "ns", NULL);
	snprintf(name, sizeof(name), "%s_register_ns_%s", e, l);
	figure(name, register_ns_large, 1, "ns", NULL);
	return 0;
}
