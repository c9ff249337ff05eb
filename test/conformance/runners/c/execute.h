/*
 * Running one scenario with this process as the target: a fresh sidecar
 * opened through the C client, the steps in order, and cleanup whatever
 * happened.
 */
#ifndef UMN_CONFORMANCE_EXECUTE_H
#define UMN_CONFORMANCE_EXECUTE_H

#include <stdbool.h>
#include <stddef.h>

#include <ummunotify/client.h>

#include "scenario.h"

/* True if every step did what the scenario says; else false with why
 * ("<step index> <op>: <expected, happened>"). */
bool execute(const struct scenario *scenario, enum umn_engine engine, const char *engine_name, char *why, size_t size);

#endif
