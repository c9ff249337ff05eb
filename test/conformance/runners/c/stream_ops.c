/*
 * Subscription steps: StreamEvents through umn_stream_*, each known to be in
 * place (or gone) at the daemon before the step ends, by polling GetInfo.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "match.h"
#include "steps.h"

#define STREAM_WAIT_MS 5000

static struct subscription *find_subscription(struct run *run, const char *name)
{
	for (size_t i = 0; i < run->n_subs; i++)
		if (strcmp(run->subs[i].name, name) == 0)
			return &run->subs[i];
	return NULL;
}

bool op_subscribe(struct run *run, json_object *step)
{
	struct subscription *grown;
	const char *name;
	uint32_t before;

	if (!get_name(run, field(step, "name"), "name", &name))
		return false;
	if (find_subscription(run, name))
		return fail(run, "a subscription named %s is already open", name);
	if (!current_subscribers(run, &before))
		return false;
	grown = realloc(run->subs, (run->n_subs + 1) * sizeof(*grown));
	if (!grown)
		return fail(run, "out of memory");
	run->subs = grown;
	if (umn_stream_open(run->client, &grown[run->n_subs].stream) < 0)
		return fail(run, "StreamEvents: %s", umn_last_error());
	snprintf(grown[run->n_subs].name, NAME_MAX_LEN, "%s", name);
	run->n_subs++;
	return await_subscribers(run, before + 1);
}

bool op_stream_expect(struct run *run, json_object *step)
{
	json_object *expect = field(step, "expect");
	const size_t want = json_object_array_length(expect);
	struct umn_report *got = calloc(want + 1, sizeof(*got));
	const int64_t deadline = now_ms() + STREAM_WAIT_MS;
	struct subscription *sub;
	const char *name;
	size_t n = 0, invalidations = 0;
	bool ok = true;

	if (!got)
		return fail(run, "out of memory");
	if (!get_name(run, field(step, "name"), "name", &name) || !(sub = find_subscription(run, name))) {
		free(got);
		return run->message[0] ? false : fail(run, "no subscription named %s", name);
	}
	/* Until as many invalidations as matchers; with none expected, only
	 * what has already arrived (which must be nothing). Anything else that
	 * arrives is kept, so that matching shows it. */
	do {
		int64_t left = deadline - now_ms();
		int rc = umn_stream_next(sub->stream, &got[n], want == 0 ? 0 : left > 0 ? (int)left : 0);

		if (rc == 0) {
			if (want == 0 || left <= 0)
				break;
			continue;
		}
		if (rc < 0) {
			char seen[2048];

			describe_reports(run, got, n, seen, sizeof(seen));
			ok = fail(run, "the stream %s ended (%s: %s) after %s", name, umn_status_name(umn_last_status()),
				  umn_last_error(), seen);
			break;
		}
		if (got[n].kind == UMN_REPORT_INVALIDATION)
			invalidations++;
		n++;
		if (n > want) /* more than the matchers: no match is possible */
			break;
	} while (invalidations < want);
	if (ok && invalidations < want && n <= want) {
		char seen[2048];

		describe_reports(run, got, n, seen, sizeof(seen));
		ok = fail(run, "the stream %s delivered %zu of %zu invalidations in %d ms: %s", name, invalidations, want,
			  STREAM_WAIT_MS, seen);
	}
	if (ok)
		ok = match_reports(run, expect, got, n, 0);
	free(got);
	return ok;
}

bool op_unsubscribe(struct run *run, json_object *step)
{
	struct subscription *sub;
	const char *name;
	uint32_t before;

	if (!get_name(run, field(step, "name"), "name", &name))
		return false;
	if (!(sub = find_subscription(run, name)))
		return fail(run, "no subscription named %s", name);
	if (!current_subscribers(run, &before))
		return false;
	umn_stream_close(sub->stream);
	*sub = run->subs[--run->n_subs];
	if (before == 0)
		return fail(run, "GetInfo counted no subscribers before unsubscribing");
	return await_subscribers(run, before - 1);
}
