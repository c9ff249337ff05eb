/*
 * The memory a scenario's steps mapped in the runner's own address space.
 * The runner is the target, so a scenario that names the wrong address could
 * otherwise unmap or scribble over the runner itself (its heap, gRPC's
 * threads' stacks): every memory step is checked against this set, and at
 * the end of the scenario what is left is unmapped.
 */
#ifndef UMN_CONFORMANCE_OWNED_H
#define UMN_CONFORMANCE_OWNED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum owned_kind {
	OWNED_MMAP, /* from mmap or mremap: munmap at the end */
	OWNED_BRK,  /* from brk-grow: given back by moving the break */
};

struct owned_range {
	uint64_t start, end; /* page-aligned, end exclusive */
	enum owned_kind kind;
	bool writable;
};

struct owned {
	struct owned_range *ranges; /* sorted, disjoint */
	size_t n;
};

/* Adds [start, end) (page-aligned), replacing whatever part of it was owned. */
bool owned_add(struct owned *set, uint64_t start, uint64_t end, enum owned_kind kind, bool writable);

/* Forgets [start, end). */
bool owned_remove(struct owned *set, uint64_t start, uint64_t end);

/* True if every byte of [start, end) is owned, and writable if asked. */
bool owned_covers(const struct owned *set, uint64_t start, uint64_t end, bool writable);

/* True if every part of [start, end) that is not owned has nothing mapped in
 * it (checked against /proc/self/maps): replacing or removing it then harms
 * nothing of the runner's. */
bool owned_or_free(const struct owned *set, uint64_t start, uint64_t end);

void owned_free(struct owned *set);

#endif
