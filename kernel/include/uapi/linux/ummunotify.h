/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-2-Clause) */
/*
 * ummunotify: userspace MMU-notifier events for registration caches.
 *
 * Binary compatible with the 2010 "v3" interface: code written for it
 * compiles against this header and runs unchanged.  Everything beyond v3 is
 * opt-in through UMMUNOTIFY_EXCHANGE_FEATURES.
 */
#ifndef _UAPI_LINUX_UMMUNOTIFY_H
#define _UAPI_LINUX_UMMUNOTIFY_H

#include <linux/types.h>
#include <linux/ioctl.h>

/*
 * Usage, in short:
 *
 *  open("/dev/ummunotify", O_RDONLY) binds the fd to the opener's address
 *  space (mm), for the life of the fd, whichever process later holds it.
 *  Another process gets it only by handoff: pidfd_getfd(2), under the
 *  kernel's ptrace-attach rule, or SCM_RIGHTS from the opener.  Opening for
 *  write fails with EINVAL.
 *
 *  UMMUNOTIFY_REGISTER_REGION watches the bytes [start, end) under a cookie
 *  unique within the fd.  Register *before* pinning or looking up the pages:
 *  an invalidation that has already begun when the ioctl returns is not
 *  reported.
 *
 *  An invalidation of any page that overlaps a registration's bytes queues
 *  one UMMUNOTIFY_EVENT_TYPE_INVAL report for that registration.  A
 *  registration is on the queue at most once (see struct ummunotify_event for
 *  how reports coalesce), so memory is bounded by the number of
 *  registrations, never by the number of events.  An invalidation is any
 *  change that can make the page behind an address differ: munmap, mremap,
 *  madvise(MADV_DONTNEED/MADV_FREE/...), brk shrink, mmap(MAP_FIXED) over a
 *  mapping, copy-on-write break, migration, swap-out.  Changes of protection
 *  alone (mprotect, the write-protection taken at fork or for writeback)
 *  keep the same pages and are not reported.  Reports are never missing but
 *  may be wider than the operation, because the kernel invalidates more than
 *  it changes: splitting a mapping (munmap or mprotect of part of it) can
 *  invalidate the whole 2 MiB around the split point, and a moving mremap
 *  invalidates the old range twice (so its report carries no HINT).
 *
 *  read(2) returns as many whole struct ummunotify_event as fit (a buffer
 *  smaller than one gives EINVAL): the queued INVAL reports, then, once the
 *  queue has emptied, one UMMUNOTIFY_EVENT_TYPE_LAST report carrying the
 *  generation counter at that moment.  A read with nothing to report blocks,
 *  or fails with EAGAIN under O_NONBLOCK.  poll/select/epoll and O_ASYNC
 *  (SIGIO) report readiness.
 *
 *  mmap(NULL, page size, PROT_READ, MAP_SHARED, fd, 0) maps a page whose first
 *  __u64 is the generation counter.  It increases each time an invalidation
 *  hits at least one registration, before the system call that caused the
 *  invalidation returns.  A library compares it with the counter of the last
 *  LAST report it read: equal means there is nothing to read, with no system
 *  call.
 */

/**
 * struct ummunotify_register_ioctl - argument of UMMUNOTIFY_REGISTER_REGION
 * @start:       first byte of the range to watch; need not be page-aligned
 * @end:         first byte after the range (exclusive); must exceed @start and
 *               lie within the user address space
 * @user_cookie: the caller's name for this registration, unique within the
 *               fd; a duplicate fails with EINVAL.  Reports carry it back.
 * @flags:       ignored unless a feature that defines a flag was negotiated
 *               (none does yet): a known v3 consumer leaves it uninitialised
 * @reserved:    ignored, for the same reason
 *
 * Overlapping and identical ranges under different cookies are allowed; each
 * registration gets its own reports.
 */
struct ummunotify_register_ioctl {
	__u64	start;
	__u64	end;
	__u64	user_cookie;
	__u32	flags;
	__u32	reserved;
};

/*
 * Report types (&struct ummunotify_event.type).  Macros, not an enum, so that
 * v3 code that tests them with #ifdef keeps compiling.
 *
 * INVAL: the registration named by the cookie was invalidated at least once
 * since it was last reported.  LAST: the queue has emptied; the report
 * carries the generation counter at that moment.
 */
#define UMMUNOTIFY_EVENT_TYPE_INVAL	0
#define UMMUNOTIFY_EVENT_TYPE_LAST	1

/*
 * Report flags (&struct ummunotify_event.flags).  HINT: exactly one
 * invalidation hit the registration since it was last reported, and
 * [hint_start, hint_end) is that invalidation clipped to the registration.
 */
#define UMMUNOTIFY_EVENT_FLAG_HINT	(1 << 0)

/**
 * struct ummunotify_event - one report, as read(2) returns it
 * @type:                UMMUNOTIFY_EVENT_TYPE_INVAL or UMMUNOTIFY_EVENT_TYPE_LAST
 * @flags:               UMMUNOTIFY_EVENT_FLAG_* bits
 * @hint_start:          INVAL: with HINT, the first byte invalidated; without
 *                       HINT, the registration's start
 * @hint_end:            INVAL: with HINT, the end of the invalidated bytes
 *                       (exclusive); without HINT, the registration's end
 * @user_cookie_counter: INVAL: the registration's cookie; LAST: the generation
 *                       counter when the queue emptied
 */
struct ummunotify_event {
	__u32	type;
	__u32	flags;
	__u64	hint_start;
	__u64	hint_end;
	__u64	user_cookie_counter;
};

/*
 * Feature bits for UMMUNOTIFY_EXCHANGE_FEATURES; none is part of v3, so a v3
 * consumer never negotiates and sees v3 behaviour.
 *
 * TARGET_EXIT: the fd defines what happens when the watched address space is
 * torn down while the fd lives on in another process: reports already queued
 * stay readable, then read(2) returns 0 and poll reports POLLHUP; registering
 * fails with ESRCH.  The module behaves this way for every fd (v3 left a
 * reader blocked forever, which no consumer can want); the bit lets a
 * consumer know it can rely on it.
 *
 * COUNTER_FD: enables UMMUNOTIFY_GET_COUNTER_FD.
 */
#define UMMUNOTIFY_FEATURE_TARGET_EXIT	(1U << 0)
#define UMMUNOTIFY_FEATURE_COUNTER_FD	(1U << 1)

#define UMMUNOTIFY_MAGIC		'U'

/*
 * UMMUNOTIFY_EXCHANGE_FEATURES - negotiate features (a __u32 of
 * UMMUNOTIFY_FEATURE_* bits).  The caller writes the bits it wants; the kernel
 * writes back the subset it supports, unknown bits cleared.  Only as the
 * fd's first use: afterwards, or a second time, it fails with EINVAL.
 */
#define UMMUNOTIFY_EXCHANGE_FEATURES	_IOWR(UMMUNOTIFY_MAGIC, 1, __u32)

/*
 * UMMUNOTIFY_REGISTER_REGION - watch a byte range (struct
 * ummunotify_register_ioctl).  EINVAL: start >= end, end beyond the user
 * address space, or a duplicate cookie.  ENOSPC: the fd already holds the
 * module's max_registrations.  ESRCH: the watched address space is gone.
 */
#define UMMUNOTIFY_REGISTER_REGION	_IOW(UMMUNOTIFY_MAGIC, 2,	\
					     struct ummunotify_register_ioctl)

/*
 * UMMUNOTIFY_UNREGISTER_REGION - stop watching (a __u64 cookie).  Any pending
 * report for the cookie is dropped: once the ioctl returns, no report for it
 * is ever read.  EINVAL: unknown cookie.
 */
#define UMMUNOTIFY_UNREGISTER_REGION	_IOW(UMMUNOTIFY_MAGIC, 3, __u64)

/*
 * UMMUNOTIFY_GET_COUNTER_FD - returns (as the ioctl's value) a new O_RDONLY,
 * close-on-exec fd that can do nothing but mmap the counter page, so that the
 * fast path can be handed out without the control fd.  Needs
 * UMMUNOTIFY_FEATURE_COUNTER_FD, else EINVAL.
 */
#define UMMUNOTIFY_GET_COUNTER_FD	_IO(UMMUNOTIFY_MAGIC, 4)

#endif /* _UAPI_LINUX_UMMUNOTIFY_H */
