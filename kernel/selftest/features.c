// SPDX-License-Identifier: GPL-2.0
/*
 * UMMUNOTIFY_EXCHANGE_FEATURES, and the counter-only fd that the
 * COUNTER_FD feature enables.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "cases.h"
#include "umn.h"
#include "util.h"

static void test_exchange_returns_supported(void)
{
	static const __u32 asks[] = {
		UMN_SUPPORTED_FEATURES,
		UMMUNOTIFY_FEATURE_TARGET_EXIT,
		UMMUNOTIFY_FEATURE_COUNTER_FD,
		0,
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(asks); i++) {
		int fd = umn_open();
		__u32 f = asks[i];

		if (EXPECT_OK(umn_exchange(fd, &f)))
			EXPECT_MSG(f == asks[i],
				   "asked for %#x, expected %#x back, got %#x",
				   asks[i], asks[i], f);
		close(fd);
	}
}

static void test_exchange_clears_unknown(void)
{
	static const __u32 asks[] = { 0xfffffff0, 0xffffffff, 0x80000001 };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(asks); i++) {
		int fd = umn_open();
		__u32 want = asks[i] & UMN_SUPPORTED_FEATURES;
		__u32 f = asks[i];

		if (EXPECT_OK(umn_exchange(fd, &f)))
			EXPECT_MSG(f == want,
				   "asked for %#x, expected %#x back, got %#x",
				   asks[i], want, f);
		close(fd);
	}
}

static void test_exchange_twice(void)
{
	int fd = umn_open();
	__u32 f = UMN_SUPPORTED_FEATURES;

	ASSERT_OK(umn_exchange(fd, &f));
	f = UMN_SUPPORTED_FEATURES;
	EXPECT_ERRNO(umn_exchange(fd, &f), EINVAL);
	close(fd);

	/* Asking for nothing is a use too. */
	fd = umn_open();
	f = 0;
	ASSERT_OK(umn_exchange(fd, &f));
	f = UMN_SUPPORTED_FEATURES;
	EXPECT_ERRNO(umn_exchange(fd, &f), EINVAL);
	close(fd);
}

static void test_exchange_after_register(void)
{
	int fd = umn_open();
	char *p = map_pages(1);
	__u32 f = UMN_SUPPORTED_FEATURES;

	ASSERT_OK(umn_register(fd, U64(p), U64(p + page_size), 1));
	EXPECT_ERRNO(umn_exchange(fd, &f), EINVAL);
	/* The fd works on, in v3 mode. */
	ASSERT_OK(munmap(p, page_size));
	EXPECT_REPORTS(fd, umn_inval(1, U64(p), U64(p + page_size), true),
		       umn_last(1));
}

static int get_counter_fd(int fd)
{
	return ioctl(fd, UMMUNOTIFY_GET_COUNTER_FD);
}

static void test_counter_fd_needs_feature(void)
{
	int fd = umn_open();
	__u32 f;

	/* Never negotiated. */
	EXPECT_ERRNO(get_counter_fd(fd), EINVAL);
	close(fd);

	/* Negotiated something else. */
	fd = umn_open();
	f = UMMUNOTIFY_FEATURE_TARGET_EXIT;
	ASSERT_OK(umn_exchange(fd, &f));
	EXPECT_ERRNO(get_counter_fd(fd), EINVAL);
	close(fd);
}

static int open_counter_fd(int *ctl)
{
	__u32 f = UMMUNOTIFY_FEATURE_COUNTER_FD;
	int fd;

	*ctl = umn_open();
	ASSERT_OK(umn_exchange(*ctl, &f));
	ASSERT_EQ(f, UMMUNOTIFY_FEATURE_COUNTER_FD);
	fd = ASSERT_OK(get_counter_fd(*ctl));
	return fd;
}

static void test_counter_fd_maps_counter(void)
{
	int ctl, cfd = open_counter_fd(&ctl);
	const __u64 *cc = umn_map_counter(cfd);
	const __u64 *c = umn_map_counter(ctl);
	char *p = map_pages(2);
	int fl;

	EXPECT_TRUE(cfd != ctl);
	fl = fcntl(cfd, F_GETFD);
	EXPECT_MSG(fl >= 0 && (fl & FD_CLOEXEC),
		   "counter fd: expected FD_CLOEXEC, F_GETFD gave %#x", fl);
	fl = fcntl(cfd, F_GETFL);
	EXPECT_MSG(fl >= 0 && (fl & O_ACCMODE) == O_RDONLY,
		   "counter fd: expected O_RDONLY, F_GETFL gave %#x", fl);

	EXPECT_EQ(umn_counter(cc), 0);
	ASSERT_OK(umn_register(ctl, U64(p), U64(p + 2 * page_size), 1));
	ASSERT_OK(madvise(p, page_size, MADV_DONTNEED));
	EXPECT_EQ(umn_counter(cc), 1);
	ASSERT_OK(madvise(p + page_size, page_size, MADV_DONTNEED));
	EXPECT_EQ(umn_counter(cc), 2);
	EXPECT_EQ(umn_counter(c), 2);

	/* A second counter fd sees the same page. */
	EXPECT_EQ(umn_counter(umn_map_counter(ASSERT_OK(get_counter_fd(ctl)))),
		  2);

	/* It outlives the control fd. */
	ASSERT_OK(close(ctl));
	EXPECT_EQ(umn_counter(cc), 2);
	EXPECT_EQ(umn_counter(umn_map_counter(cfd)), 2);
}

static void test_counter_fd_does_nothing_else(void)
{
	int ctl, cfd = open_counter_fd(&ctl);
	struct ummunotify_event ev[4];
	struct ummunotify_register_ioctl r = {
		.start = 0x10000,
		.end = 0x20000,
		.user_cookie = 1,
	};
	__u64 cookie = 1;
	__u32 f = UMN_SUPPORTED_FEATURES;
	ssize_t n;
	void *m;

	n = read(cfd, ev, sizeof(ev));
	if (EXPECT_MSG(n < 0, "read on the counter fd returned %zd", n))
		tap_diag("read on the counter fd: %s", tap_errstr(errno));
	EXPECT_ERRNO(ioctl(cfd, UMMUNOTIFY_REGISTER_REGION, &r), ENOTTY);
	EXPECT_ERRNO(ioctl(cfd, UMMUNOTIFY_UNREGISTER_REGION, &cookie),
		     ENOTTY);
	EXPECT_ERRNO(ioctl(cfd, UMMUNOTIFY_EXCHANGE_FEATURES, &f), ENOTTY);
	EXPECT_ERRNO(ioctl(cfd, UMMUNOTIFY_GET_COUNTER_FD), ENOTTY);

	m = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
	EXPECT_MSG(m == MAP_FAILED && errno == EACCES,
		   "PROT_WRITE, MAP_SHARED mmap of the counter fd: expected EACCES, got %s",
		   m == MAP_FAILED ? tap_errstr(errno) : "success");
	m = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, cfd, 0);
	EXPECT_MSG(m == MAP_FAILED,
		   "PROT_WRITE, MAP_PRIVATE mmap of the counter fd succeeded");
	m = mmap(NULL, 2 * page_size, PROT_READ, MAP_SHARED, cfd, 0);
	EXPECT_MSG(m == MAP_FAILED,
		   "two-page mmap of the counter fd succeeded");
	m = (void *)umn_map_counter(cfd);
	EXPECT_TRUE(mprotect(m, page_size, PROT_READ | PROT_WRITE) == -1);

	/* None of that disturbed the control fd. */
	EXPECT_OK(umn_register(ctl, 0x10000, 0x20000, 1));
	EXPECT_NO_REPORTS(ctl);
}

DEFINE_CASES(features,
	CASE(test_exchange_returns_supported,
	     "features: EXCHANGE_FEATURES returns requested & supported"),
	CASE(test_exchange_clears_unknown,
	     "features: EXCHANGE_FEATURES clears unknown bits"),
	CASE(test_exchange_twice,
	     "features: a second EXCHANGE_FEATURES fails with EINVAL"),
	CASE(test_exchange_after_register,
	     "features: EXCHANGE_FEATURES after REGISTER fails with EINVAL"),
	CASE(test_counter_fd_needs_feature,
	     "features: GET_COUNTER_FD without COUNTER_FD fails with EINVAL"),
	CASE(test_counter_fd_maps_counter,
	     "features: the counter fd maps the same moving counter"),
	CASE(test_counter_fd_does_nothing_else,
	     "features: the counter fd cannot read, ioctl or map writable"),
);
