#define _GNU_SOURCE
#include "run.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

json_object *field(json_object *step, const char *key)
{
	json_object *value;

	return json_object_object_get_ex(step, key, &value) ? value : NULL;
}

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool fail(struct run *run, const char *fmt, ...)
{
	va_list ap;

	if (run->message[0])
		return false;
	va_start(ap, fmt);
	vsnprintf(run->message, sizeof(run->message), fmt, ap);
	va_end(ap);
	return false;
}

bool bind_name(struct run *run, const char *name, uint64_t addr)
{
	struct binding *grown;

	for (size_t i = 0; i < run->n_bindings; i++) {
		if (strcmp(run->bindings[i].name, name) == 0) {
			run->bindings[i].addr = addr;
			return true;
		}
	}
	grown = realloc(run->bindings, (run->n_bindings + 1) * sizeof(*grown));
	if (!grown)
		return fail(run, "out of memory binding %s", name);
	run->bindings = grown;
	snprintf(grown[run->n_bindings].name, NAME_MAX_LEN, "%s", name);
	grown[run->n_bindings++].addr = addr;
	return true;
}

bool lookup_name(const struct run *run, const char *name, uint64_t *addr)
{
	for (size_t i = 0; i < run->n_bindings; i++) {
		if (strcmp(run->bindings[i].name, name) == 0) {
			*addr = run->bindings[i].addr;
			return true;
		}
	}
	return false;
}

bool track_cookie(struct run *run, uint64_t cookie, bool registered)
{
	size_t at = 0;
	uint64_t *grown;

	while (at < run->n_cookies && run->cookies[at] != cookie)
		at++;
	if (!registered && at < run->n_cookies)
		run->cookies[at] = run->cookies[--run->n_cookies];
	if (!registered || at < run->n_cookies)
		return true;
	grown = realloc(run->cookies, (run->n_cookies + 1) * sizeof(*grown));
	if (!grown)
		return fail(run, "out of memory");
	run->cookies = grown;
	grown[run->n_cookies++] = cookie;
	return true;
}

void describe_addr(const struct run *run, uint64_t addr, char *buf, size_t size)
{
	const struct binding *best = NULL;
	uint64_t off, pages;

	for (size_t i = 0; i < run->n_bindings; i++) {
		const struct binding *b = &run->bindings[i];

		/* Within 1 GiB above a binding reads better relative to it. */
		if (b->addr <= addr && addr - b->addr < (1ULL << 30) && (!best || b->addr > best->addr))
			best = b;
	}
	if (!best) {
		snprintf(buf, size, "0x%" PRIx64, addr);
		return;
	}
	off = addr - best->addr;
	pages = off / run->page;
	off %= run->page;
	if (pages && off)
		snprintf(buf, size, "%s+%" PRIu64 "p+%" PRIu64, best->name, pages, off);
	else if (pages)
		snprintf(buf, size, "%s+%" PRIu64 "p", best->name, pages);
	else if (off)
		snprintf(buf, size, "%s+%" PRIu64, best->name, off);
	else
		snprintf(buf, size, "%s", best->name);
}
