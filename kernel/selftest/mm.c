// SPDX-License-Identifier: GPL-2.0
/*
 * Every way a process changes the page behind an address raises a report
 * with the exact range: munmap (events.c), madvise, mremap, brk, mmap over a
 * mapping, copy-on-write after fork.  Protection changes alone do not.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "cases.h"
#include "umn.h"
#include "util.h"

#define CYCLES		100000
/* Cycles whose counter did not move that are shown individually. */
#define CYCLES_SHOWN	5

static void test_madvise_dontneed(void)
{
	int fd = umn_open();
	const __u64 *c = umn_map_counter(fd);
	char *p = map_pages(3);
	char *p1 = p + page_size, *p2 = p + 2 * page_size;

	ASSERT_OK(umn_register(fd, U64(p), U64(p + 3 * page_size), 1));
	ASSERT_OK(umn_register(fd, U64(p1 + 100), U64(p1 + 200), 2));
	ASSERT_OK(umn_register(fd, U64(p2), U64(p2 + page_size), 3));
	ASSERT_OK(madvise(p1, page_size, MADV_DONTNEED));
	EXPECT_EQ(umn_counter(c), 1);
	EXPECT_REPORTS(fd, umn_inval(1, U64(p1), U64(p2), true),
		       umn_inval(2, U64(p1 + 100), U64(p1 + 200), true),
		       umn_last(1));
}

static void test_madvise_free(void)
{
	int fd = umn_open();
	const __u64 *c = umn_map_counter(fd);
	char *p = map_pages(3);
	char *p1 = p + page_size, *p2 = p + 2 * page_size;

	ASSERT_OK(umn_register(fd, U64(p), U64(p + 3 * page_size), 1));
	ASSERT_OK(madvise(p1, page_size, MADV_FREE));
	EXPECT_EQ(umn_counter(c), 1);
	EXPECT_REPORTS(fd, umn_inval(1, U64(p1), U64(p2), true),
		       umn_last(1));
}

/*
 * A moving mremap takes the pages out of the old range and then unmaps it:
 * the kernel may call that one invalidation or two, so the old range's
 * report may or may not carry HINT; its range is the old range either way.
 */
static void test_mremap_move(void)
{
	int fd = umn_open();
	const __u64 *c = umn_map_counter(fd);
	char *r = reserve_pages(4);
	char *old = r + page_size, *dst = reserve_pages(2);
	struct ummunotify_event ev[8];
	__u32 flags1 = UMMUNOTIFY_EVENT_FLAG_HINT;
	__u64 count;
	void *q;
	int i, n;

	ASSERT_TRUE(mmap(old, 2 * page_size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == old);
	touch_pages(old, 2);
	ASSERT_OK(umn_register(fd, U64(old), U64(old + 2 * page_size), 1));
	ASSERT_OK(umn_register(fd, U64(dst), U64(dst + 2 * page_size), 2));
	/* The guard page below old stays as it is. */
	ASSERT_OK(umn_register(fd, U64(r), U64(old), 3));

	q = mremap(old, 2 * page_size, 2 * page_size,
		   MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	ASSERT_MSG(q == dst, "mremap: %s",
		   q == MAP_FAILED ? tap_errstr(errno) : "wrong address");
	count = umn_counter(c);
	n = umn_read_reports(fd, ev, ARRAY_SIZE(ev), NULL);
	for (i = 0; i < n; i++)
		if (ev[i].type == UMMUNOTIFY_EVENT_TYPE_INVAL &&
		    ev[i].user_cookie_counter == 1)
			flags1 = ev[i].flags;
	tap_diag("moving mremap: counter %llu, old range reported %s HINT",
		 (unsigned long long)count, flags1 ? "with" : "without");
	MATCH_REPORTS(ev, n,
		      umn_inval(1, U64(old), U64(old + 2 * page_size),
				flags1 == UMMUNOTIFY_EVENT_FLAG_HINT),
		      /* dst was mapped (PROT_NONE) and is replaced: once. */
		      umn_inval(2, U64(dst), U64(dst + 2 * page_size), true),
		      umn_last(count));
	EXPECT_MSG(flags1 ? count == 2 : count >= 3,
		   "counter %llu with the old range reported %s HINT",
		   (unsigned long long)count, flags1 ? "with" : "without");
	EXPECT_EQ(*(char *)q, 1);
}

static void test_mremap_dontunmap(void)
{
	int fd = umn_open();
	const __u64 *c = umn_map_counter(fd);
	char *old = map_pages(2);
	void *q;

	ASSERT_OK(umn_register(fd, U64(old), U64(old + 2 * page_size), 1));
	/* glibc 2.36 passes a stray new_address without MREMAP_FIXED. */
	q = (void *)syscall(SYS_mremap, old, 2 * page_size, 2 * page_size,
			    MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
	ASSERT_MSG(q != MAP_FAILED, "mremap(MREMAP_DONTUNMAP): %s",
		   tap_errstr(errno));
	/* The old range stays mapped but its pages left: one invalidation. */
	EXPECT_EQ(umn_counter(c), 1);
	EXPECT_REPORTS(fd, umn_inval(1, U64(old), U64(old + 2 * page_size),
				     true),
		       umn_last(1));
}

static void test_mremap_shrink(void)
{
	int fd = umn_open();
	const __u64 *c = umn_map_counter(fd);
	char *p = map_pages(3);
	void *q;

	ASSERT_OK(umn_register(fd, U64(p), U64(p + 3 * page_size), 1));
	ASSERT_OK(umn_register(fd, U64(p), U64(p + page_size), 2));
	q = mremap(p, 3 * page_size, page_size, 0);
	ASSERT_MSG(q == p, "shrinking mremap: %s",
		   q == MAP_FAILED ? tap_errstr(errno) : "moved");
	EXPECT_EQ(umn_counter(c), 1);
	EXPECT_REPORTS(fd, umn_inval(1, U64(p + page_size),
				     U64(p + 3 * page_size), true),
		       umn_last(1));
}

static void test_brk_shrink(void)
{
	int fd = umn_open();
	const __u64 *c = umn_map_counter(fd);
	char *cur = sbrk(0), *base;
	size_t pad = -(uintptr_t)cur & (page_size - 1);

	ASSERT_TRUE(cur != (void *)-1);
	ASSERT_TRUE(sbrk(pad) != (void *)-1);
	base = sbrk(0);
	ASSERT_TRUE(sbrk(4 * page_size) == base);
	touch_pages(base, 4);
	ASSERT_OK(umn_register(fd, U64(base), U64(base + 4 * page_size), 1));
	/* Above the break: never mapped, not hit. */
	ASSERT_OK(umn_register(fd, U64(base + 4 * page_size),
			       U64(base + 5 * page_size), 2));

	ASSERT_TRUE(sbrk(-2 * (intptr_t)page_size) != (void *)-1);
	EXPECT_EQ(umn_counter(c), 1);
	EXPECT_REPORTS(fd, umn_inval(1, U64(base + 2 * page_size),
				     U64(base + 4 * page_size), true),
		       umn_last(1));
	/* Back to where the break was. */
	ASSERT_TRUE(sbrk(-(intptr_t)(2 * page_size + pad)) != (void *)-1);
	EXPECT_TRUE(sbrk(0) == cur);
}

static void test_map_fixed_over(void)
{
	int fd = umn_open();
	const __u64 *c = umn_map_counter(fd);
	char *p = map_pages(3);
	char *p1 = p + page_size, *p2 = p + 2 * page_size;
	void *q;

	ASSERT_OK(umn_register(fd, U64(p), U64(p + 3 * page_size), 1));
	ASSERT_OK(umn_register(fd, U64(p2), U64(p2 + page_size), 2));
	q = mmap(p1, page_size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_TRUE(q == p1);
	EXPECT_EQ(umn_counter(c), 1);
	EXPECT_REPORTS(fd, umn_inval(1, U64(p1), U64(p2), true),
		       umn_last(1));
	/* The new page reads as zero: it really was replaced. */
	EXPECT_EQ(*p1, 0);
}

static void test_mprotect_not_reported(void)
{
	int fd = umn_open();
	const __u64 *c = umn_map_counter(fd);
	char *p = map_pages(2);

	ASSERT_OK(umn_register(fd, U64(p), U64(p + 2 * page_size), 1));
	ASSERT_OK(mprotect(p, 2 * page_size, PROT_READ));
	ASSERT_OK(mprotect(p, page_size, PROT_NONE));
	ASSERT_OK(mprotect(p, 2 * page_size, PROT_READ | PROT_WRITE));
	touch_pages(p, 2);
	EXPECT_EQ(umn_counter(c), 0);
	EXPECT_NO_REPORTS(fd);
	/* Still watched. */
	ASSERT_OK(munmap(p, page_size));
	EXPECT_REPORTS(fd, umn_inval(1, U64(p), U64(p + page_size), true),
		       umn_last(1));
}

static void test_fork_cow(void)
{
	int fd = umn_open();
	const __u64 *c = umn_map_counter(fd);
	char *p = map_pages(3);
	char *p1 = p + page_size;
	struct chan ch;
	pid_t pid;
	int s;

	ASSERT_OK(umn_register(fd, U64(p), U64(p + 3 * page_size), 1));
	chan_init(&ch);
	pid = ASSERT_OK(tap_fork());
	if (pid == 0) {
		s = chan_end(&ch, 1);
		/* The child's own copy-on-write is in the child's mm. */
		p[0] = 'c';
		chan_send(s, 1, -1);
		chan_recv(s, NULL);
		tap_child_exit();
	}
	s = chan_end(&ch, 0);
	chan_recv(s, NULL);

	/* fork only write-protected our pages: nothing to report. */
	EXPECT_EQ(umn_counter(c), 0);
	EXPECT_NO_REPORTS(fd);
	/* Reading shares the page on. */
	EXPECT_EQ(__atomic_load_n(p + 2 * page_size, __ATOMIC_RELAXED), 3);
	EXPECT_EQ(umn_counter(c), 0);

	/* Writing breaks COW (the child still shares the page). */
	__atomic_store_n(p1, 'p', __ATOMIC_RELAXED);
	EXPECT_EQ(umn_counter(c), 1);
	EXPECT_REPORTS(fd, umn_inval(1, U64(p1), U64(p1 + page_size), true),
		       umn_last(1));
	EXPECT_EQ(p[0], 1);

	chan_send(s, 0, -1);
	tap_wait_child(pid, "forked child");
}

static void test_munmap_mmap_cycles(void)
{
	int fd = umn_open();
	const __u64 *c = umn_map_counter(fd);
	/* PROT_NONE guards keep the page from merging with neighbours. */
	char *a = reserve_pages(3) + page_size;
	unsigned long stuck = 0, extra = 0;
	__u64 before, after;
	void *q;
	int i;

	ASSERT_OK(umn_register(fd, U64(a), U64(a + page_size), 1));
	for (i = 0; i < CYCLES; i++) {
		q = mmap(a, page_size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		ASSERT_MSG(q == a, "cycle %d: mmap(MAP_FIXED): %s", i,
			   q == MAP_FAILED ? tap_errstr(errno) : "moved");
		__atomic_store_n((char *)q, 1, __ATOMIC_RELAXED);
		before = umn_counter(c);
		ASSERT_OK(munmap(a, page_size));
		after = umn_counter(c);
		if (after == before && ++stuck <= CYCLES_SHOWN)
			tap_fail_at(__FILE__, __LINE__,
				    "cycle %d: counter still %llu after munmap returned",
				    i, (unsigned long long)after);
		if (after > before + 1)
			extra++;
	}
	after = umn_counter(c);
	EXPECT_MSG(!stuck, "%lu of %d munmaps returned before the counter moved",
		   stuck, CYCLES);
	tap_diag("%d cycles: counter %llu, %lu cycles moved it more than once",
		 CYCLES, (unsigned long long)after, extra);
	EXPECT_MSG(after >= CYCLES, "counter %llu after %d invalidations",
		   (unsigned long long)after, CYCLES);
	/* All of it coalesced into one report. */
	EXPECT_REPORTS(fd, umn_inval(1, U64(a), U64(a + page_size), false),
		       umn_last(after));
}

DEFINE_CASES(mm,
	CASE(test_madvise_dontneed,
	     "mm: madvise(MADV_DONTNEED) reports the exact page"),
	CASE(test_madvise_free,
	     "mm: madvise(MADV_FREE) reports the exact page"),
	CASE(test_mremap_move,
	     "mm: moving mremap invalidates the old range (and the target)"),
	CASE(test_mremap_dontunmap,
	     "mm: mremap(MREMAP_DONTUNMAP) reports the old range"),
	CASE(test_mremap_shrink, "mm: shrinking mremap reports the tail"),
	CASE(test_brk_shrink, "mm: brk shrink reports the released pages"),
	CASE(test_map_fixed_over,
	     "mm: mmap(MAP_FIXED) over a watched page reports it"),
	CASE(test_mprotect_not_reported, "mm: mprotect alone is not reported"),
	CASE(test_fork_cow,
	     "mm: fork reports nothing; a write after fork reports its page"),
	{
		.name = "mm: 100000 munmap/mmap cycles: the counter moved before munmap returned",
		.fn = test_munmap_mmap_cycles,
		.timeout = 1200,
	},
);
