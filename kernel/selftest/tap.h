/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal TAP producer for the ummunotify selftest: a plan, one "ok" or
 * "not ok" line per case, "# " diagnostics, and checks that say what was
 * expected and what was seen.
 *
 * Every case runs in a child process of its own (see tap_run()), so a
 * crashing or hanging case only fails itself.  EXPECT_*() records a failure
 * and goes on; ASSERT_*() records it and ends the case's process.
 */
#ifndef UMN_TAP_H
#define UMN_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <errno.h>
#include <sys/types.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* No <linux/compiler_attributes.h> in userspace: printf format checks. */
#define umn_attribute(attr)		__attribute__((attr))
#define umn_printf(fmt_idx, arg_idx)	umn_attribute(format(printf, fmt_idx, arg_idx))

/* Default per-case time limit, in seconds. */
#define TAP_DEFAULT_TIMEOUT	120

/**
 * struct tap_case - one test case
 * @name:    what the "ok" line says
 * @fn:      the case; runs in a child process of its own
 * @timeout: seconds before the case is killed; 0 means TAP_DEFAULT_TIMEOUT
 * @cleanup: run by the runner itself after the case ended however it ended,
 *           for state outside the child (module parameters); may be NULL
 */
struct tap_case {
	const char *name;
	void (*fn)(void);
	unsigned int timeout;
	void (*cleanup)(void);
};

void tap_diag(const char *fmt, ...) umn_printf(1, 2);
void tap_fail_at(const char *file, int line, const char *fmt, ...)
	umn_printf(3, 4);
_Noreturn void tap_abort(void);
bool tap_failed(void);

/*
 * fork(2) for use inside a case: the child starts with no failures of its
 * own and ends with tap_child_exit(), whose status says whether it failed.
 */
pid_t tap_fork(void);
_Noreturn void tap_child_exit(void);
/* Wait for a tap_fork() child; false (with a diagnostic) if it failed. */
bool tap_wait_child(pid_t pid, const char *what);
const char *tap_errstr(int err);

bool tap_check(bool ok, const char *expr, const char *file, int line);
bool tap_check_eq(unsigned long long seen, unsigned long long want,
		  const char *seen_expr, const char *want_expr,
		  const char *file, int line);
bool tap_check_ok(long ret, int err, const char *expr,
		  const char *file, int line);
bool tap_check_errno(long ret, int err, int want, const char *expr,
		     const char *file, int line);

/*
 * Run @n cases (those whose name contains one of the @nfilters strings, or
 * all of them), print the plan and the results.  Returns the process exit
 * status: 0 if every case passed.
 */
int tap_run(const struct tap_case *cases, size_t n,
	    char *const *filters, int nfilters);

#define EXPECT_TRUE(cond)						\
	tap_check(!!(cond), #cond, __FILE__, __LINE__)

/* Like EXPECT_TRUE() with a message of its own on failure. */
#define EXPECT_MSG(cond, ...)						\
	({								\
		bool __ok = !!(cond);					\
									\
		if (!__ok)						\
			tap_fail_at(__FILE__, __LINE__, __VA_ARGS__);	\
		__ok;							\
	})

#define EXPECT_EQ(seen, want)						\
	tap_check_eq((unsigned long long)(seen),			\
		     (unsigned long long)(want), #seen, #want,		\
		     __FILE__, __LINE__)

/* @call returns >= 0 on success, -1 with errno on failure. */
#define EXPECT_OK(call)							\
	({								\
		long __ret = (long)(call);				\
		int __err = errno;					\
									\
		tap_check_ok(__ret, __err, #call, __FILE__, __LINE__);	\
	})

/* @call must fail with errno @want. */
#define EXPECT_ERRNO(call, want)					\
	({								\
		long __ret = (long)(call);				\
		int __err = errno;					\
									\
		tap_check_errno(__ret, __err, (want), #call,		\
				__FILE__, __LINE__);			\
	})

#define ASSERT_TRUE(cond)						\
	do {								\
		if (!EXPECT_TRUE(cond))					\
			tap_abort();					\
	} while (0)

#define ASSERT_MSG(cond, ...)						\
	do {								\
		if (!EXPECT_MSG(cond, __VA_ARGS__))			\
			tap_abort();					\
	} while (0)

#define ASSERT_EQ(seen, want)						\
	do {								\
		if (!EXPECT_EQ(seen, want))				\
			tap_abort();					\
	} while (0)

/* Evaluates to the value @call returned. */
#define ASSERT_OK(call)							\
	({								\
		long __ret = (long)(call);				\
		int __err = errno;					\
									\
		if (!tap_check_ok(__ret, __err, #call,			\
				  __FILE__, __LINE__))			\
			tap_abort();					\
		__ret;							\
	})

#define ASSERT_ERRNO(call, want)					\
	do {								\
		if (!EXPECT_ERRNO(call, want))				\
			tap_abort();					\
	} while (0)

#endif /* UMN_TAP_H */
