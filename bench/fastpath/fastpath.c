/*
 * Fast-path driver for C (bench/fastpath): opens a client with umn_open()
 * (this process is the target; engine ENGINE: uffd on the host, device in a
 * guest), then times `checks` counter
 * checks (umn_changed_since on the mapped page) and `calls` GetInfo round
 * trips (umn_info) per batch, `batches` times each.  Prints one JSON line of
 * batch means on stdout:
 *	{"lang":"c","engine":"uffd","counter_ns":[...],"getinfo_us":[...],"changed":0}
 * Built by bench/fastpath/index.ts against build/clients/c (pkg-config).
 * Usage: fastpath CHECKS CALLS BATCHES ENGINE
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ummunotify/client.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, long rc)
{
	fprintf(stderr, "fastpath.c: %s: %s (status %s): %s\n", what, strerror((int)-rc), umn_status_name(umn_last_status()),
		umn_last_error());
	exit(1);
}

static int info_once(struct umn_client *client, enum umn_engine *engine)
{
	struct umn_info info;
	int rc = umn_info(client, &info);

	if (rc < 0)
		return rc;
	if (engine)
		*engine = info.engine;
	umn_info_release(&info);
	return 0;
}

int main(int argc, char **argv)
{
	static const char *const daemon_args[] = { "--log-level", "warn" };
	struct umn_open_options opts = { 0 };
	struct umn_client *client;
	const volatile uint64_t *page;
	enum umn_engine engine = UMN_ENGINE_UNSPECIFIED;
	uint64_t seen, changed = 0;
	long checks, calls, batches;
	double *counter_ns, *getinfo_us;
	int rc;

	if (argc != 5 || (strcmp(argv[4], "uffd") && strcmp(argv[4], "device"))) {
		fprintf(stderr, "usage: %s CHECKS CALLS BATCHES uffd|device\n", argv[0]);
		return 2;
	}
	checks = atol(argv[1]);
	calls = atol(argv[2]);
	batches = atol(argv[3]);
	if (checks <= 0 || calls <= 0 || batches <= 0) {
		fprintf(stderr, "fastpath.c: counts must be positive\n");
		return 2;
	}
	counter_ns = calloc((size_t)batches, sizeof(*counter_ns));
	getinfo_us = calloc((size_t)batches, sizeof(*getinfo_us));
	if (!counter_ns || !getinfo_us)
		return 1;

	opts.engine = strcmp(argv[4], "uffd") ? UMN_ENGINE_DEVICE : UMN_ENGINE_UFFD;
	opts.daemon_args = daemon_args;
	opts.n_daemon_args = 2;
	rc = umn_open(&opts, &client);
	if (rc < 0)
		die("umn_open", rc);
	page = umn_counter_page(client);
	if (!page)
		die("umn_counter_page", -EINVAL);
	seen = umn_counter_load(page);
	rc = info_once(client, &engine);
	if (rc < 0)
		die("umn_info", rc);

	/* Warm-up, untimed; the daemon's JIT takes thousands of GetInfo calls to settle. */
	for (long i = 0; i < checks; i++)
		changed += umn_changed_since(page, seen);
	for (long i = 0; i < calls * 10 && i < 5000; i++)
		if ((rc = info_once(client, NULL)) < 0)
			die("umn_info", rc);

	for (long b = 0; b < batches; b++) {
		uint64_t t0 = now_ns();

		/*
		 * The page is volatile, so every iteration is a real load; the
		 * sum keeps the compiler from dropping the comparison.
		 */
		for (long i = 0; i < checks; i++)
			changed += umn_changed_since(page, seen);
		uint64_t t1 = now_ns();
		counter_ns[b] = (double)(t1 - t0) / (double)checks;

		t0 = now_ns();
		for (long i = 0; i < calls; i++)
			if ((rc = info_once(client, NULL)) < 0)
				die("umn_info", rc);
		t1 = now_ns();
		getinfo_us[b] = (double)(t1 - t0) / (double)calls / 1000.0;
	}
	umn_close(client);

	printf("{\"lang\":\"c\",\"engine\":\"%s\",\"counter_ns\":[", engine == UMN_ENGINE_UFFD ? "uffd" :
								     engine == UMN_ENGINE_DEVICE ? "device" : "unspecified");
	for (long b = 0; b < batches; b++)
		printf("%s%.4f", b ? "," : "", counter_ns[b]);
	printf("],\"getinfo_us\":[");
	for (long b = 0; b < batches; b++)
		printf("%s%.3f", b ? "," : "", getinfo_us[b]);
	printf("],\"changed\":%" PRIu64 "}\n", changed);
	free(counter_ns);
	free(getinfo_us);
	return 0;
}
