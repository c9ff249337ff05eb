// SPDX-License-Identifier: GPL-2.0
/*
 * Registrations and the report queue: what one invalidation queues, how
 * reports coalesce, what read() hands out, and the register/unregister
 * rules.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "cases.h"
#include "umn.h"
#include "util.h"

#define EV_SIZE	sizeof(struct ummunotify_event)

static void test_nonblock_empty(void)
{
	struct ummunotify_event ev[4];
	char *p = map_pages(1);
	int fd = umn_open_flags(O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	ASSERT_OK(fd);
	/* Fresh fd, opened with O_NONBLOCK. */
	EXPECT_ERRNO(read(fd, ev, sizeof(ev)), EAGAIN);
	/* Registered, nothing invalidated. */
	ASSERT_OK(umn_register(fd, U64(p), U64(p + page_size), 1));
	EXPECT_ERRNO(read(fd, ev, sizeof(ev)), EAGAIN);
	/* Drained. */
	ASSERT_OK(munmap(p, page_size));
	EXPECT_REPORTS(fd, umn_inval(1, U64(p), U64(p + page_size), true),
		       umn_last(1));
	EXPECT_ERRNO(read(fd, ev, sizeof(ev)), EAGAIN);
	close(fd);

	/* O_NONBLOCK set with fcntl on a fresh fd. */
	fd = umn_open();
	ASSERT_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
	EXPECT_ERRNO(read(fd, ev, sizeof(ev)), EAGAIN);
}

static void test_munmap_middle_page(void)
{
	int fd = umn_open();
	const __u64 *c = umn_map_counter(fd);
	char *p = map_pages(3);
	char *mid = p + page_size;

	ASSERT_OK(umn_register(fd, U64(p), U64(p + 3 * page_size), 42));
	ASSERT_OK(munmap(mid, page_size));
	/* Counted before munmap returned. */
	EXPECT_EQ(umn_counter(c), 1);
	EXPECT_REPORTS(fd, umn_inval(42, U64(mid), U64(mid + page_size), true),
		       umn_last(1));
	EXPECT_EQ(umn_counter(c), 1);
	/* Nothing more, and the rest of the range still works. */
	EXPECT_NO_REPORTS(fd);
	ASSERT_OK(munmap(p, page_size));
	EXPECT_EQ(umn_counter(c), 2);
	EXPECT_REPORTS(fd, umn_inval(42, U64(p), U64(p + page_size), true),
		       umn_last(2));
}

static void test_last_on_next_read(void)
{
	int fd = umn_open_flags(O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	char *p = map_pages(2);
	struct ummunotify_event ev[3], buf[2];
	/* Room for one and a half reports: one whole report per read. */
	size_t room = 3 * EV_SIZE / 2;
	int i;

	ASSERT_OK(fd);
	ASSERT_OK(umn_register(fd, U64(p), U64(p + page_size), 1));
	ASSERT_OK(umn_register(fd, U64(p + page_size),
			       U64(p + 2 * page_size), 2));
	ASSERT_OK(munmap(p, 2 * page_size));

	/* The LAST has no room after the second INVAL: it comes alone. */
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(read(fd, buf, room), EV_SIZE);
		ev[i] = buf[0];
	}
	MATCH_REPORTS(ev, 3,
		      umn_inval(1, U64(p), U64(p + page_size), true),
		      umn_inval(2, U64(p + page_size), U64(p + 2 * page_size),
				true),
		      umn_last(1));
	EXPECT_ERRNO(read(fd, buf, room), EAGAIN);
}

static void test_small_buffer(void)
{
	int fd = umn_open_flags(O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	char *p = map_pages(1);
	char buf[EV_SIZE];

	ASSERT_OK(fd);
	ASSERT_OK(umn_register(fd, U64(p), U64(p + page_size), 1));
	EXPECT_ERRNO(read(fd, buf, EV_SIZE - 1), EINVAL);
	EXPECT_ERRNO(read(fd, buf, 1), EINVAL);
	ASSERT_OK(munmap(p, page_size));
	/* With a report pending: still EINVAL, and nothing is lost. */
	EXPECT_ERRNO(read(fd, buf, EV_SIZE - 1), EINVAL);
	EXPECT_ERRNO(read(fd, buf, 1), EINVAL);
	EXPECT_REPORTS(fd, umn_inval(1, U64(p), U64(p + page_size), true),
		       umn_last(1));
}

static void test_two_invalidations_coalesce(void)
{
	int fd = umn_open();
	const __u64 *c = umn_map_counter(fd);
	char *p = map_pages(4);
	char *start = p + 100, *end = p + 4 * page_size - 100;

	ASSERT_OK(umn_register(fd, U64(start), U64(end), 5));
	ASSERT_OK(madvise(p, page_size, MADV_DONTNEED));
	ASSERT_OK(madvise(p + 2 * page_size, page_size, MADV_DONTNEED));
	EXPECT_EQ(umn_counter(c), 2);
	/* One report, no hint: the hint fields are the registration. */
	EXPECT_REPORTS(fd, umn_inval(5, U64(start), U64(end), false),
		       umn_last(2));

	/* Reading reset it: a single invalidation has its hint again. */
	ASSERT_OK(madvise(p + page_size, page_size, MADV_DONTNEED));
	EXPECT_REPORTS(fd, umn_inval(5, U64(p + page_size),
				     U64(p + 2 * page_size), true),
		       umn_last(3));

	/* Many invalidations: still one report. */
	for (int i = 0; i < 50; i++)
		ASSERT_OK(madvise(p + (i % 4) * page_size, page_size,
				  MADV_DONTNEED));
	EXPECT_EQ(umn_counter(c), 53);
	EXPECT_REPORTS(fd, umn_inval(5, U64(start), U64(end), false),
		       umn_last(53));
}

static void test_overlapping_registrations(void)
{
	int fd = umn_open();
	const __u64 *c = umn_map_counter(fd);
	char *p = map_pages(3);
	char *p1 = p + page_size, *p2 = p + 2 * page_size;

	ASSERT_OK(umn_register(fd, U64(p), U64(p + 3 * page_size), 1));
	ASSERT_OK(umn_register(fd, U64(p1), U64(p2), 2));
	/* Identical range, another cookie. */
	ASSERT_OK(umn_register(fd, U64(p1), U64(p2), 3));
	ASSERT_OK(umn_register(fd, U64(p1 + 10), U64(p2 + 10), 4));
	/* Not hit. */
	ASSERT_OK(umn_register(fd, U64(p2), U64(p2 + page_size), 5));
	ASSERT_OK(umn_register(fd, U64(p), U64(p1), 6));

	ASSERT_OK(munmap(p1, page_size));
	/* One invalidation hit four registrations: counted once. */
	EXPECT_EQ(umn_counter(c), 1);
	EXPECT_REPORTS(fd, umn_inval(1, U64(p1), U64(p2), true),
		       umn_inval(2, U64(p1), U64(p2), true),
		       umn_inval(3, U64(p1), U64(p2), true),
		       umn_inval(4, U64(p1 + 10), U64(p2), true),
		       umn_last(1));
}

static void test_duplicate_cookie(void)
{
	int fd = umn_open();
	char *p = map_pages(2);

	ASSERT_OK(umn_register(fd, U64(p), U64(p + page_size), 7));
	/* Same cookie, same or another range. */
	EXPECT_ERRNO(umn_register(fd, U64(p), U64(p + page_size), 7), EINVAL);
	EXPECT_ERRNO(umn_register(fd, U64(p + page_size),
				  U64(p + 2 * page_size), 7), EINVAL);
	/* The first registration was not replaced... */
	ASSERT_OK(munmap(p + page_size, page_size));
	EXPECT_NO_REPORTS(fd);
	ASSERT_OK(munmap(p, page_size));
	EXPECT_REPORTS(fd, umn_inval(7, U64(p), U64(p + page_size), true),
		       umn_last(1));
	/* ...and the cookie is free again once unregistered. */
	ASSERT_OK(umn_unregister(fd, 7));
	EXPECT_OK(umn_register(fd, U64(p), U64(p + page_size), 7));
}

static void test_unknown_cookie(void)
{
	int fd = umn_open();

	EXPECT_ERRNO(umn_unregister(fd, 1), EINVAL);
	ASSERT_OK(umn_register(fd, 0x10000, 0x20000, 1));
	EXPECT_ERRNO(umn_unregister(fd, 2), EINVAL);
	EXPECT_OK(umn_unregister(fd, 1));
	/* Twice. */
	EXPECT_ERRNO(umn_unregister(fd, 1), EINVAL);
}

static void test_unregister_drops_report(void)
{
	int fd = umn_open();
	const __u64 *c = umn_map_counter(fd);
	char *p = map_pages(2);

	ASSERT_OK(umn_register(fd, U64(p), U64(p + page_size), 1));
	ASSERT_OK(munmap(p, page_size));
	EXPECT_EQ(umn_counter(c), 1);
	ASSERT_OK(umn_unregister(fd, 1));
	/* The report is gone; the counter moved, so LAST is still owed. */
	EXPECT_REPORTS(fd, umn_last(1));

	/* With another registration hit by the same invalidation. */
	ASSERT_OK(umn_register(fd, U64(p + page_size),
			       U64(p + 2 * page_size), 2));
	ASSERT_OK(umn_register(fd, U64(p + page_size),
			       U64(p + 2 * page_size), 3));
	ASSERT_OK(munmap(p + page_size, page_size));
	ASSERT_OK(umn_unregister(fd, 2));
	EXPECT_REPORTS(fd, umn_inval(3, U64(p + page_size),
				     U64(p + 2 * page_size), true),
		       umn_last(2));
}

static void test_bad_range(void)
{
	int fd = umn_open();

	EXPECT_ERRNO(umn_register(fd, 0x20000, 0x20000, 1), EINVAL);
	EXPECT_ERRNO(umn_register(fd, 0x20001, 0x20000, 2), EINVAL);
	EXPECT_ERRNO(umn_register(fd, 0, 0, 3), EINVAL);
	EXPECT_ERRNO(umn_register(fd, UINT64_MAX, 0, 4), EINVAL);
	/* A one-byte range is fine. */
	EXPECT_OK(umn_register(fd, 0x20000, 0x20001, 5));
}

static void test_beyond_user_space(void)
{
	int fd = umn_open();

	EXPECT_ERRNO(umn_register(fd, 0x10000, 1ULL << 63, 1), EINVAL);
	EXPECT_ERRNO(umn_register(fd, 1ULL << 63, (1ULL << 63) + 4096, 2),
		     EINVAL);
	EXPECT_ERRNO(umn_register(fd, 0x10000, UINT64_MAX, 3), EINVAL);
	EXPECT_ERRNO(umn_register(fd, UINT64_MAX - 4096, UINT64_MAX, 4),
		     EINVAL);
	/* Kernel half of a 4- and a 5-level address space. */
	EXPECT_ERRNO(umn_register(fd, 0xffff800000000000ULL,
				  0xffff800000001000ULL, 5), EINVAL);
	EXPECT_ERRNO(umn_register(fd, 0xff00000000000000ULL,
				  0xff00000000001000ULL, 6), EINVAL);
	/* The cookies were not taken. */
	EXPECT_OK(umn_register(fd, 0x10000, 0x20000, 1));
}

static void test_garbage_flags(void)
{
	static const __u32 junk[][2] = {
		{ 0xffffffff, 0xffffffff },
		{ 0xdeadbeef, 0x5a5a5a5a },
		{ 1, 0 },
		{ 0, 1 },
	};
	int fd = umn_open();
	char *p = map_pages(ARRAY_SIZE(junk));
	size_t i;

	for (i = 0; i < ARRAY_SIZE(junk); i++) {
		struct ummunotify_register_ioctl r = {
			.start = U64(p + i * page_size),
			.end = U64(p + (i + 1) * page_size),
			.user_cookie = 100 + i,
			.flags = junk[i][0],
			.reserved = junk[i][1],
		};

		EXPECT_OK(ioctl(fd, UMMUNOTIFY_REGISTER_REGION, &r));
	}
	ASSERT_OK(madvise(p + page_size, 2 * page_size, MADV_DONTNEED));
	EXPECT_REPORTS(fd, umn_inval(101, U64(p + page_size),
				     U64(p + 2 * page_size), true),
		       umn_inval(102, U64(p + 2 * page_size),
				 U64(p + 3 * page_size), true),
		       umn_last(1));
}

static void test_extreme_cookies(void)
{
	int fd = umn_open();
	char *p = map_pages(2);

	ASSERT_OK(umn_register(fd, U64(p), U64(p + page_size), 0));
	ASSERT_OK(umn_register(fd, U64(p + page_size),
			       U64(p + 2 * page_size), UINT64_MAX));
	ASSERT_OK(munmap(p, 2 * page_size));
	EXPECT_REPORTS(fd, umn_inval(0, U64(p), U64(p + page_size), true),
		       umn_inval(UINT64_MAX, U64(p + page_size),
				 U64(p + 2 * page_size), true),
		       umn_last(1));
	EXPECT_OK(umn_unregister(fd, 0));
	EXPECT_OK(umn_unregister(fd, UINT64_MAX));
}

static void test_unmapped_range(void)
{
	int fd = umn_open();
	const __u64 *c = umn_map_counter(fd);
	char *hole = reserve_pages(4);
	char *p;

	ASSERT_OK(munmap(hole, 4 * page_size));
	/* Nothing mapped there: registering is still fine. */
	ASSERT_OK(umn_register(fd, U64(hole), U64(hole + 2 * page_size), 1));
	/* Mapping into the hole and faulting in replace nothing. */
	p = mmap(hole, page_size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	ASSERT_MSG(p == hole, "mmap(MAP_FIXED_NOREPLACE) into the hole: %s",
		   p == MAP_FAILED ? tap_errstr(errno) : "wrong address");
	touch_pages(p, 1);
	EXPECT_EQ(umn_counter(c), 0);
	EXPECT_NO_REPORTS(fd);
	ASSERT_OK(munmap(p, page_size));
	EXPECT_REPORTS(fd, umn_inval(1, U64(hole), U64(hole + page_size),
				     true),
		       umn_last(1));
}

static void test_straddling_ranges(void)
{
	int fd = umn_open();
	const __u64 *c = umn_map_counter(fd);
	char *p = map_pages(3);
	char *p0 = p, *p1 = p + page_size, *p2 = p + 2 * page_size;
	char *p3 = p + 3 * page_size;

	/* Straddles the p0/p1 boundary: [p0 + 4000, p1 + 100). */
	ASSERT_OK(umn_register(fd, U64(p1 - 96), U64(p1 + 100), 1));
	/* p2 only. */
	ASSERT_OK(umn_register(fd, U64(p2), U64(p3), 2));
	/* Ends exactly where p1 starts: not in p1. */
	ASSERT_OK(umn_register(fd, U64(p0 + 100), U64(p1), 3));
	/* Within p1, after the straddling one. */
	ASSERT_OK(umn_register(fd, U64(p1 + 200), U64(p1 + 300), 4));

	ASSERT_OK(madvise(p2, page_size, MADV_DONTNEED));
	EXPECT_REPORTS(fd, umn_inval(2, U64(p2), U64(p3), true),
		       umn_last(1));

	ASSERT_OK(madvise(p0, page_size, MADV_DONTNEED));
	EXPECT_REPORTS(fd, umn_inval(1, U64(p1 - 96), U64(p1), true),
		       umn_inval(3, U64(p0 + 100), U64(p1), true),
		       umn_last(2));

	ASSERT_OK(madvise(p1, page_size, MADV_DONTNEED));
	EXPECT_REPORTS(fd, umn_inval(1, U64(p1), U64(p1 + 100), true),
		       umn_inval(4, U64(p1 + 200), U64(p1 + 300), true),
		       umn_last(3));
	EXPECT_EQ(umn_counter(c), 3);

	/* A page no registration touches: no report, no count. */
	ASSERT_OK(umn_unregister(fd, 2));
	ASSERT_OK(madvise(p2, page_size, MADV_DONTNEED));
	EXPECT_EQ(umn_counter(c), 3);
	EXPECT_NO_REPORTS(fd);
}

static void test_two_fds(void)
{
	int a = umn_open(), b = umn_open();
	const __u64 *ca = umn_map_counter(a), *cb = umn_map_counter(b);
	char *p = map_pages(3);

	ASSERT_OK(umn_register(a, U64(p), U64(p + 2 * page_size), 1));
	/* Same cookie and range on the other fd: cookies are per fd. */
	ASSERT_OK(umn_register(b, U64(p), U64(p + 2 * page_size), 1));
	ASSERT_OK(umn_register(b, U64(p + 2 * page_size),
			       U64(p + 3 * page_size), 2));

	ASSERT_OK(munmap(p + page_size, page_size));
	EXPECT_EQ(umn_counter(ca), 1);
	EXPECT_EQ(umn_counter(cb), 1);
	EXPECT_REPORTS(a, umn_inval(1, U64(p + page_size),
				    U64(p + 2 * page_size), true),
		       umn_last(1));
	EXPECT_REPORTS(b, umn_inval(1, U64(p + page_size),
				    U64(p + 2 * page_size), true),
		       umn_last(1));

	/* Only b watches the last page. */
	ASSERT_OK(munmap(p + 2 * page_size, page_size));
	EXPECT_EQ(umn_counter(ca), 1);
	EXPECT_EQ(umn_counter(cb), 2);
	EXPECT_NO_REPORTS(a);
	EXPECT_REPORTS(b, umn_inval(2, U64(p + 2 * page_size),
				    U64(p + 3 * page_size), true),
		       umn_last(2));

	/* Unregistering on one fd leaves the other alone. */
	ASSERT_OK(umn_unregister(a, 1));
	ASSERT_OK(munmap(p, page_size));
	EXPECT_NO_REPORTS(a);
	EXPECT_REPORTS(b, umn_inval(1, U64(p), U64(p + page_size), true),
		       umn_last(3));
}

DEFINE_CASES(events,
	CASE(test_nonblock_empty,
	     "events: O_NONBLOCK read with nothing pending fails with EAGAIN"),
	CASE(test_munmap_middle_page,
	     "events: munmap of the middle page gives one hinted INVAL, then LAST"),
	CASE(test_last_on_next_read,
	     "events: LAST comes on the next read when the buffer is full"),
	CASE(test_small_buffer,
	     "events: read buffer smaller than one report fails with EINVAL"),
	CASE(test_two_invalidations_coalesce,
	     "events: invalidations before a read coalesce, without HINT"),
	CASE(test_overlapping_registrations,
	     "events: overlapping registrations each get a report"),
	CASE(test_duplicate_cookie,
	     "events: duplicate cookie fails with EINVAL"),
	CASE(test_unknown_cookie,
	     "events: unregister of an unknown cookie fails with EINVAL"),
	CASE(test_unregister_drops_report,
	     "events: unregister drops the pending report, LAST stays owed"),
	CASE(test_bad_range,
	     "events: register with start >= end fails with EINVAL"),
	CASE(test_beyond_user_space,
	     "events: register beyond user space fails with EINVAL"),
	CASE(test_garbage_flags,
	     "events: garbage in flags and reserved is ignored"),
	CASE(test_extreme_cookies,
	     "events: cookies 0 and 2^64-1 are ordinary cookies"),
	CASE(test_unmapped_range,
	     "events: a registration need not cover mapped memory"),
	CASE(test_straddling_ranges,
	     "events: ranges straddling pages: hit by either page, hint clipped"),
	CASE(test_two_fds,
	     "events: two fds in one process each get their own reports"),
);
