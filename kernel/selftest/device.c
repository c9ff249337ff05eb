// SPDX-License-Identifier: GPL-2.0
/*
 * Opening the device and mapping its counter page: only O_RDONLY opens,
 * only a one-page read-only shared mapping at offset 0 maps.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/mman.h>

#include "cases.h"
#include "umn.h"
#include "util.h"

static void test_open_for_write(void)
{
	int fd;

	EXPECT_ERRNO(umn_open_flags(O_RDWR | O_CLOEXEC), EINVAL);
	EXPECT_ERRNO(umn_open_flags(O_WRONLY | O_CLOEXEC), EINVAL);
	fd = umn_open_flags(O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	EXPECT_OK(fd);
	close(fd);
}

static void test_counter_starts_at_zero(void)
{
	int fd = umn_open();
	const __u64 *a = umn_map_counter(fd);
	const __u64 *b = umn_map_counter(fd);
	char *p = map_pages(1);

	EXPECT_EQ(umn_counter(a), 0);
	/* Registering is no invalidation. */
	ASSERT_OK(umn_register(fd, U64(p), U64(p + page_size), 1));
	EXPECT_EQ(umn_counter(a), 0);
	ASSERT_OK(munmap(p, page_size));
	EXPECT_EQ(umn_counter(a), 1);
	/* Two mappings of one fd show the same page. */
	EXPECT_EQ(umn_counter(b), 1);
}

/* mmap(2) that must fail; @want is the errno, or 0 for any. */
static void expect_mmap_fails(int fd, size_t len, int prot, int flags,
			      off_t off, int want, const char *what)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	if (p != MAP_FAILED) {
		tap_fail_at(__FILE__, __LINE__,
			    "%s: expected mmap to fail, it succeeded", what);
		munmap(p, len);
		return;
	}
	if (want && errno != want) {
		char wanted[96];

		snprintf(wanted, sizeof(wanted), "%s", tap_errstr(want));
		tap_fail_at(__FILE__, __LINE__,
			    "%s: expected mmap to fail with %s, got %s",
			    what, wanted, tap_errstr(errno));
		return;
	}
	tap_diag("%s: refused with %s", what, tap_errstr(errno));
}

static void test_mmap_size_and_offset(void)
{
	int fd = umn_open();

	expect_mmap_fails(fd, 2 * page_size, PROT_READ, MAP_SHARED, 0, 0,
			  "two pages");
	expect_mmap_fails(fd, page_size, PROT_READ, MAP_SHARED, page_size, 0,
			  "offset of one page");
	expect_mmap_fails(fd, 2 * page_size, PROT_READ, MAP_SHARED, page_size,
			  0, "two pages at an offset");
	/* The fd still maps correctly afterwards. */
	EXPECT_EQ(umn_counter(umn_map_counter(fd)), 0);
}

static void test_mmap_writable(void)
{
	int fd = umn_open();

	expect_mmap_fails(fd, page_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			  0, EACCES, "PROT_WRITE, MAP_SHARED");
	expect_mmap_fails(fd, page_size, PROT_WRITE, MAP_SHARED, 0, EACCES,
			  "PROT_WRITE alone, MAP_SHARED");
	expect_mmap_fails(fd, page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE,
			  0, 0, "PROT_WRITE, MAP_PRIVATE");
}

static void test_mprotect_write(void)
{
	int fd = umn_open();
	const __u64 *c = umn_map_counter(fd);
	void *p;

	EXPECT_TRUE(mprotect((void *)c, page_size,
			     PROT_READ | PROT_WRITE) == -1);
	EXPECT_TRUE(mprotect((void *)c, page_size, PROT_WRITE) == -1);
	/* Nor can the mapping be grown into a second page. */
	p = mremap((void *)c, page_size, 2 * page_size, MREMAP_MAYMOVE);
	EXPECT_MSG(p == MAP_FAILED,
		   "mremap grew the counter mapping to two pages");
	EXPECT_EQ(umn_counter(c), 0);
}

static void test_mapping_outlives_fd(void)
{
	int fd = umn_open();
	const __u64 *c = umn_map_counter(fd);
	char *p = map_pages(1);

	ASSERT_OK(umn_register(fd, U64(p), U64(p + page_size), 1));
	ASSERT_OK(munmap(p, page_size));
	EXPECT_EQ(umn_counter(c), 1);
	ASSERT_OK(close(fd));
	/* The page stays mapped and readable, frozen at its last value. */
	EXPECT_EQ(umn_counter(c), 1);
	EXPECT_OK(munmap((void *)c, page_size));
}

DEFINE_CASES(device,
	CASE(test_open_for_write,
	     "device: open with O_RDWR or O_WRONLY fails with EINVAL"),
	CASE(test_counter_starts_at_zero,
	     "device: the mapped counter starts at 0"),
	CASE(test_mmap_size_and_offset,
	     "device: mmap of more than one page or at an offset fails"),
	CASE(test_mmap_writable, "device: writable mmap fails"),
	CASE(test_mprotect_write,
	     "device: mprotect(PROT_WRITE) and mremap growth of the counter fail"),
	CASE(test_mapping_outlives_fd,
	     "device: the counter mapping outlives the fd"),
);
