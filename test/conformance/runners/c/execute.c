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

/* Opens the scenario's own sidecar; with attach, checks the engine and takes
 * the first "seen" counter. */
static bool open_client(struct run *run, const struct scenario *scenario)
{
	struct umn_open_options opts = {
		.daemon_args = scenario->daemon_args,
		.n_daemon_args = scenario->n_daemon_args,
		.engine = run->engine,
		.no_attach = !scenario->attach,
	};
	struct umn_info info;
	enum umn_engine engine;
	const char *name;

	if (umn_open(&opts, &run->client) < 0) {
		name = umn_last_errno_name();
		run->client = NULL;
		return fail(run, "opening the client failed: %s (errno %s): %s", umn_status_name(umn_last_status()),
			    name ? name : "none", umn_last_error());
	}
	if (!scenario->attach)
		return true;
	if (umn_info(run->client, &info) < 0)
		return fail(run, "GetInfo after opening failed: %s", umn_last_error());
	engine = info.engine;
	umn_info_release(&info);
	if (engine != run->engine)
		return fail(run, "GetInfo says engine %d, but the engine under test is %s", (int)engine, run->engine_name);
	run->seen = umn_counter_load(umn_counter_page(run->client));
	run->have_seen = true;
	return true;
}

/* Closes the client first: with the sidecar gone, unmapping watched memory
 * cannot wait on it. Then gives back every byte the scenario mapped. */
static void clean_up(struct run *run)
{
	for (size_t i = 0; i < run->n_subs; i++)
		umn_stream_close(run->subs[i].stream);
	free(run->subs);
	umn_close(run->client);
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

bool execute(const struct scenario *scenario, enum umn_engine engine, const char *engine_name, char *why, size_t size)
{
	struct run run = {
		.engine = engine,
		.engine_name = engine_name,
		.page = (uint64_t)sysconf(_SC_PAGESIZE),
	};
	bool ok = open_client(&run, scenario);

	if (!ok)
		snprintf(why, size, "open: %s", run.message);
	for (size_t i = 0; ok && i < json_object_array_length(scenario->steps); i++) {
		json_object *step = json_object_array_get_idx(scenario->steps, i);
		const struct op_spec *spec = find_op(json_object_get_string(field(step, "op")));

		ok = spec->run(&run, step);
		if (!ok)
			snprintf(why, size, "%zu %s: %s", i, spec->op, run.message[0] ? run.message : "failed");
	}
	clean_up(&run);
	return ok;
}
