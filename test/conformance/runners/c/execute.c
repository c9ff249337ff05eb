#define _GNU_SOURCE
#include "execute.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ops.h"
#include "run.h"
#include "steps.h"

/* A scenario that needs daemon arguments or attaches by itself cannot use
 * the shared sidecar. */
static bool needs_own_sidecar(const struct scenario *scenario)
{
	return scenario->n_daemon_args > 0 || !scenario->attach;
}

/* Subscriptions first and the sidecar's state next, so that unmapping what
 * was watched then costs the daemon nothing; the client's own sidecar goes
 * with it. Then every byte the scenario mapped is given back. */
static void clean_up(struct run *run, struct sidecar *shared, bool own)
{
	for (size_t i = 0; i < run->n_subs; i++)
		umn_stream_close(run->subs[i].stream);
	free(run->subs);
	if (own)
		umn_close(run->client);
	else
		sidecar_release(shared, run->cookies, run->n_cookies);
	free(run->cookies);
	for (size_t i = 0; i < run->owned.n; i++) {
		const struct owned_range *r = &run->owned.ranges[i];

		if (r->kind == OWNED_MMAP)
			munmap((void *)(uintptr_t)r->start, r->end - r->start);
	}
	/* The break goes back only if nobody (malloc) moved it since. */
	if (run->brk_used && (uintptr_t)sbrk(0) == run->brk_last)
		brk((void *)(uintptr_t)run->brk_original);
	owned_free(&run->owned);
	free(run->bindings);
}

bool execute(const struct scenario *scenario, struct sidecar *shared, char *why, size_t size)
{
	struct run run = {
		.engine = shared->engine,
		.engine_name = shared->engine_name,
		.page = (uint64_t)sysconf(_SC_PAGESIZE),
	};
	const bool own = needs_own_sidecar(scenario);
	char reason[2048];
	bool ok;

	if (own) {
		/* A target has one daemon at a time. */
		sidecar_close(shared);
		ok = sidecar_open(&run.client, scenario->daemon_args, scenario->n_daemon_args, scenario->attach,
				  run.engine, run.engine_name, reason, sizeof(reason));
	} else {
		ok = sidecar_ready(shared, reason, sizeof(reason));
		run.client = shared->client;
	}
	if (!ok) {
		snprintf(why, size, "sidecar: %s", reason);
		if (own)
			umn_close(run.client);
		return false;
	}
	/* "seen" starts once the sidecar is clean, or at the scenario's attach. */
	if (scenario->attach) {
		run.seen = umn_counter_load(umn_counter_page(run.client));
		run.have_seen = true;
	}
	for (size_t i = 0; ok && i < json_object_array_length(scenario->steps); i++) {
		json_object *step = json_object_array_get_idx(scenario->steps, i);
		const struct op_spec *spec = find_op(json_object_get_string(field(step, "op")));

		ok = spec->run(&run, step);
		if (!ok)
			snprintf(why, size, "%zu %s: %s", i, spec->op, run.message[0] ? run.message : "failed");
	}
	clean_up(&run, shared, own);
	return ok;
}
