/*
 * regcache: a registration cache that stays correct when the application
 * unmaps and remaps its buffers behind the cache's back.
 *
 * An MPI or RDMA library caches (address, length) -> registration, because
 * registering memory with the NIC is expensive.  The classic failure:
 *
 *	a = mmap(1 page); send(a); munmap(a);
 *	b = mmap(1 page);   (the kernel usually returns b == a)
 *	send(b);            (hits the cache entry of a: the wrong physical page)
 *
 * This cache checks the ummunotify counter page on every lookup, one memory
 * load with no system call; only when it moved does it read the reports and
 * evict what was invalidated.  With the uffd engine, memory mapped anew over
 * an unmapped registration is not watched until it is registered again; a
 * cache that registers afresh on every miss, as this one does, is right.
 *
 * Run: UMMUNOTIFYD=<repo>/bin/ummunotifyd build/clients/c/regcache
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <ummunotify/client.h>

#define CACHE_SLOTS 64

struct cache_entry {
	uint64_t addr;
	uint64_t length;
	uint64_t cookie; /* 0: free slot */
};

struct regcache {
	struct umn_client *client;
	const volatile uint64_t *counter;
	uint64_t seen; /* the counter of the last Last report read */
	uint64_t next_cookie;
	struct cache_entry entries[CACHE_SLOTS];
};

static void die(const char *what, long rc)
{
	const char *name = umn_last_errno_name();

	fprintf(stderr, "regcache: %s: %s (status %s, errno %s): %s\n", what, strerror((int)-rc),
		umn_status_name(umn_last_status()), name ? name : "-", umn_last_error());
	exit(1);
}

static const char *source_name(enum umn_source source)
{
	switch (source) {
	case UMN_SOURCE_UNMAP:
		return "unmap";
	case UMN_SOURCE_MADVISE:
		return "madvise";
	case UMN_SOURCE_MREMAP:
		return "mremap";
	case UMN_SOURCE_FORK:
		return "fork";
	default:
		return "unknown";
	}
}

static void evict(struct regcache *cache, const struct umn_report *report)
{
	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		struct cache_entry *e = &cache->entries[i];
		int rc;

		if (e->cookie != report->cookie)
			continue;
		printf("regcache: evicted stale entry [0x%" PRIx64 ", +%" PRIu64 ") cookie %" PRIu64
		       " (invalidated by %s)\n",
		       e->addr, e->length, e->cookie, report->n_sources ? source_name(report->sources[0]) : "the kernel");
		/* The daemon still holds the registration; a real cache would
		 * also deregister the NIC memory here. */
		rc = umn_unregister(cache->client, e->cookie);
		if (rc < 0)
			die("umn_unregister", rc);
		e->cookie = 0;
	}
}

/* Reads every pending report, a buffer at a time, until the Last report. */
static void drain(struct regcache *cache)
{
	struct umn_report reports[16];

	for (;;) {
		ssize_t n = umn_read_events(cache->client, reports, 16);

		if (n < 0)
			die("umn_read_events", n);
		for (ssize_t i = 0; i < n; i++) {
			switch (reports[i].kind) {
			case UMN_REPORT_INVALIDATION:
				evict(cache, &reports[i]);
				break;
			case UMN_REPORT_LAST:
				cache->seen = reports[i].counter;
				return;
			case UMN_REPORT_TARGET_EXITED:
				return;
			}
		}
		/* An empty answer means the queue was empty and a concurrent
		 * reader took the Last report: nothing left for us. */
		if (n == 0)
			return;
	}
}

/* Returns the cookie registered for [addr, addr + length), registering it on a miss. */
static uint64_t lookup(struct regcache *cache, void *buf, uint64_t length)
{
	uint64_t addr = (uintptr_t)buf;
	struct cache_entry *free_slot = NULL;
	int rc;

	if (umn_changed_since(cache->counter, cache->seen)) {
		printf("regcache: counter moved (%" PRIu64 " -> %" PRIu64 "): reading reports\n", cache->seen,
		       umn_counter_load(cache->counter));
		drain(cache);
	}
	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		struct cache_entry *e = &cache->entries[i];

		if (e->cookie && e->addr == addr && e->length == length) {
			printf("regcache: hit for [0x%" PRIx64 ", +%" PRIu64 "): cookie %" PRIu64
			       ", counter unchanged, no system call\n",
			       addr, length, e->cookie);
			return e->cookie;
		}
		if (!e->cookie && !free_slot)
			free_slot = e;
	}
	if (!free_slot) {
		fprintf(stderr, "regcache: cache full\n");
		exit(1);
	}
	/* Register before using the memory: an invalidation that happened
	 * before registration is not reported. */
	rc = umn_register(cache->client, addr, length, cache->next_cookie);
	if (rc < 0)
		die("umn_register", rc);
	*free_slot = (struct cache_entry){ addr, length, cache->next_cookie++ };
	printf("regcache: miss for [0x%" PRIx64 ", +%" PRIu64 "): registered fresh as cookie %" PRIu64 "\n", addr,
	       length, free_slot->cookie);
	return free_slot->cookie;
}

/* Stands for send(): look the buffer up, then let the "NIC" read it. */
static void use(struct regcache *cache, const char *name, char *buf, size_t length)
{
	uint64_t cookie = lookup(cache, buf, length);

	memset(buf, name[0], length);
	printf("regcache: used %s = %p with cookie %" PRIu64 "\n", name, (void *)buf, cookie);
}

int main(void)
{
	struct regcache cache = { .next_cookie = 1 };
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	char *a, *b;
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	rc = umn_open(NULL, &cache.client);
	if (rc < 0)
		die("umn_open (is UMMUNOTIFYD set, or ummunotifyd on PATH?)", rc);
	cache.counter = umn_counter_page(cache.client);
	cache.seen = umn_counter_load(cache.counter);

	a = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED)
		die("mmap", -errno);
	use(&cache, "a", a, page);
	use(&cache, "a", a, page);
	munmap(a, page);
	printf("regcache: munmap(a)\n");

	b = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b == MAP_FAILED)
		die("mmap", -errno);
	printf("regcache: b = mmap(1 page) = %p, %s\n", (void *)b,
	       b == a ? "the same address as a: a stale hit would send the wrong page" : "not a's address this time");
	use(&cache, "b", b, page);
	use(&cache, "b", b, page);

	munmap(b, page);
	umn_close(cache.client);
	return 0;
}
