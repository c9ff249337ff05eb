/*
 * Sidecars for scenarios (README "Sidecars"): one shared sidecar, opened and
 * attached once and brought back to a clean state before each scenario that
 * uses it, because a daemon start costs seconds under QEMU's emulation; and
 * opening a scenario's own, with its daemon_args or without attaching.
 */
#ifndef UMN_CONFORMANCE_SIDECAR_H
#define UMN_CONFORMANCE_SIDECAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ummunotify/client.h>

struct sidecar {
	struct umn_client *client; /* NULL until first needed, or after a close */
	enum umn_engine engine;
	const char *engine_name;
};

/* Opens a client that spawns its own sidecar; with attach, checks that
 * GetInfo names the engine under test. False with why. */
bool sidecar_open(struct umn_client **out, const char *const *daemon_args, size_t n_daemon_args, bool attach,
		  enum umn_engine engine, const char *engine_name, char *why, size_t size);

/* The shared sidecar, clean: no registrations, no pending reports, no
 * subscribers. Opens it if needed, and opens a new one if cleaning fails. */
bool sidecar_ready(struct sidecar *shared, char *why, size_t size);

/* After a scenario on the shared sidecar (its subscriptions already
 * cancelled): unregisters the cookies it left registered. If that fails the
 * sidecar is closed, so that the next scenario gets a new one. */
void sidecar_release(struct sidecar *shared, const uint64_t *cookies, size_t n);

/* Closes the shared sidecar, stopping its daemon (a target has one at a time). */
void sidecar_close(struct sidecar *shared);

#endif
