/*
 * Running one scenario with this process as the target: on the shared
 * sidecar, clean, or on its own (daemon_args, or "attach": false), the steps
 * in order, and cleanup whatever happened.
 */
#ifndef UMN_CONFORMANCE_EXECUTE_H
#define UMN_CONFORMANCE_EXECUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "scenario.h"
#include "sidecar.h"

/* True if every step did what the scenario says; else false with why
 * ("<step index> <op>: <expected, happened>"). */
bool execute(const struct scenario *scenario, struct sidecar *shared, char *why, size_t size);

#endif
