#define _GNU_SOURCE
#include "owned.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool owned_remove(struct owned *set, uint64_t start, uint64_t end)
{
	/* Removing may split one range in two: room for one more. */
	struct owned_range *out = malloc((set->n + 1) * sizeof(*out));
	size_t n = 0;

	if (!out)
		return false;
	for (size_t i = 0; i < set->n; i++) {
		struct owned_range r = set->ranges[i];

		if (r.end <= start || r.start >= end) {
			out[n++] = r;
			continue;
		}
		if (r.start < start) {
			out[n] = r;
			out[n++].end = start;
		}
		if (r.end > end) {
			out[n] = r;
			out[n++].start = end;
		}
	}
	free(set->ranges);
	set->ranges = out;
	set->n = n;
	return true;
}

bool owned_add(struct owned *set, uint64_t start, uint64_t end, enum owned_kind kind, bool writable)
{
	struct owned_range *grown;
	size_t at = 0;

	if (!owned_remove(set, start, end))
		return false;
	grown = realloc(set->ranges, (set->n + 1) * sizeof(*grown));
	if (!grown)
		return false;
	set->ranges = grown;
	while (at < set->n && set->ranges[at].start < start)
		at++;
	memmove(&grown[at + 1], &grown[at], (set->n - at) * sizeof(*grown));
	grown[at] = (struct owned_range){ start, end, kind, writable };
	set->n++;
	return true;
}

bool owned_covers(const struct owned *set, uint64_t start, uint64_t end, bool writable)
{
	uint64_t next = start;

	for (size_t i = 0; i < set->n && next < end; i++) {
		const struct owned_range *r = &set->ranges[i];

		if (r->end <= next)
			continue;
		if (r->start > next || (writable && !r->writable))
			return false;
		next = r->end;
	}
	return next >= end;
}

/* True if some mapping of this process intersects [start, end). */
static bool anything_mapped(uint64_t start, uint64_t end)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	bool found = false;

	if (!f)
		return true; /* cannot tell: assume the worst */
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;

		if (sscanf(line, "%llx-%llx", &lo, &hi) == 2 && lo < end && hi > start)
			found = true;
	}
	fclose(f);
	return found;
}

bool owned_or_free(const struct owned *set, uint64_t start, uint64_t end)
{
	uint64_t next = start;

	for (size_t i = 0; i < set->n && next < end; i++) {
		const struct owned_range *r = &set->ranges[i];

		if (r->end <= next)
			continue;
		if (r->start >= end)
			break;
		if (r->start > next && anything_mapped(next, r->start))
			return false;
		next = r->end;
	}
	return next >= end || !anything_mapped(next, end);
}

void owned_free(struct owned *set)
{
	free(set->ranges);
	set->ranges = NULL;
	set->n = 0;
}
