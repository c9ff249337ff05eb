// SPDX-License-Identifier: GPL-2.0
/*
 * Device helpers: thin wrappers of the ioctls, a reader that drains the
 * queue without blocking, and an order-tolerant comparison of reports.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "umn.h"
#include "util.h"

const char *umn_dev(void)
{
	const char *dev = getenv("UMMUNOTIFY_DEV");

	return dev && *dev ? dev : UMN_DEV_DEFAULT;
}

int umn_open_flags(int flags)
{
	return open(umn_dev(), flags);
}

int umn_open(void)
{
	int fd = open(umn_dev(), O_RDONLY | O_CLOEXEC);

	ASSERT_MSG(fd >= 0, "open(%s, O_RDONLY): %s", umn_dev(),
		   tap_errstr(errno));
	return fd;
}

int umn_register(int fd, __u64 start, __u64 end, __u64 cookie)
{
	struct ummunotify_register_ioctl r = {
		.start = start,
		.end = end,
		.user_cookie = cookie,
	};

	return ioctl(fd, UMMUNOTIFY_REGISTER_REGION, &r);
}

int umn_unregister(int fd, __u64 cookie)
{
	return ioctl(fd, UMMUNOTIFY_UNREGISTER_REGION, &cookie);
}

int umn_exchange(int fd, __u32 *features)
{
	return ioctl(fd, UMMUNOTIFY_EXCHANGE_FEATURES, features);
}

const __u64 *umn_map_counter(int fd)
{
	void *p = mmap(NULL, page_size, PROT_READ, MAP_SHARED, fd, 0);

	ASSERT_MSG(p != MAP_FAILED, "mmap of the counter page: %s",
		   tap_errstr(errno));
	return p;
}

__u64 umn_counter(const __u64 *counter)
{
	return __atomic_load_n(counter, __ATOMIC_ACQUIRE);
}

int umn_read_reports(int fd, struct ummunotify_event *out, int max,
		     bool *eof)
{
	int flags = fcntl(fd, F_GETFL);
	int n = 0;
	ssize_t ret;

	ASSERT_OK(flags);
	if (eof)
		*eof = false;
	if (!(flags & O_NONBLOCK))
		ASSERT_OK(fcntl(fd, F_SETFL, flags | O_NONBLOCK));
	for (;;) {
		ASSERT_MSG(n < max, "more than %d reports pending", max);
		ret = read(fd, out + n, (max - n) * sizeof(*out));
		if (ret < 0) {
			ASSERT_MSG(errno == EAGAIN,
				   "read of reports: expected data or EAGAIN, got %s",
				   tap_errstr(errno));
			break;
		}
		if (ret == 0) {
			if (!eof)
				tap_fail_at(__FILE__, __LINE__,
					    "read returned 0 (end of file) unexpectedly");
			else
				*eof = true;
			break;
		}
		ASSERT_MSG(ret % sizeof(*out) == 0,
			   "read returned %zd, not a multiple of %zu",
			   ret, sizeof(*out));
		n += ret / sizeof(*out);
	}
	if (!(flags & O_NONBLOCK))
		ASSERT_OK(fcntl(fd, F_SETFL, flags));
	return n;
}

struct ummunotify_event umn_inval(__u64 cookie, __u64 start, __u64 end,
				  bool hint)
{
	struct ummunotify_event ev = {
		.type = UMMUNOTIFY_EVENT_TYPE_INVAL,
		.flags = hint ? UMMUNOTIFY_EVENT_FLAG_HINT : 0,
		.hint_start = start,
		.hint_end = end,
		.user_cookie_counter = cookie,
	};

	return ev;
}

struct ummunotify_event umn_last(__u64 counter)
{
	struct ummunotify_event ev = {
		.type = UMMUNOTIFY_EVENT_TYPE_LAST,
		.user_cookie_counter = counter,
	};

	return ev;
}

void umn_format(const struct ummunotify_event *ev, char *buf, size_t len)
{
	switch (ev->type) {
	case UMMUNOTIFY_EVENT_TYPE_INVAL:
		snprintf(buf, len,
			 "INVAL cookie=%llu flags=%#x%s [%#llx, %#llx)",
			 (unsigned long long)ev->user_cookie_counter, ev->flags,
			 ev->flags & UMMUNOTIFY_EVENT_FLAG_HINT ? "(HINT)" : "",
			 (unsigned long long)ev->hint_start,
			 (unsigned long long)ev->hint_end);
		break;
	case UMMUNOTIFY_EVENT_TYPE_LAST:
		if (ev->user_cookie_counter == UMN_ANY_COUNTER)
			snprintf(buf, len, "LAST counter=(any)");
		else
			snprintf(buf, len, "LAST counter=%llu flags=%#x",
				 (unsigned long long)ev->user_cookie_counter,
				 ev->flags);
		break;
	default:
		snprintf(buf, len,
			 "type %u?? flags=%#x [%#llx, %#llx) value=%llu",
			 ev->type, ev->flags,
			 (unsigned long long)ev->hint_start,
			 (unsigned long long)ev->hint_end,
			 (unsigned long long)ev->user_cookie_counter);
		break;
	}
}

void umn_dump(const char *title, const struct ummunotify_event *ev, int n)
{
	char line[160];
	int i;

	tap_diag("%s (%d report%s)%s", title, n, n == 1 ? "" : "s",
		 n ? ":" : "");
	for (i = 0; i < n; i++) {
		umn_format(&ev[i], line, sizeof(line));
		tap_diag("  %s", line);
	}
}

static int umn_cmp_inval(const void *a, const void *b)
{
	const struct ummunotify_event *x = a, *y = b;

	if (x->user_cookie_counter != y->user_cookie_counter)
		return x->user_cookie_counter < y->user_cookie_counter ? -1 : 1;
	if (x->hint_start != y->hint_start)
		return x->hint_start < y->hint_start ? -1 : 1;
	if (x->hint_end != y->hint_end)
		return x->hint_end < y->hint_end ? -1 : 1;
	if (x->flags != y->flags)
		return x->flags < y->flags ? -1 : 1;
	return 0;
}

/* Sort every run of INVAL reports, so that runs compare as multisets. */
static void umn_normalise(struct ummunotify_event *ev, int n)
{
	int i = 0, j;

	while (i < n) {
		for (j = i; j < n && ev[j].type == UMMUNOTIFY_EVENT_TYPE_INVAL;)
			j++;
		qsort(ev + i, j - i, sizeof(*ev), umn_cmp_inval);
		i = j + 1;
	}
}

static bool umn_same(const struct ummunotify_event *seen,
		     const struct ummunotify_event *want)
{
	if (seen->type != want->type)
		return false;
	if (want->type == UMMUNOTIFY_EVENT_TYPE_LAST)
		return want->user_cookie_counter == UMN_ANY_COUNTER ||
		       want->user_cookie_counter == seen->user_cookie_counter;
	return !umn_cmp_inval(seen, want);
}

bool umn_match_reports(const struct ummunotify_event *seen, int nseen,
		       const struct ummunotify_event *want, int nwant,
		       const char *file, int line)
{
	struct ummunotify_event a[UMN_MAX_REPORTS], b[UMN_MAX_REPORTS];
	bool ok = nseen == nwant;
	int i;

	ASSERT_TRUE(nseen <= UMN_MAX_REPORTS && nwant <= UMN_MAX_REPORTS);
	if (ok) {
		memcpy(a, seen, nseen * sizeof(*a));
		memcpy(b, want, nwant * sizeof(*b));
		umn_normalise(a, nseen);
		umn_normalise(b, nwant);
		for (i = 0; ok && i < nseen; i++)
			ok = umn_same(&a[i], &b[i]);
	}
	if (!ok) {
		tap_fail_at(file, line, "reports differ from what was expected");
		umn_dump("expected", want, nwant);
		umn_dump("got", seen, nseen);
	}
	return ok;
}

bool umn_expect_reports(int fd, const struct ummunotify_event *want, int n,
			const char *file, int line)
{
	struct ummunotify_event seen[UMN_MAX_REPORTS];
	int nseen = umn_read_reports(fd, seen, UMN_MAX_REPORTS, NULL);

	return umn_match_reports(seen, nseen, want, n, file, line);
}
