/*
 * The state of one scenario run, shared by the step implementations: the
 * client, the names bound to addresses, the memory the runner owns, the
 * subscriptions, the "seen" counter, and the failure message.
 */
#ifndef UMN_CONFORMANCE_RUN_H
#define UMN_CONFORMANCE_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>
#include <ummunotify/client.h>

#include "owned.h"

#define NAME_MAX_LEN 64

struct binding {
	char name[NAME_MAX_LEN];
	uint64_t addr;
};

struct subscription {
	char name[NAME_MAX_LEN];
	struct umn_stream *stream;
};

struct run {
	/* The engine under test: UMN_ENGINE_DEVICE or UMN_ENGINE_UFFD. */
	enum umn_engine engine;
	const char *engine_name;
	struct umn_client *client;
	/* The counter of the last Last report, or the page just after attaching. */
	uint64_t seen;
	bool have_seen;
	struct binding *bindings;
	size_t n_bindings;
	struct subscription *subs;
	size_t n_subs;
	/* Cookies of successful Register calls minus those of successful
	 * Unregister calls: what a shared sidecar must forget afterwards. */
	uint64_t *cookies;
	size_t n_cookies;
	struct owned owned;
	uint64_t page;
	/* The program break: where the first brk-grow found it, and where the
	 * last brk-grow or brk-shrink left it. */
	bool brk_used;
	uint64_t brk_original;
	uint64_t brk_floor;
	uint64_t brk_last;
	char message[4096];
};

/* A field of a step (or any JSON object), NULL if absent. */
json_object *field(json_object *step, const char *key);

/* Milliseconds on a monotonic clock. */
int64_t now_ms(void);

/* Records why the step failed (the first reason wins); returns false. */
bool fail(struct run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Binds name to addr, replacing an earlier binding of the same name. */
bool bind_name(struct run *run, const char *name, uint64_t addr);

/* The address bound to name; false if unbound. */
bool lookup_name(const struct run *run, const char *name, uint64_t *addr);

/* Notes a cookie as registered, or (registered false) as unregistered. */
bool track_cookie(struct run *run, uint64_t cookie, bool registered);

/* Writes addr as "name+offset" relative to the nearest binding at or below it,
 * else in hex, for messages a person can follow. */
void describe_addr(const struct run *run, uint64_t addr, char *buf, size_t size);

#endif
