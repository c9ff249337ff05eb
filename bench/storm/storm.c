// SPDX-License-Identifier: GPL-2.0
/*
 * bench/storm: memory before and after a storm of invalidations that nobody
 * reads (DESIGN.md section 8, "Storm"): reports coalesce, one per
 * registration, so neither the daemon's memory nor the module's may grow
 * with the number of invalidations.
 *
 * `regs` anonymous pages (default 1,000), each touched and registered on its
 * own (cookie = page index + 1), are invalidated round robin, `count` times
 * in all (default 1,000,000): madvise(MADV_DONTNEED) of the page, then a
 * write that faults it back in (DONTNEED, unlike munmap, keeps the uffd
 * registration, so every invalidation is of a watched page).  Each cookie is
 * hit count / regs times, so coalescing per cookie is what keeps memory flat.
 *
 * Configurations, each in its own forked child (and with its own daemon):
 *
 *   uffd         (host)  the C client, uffd engine; nobody calls ReadEvents.
 *   uffd-stream  (host)  the same plus one StreamEvents subscriber that never
 *                        reads: the daemon must stop writing when HTTP/2 flow
 *                        control says so and keep reports coalesced in its
 *                        queue, not buffer messages without bound.
 *   device       (guest) the C client, device engine; nobody calls
 *                        ReadEvents (the daemon drains the module's fd into
 *                        its own coalescing queue).
 *   device-raw   (guest) /dev/ummunotify opened directly and never read: the
 *                        module's own queue is the only one.
 *
 * Measured before (after `warmup` invalidations, so every queue already
 * holds its one report per registration, which is the memory coalescing
 * allows) and after the storm: the daemon's VmRSS (/proc/PID/status), and in
 * the guest the module's registration cache, ummunotify_reg: its slabs times
 * the slab size, from /sys/kernel/slab/ummunotify_reg (the guest boots with
 * slab_nomerge, so the cache is the module's alone; it is the module's only
 * allocation per registration, and the notifier path allocates nothing), plus
 * SUnreclaim from /proc/meminfo as the system-wide view.  The daemon's RSS is
 * also sampled during the storm (the largest value is reported).
 *
 * Checks, else the run fails: the generation counter advanced at least once
 * per invalidation; afterwards ReadEvents (read(2) for device-raw) returns
 * exactly one report for every cookie and nothing else; the never-read
 * stream, once read, delivers every cookie.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>

#include <linux/ummunotify.h>
#include <ummunotify/client.h>

#define BENCH "storm"
#include "../common.h"

#define SLAB_DIR "/sys/kernel/slab/ummunotify_reg"

enum config { UFFD, UFFD_STREAM, DEVICE, DEVICE_RAW, NCONFIGS };

static const char *const config_names[NCONFIGS] = { "uffd", "uffd-stream", "device", "device-raw" };
/* Figure name prefixes. */
static const char *const config_figs[NCONFIGS] = { "uffd", "uffd_stream", "device", "device_raw" };

struct params {
	long regs, count, warmup, samples;
};

struct result {
	int ok;
	long rss_before, rss_after, rss_max;	/* daemon, kB */
	long slab_before, slab_after;		/* ummunotify_reg cache, bytes */
	long objs_before, objs_after;		/* ummunotify_reg objects in use */
	long sunreclaim_before, sunreclaim_after; /* kB */
	double ns_per_inval;
	long stream_reports;			/* reports the stream delivered once read */
};

static struct params P;
static size_t pagesz;

static long read_first_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v;

	if (!f)
		die("open %s: %s (is the module loaded, and the guest booted with slab_nomerge?)",
		    path, strerror(errno));
	if (fscanf(f, "%ld", &v) != 1)
		die("no number in %s", path);
	fclose(f);
	return v;
}

/* Bytes held by the module's registration cache: slabs x (page << order). */
static long slab_bytes(void)
{
	return read_first_long(SLAB_DIR "/slabs") * ((long)pagesz << read_first_long(SLAB_DIR "/order"));
}

static void snapshot(int slab, pid_t daemon, long *rss, long *slabb, long *objs, long *sunr)
{
	/* Let whatever the daemon's threads still have in hand settle. */
	usleep(200000);
	if (daemon)
		wait_idle(daemon, 30);
	*rss = daemon ? rss_kb(daemon) : 0;
	if (slab) {
		*slabb = slab_bytes();
		*objs = read_first_long(SLAB_DIR "/objects");
		*sunr = proc_kb("/proc/meminfo", "SUnreclaim");
	}
}

static void report(const char *when, pid_t daemon, int slab, long rss, long slabb, long objs,
		   long sunr)
{
	if (daemon)
		note("  %s: daemon RSS %ld kB", when, rss);
	if (slab)
		note("  %s: module cache %ld bytes (%ld objects), SUnreclaim %ld kB", when, slabb, objs,
		     sunr);
}

static struct umn_client *open_client(enum umn_engine engine)
{
	const char *args[] = { "--log-level", "warn" };
	struct umn_open_options o = { .engine = engine, .daemon_args = args, .n_daemon_args = 2 };
	struct umn_client *c;
	int rc = umn_open(&o, &c);

	if (rc)
		die("umn_open: %s (%s)", strerror(-rc), umn_last_error());
	return c;
}

static void client_register(struct umn_client *c, char *pages)
{
	struct umn_range r[1000];

	for (long s = 0; s < P.regs;) {
		size_t n = 0;

		for (; n < sizeof(r) / sizeof(r[0]) && s < P.regs; n++, s++)
			r[n] = (struct umn_range){ (uint64_t)(uintptr_t)(pages + (size_t)s * pagesz),
						   pagesz, (uint64_t)s + 1 };
		int rc = umn_register_batch(c, r, n);

		if (rc)
			die("umn_register_batch: %s (%s)", strerror(-rc), umn_last_error());
	}
}

static void raw_register(int fd, char *pages)
{
	for (long s = 0; s < P.regs; s++) {
		struct ummunotify_register_ioctl r = {
			.start = (uint64_t)(uintptr_t)(pages + (size_t)s * pagesz),
			.end = (uint64_t)(uintptr_t)(pages + (size_t)(s + 1) * pagesz),
			.user_cookie = (uint64_t)s + 1,
		};

		if (ioctl(fd, UMMUNOTIFY_REGISTER_REGION, &r))
			die("REGISTER_REGION %ld: %s", s, strerror(errno));
	}
}

/* Marks a cookie seen; dies on one outside 1..regs.  Returns whether it was new. */
static int see(unsigned char *seen, uint64_t cookie, const char *where)
{
	if (cookie < 1 || cookie > (uint64_t)P.regs)
		die("%s: report for cookie %" PRIu64 ", registered are 1..%ld", where, cookie, P.regs);
	if (seen[cookie - 1])
		return 0;
	seen[cookie - 1] = 1;
	return 1;
}

/* ReadEvents after the storm: exactly one report per cookie (coalesced), nothing else. */
static void check_read_events(struct umn_client *c)
{
	unsigned char *seen = calloc((size_t)P.regs, 1);
	struct umn_report *r = NULL;
	ssize_t n = umn_read_events_all(c, &r);
	long got = 0;

	if (!seen)
		die("out of memory");
	if (n < 0)
		die("umn_read_events_all: %s (%s)", strerror((int)-n), umn_last_error());
	for (ssize_t i = 0; i < n; i++) {
		if (r[i].kind != UMN_REPORT_INVALIDATION)
			continue;
		if (!see(seen, r[i].cookie, "ReadEvents"))
			die("ReadEvents: two reports for cookie %" PRIu64 "; coalescing allows one",
			    r[i].cookie);
		got++;
	}
	if (got != P.regs)
		die("ReadEvents: %ld reports after the storm, want one for each of %ld cookies", got,
		    P.regs);
	free(r);
	free(seen);
}

/*
 * The subscriber finally reads: every cookie must come.  Reports repeat:
 * what was written before flow control stopped the daemon, then the
 * coalesced queue.  Reads until the stream has been quiet for a second and
 * returns how many reports came, which is what the daemon had in flight.
 */
static long check_stream(struct umn_stream *s)
{
	unsigned char *seen = calloc((size_t)P.regs, 1);
	long distinct = 0, total = 0;
	double deadline = now_ns() + 120e9;

	if (!seen)
		die("out of memory");
	while (distinct < P.regs) {
		struct umn_report r;
		int rc = umn_stream_next(s, &r, 1000);

		if (rc < 0)
			die("umn_stream_next: %s (%s)", strerror(-rc), umn_last_error());
		if (rc == 1 && r.kind == UMN_REPORT_INVALIDATION) {
			total++;
			distinct += see(seen, r.cookie, "stream");
		}
		if (now_ns() > deadline)
			die("stream: %ld of %ld cookies after 120 s (%ld reports)", distinct, P.regs, total);
	}
	for (;;) {
		struct umn_report r;
		int rc = umn_stream_next(s, &r, 1000);

		if (rc < 0)
			die("umn_stream_next: %s (%s)", strerror(-rc), umn_last_error());
		if (rc == 0)
			break;
		if (r.kind == UMN_REPORT_INVALIDATION) {
			total++;
			see(seen, r.cookie, "stream");
		}
		if (now_ns() > deadline)
			die("stream: still delivering after 120 s (%ld reports)", total);
	}
	note("  stream: all %ld cookies delivered, in %ld reports", P.regs, total);
	free(seen);
	return total;
}

static void wait_subscribed(struct umn_client *c)
{
	for (int i = 0; i < 200; i++) {
		struct umn_info info;

		if (umn_info(c, &info))
			die("umn_info: %s", umn_last_error());
		uint32_t subs = info.subscribers;

		umn_info_release(&info);
		if (subs == 1)
			return;
		usleep(50000);
	}
	die("the daemon never saw the StreamEvents subscriber");
}

static void run_config(void *arg, void *out)
{
	enum config cfg = *(const enum config *)arg;
	struct result *res = out;
	int slab = cfg == DEVICE || cfg == DEVICE_RAW;
	struct umn_client *c = NULL;
	struct umn_stream *stream = NULL;
	const volatile uint64_t *counter;
	pid_t daemon = 0;
	int fd = -1;

	char *pages = mmap(NULL, (size_t)P.regs * pagesz, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (pages == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	if (madvise(pages, (size_t)P.regs * pagesz, MADV_NOHUGEPAGE))
		die("madvise(MADV_NOHUGEPAGE): %s", strerror(errno));
	for (long s = 0; s < P.regs; s++)
		pages[(size_t)s * pagesz] = 1;

	if (cfg == DEVICE_RAW) {
		fd = open("/dev/ummunotify", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			die("open /dev/ummunotify: %s", strerror(errno));
		raw_register(fd, pages);
		counter = mmap(NULL, pagesz, PROT_READ, MAP_SHARED, fd, 0);
		if (counter == MAP_FAILED)
			die("mapping the counter page: %s", strerror(errno));
	} else {
		c = open_client(cfg == DEVICE ? UMN_ENGINE_DEVICE : UMN_ENGINE_UFFD);
		daemon = find_daemon_pid();
		client_register(c, pages);
		counter = umn_counter_page(c);
		if (cfg == UFFD_STREAM) {
			int rc = umn_stream_open(c, &stream);

			if (rc)
				die("umn_stream_open: %s (%s)", strerror(-rc), umn_last_error());
			wait_subscribed(c);
		}
	}

	uint64_t c0 = umn_counter_load(counter);
	long total = P.warmup + P.count;
	long every = P.count / P.samples > 0 ? P.count / P.samples : 1;
	double t0 = 0;

	for (long i = 0; i < total; i++) {
		volatile char *page = pages + (size_t)(i % P.regs) * pagesz;

		if (i == P.warmup) {
			snapshot(slab, daemon, &res->rss_before, &res->slab_before, &res->objs_before,
				 &res->sunreclaim_before);
			res->rss_max = res->rss_before;
			report("before", daemon, slab, res->rss_before, res->slab_before,
			       res->objs_before, res->sunreclaim_before);
			t0 = now_ns();
		}
		if (madvise((void *)page, pagesz, MADV_DONTNEED))
			die("madvise(MADV_DONTNEED): %s", strerror(errno));
		page[0] = 1;
		if (i > P.warmup && (i - P.warmup) % every == 0) {
			if (daemon) {
				long rss = rss_kb(daemon);

				if (rss > res->rss_max)
					res->rss_max = rss;
				note("  %ld of %ld: daemon RSS %ld kB", i - P.warmup, P.count, rss);
			} else {
				note("  %ld of %ld", i - P.warmup, P.count);
			}
		}
	}
	res->ns_per_inval = (now_ns() - t0) / (double)P.count;
	snapshot(slab, daemon, &res->rss_after, &res->slab_after, &res->objs_after,
		 &res->sunreclaim_after);
	if (res->rss_after > res->rss_max)
		res->rss_max = res->rss_after;
	report("after", daemon, slab, res->rss_after, res->slab_after, res->objs_after,
	       res->sunreclaim_after);

	uint64_t delta = umn_counter_load(counter) - c0;

	if (delta < (uint64_t)total)
		die("%s: counter advanced by %" PRIu64 " for %ld invalidations of watched pages",
		    config_names[cfg], delta, total);
	if (cfg == DEVICE_RAW) {
		unsigned char *seen = calloc((size_t)P.regs, 1);
		struct ummunotify_event ev[256];
		long got = 0;
		ssize_t n;

		if (!seen)
			die("out of memory");
		while ((n = read(fd, ev, sizeof(ev))) > 0) {
			for (ssize_t i = 0; i < n / (ssize_t)sizeof(ev[0]); i++) {
				if (ev[i].type != UMMUNOTIFY_EVENT_TYPE_INVAL)
					continue;
				if (!see(seen, ev[i].user_cookie_counter, "read"))
					die("read: two reports for cookie %" PRIu64,
					    (uint64_t)ev[i].user_cookie_counter);
				got++;
			}
		}
		if (n < 0 && errno != EAGAIN)
			die("read: %s", strerror(errno));
		if (got != P.regs)
			die("read: %ld reports after the storm, want one for each of %ld cookies", got,
			    P.regs);
		free(seen);
		close(fd);
	} else {
		check_read_events(c);
		if (stream) {
			res->stream_reports = check_stream(stream);
			umn_stream_close(stream);
		}
		umn_close(c);
	}
	res->ok = 1;
}

static double growth_pct(double before, double after)
{
	return before > 0 ? 100.0 * (after - before) / before : 0;
}

static void figures(enum config cfg, const struct result *r)
{
	char name[128];
	const char *f = config_figs[cfg];

	if (cfg != DEVICE_RAW) {
		snprintf(name, sizeof(name), "%s_daemon_rss_kb_before", f);
		figure(name, (double)r->rss_before, 0, "kB", NULL);
		snprintf(name, sizeof(name), "%s_daemon_rss_kb_after", f);
		figure(name, (double)r->rss_after, 0, "kB", NULL);
		snprintf(name, sizeof(name), "%s_daemon_rss_kb_max", f);
		figure(name, (double)r->rss_max, 0, "kB", NULL);
		snprintf(name, sizeof(name), "%s_daemon_rss_growth_pct", f);
		figure(name, growth_pct((double)r->rss_before, (double)r->rss_after), 2, "%", "< 10");
	}
	if (cfg == DEVICE || cfg == DEVICE_RAW) {
		snprintf(name, sizeof(name), "%s_module_slab_bytes_before", f);
		figure(name, (double)r->slab_before, 0, "B", NULL);
		snprintf(name, sizeof(name), "%s_module_slab_bytes_after", f);
		figure(name, (double)r->slab_after, 0, "B", NULL);
		snprintf(name, sizeof(name), "%s_module_slab_growth_pct", f);
		figure(name, growth_pct((double)r->slab_before, (double)r->slab_after), 2, "%", "< 10");
		snprintf(name, sizeof(name), "%s_module_objects_after", f);
		figure(name, (double)r->objs_after, 0, "objects", NULL);
		snprintf(name, sizeof(name), "%s_sunreclaim_kb_before", f);
		figure(name, (double)r->sunreclaim_before, 0, "kB", NULL);
		snprintf(name, sizeof(name), "%s_sunreclaim_kb_after", f);
		figure(name, (double)r->sunreclaim_after, 0, "kB", NULL);
	}
	if (cfg == UFFD_STREAM) {
		snprintf(name, sizeof(name), "%s_reports_delivered", f);
		figure(name, (double)r->stream_reports, 0, "reports", NULL);
	}
	snprintf(name, sizeof(name), "%s_ns_per_invalidation", f);
	figure(name, r->ns_per_inval, 0, "ns", NULL);
}

int main(int argc, char **argv)
{
	int want[NCONFIGS] = { 0 };
	int any = 0;

	/* warmup -1: not given (see below). */
	P = (struct params){ .regs = 1000, .count = 1000000, .warmup = -1, .samples = 10 };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (i + 1 >= argc)
			die("usage: %s --configs uffd,uffd-stream,device,device-raw [--regs N] [--count N]"
			    " [--warmup N] [--samples N]", argv[0]);
		const char *v = argv[++i];

		if (!strcmp(a, "--regs")) {
			P.regs = parse_long(a, v, 1);
		} else if (!strcmp(a, "--count")) {
			P.count = parse_long(a, v, 1);
		} else if (!strcmp(a, "--warmup")) {
			P.warmup = parse_long(a, v, 0);
		} else if (!strcmp(a, "--samples")) {
			P.samples = parse_long(a, v, 1);
		} else if (!strcmp(a, "--configs")) {
			char *list = strdup(v);

			for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
				int found = 0;

				for (int k = 0; k < NCONFIGS; k++)
					if (!strcmp(tok, config_names[k]))
						want[k] = found = any = 1;
				if (!found)
					die("unknown configuration %s", tok);
			}
			free(list);
		} else {
			die("unknown option %s", a);
		}
	}
	if (!any)
		die("--configs: name at least one of uffd, uffd-stream, device, device-raw");
	/* Default warm-up: every registration hit ten times, so every queue is full before "before". */
	if (P.warmup < 0)
		P.warmup = 10 * P.regs;
	pagesz = (size_t)sysconf(_SC_PAGESIZE);

	struct utsname uts;

	if (uname(&uts))
		die("uname: %s", strerror(errno));
	for (int k = 0; k < NCONFIGS; k++) {
		static struct result r;
		enum config cfg = (enum config)k;
		char what[64];

		if (!want[k])
			continue;
		note("%s: %ld registrations, %ld + %ld invalidations ...", config_names[k], P.regs,
		     P.warmup, P.count);
		snprintf(what, sizeof(what), "configuration %s", config_names[k]);
		run_in_child(run_config, &cfg, &r, sizeof(r), what);
		char name[64];

		snprintf(name, sizeof(name), "%s_kernel_release", config_figs[k]);
		figure_text(name, uts.release);
		figures(cfg, &r);
	}
	return 0;
}
