/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The case tables, one per theme file, run by main.c in this order.
 */
#ifndef UMN_CASES_H
#define UMN_CASES_H

#include <stddef.h>

#include "tap.h"

#define DECLARE_CASES(group)						\
	extern const struct tap_case group##_cases[];			\
	extern const size_t group##_ncases

/* A case with the default time limit and no cleanup. */
#define CASE(func, title)	{ .name = (title), .fn = (func) }

#define DEFINE_CASES(group, ...)					\
	const struct tap_case group##_cases[] = { __VA_ARGS__ };	\
	const size_t group##_ncases = ARRAY_SIZE(group##_cases)

DECLARE_CASES(abi);		/* abi.c: struct layout, ioctl numbers */
DECLARE_CASES(device);		/* device.c: open modes, the counter page */
DECLARE_CASES(features);	/* features.c: EXCHANGE_FEATURES, counter fd */
DECLARE_CASES(events);		/* events.c: registrations and the queue */
DECLARE_CASES(notify);		/* notify.c: blocking, poll, epoll, SIGIO */
DECLARE_CASES(mm);		/* mm.c: every kind of invalidation */
DECLARE_CASES(lifetime);	/* lifetime.c: fd handoff, target exit */
DECLARE_CASES(threads);		/* threads.c: concurrent use of one fd */
DECLARE_CASES(limits);		/* limits.c: cap, module refcount, slab */

/* Saved by main() before any case runs; limits.c restores it. */
extern long long saved_max_registrations;

#endif /* UMN_CASES_H */
