/*
 * A scenario file, loaded and checked for shape before anything runs: an
 * unknown field, op or matcher rejects it, so that a scenario asking for
 * something this runner does not implement never passes by accident.
 */
#ifndef UMN_CONFORMANCE_SCENARIO_H
#define UMN_CONFORMANCE_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

struct scenario {
	json_object *root; /* owns every json_object and string below */
	json_object *steps;
	const char **daemon_args;
	size_t n_daemon_args;
	bool attach;
	bool for_uffd, for_device;
};

/* Loads path; false with why (naming the step index and op where there is
 * one) if it cannot be read or breaks the format. */
bool scenario_load(const char *path, struct scenario *out, char *why, size_t size);

void scenario_free(struct scenario *scenario);

#endif
