// SPDX-License-Identifier: GPL-2.0
/*
 * The fd belongs to the opener's address space whoever holds it: handed
 * over by SCM_RIGHTS or taken with pidfd_getfd(2) (under the ptrace-attach
 * rule), it keeps reporting the opener's mm, and when that mm is torn down
 * the pending reports stay readable, then read() returns 0, poll says
 * POLLHUP and registering fails with ESRCH.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <unistd.h>
#include <sys/mman.h>

#include "cases.h"
#include "umn.h"
#include "util.h"

/*
 * The child's part: open, register two pages under cookie 7, unmap the
 * first so that a report is pending.  Returns the fd; *@addr is the range.
 */
static int opener_with_pending_report(char **addr)
{
	int fd = umn_open();
	char *p = map_pages(2);

	ASSERT_OK(umn_register(fd, U64(p), U64(p + 2 * page_size), 7));
	ASSERT_OK(munmap(p, page_size));
	*addr = p;
	return fd;
}

/* The parent's part, once the opener has exited. */
static void check_target_gone(int fd, char *p)
{
	struct ummunotify_event ev[8];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	bool eof;
	int n;

	EXPECT_EQ(poll(&pfd, 1, 0), 1);
	EXPECT_MSG(pfd.revents & POLLIN,
		   "reports pending after exit: expected POLLIN, revents %#x",
		   pfd.revents);

	n = umn_read_reports(fd, ev, ARRAY_SIZE(ev), &eof);
	MATCH_REPORTS(ev, n,
		      umn_inval(7, U64(p), U64(p + page_size), true),
		      umn_last(1));
	EXPECT_MSG(eof, "read did not return 0 once drained");

	/* A blocking read does not block: end of file. */
	EXPECT_EQ(read(fd, ev, sizeof(ev)), 0);
	EXPECT_EQ(read(fd, ev, sizeof(ev)), 0);
	EXPECT_EQ(poll(&pfd, 1, 0), 1);
	EXPECT_MSG(pfd.revents & POLLHUP,
		   "after exit and drain: expected POLLHUP, revents %#x",
		   pfd.revents);
	EXPECT_ERRNO(umn_register(fd, U64(p), U64(p + page_size), 8), ESRCH);
}

static void test_exit_after_scm_rights(void)
{
	struct chan ch;
	pid_t pid;
	char *p;
	int s, fd;

	chan_init(&ch);
	pid = ASSERT_OK(tap_fork());
	if (pid == 0) {
		s = chan_end(&ch, 1);
		fd = opener_with_pending_report(&p);
		chan_send(s, U64(p), fd);
		tap_child_exit();
	}
	s = chan_end(&ch, 0);
	p = (char *)(uintptr_t)chan_recv(s, &fd);
	ASSERT_TRUE(tap_wait_child(pid, "opener"));
	check_target_gone(fd, p);
}

static void test_exit_after_pidfd_getfd(void)
{
	struct chan ch;
	pid_t pid;
	char *p;
	int s, fd, pidfd, num;

	chan_init(&ch);
	pid = ASSERT_OK(tap_fork());
	if (pid == 0) {
		s = chan_end(&ch, 1);
		fd = opener_with_pending_report(&p);
		chan_send(s, U64(p), -1);
		chan_send(s, fd, -1);
		/* Alive until the parent has taken the fd. */
		chan_recv(s, NULL);
		tap_child_exit();
	}
	s = chan_end(&ch, 0);
	p = (char *)(uintptr_t)chan_recv(s, NULL);
	num = chan_recv(s, NULL);
	pidfd = ASSERT_OK(sys_pidfd_open(pid, 0));
	fd = ASSERT_OK(sys_pidfd_getfd(pidfd, num, 0));
	chan_send(s, 0, -1);
	ASSERT_TRUE(tap_wait_child(pid, "opener"));
	check_target_gone(fd, p);
}

static void test_taken_fd_watches_opener(void)
{
	/* Mapped before fork: the same addresses in both processes. */
	char *r = map_pages(2);
	const __u64 *c;
	struct chan ch;
	struct ummunotify_event ev[4];
	pid_t pid;
	int s, fd, pidfd;
	bool eof;

	chan_init(&ch);
	pid = ASSERT_OK(tap_fork());
	if (pid == 0) {
		s = chan_end(&ch, 1);
		fd = umn_open();
		ASSERT_OK(umn_register(fd, U64(r), U64(r + 2 * page_size), 1));
		chan_send(s, fd, -1);
		chan_recv(s, NULL);
		ASSERT_OK(munmap(r, 2 * page_size));
		chan_send(s, 0, -1);
		chan_recv(s, NULL);
		tap_child_exit();
	}
	s = chan_end(&ch, 0);
	pidfd = ASSERT_OK(sys_pidfd_open(pid, 0));
	fd = ASSERT_OK(sys_pidfd_getfd(pidfd, chan_recv(s, NULL), 0));
	c = umn_map_counter(fd);

	/* Our own munmap at the same address is in another mm. */
	ASSERT_OK(munmap(r, page_size));
	EXPECT_EQ(umn_counter(c), 0);
	EXPECT_NO_REPORTS(fd);
	/* Registering through the taken fd watches the opener's mm too. */
	ASSERT_OK(umn_register(fd, U64(r), U64(r + page_size), 2));
	ASSERT_OK(munmap(r + page_size, page_size));
	EXPECT_EQ(umn_counter(c), 0);
	EXPECT_NO_REPORTS(fd);

	/* The opener's munmap is what counts. */
	chan_send(s, 0, -1);
	chan_recv(s, NULL);
	EXPECT_EQ(umn_counter(c), 1);
	EXPECT_REPORTS(fd, umn_inval(1, U64(r), U64(r + 2 * page_size), true),
		       umn_inval(2, U64(r), U64(r + page_size), true),
		       umn_last(1));

	chan_send(s, 0, -1);
	ASSERT_TRUE(tap_wait_child(pid, "opener"));
	EXPECT_EQ(umn_read_reports(fd, ev, ARRAY_SIZE(ev), &eof), 0);
	EXPECT_MSG(eof, "read did not return 0 after the opener exited");
}

static void test_getfd_needs_ptrace_right(void)
{
	int fd = umn_open();
	pid_t pid;

	pid = ASSERT_OK(tap_fork());
	if (pid == 0) {
		int pidfd = ASSERT_OK(sys_pidfd_open(getppid(), 0));
		int got;

		/* As root it may. */
		got = sys_pidfd_getfd(pidfd, fd, 0);
		if (EXPECT_OK(got))
			close(got);
		drop_privileges();
		/* As nobody, on a root process, it may not. */
		EXPECT_ERRNO(sys_pidfd_getfd(pidfd, fd, 0), EPERM);
		tap_child_exit();
	}
	tap_wait_child(pid, "unprivileged child");
}

DEFINE_CASES(lifetime,
	CASE(test_exit_after_scm_rights,
	     "lifetime: target exit after SCM_RIGHTS: reports, then EOF, POLLHUP, ESRCH"),
	CASE(test_exit_after_pidfd_getfd,
	     "lifetime: target exit after pidfd_getfd: reports, then EOF, POLLHUP, ESRCH"),
	CASE(test_taken_fd_watches_opener,
	     "lifetime: an fd taken with pidfd_getfd reports the opener's mm"),
	CASE(test_getfd_needs_ptrace_right,
	     "lifetime: pidfd_getfd by an unprivileged uid on root fails with EPERM"),
);
