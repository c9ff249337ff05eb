// SPDX-License-Identifier: GPL-2.0
/*
 * A registration cache written the way a 2010 consumer (Open MPI's memory
 * component, Portals4) wrote it against ummunotify v3: only the v3 names of
 * the header, no feature negotiated, `flags` left uninitialised.
 *
 * It walks through the failure ummunotify exists to prevent:
 *
 *	a = mmap(1 page); send(a); munmap(a); b = mmap(1 page); send(b)
 *
 * where b usually lands at a's address.  Without notification the second send
 * would hit a's stale registration; here the counter page says something
 * changed, the reports name a's cookie, and the entry is evicted.
 *
 * Exit status 0 only if the stale entry was evicted and b was registered anew.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/ummunotify.h>

#define CACHE_SLOTS 16

struct cache_entry {
	uintptr_t	addr;
	size_t		len;
	uint64_t	cookie;
	int		valid;
};

static struct cache_entry cache[CACHE_SLOTS];
static uint64_t next_cookie = 1;
static const uint64_t *counter;
static uint64_t counter_seen;
static int umn_fd;
static int evictions;

static void die(const char *what)
{
	fprintf(stderr, "v3_regcache: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void evict(uint64_t cookie, const struct ummunotify_event *ev)
{
	int i;

	for (i = 0; i < CACHE_SLOTS; i++) {
		if (!cache[i].valid || cache[i].cookie != cookie)
			continue;
		printf("evicting cookie %llu [%#llx, %#llx)%s\n",
		       (unsigned long long)cookie,
		       (unsigned long long)ev->hint_start,
		       (unsigned long long)ev->hint_end,
		       ev->flags & UMMUNOTIFY_EVENT_FLAG_HINT ? " (hint)" : "");
		cache[i].valid = 0;
		evictions++;
		if (ioctl(umn_fd, UMMUNOTIFY_UNREGISTER_REGION, &cookie))
			die("UNREGISTER_REGION");
	}
}

/* The whole point: one load decides whether a system call is needed. */
static void sync_with_kernel(void)
{
	struct ummunotify_event ev[8];
	ssize_t n;
	int i;

	while (__atomic_load_n(counter, __ATOMIC_ACQUIRE) != counter_seen) {
		n = read(umn_fd, ev, sizeof(ev));
		if (n < 0)
			die("read");
		for (i = 0; i < n / (ssize_t)sizeof(ev[0]); i++) {
			if (ev[i].type == UMMUNOTIFY_EVENT_TYPE_LAST)
				counter_seen = ev[i].user_cookie_counter;
			else
				evict(ev[i].user_cookie_counter, &ev[i]);
		}
	}
}

static uint64_t lookup_or_register(void *buf, size_t len)
{
	struct ummunotify_register_ioctl *r;
	int i, free_slot = -1;

	sync_with_kernel();
	for (i = 0; i < CACHE_SLOTS; i++) {
		if (cache[i].valid && cache[i].addr == (uintptr_t)buf &&
		    cache[i].len == len)
			return cache[i].cookie;
		if (!cache[i].valid && free_slot < 0)
			free_slot = i;
	}
	if (free_slot < 0) {
		errno = ENOSPC;
		die("cache full");
	}

	/* As old code did: heap struct, only the fields v3 documented set. */
	r = malloc(sizeof(*r));
	if (!r)
		die("malloc");
	memset(r, 0xa5, sizeof(*r));
	r->start = (uintptr_t)buf;
	r->end = (uintptr_t)buf + len;
	r->user_cookie = next_cookie++;
	if (ioctl(umn_fd, UMMUNOTIFY_REGISTER_REGION, r))
		die("REGISTER_REGION");

	cache[free_slot] = (struct cache_entry){
		.addr = (uintptr_t)buf, .len = len,
		.cookie = r->user_cookie, .valid = 1,
	};
	printf("register cookie %llu at %p\n",
	       (unsigned long long)r->user_cookie, buf);
	free(r);
	return cache[free_slot].cookie;
}

static void *map_page(size_t page)
{
	void *p = mmap(NULL, page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	memset(p, 1, page);
	return p;
}

int main(void)
{
	size_t page = sysconf(_SC_PAGESIZE);
	uint64_t cookie_a, cookie_a_again, cookie_b;
	void *a, *b;

	setvbuf(stdout, NULL, _IOLBF, 0);
	umn_fd = open("/dev/ummunotify", O_RDONLY);
	if (umn_fd < 0)
		die("open /dev/ummunotify");
	counter = mmap(NULL, page, PROT_READ, MAP_SHARED, umn_fd, 0);
	if (counter == MAP_FAILED)
		die("mmap counter");

	a = map_page(page);
	cookie_a = lookup_or_register(a, page);		/* send(a): miss */
	cookie_a_again = lookup_or_register(a, page);	/* send(a): hit */
	if (munmap(a, page))
		die("munmap");
	b = map_page(page);
	cookie_b = lookup_or_register(b, page);		/* send(b) */

	printf("b %s a's address; counter %llu; %d eviction(s)\n",
	       b == a ? "reuses" : "does not reuse",
	       (unsigned long long)__atomic_load_n(counter, __ATOMIC_ACQUIRE),
	       evictions);

	if (cookie_a_again != cookie_a || evictions != 1 ||
	    cookie_b == cookie_a) {
		fprintf(stderr, "v3_regcache: stale registration survived\n");
		return 1;
	}
	printf("stale entry for a evicted; b registered afresh\n");
	return 0;
}
