#define _GNU_SOURCE
#include "match.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "expr.h"
#include "steps.h"

static const char *const source_names[] = { "unspecified", "unmap", "madvise", "mremap", "fork", NULL };

static const char *source_name(enum umn_source s)
{
	return (unsigned)s <= UMN_SOURCE_FORK ? source_names[s] : "?";
}

static size_t append(char *buf, size_t size, size_t used, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static size_t append(char *buf, size_t size, size_t used, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (used >= size)
		return used;
	va_start(ap, fmt);
	n = vsnprintf(buf + used, size - used, fmt, ap);
	va_end(ap);
	return n < 0 ? used : used + (size_t)n;
}

void describe_reports(const struct run *run, const struct umn_report *reports, size_t n, char *buf, size_t size)
{
	size_t used = append(buf, size, 0, "[");

	for (size_t i = 0; i < n; i++) {
		const struct umn_report *r = &reports[i];
		char start[96], end[96];

		used = append(buf, size, used, "%s", i ? ", " : "");
		switch (r->kind) {
		case UMN_REPORT_INVALIDATION:
			describe_addr(run, r->start, start, sizeof(start));
			describe_addr(run, r->end, end, sizeof(end));
			used = append(buf, size, used, "invalidation{cookie %" PRIu64 ", hint %s, [%s, %s), sources [", r->cookie,
				      r->hint ? "true" : "false", start, end);
			for (unsigned s = 0; s < r->n_sources; s++)
				used = append(buf, size, used, "%s%s", s ? ", " : "", source_name(r->sources[s]));
			used = append(buf, size, used, "]}");
			break;
		case UMN_REPORT_LAST:
			used = append(buf, size, used, "last{counter %" PRIu64 "}", r->counter);
			break;
		case UMN_REPORT_TARGET_EXITED:
			used = append(buf, size, used, "target_exited{pid %" PRIu32 "}", r->pid);
			break;
		}
	}
	append(buf, size, used, "]");
}

/* The one key of a matcher object and its value. */
static const char *matcher_kind(json_object *matcher, json_object **body)
{
	json_object_object_foreach(matcher, key, value)
	{
		*body = value;
		return key;
	}
	return "";
}

/* Compares one invalidation report with its matcher; false with why. */
static bool match_invalidation(struct run *run, json_object *m, const struct umn_report *r, char *why, size_t size)
{
	json_object *v;
	uint64_t want;
	char a[96], b[96];

	if ((v = field(m, "hint")) && json_object_get_boolean(v) != r->hint) {
		snprintf(why, size, "cookie %" PRIu64 ": hint %s, expected %s", r->cookie, r->hint ? "true" : "false",
			 json_object_get_boolean(v) ? "true" : "false");
		return false;
	}
	if ((v = field(m, "start"))) {
		if (!eval_expr(run, v, "start", &want))
			return false;
		if (want != r->start) {
			describe_addr(run, r->start, a, sizeof(a));
			describe_addr(run, want, b, sizeof(b));
			snprintf(why, size, "cookie %" PRIu64 ": start %s, expected %s", r->cookie, a, b);
			return false;
		}
	}
	if ((v = field(m, "end"))) {
		if (!eval_expr(run, v, "end", &want))
			return false;
		if (want != r->end) {
			describe_addr(run, r->end, a, sizeof(a));
			describe_addr(run, want, b, sizeof(b));
			snprintf(why, size, "cookie %" PRIu64 ": end %s, expected %s", r->cookie, a, b);
			return false;
		}
	}
	/* The device engine knows no causes: there every report must have none. */
	if (run->engine == UMN_ENGINE_DEVICE) {
		if (r->n_sources) {
			snprintf(why, size, "cookie %" PRIu64 ": sources on the device engine, which knows none", r->cookie);
			return false;
		}
	} else if ((v = field(m, "sources"))) {
		size_t n = json_object_array_length(v);
		bool same = n == r->n_sources;

		for (size_t i = 0; same && i < n; i++) {
			int which;

			if (!get_choice(run, json_object_array_get_idx(v, i), "sources", source_names, &which))
				return false;
			same = which == (int)r->sources[i];
		}
		if (!same) {
			snprintf(why, size, "cookie %" PRIu64 ": sources differ from %s", r->cookie,
				 json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
			return false;
		}
	}
	return true;
}

/* The answer's verdict: false with run->message set. */
static bool mismatch(struct run *run, json_object *expect, const struct umn_report *reports, size_t n, const char *why)
{
	char got[2048];

	if (run->message[0]) /* a value in expect was bad: that message says it */
		return false;
	describe_reports(run, reports, n, got, sizeof(got));
	return fail(run, "%s; expected %s, got %s", why, json_object_to_json_string_ext(expect, JSON_C_TO_STRING_PLAIN), got);
}

bool match_reports(struct run *run, json_object *expect, const struct umn_report *reports, size_t n,
		   uint64_t counter_after)
{
	size_t n_expect = json_object_array_length(expect), n_inv = 0, n_other_expected = 0, first_other = n;
	uint64_t last_counter = 0;
	bool saw_last = false;
	char why[512];

	for (size_t i = 0; i < n; i++) {
		if (reports[i].kind != UMN_REPORT_INVALIDATION && first_other == n)
			first_other = i;
		if (reports[i].kind == UMN_REPORT_INVALIDATION && first_other != n)
			return mismatch(run, expect, reports, n, "an invalidation after a Last or TargetExited report");
	}
	n_inv = first_other;
	for (size_t i = 0; i < n_inv; i++)
		for (size_t j = i + 1; j < n_inv; j++)
			if (reports[i].cookie == reports[j].cookie) {
				snprintf(why, sizeof(why), "cookie %" PRIu64 " reported twice in one answer", reports[i].cookie);
				return mismatch(run, expect, reports, n, why);
			}

	/* Invalidations: equal sets keyed by cookie, each matching its matcher. */
	for (size_t i = 0; i < n_expect; i++) {
		json_object *body;
		const char *kind = matcher_kind(json_object_array_get_idx(expect, i), &body);
		uint64_t cookie;
		const struct umn_report *found = NULL;

		if (strcmp(kind, "invalidation") != 0) {
			n_other_expected++;
			continue;
		}
		if (!get_cookie(run, field(body, "cookie"), &cookie))
			return false;
		for (size_t j = 0; j < n_inv; j++)
			if (reports[j].cookie == cookie)
				found = &reports[j];
		if (!found) {
			snprintf(why, sizeof(why), "no invalidation for cookie %" PRIu64, cookie);
			return mismatch(run, expect, reports, n, why);
		}
		if (!match_invalidation(run, body, found, why, sizeof(why)))
			return mismatch(run, expect, reports, n, why);
	}
	if (n_inv != n_expect - n_other_expected) {
		snprintf(why, sizeof(why), "%zu invalidations, expected %zu", n_inv, n_expect - n_other_expected);
		return mismatch(run, expect, reports, n, why);
	}

	/* The others, in the order of their matchers. */
	if (n - n_inv != n_other_expected) {
		snprintf(why, sizeof(why), "%zu reports after the invalidations, expected %zu", n - n_inv, n_other_expected);
		return mismatch(run, expect, reports, n, why);
	}
	for (size_t i = 0, k = n_inv; i < n_expect; i++) {
		json_object *body;
		const char *kind = matcher_kind(json_object_array_get_idx(expect, i), &body);
		const struct umn_report *r;

		if (strcmp(kind, "invalidation") == 0)
			continue;
		r = &reports[k++];
		if (strcmp(kind, "last") == 0) {
			if (r->kind != UMN_REPORT_LAST)
				return mismatch(run, expect, reports, n, "expected a Last report in its place");
			if (r->counter != counter_after) {
				snprintf(why, sizeof(why), "the Last report's counter %" PRIu64 " is not the page's %" PRIu64,
					 r->counter, counter_after);
				return mismatch(run, expect, reports, n, why);
			}
			saw_last = true;
			last_counter = r->counter;
		} else if (r->kind != UMN_REPORT_TARGET_EXITED) {
			return mismatch(run, expect, reports, n, "expected a TargetExited report in its place");
		}
	}
	if (saw_last) {
		run->seen = last_counter;
		run->have_seen = true;
	}
	return true;
}
