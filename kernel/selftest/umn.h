/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers around /dev/ummunotify: open, register, read every pending
 * report, map the counter, and compare what was read with what a case
 * expects.
 */
#ifndef UMN_UMN_H
#define UMN_UMN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include <linux/ummunotify.h>

#include "tap.h"

/* The device; UMMUNOTIFY_DEV in the environment overrides it. */
#define UMN_DEV_DEFAULT		"/dev/ummunotify"
#define UMN_MODULE		"ummunotify"
#define UMN_SYSFS_MODULE	"/sys/module/" UMN_MODULE
#define UMN_PARAM_MAX_REGS	UMN_SYSFS_MODULE "/parameters/max_registrations"

#define UMN_SUPPORTED_FEATURES						\
	(UMMUNOTIFY_FEATURE_TARGET_EXIT | UMMUNOTIFY_FEATURE_COUNTER_FD)

/* Wildcard for the counter of an expected LAST report. */
#define UMN_ANY_COUNTER		(~0ULL)

/* Most reports umn_read_reports() is asked for anywhere in the suite. */
#define UMN_MAX_REPORTS		256

#define U64(ptr)		((__u64)(uintptr_t)(ptr))

const char *umn_dev(void);

/* open(2) of the device with @flags; returns what open returned. */
int umn_open_flags(int flags);
/* O_RDONLY | O_CLOEXEC open that must succeed. */
int umn_open(void);

/* The raw ioctls: they return what ioctl(2) returned, errno set. */
int umn_register(int fd, __u64 start, __u64 end, __u64 cookie);
int umn_unregister(int fd, __u64 cookie);
int umn_exchange(int fd, __u32 *features);

/* Map the counter page of @fd (which must succeed) and read it. */
const __u64 *umn_map_counter(int fd);
__u64 umn_counter(const __u64 *counter);

/*
 * Read with O_NONBLOCK until EAGAIN (or EOF, then *@eof is set if @eof is
 * not NULL, else it is a failure), at most @max reports, into @out.
 * Unexpected errors end the case.  Returns the number of reports read.
 */
int umn_read_reports(int fd, struct ummunotify_event *out, int max,
		     bool *eof);

struct ummunotify_event umn_inval(__u64 cookie, __u64 start, __u64 end,
				  bool hint);
struct ummunotify_event umn_last(__u64 counter);
void umn_format(const struct ummunotify_event *ev, char *buf, size_t len);
void umn_dump(const char *title, const struct ummunotify_event *ev, int n);

/*
 * Compare @n reports read from @fd with @want.  INVAL reports between two
 * LAST reports may come in any order; everything else must match exactly.
 */
bool umn_expect_reports(int fd, const struct ummunotify_event *want, int n,
			const char *file, int line);
bool umn_match_reports(const struct ummunotify_event *seen, int nseen,
		       const struct ummunotify_event *want, int nwant,
		       const char *file, int line);

#define EXPECT_REPORTS(fd, ...)						\
	({								\
		const struct ummunotify_event __want[] = { __VA_ARGS__ }; \
									\
		umn_expect_reports((fd), __want, ARRAY_SIZE(__want),	\
				   __FILE__, __LINE__);			\
	})

/* Like EXPECT_REPORTS() for @n reports already read into @seen. */
#define MATCH_REPORTS(seen, n, ...)					\
	({								\
		const struct ummunotify_event __want[] = { __VA_ARGS__ }; \
									\
		umn_match_reports((seen), (n), __want, ARRAY_SIZE(__want), \
				  __FILE__, __LINE__);			\
	})

#define EXPECT_NO_REPORTS(fd)						\
	umn_expect_reports((fd), NULL, 0, __FILE__, __LINE__)

#endif /* UMN_UMN_H */
