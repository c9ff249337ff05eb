/*
 * Daemon-call steps: one call of the C client each, its outcome checked
 * against the step's "error" (or success), its answer against "expect".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "expr.h"
#include "match.h"
#include "steps.h"

/* "NOT_FOUND (errno EINVAL): message", or a local failure's errno and message. */
static void describe_failure(long rc, char *buf, size_t size)
{
	const char *name = umn_last_errno_name();

	if (umn_last_status() == 0)
		snprintf(buf, size, "a local failure, %s: %s", strerror((int)-rc), umn_last_error());
	else
		snprintf(buf, size, "%s (errno %s): %s", umn_status_name(umn_last_status()), name ? name : "none",
			 umn_last_error());
}

bool check_outcome(struct run *run, json_object *step, long rc, const char *call)
{
	json_object *error = field(step, "error");
	const char *code, *want_errno, *got_errno;
	char got[1024];

	if (!error) {
		if (rc >= 0)
			return true;
		describe_failure(rc, got, sizeof(got));
		return fail(run, "expected %s to succeed, got %s", call, got);
	}
	code = json_object_get_string(field(error, "code"));
	want_errno = field(error, "errno") ? json_object_get_string(field(error, "errno")) : NULL;
	if (rc >= 0)
		return fail(run, "expected %s to fail with %s%s%s, it succeeded", call, code, want_errno ? "/" : "",
			    want_errno ? want_errno : "");
	describe_failure(rc, got, sizeof(got));
	if (strcmp(umn_status_name(umn_last_status()), code) != 0)
		return fail(run, "expected %s to fail with %s, got %s", call, code, got);
	got_errno = umn_last_errno_name();
	if (want_errno && (!got_errno || strcmp(got_errno, want_errno) != 0))
		return fail(run, "expected %s to fail with errno %s, got %s", call, want_errno, got);
	return true;
}

static const char *engine_name(enum umn_engine engine)
{
	switch (engine) {
	case UMN_ENGINE_DEVICE:
		return "device";
	case UMN_ENGINE_UFFD:
		return "uffd";
	default:
		return "unspecified";
	}
}

bool op_attach(struct run *run, json_object *step)
{
	int rc = umn_attach(run->client);
	struct umn_info info;
	enum umn_engine engine;

	if (!check_outcome(run, step, rc, "Attach") || rc < 0)
		return run->message[0] == '\0';
	/* The daemon must agree on what it was handed. */
	if (umn_info(run->client, &info) < 0)
		return fail(run, "GetInfo after Attach failed: %s", umn_last_error());
	engine = info.engine;
	umn_info_release(&info);
	if (engine != run->engine)
		return fail(run, "after Attach GetInfo says engine %s, but the engine under test is %s",
			    engine_name(engine), run->engine_name);
	if (!run->have_seen) {
		run->seen = umn_counter_load(umn_counter_page(run->client));
		run->have_seen = true;
	}
	return true;
}

/* One {cookie, at, length} entry as a range. */
static bool range_entry(struct run *run, json_object *entry, struct umn_range *out)
{
	if (!get_cookie(run, field(entry, "cookie"), &out->cookie) || !eval_expr(run, field(entry, "at"), "at", &out->addr) ||
	    !eval_expr(run, field(entry, "length"), "length", &out->length))
		return false;
	if (out->length > UINT64_MAX - out->addr)
		return fail(run, "cookie %" PRIu64 ": at + length wraps past 2^64", out->cookie);
	return true;
}

bool op_register(struct run *run, json_object *step)
{
	json_object *batch = field(step, "batch");
	size_t n = batch ? json_object_array_length(batch) : 1;
	struct umn_range *ranges = calloc(n ? n : 1, sizeof(*ranges));
	bool ok = ranges != NULL;
	int rc;

	if (!ranges)
		return fail(run, "out of memory");
	for (size_t i = 0; ok && i < n; i++)
		ok = range_entry(run, batch ? json_object_array_get_idx(batch, i) : step, &ranges[i]);
	if (ok) {
		rc = umn_register_batch(run->client, ranges, n);
		ok = check_outcome(run, step, rc, "Register");
		for (size_t i = 0; rc == 0 && i < n; i++)
			ok = track_cookie(run, ranges[i].cookie, true) && ok;
	}
	free(ranges);
	return ok;
}

bool op_unregister(struct run *run, json_object *step)
{
	json_object *list = field(step, "cookies");
	size_t n = list ? json_object_array_length(list) : 1;
	uint64_t *cookies = calloc(n ? n : 1, sizeof(*cookies));
	bool ok = cookies != NULL;

	if (!cookies)
		return fail(run, "out of memory");
	for (size_t i = 0; ok && i < n; i++)
		ok = get_cookie(run, list ? json_object_array_get_idx(list, i) : field(step, "cookie"), &cookies[i]);
	if (ok) {
		int rc = umn_unregister_batch(run->client, cookies, n);

		ok = check_outcome(run, step, rc, "Unregister");
		for (size_t i = 0; rc == 0 && i < n; i++)
			ok = track_cookie(run, cookies[i], false) && ok;
	}
	free(cookies);
	return ok;
}

bool op_read_events(struct run *run, json_object *step)
{
	struct umn_report *reports = NULL;
	uint64_t max = 0, after;
	const volatile uint64_t *page;
	ssize_t n;
	bool ok;

	if (field(step, "max_reports") && !get_uint(run, field(step, "max_reports"), "max_reports", 0, 1 << 20, &max))
		return false;
	if (max == 0) {
		/* No limit on the wire, as the step says. */
		n = umn_read_events_all(run->client, &reports);
	} else {
		reports = calloc(max, sizeof(*reports));
		if (!reports)
			return fail(run, "out of memory");
		n = umn_read_events(run->client, reports, max);
	}
	/* Just after the call: nothing ran in between. */
	page = umn_counter_page(run->client);
	after = page ? umn_counter_load(page) : 0;
	ok = check_outcome(run, step, n, "ReadEvents");
	if (ok && n >= 0 && !field(step, "error")) {
		if (!page && n > 0)
			ok = fail(run, "no counter page to compare a Last report with");
		else
			ok = match_reports(run, field(step, "expect"), reports, (size_t)n, after);
	}
	free(reports);
	return ok;
}

bool op_check_counter(struct run *run, json_object *step)
{
	const volatile uint64_t *page = umn_counter_page(run->client);
	bool changed;

	if (!get_bool(run, field(step, "changed"), "changed", &changed))
		return false;
	if (!page || !run->have_seen)
		return fail(run, "no counter page: the client has not attached");
	if (umn_changed_since(page, run->seen) != changed)
		return fail(run, "expected changed %s, but the page holds %" PRIu64 " and seen is %" PRIu64,
			    changed ? "true" : "false", umn_counter_load(page), run->seen);
	return true;
}

bool op_info(struct run *run, json_object *step)
{
	struct umn_info info;
	bool ok = true;
	int rc = umn_info(run->client, &info);

	if (!check_outcome(run, step, rc, "GetInfo") || rc < 0)
		return run->message[0] == '\0';
	json_object_object_foreach(field(step, "expect"), key, value)
	{
		uint64_t want_n = 0, got_n = 0;
		bool numeric = true;

		if (!ok)
			break;
		if (strcmp(key, "engine") == 0 || strcmp(key, "target_alive") == 0) {
			static const char *const engines[] = { "unspecified", "device", "uffd", NULL };
			int want;
			bool alive;

			numeric = false;
			if (key[0] == 'e') {
				ok = get_choice(run, value, "engine", engines, &want);
				if (ok && want != (int)info.engine)
					ok = fail(run, "engine: expected %s, got %s", engines[want], engine_name(info.engine));
			} else {
				ok = get_bool(run, value, "target_alive", &alive);
				if (ok && alive != info.target_alive)
					ok = fail(run, "target_alive: expected %s, got %s", alive ? "true" : "false",
						  info.target_alive ? "true" : "false");
			}
		} else if (strcmp(key, "registrations") == 0) {
			got_n = info.registrations;
		} else if (strcmp(key, "max_registrations") == 0) {
			got_n = info.max_registrations;
		} else if (strcmp(key, "pending_reports") == 0) {
			got_n = info.pending_reports;
		} else {
			got_n = info.subscribers;
		}
		if (ok && numeric) {
			ok = get_uint(run, value, key, 0, UINT64_MAX, &want_n);
			if (ok && want_n != got_n)
				ok = fail(run, "%s: expected %" PRIu64 ", got %" PRIu64, key, want_n, got_n);
		}
	}
	umn_info_release(&info);
	return ok;
}

bool current_subscribers(struct run *run, uint32_t *out)
{
	struct umn_info info;

	if (umn_info(run->client, &info) < 0)
		return fail(run, "GetInfo failed: %s", umn_last_error());
	*out = info.subscribers;
	umn_info_release(&info);
	return true;
}

bool await_subscribers(struct run *run, uint32_t want)
{
	const int64_t deadline = now_ms() + 5000;
	uint32_t have = 0;

	for (;;) {
		if (!current_subscribers(run, &have))
			return false;
		if (have == want)
			return true;
		if (now_ms() >= deadline)
			break;
		usleep(10000);
	}
	return fail(run, "GetInfo still counts %" PRIu32 " subscribers after 5 s, expected %" PRIu32, have, want);
}
