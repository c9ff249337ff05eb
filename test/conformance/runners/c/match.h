/*
 * Matching an answer (a list of reports) against a step's "expect" list, by
 * the rules of README "Matching reports".
 */
#ifndef UMN_CONFORMANCE_MATCH_H
#define UMN_CONFORMANCE_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <ummunotify/client.h>

#include "run.h"

/*
 * True if reports match expect. counter_after is the counter page read just
 * after the call; a matched Last report's counter becomes run->seen.
 */
bool match_reports(struct run *run, json_object *expect, const struct umn_report *reports, size_t n,
		   uint64_t counter_after);

/* Writes the reports, addresses relative to the scenario's names. */
void describe_reports(const struct run *run, const struct umn_report *reports, size_t n, char *buf, size_t size);

#endif
