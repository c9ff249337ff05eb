// SPDX-License-Identifier: GPL-2.0
/*
 * bench/latency: time from munmap() in the target to the report arriving on a
 * StreamEvents subscriber (DESIGN.md section 8, "Event latency").
 *
 * One process is both the target and the subscriber, so both ends read the
 * same CLOCK_MONOTONIC:
 *
 *   main thread   the target: the C client attached with the engine asked
 *                 for (--engine uffd|device), so it spawns its own daemon
 *                 ($UMMUNOTIFYD).  It maps a batch of pages, registers them
 *                 in one Register call under fresh cookies, then, one page at
 *                 a time: records t0, munmaps the page, and waits until the
 *                 subscriber has seen that page's report before the next
 *                 munmap, so each event is measured alone (no queueing
 *                 behind the previous one).
 *   subscriber    a second thread with its own StreamEvents subscription
 *                 (umn_stream_open on the same client), blocked in
 *                 umn_stream_next(); on each report it records the arrival
 *                 time under the report's cookie and wakes the target.
 *
 * Latency of event i = arrival[i] - t0[i].  With uffd the munmap itself
 * blocks until the daemon has read the UNMAP event, so the latency includes
 * that block; it is still munmap-to-report.
 *
 * Why batches: a uffd registration belongs to the VMA and dies with munmap,
 * so every page must be mapped and registered again before it can be timed
 * again.  After a batch (untimed): unregister its cookies in one call, drain
 * ReadEvents' queue (a separate queue from the stream's), map fresh pages,
 * register them under new cookies.  The device keeps registrations
 * across munmap, but the same loop is used there so both engines do the same.
 *
 * Every timed munmap must produce exactly its report: one INVALIDATION for
 * its cookie, with [start, end) the page (and HINT set, one invalidation),
 * and nothing else on the stream; otherwise, or if a report does not come
 * within --timeout-ms, the run fails.  The first --warmup events are not
 * counted.  Percentiles are nearest-rank, as bench/register/stats.ts.
 *
 * Figures (bench/figures.ts format) on stdout, named after the engine the
 * daemon reports (GetInfo): <engine>_latency_{events,p50_us,p99_us,max_us,
 * mean_us}, and <engine>_latency_munmap_p50_us, the median time munmap itself
 * took (t0 to its return): with uffd, how much of the latency is the
 * target's block until the daemon's reader thread has the event, the rest
 * being the daemon's path to the stream and gRPC.  --no-targets drops the
 * targets (the guest: TCG measures the emulator).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <ummunotify/client.h>

#define BENCH "latency"

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "latency: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- shared between the target and the subscriber ---------------------- */

static size_t pagesz;
static long total;		/* warm-up + timed events; cookie of event i is i + 1 */
static uint64_t *t0;		/* written by the target before each munmap */
static uint64_t *returned;	/* when munmap returned (uffd: after the daemon read the event) */
static uint64_t *arrival;	/* written by the subscriber; 0: not yet */
static uint64_t *page_of;	/* the address each event's page had */
static sem_t arrived;
static atomic_int stop;
/* The first thing the subscriber found wrong; the target checks it after each wake-up. */
static atomic_int sub_failed;
static char sub_error[512];

static void sub_fail(const char *fmt, ...)
{
	va_list ap;
	int expected = 0;

	if (!atomic_compare_exchange_strong(&sub_failed, &expected, 1))
		return;
	va_start(ap, fmt);
	vsnprintf(sub_error, sizeof(sub_error), fmt, ap);
	va_end(ap);
	atomic_store(&sub_failed, 2); /* sub_error complete */
	sem_post(&arrived);
}

static int has_unmap_source(const struct umn_report *r)
{
	for (unsigned k = 0; k < r->n_sources && k < UMN_MAX_SOURCES; k++)
		if (r->sources[k] == UMN_SOURCE_UNMAP)
			return 1;
	return 0;
}

static enum umn_engine engine;

static void *subscriber(void *arg)
{
	struct umn_stream *stream = arg;
	struct umn_report r;

	while (!atomic_load(&stop)) {
		/* A bounded wait so the thread sees `stop`: a stream is one thread's at a time. */
		int rc = umn_stream_next(stream, &r, 100);
		uint64_t t = now_ns();

		if (rc == 0)
			continue;
		if (rc < 0) {
			sub_fail("umn_stream_next: %s (%s)", strerror(-rc), umn_last_error());
			break;
		}
		if (r.kind != UMN_REPORT_INVALIDATION) {
			sub_fail("unexpected report of kind %d on the stream", (int)r.kind);
			break;
		}
		if (r.cookie < 1 || r.cookie > (uint64_t)total) {
			sub_fail("report for cookie %" PRIu64 ", which no event used", r.cookie);
			break;
		}
		long i = (long)(r.cookie - 1);

		if (arrival[i]) {
			sub_fail("a second report for cookie %" PRIu64 " (event %ld)", r.cookie, i);
			break;
		}
		if (!t0[i]) {
			sub_fail("report for cookie %" PRIu64 " before its page was unmapped", r.cookie);
			break;
		}
		if (r.start != page_of[i] || r.end != page_of[i] + pagesz || !r.hint) {
			sub_fail("cookie %" PRIu64 ": report [%#" PRIx64 ", %#" PRIx64 ") hint %d, expected [%#" PRIx64
				 ", %#" PRIx64 ") with hint",
				 r.cookie, r.start, r.end, (int)r.hint, page_of[i], page_of[i] + pagesz);
			break;
		}
		/* The device sees invalidations, not their causes; uffd must say UNMAP. */
		if (engine == UMN_ENGINE_UFFD && !has_unmap_source(&r)) {
			sub_fail("cookie %" PRIu64 ": uffd report without source UNMAP", r.cookie);
			break;
		}
		arrival[i] = t;
		sem_post(&arrived);
	}
	return NULL;
}

/* ---- the target -------------------------------------------------------- */

static void check_subscriber(void)
{
	if (atomic_load(&sub_failed)) {
		while (atomic_load(&sub_failed) != 2)
			;
		die("subscriber: %s", sub_error);
	}
}

static void wait_for(long i, int timeout_ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	while (sem_timedwait(&arrived, &ts)) {
		if (errno == EINTR)
			continue;
		if (errno == ETIMEDOUT) {
			check_subscriber();
			die("no report for event %ld (cookie %ld) within %d ms", i, i + 1, timeout_ms);
		}
		die("sem_timedwait: %s", strerror(errno));
	}
	check_subscriber();
	if (!arrival[i])
		die("woken for event %ld but its report has not arrived", i);
}

/*
 * A fresh mapping wherever the kernel puts it, not MAP_FIXED over the last
 * batch's: once a batch is unmapped its range is free, and the client's gRPC
 * threads may have mapped something there since.
 */
static char *map_batch(long n)
{
	char *base = mmap(NULL, (size_t)n * pagesz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (base == MAP_FAILED)
		die("mmap of %ld pages: %s", n, strerror(errno));
	/*
	 * No transparent huge pages: munmap of one 4 KiB page of a huge page
	 * first splits it, which the device reports as an invalidation of the
	 * whole 2 MiB (every registration in it, and twice for the page).
	 */
	if (madvise(base, (size_t)n * pagesz, MADV_NOHUGEPAGE))
		die("madvise(MADV_NOHUGEPAGE): %s", strerror(errno));
	for (long k = 0; k < n; k++)
		base[(size_t)k * pagesz] = 1;
	return base;
}

static void drain_read_events(struct umn_client *c)
{
	struct umn_report *r = NULL;
	ssize_t n = umn_read_events_all(c, &r);

	if (n < 0)
		die("umn_read_events_all: %s (%s)", strerror((int)-n), umn_last_error());
	free(r);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least p% of the values at or below it. */
static uint64_t percentile(const uint64_t *sorted, long n, long p)
{
	long rank = (p * n + 99) / 100;

	if (rank < 1)
		rank = 1;
	return sorted[rank - 1];
}

static void figure(const char *prefix, const char *name, double value, const char *unit, const char *target)
{
	printf("{\"bench\":\"" BENCH "\",\"figure\":\"%s_%s\",\"value\":%.*f,\"unit\":\"%s\",\"target\":", prefix,
	       name, value >= 100 ? 0 : 1, value, unit);
	if (target)
		printf("\"%s\"}\n", target);
	else
		printf("null}\n");
}

static long parse_long(const char *opt, const char *v, long min)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || end == v || n < min)
		die("%s: expected a whole number >= %ld, got %s", opt, min, v);
	return n;
}

int main(int argc, char **argv)
{
	long events = 100000, batch = 1000, warmup = 1000, timeout_ms = 10000;
	const char *engine_name = "uffd";
	int with_targets = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--no-targets")) {
			with_targets = 0;
			continue;
		}
		if (i + 1 >= argc)
			die("option %s needs a value", argv[i]);
		if (!strcmp(argv[i], "--events"))
			events = parse_long(argv[i], argv[i + 1], 1);
		else if (!strcmp(argv[i], "--batch"))
			batch = parse_long(argv[i], argv[i + 1], 1);
		else if (!strcmp(argv[i], "--warmup"))
			warmup = parse_long(argv[i], argv[i + 1], 0);
		else if (!strcmp(argv[i], "--timeout-ms"))
			timeout_ms = parse_long(argv[i], argv[i + 1], 1);
		else if (!strcmp(argv[i], "--engine"))
			engine_name = argv[i + 1];
		else
			die("unknown option %s", argv[i]);
		i++;
	}
	enum umn_engine want;

	if (!strcmp(engine_name, "uffd"))
		want = UMN_ENGINE_UFFD;
	else if (!strcmp(engine_name, "device"))
		want = UMN_ENGINE_DEVICE;
	else
		die("--engine: uffd or device, got %s", engine_name);

	pagesz = (size_t)sysconf(_SC_PAGESIZE);
	total = warmup + events;
	t0 = calloc((size_t)total, sizeof(*t0));
	returned = calloc((size_t)total, sizeof(*returned));
	arrival = calloc((size_t)total, sizeof(*arrival));
	page_of = calloc((size_t)total, sizeof(*page_of));
	if (!t0 || !returned || !arrival || !page_of)
		die("out of memory for %ld events", total);
	if (sem_init(&arrived, 0, 0))
		die("sem_init: %s", strerror(errno));

	/* The daemon's per-event info logging would be part of what is timed. */
	static const char *const daemon_args[] = { "--log-level", "warn" };
	struct umn_open_options o = { .engine = want, .daemon_args = daemon_args, .n_daemon_args = 2 };
	struct umn_client *client;
	int rc = umn_open(&o, &client);

	if (rc)
		die("umn_open(%s): %s (%s)", engine_name, strerror(-rc), umn_last_error());
	struct umn_info info;

	rc = umn_info(client, &info);
	if (rc)
		die("umn_info: %s (%s)", strerror(-rc), umn_last_error());
	engine = info.engine;
	umn_info_release(&info);
	if (engine != want)
		die("the daemon reports engine %d, not %s", (int)engine, engine_name);

	struct umn_stream *stream;

	rc = umn_stream_open(client, &stream);
	if (rc)
		die("umn_stream_open: %s (%s)", strerror(-rc), umn_last_error());
	pthread_t sub;

	rc = pthread_create(&sub, NULL, subscriber, stream);
	if (rc)
		die("pthread_create: %s", strerror(rc));
	/* The daemon learns of the subscription a moment after umn_stream_open returns. */
	for (int tries = 0;; tries++) {
		rc = umn_info(client, &info);
		if (rc)
			die("umn_info: %s (%s)", strerror(-rc), umn_last_error());
		uint32_t subs = info.subscribers;

		umn_info_release(&info);
		if (subs >= 1)
			break;
		if (tries > 1000)
			die("the daemon never saw the subscription");
		usleep(10000);
	}

	long nb = batch < total ? batch : total;
	struct umn_range *ranges = calloc((size_t)nb, sizeof(*ranges));
	uint64_t *cookies = calloc((size_t)nb, sizeof(*cookies));

	if (!ranges || !cookies)
		die("out of memory");
	fprintf(stderr, "latency: engine %s, %ld events (+%ld warm-up), batches of %ld\n", engine_name, events, warmup,
		nb);

	uint64_t started = now_ns();

	for (long first = 0; first < total; first += nb) {
		long n = total - first < nb ? total - first : nb;

		/* Untimed: fresh pages, registered in one call. */
		char *region = map_batch(n);
		for (long k = 0; k < n; k++) {
			ranges[k].addr = (uint64_t)(uintptr_t)(region + (size_t)k * pagesz);
			ranges[k].length = pagesz;
			ranges[k].cookie = (uint64_t)(first + k + 1);
			page_of[first + k] = ranges[k].addr;
		}
		rc = umn_register_batch(client, ranges, (size_t)n);
		if (rc)
			die("umn_register_batch(%ld): %s (%s)", n, strerror(-rc), umn_last_error());

		for (long k = 0; k < n; k++) {
			long i = first + k;

			t0[i] = now_ns();
			if (munmap(region + (size_t)k * pagesz, pagesz))
				die("munmap: %s", strerror(errno));
			returned[i] = now_ns();
			wait_for(i, (int)timeout_ms);
		}

		/* Untimed: forget the batch's registrations and what ReadEvents holds for them. */
		for (long k = 0; k < n; k++)
			cookies[k] = ranges[k].cookie;
		rc = umn_unregister_batch(client, cookies, (size_t)n);
		if (rc)
			die("umn_unregister_batch(%ld): %s (%s)", n, strerror(-rc), umn_last_error());
		drain_read_events(client);
		if ((first / nb) % 10 == 9)
			fprintf(stderr, "latency: %ld/%ld events\n", first + n, total);
	}
	double wall_s = (double)(now_ns() - started) / 1e9;

	/* A late duplicate would arrive right behind the last report: give it a moment. */
	usleep(200000);
	check_subscriber();
	atomic_store(&stop, 1);
	pthread_join(sub, NULL);
	check_subscriber();
	umn_stream_close(stream);
	umn_close(client);

	uint64_t *lat = malloc((size_t)events * sizeof(*lat));
	uint64_t *blocked = malloc((size_t)events * sizeof(*blocked));

	if (!lat || !blocked)
		die("out of memory");
	for (long i = 0; i < events; i++) {
		long j = warmup + i;

		if (arrival[j] < t0[j])
			die("event %ld arrived before its munmap", j);
		lat[i] = arrival[j] - t0[j];
		blocked[i] = returned[j] - t0[j];
	}
	qsort(lat, (size_t)events, sizeof(*lat), cmp_u64);
	qsort(blocked, (size_t)events, sizeof(*blocked), cmp_u64);
	double sum = 0;

	for (long i = 0; i < events; i++)
		sum += (double)lat[i];
	fprintf(stderr, "latency: %ld events in %.1f s\n", total, wall_s);

	const char *prefix = engine == UMN_ENGINE_UFFD ? "uffd" : "device";

	figure(prefix, "latency_events", (double)events, "events", NULL);
	figure(prefix, "latency_p50_us", (double)percentile(lat, events, 50) / 1e3, "us", with_targets ? "< 100" : NULL);
	figure(prefix, "latency_p99_us", (double)percentile(lat, events, 99) / 1e3, "us", with_targets ? "< 1000" : NULL);
	figure(prefix, "latency_max_us", (double)lat[events - 1] / 1e3, "us", NULL);
	figure(prefix, "latency_mean_us", sum / (double)events / 1e3, "us", NULL);
	/* How much of it is munmap itself (uffd: the target's block until the daemon read the event). */
	figure(prefix, "latency_munmap_p50_us", (double)percentile(blocked, events, 50) / 1e3, "us", NULL);
	return 0;
}
