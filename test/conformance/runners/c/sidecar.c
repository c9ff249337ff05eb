#define _GNU_SOURCE
#include "sidecar.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "run.h"

#define CLEAN_WAIT_MS 5000

bool sidecar_open(struct umn_client **out, const char *const *daemon_args, size_t n_daemon_args, bool attach,
		  enum umn_engine engine, const char *engine_name, char *why, size_t size)
{
	/* Refusals are the point of many scenarios: the daemon need not log
	 * each one. The scenario's own arguments come after, and win. */
	const char **args = calloc(n_daemon_args + 2, sizeof(*args));
	struct umn_open_options opts = {
		.daemon_args = args,
		.n_daemon_args = n_daemon_args + 2,
		.engine = engine,
		.no_attach = !attach,
	};
	struct umn_info info;
	enum umn_engine attached;
	const char *name;
	int rc;

	if (!args) {
		snprintf(why, size, "out of memory");
		return false;
	}
	args[0] = "--log-level";
	args[1] = "warn";
	for (size_t i = 0; i < n_daemon_args; i++)
		args[i + 2] = daemon_args[i];
	rc = umn_open(&opts, out);
	free(args);
	if (rc < 0) {
		name = umn_last_errno_name();
		*out = NULL;
		snprintf(why, size, "opening the client failed: %s (errno %s): %s", umn_status_name(umn_last_status()),
			 name ? name : "none", umn_last_error());
		return false;
	}
	if (!attach)
		return true;
	if (umn_info(*out, &info) < 0) {
		snprintf(why, size, "GetInfo after opening failed: %s", umn_last_error());
		return false;
	}
	attached = info.engine;
	umn_info_release(&info);
	if (attached != engine) {
		snprintf(why, size, "GetInfo says engine %d, but the engine under test is %s", (int)attached, engine_name);
		return false;
	}
	return true;
}

/* README "Sidecars", steps 3 and 4: ReadEvents until it returns no report,
 * then GetInfo (polled) until nothing is held, pending or subscribed. */
static bool clean(struct umn_client *client, char *why, size_t size)
{
	const int64_t deadline = now_ms() + CLEAN_WAIT_MS;
	struct umn_info info;

	for (int calls = 0;; calls++) {
		struct umn_report *reports;
		ssize_t n = umn_read_events_all(client, &reports);

		free(reports);
		if (n < 0) {
			snprintf(why, size, "cleaning the shared sidecar: ReadEvents failed: %s", umn_last_error());
			return false;
		}
		if (n == 0)
			break;
		if (calls == 100) {
			snprintf(why, size, "cleaning the shared sidecar: ReadEvents still answers after 100 calls");
			return false;
		}
	}
	for (;;) {
		bool clean_now;

		if (umn_info(client, &info) < 0) {
			snprintf(why, size, "cleaning the shared sidecar: GetInfo failed: %s", umn_last_error());
			return false;
		}
		clean_now = info.registrations == 0 && info.pending_reports == 0 && info.subscribers == 0;
		if (!clean_now && now_ms() >= deadline)
			snprintf(why, size,
				 "cleaning the shared sidecar: still %llu registrations, %llu pending reports, %u subscribers",
				 (unsigned long long)info.registrations, (unsigned long long)info.pending_reports,
				 info.subscribers);
		umn_info_release(&info);
		if (clean_now)
			return true;
		if (now_ms() >= deadline)
			return false;
		usleep(10000);
	}
}

bool sidecar_ready(struct sidecar *shared, char *why, size_t size)
{
	if (shared->client && clean(shared->client, why, size))
		return true;
	/* Not open yet, or not clean: a new one. */
	sidecar_close(shared);
	if (!sidecar_open(&shared->client, NULL, 0, true, shared->engine, shared->engine_name, why, size)) {
		sidecar_close(shared);
		return false;
	}
	return clean(shared->client, why, size);
}

void sidecar_release(struct sidecar *shared, const uint64_t *cookies, size_t n)
{
	if (shared->client && n && umn_unregister_batch(shared->client, cookies, n) < 0)
		sidecar_close(shared);
}

void sidecar_close(struct sidecar *shared)
{
	umn_close(shared->client);
	shared->client = NULL;
}
