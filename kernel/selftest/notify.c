// SPDX-License-Identifier: GPL-2.0
/*
 * Readiness: a blocking read, poll, select and epoll wake on an
 * invalidation and not before; O_ASYNC delivers SIGIO.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/select.h>

#include "cases.h"
#include "umn.h"
#include "util.h"

/* How long a waiter sits before the invalidation comes, in ms. */
#define WAKE_DELAY_MS	200
/* How long it may take to wake once it came, in ms. */
#define WAKE_LIMIT_MS	10000

struct delayed_unmap {
	pthread_t thread;
	char *addr;
	size_t len;
};

static void *delayed_unmap_fn(void *arg)
{
	struct delayed_unmap *d = arg;

	usleep(WAKE_DELAY_MS * 1000);
	ASSERT_OK(munmap(d->addr, d->len));
	return NULL;
}

/* munmap(@addr, @len) from another thread, WAKE_DELAY_MS from now. */
static void start_delayed_unmap(struct delayed_unmap *d, char *addr,
				size_t len)
{
	int err;

	d->addr = addr;
	d->len = len;
	err = pthread_create(&d->thread, NULL, delayed_unmap_fn, d);
	ASSERT_MSG(!err, "pthread_create: %s", tap_errstr(err));
}

static void finish_delayed_unmap(struct delayed_unmap *d)
{
	pthread_join(d->thread, NULL);
}

static int poll_fd(int fd, int timeout_ms, short *revents)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int ret = poll(&pfd, 1, timeout_ms);

	*revents = pfd.revents;
	return ret;
}

static void test_blocking_read(void)
{
	struct ummunotify_event ev[8];
	struct delayed_unmap d;
	int fd = umn_open();
	char *p = map_pages(1);
	int n = 0;
	ssize_t ret;

	ASSERT_OK(umn_register(fd, U64(p), U64(p + page_size), 1));
	start_delayed_unmap(&d, p, page_size);
	/* Blocks until the other thread's munmap; then INVAL and LAST. */
	while (n < 2) {
		ret = read(fd, ev + n, sizeof(ev) - n * sizeof(ev[0]));
		ASSERT_MSG(ret > 0, "blocking read: got %zd (%s)", ret,
			   ret < 0 ? tap_errstr(errno) : "end of file");
		n += ret / sizeof(ev[0]);
	}
	finish_delayed_unmap(&d);
	MATCH_REPORTS(ev, n,
		      umn_inval(1, U64(p), U64(p + page_size), true),
		      umn_last(1));
	EXPECT_NO_REPORTS(fd);
}

static void test_poll(void)
{
	struct ummunotify_event ev;
	struct delayed_unmap d;
	int fd = umn_open_flags(O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	char *p = map_pages(2);
	short revents;

	ASSERT_OK(fd);
	EXPECT_EQ(poll_fd(fd, 0, &revents), 0);
	ASSERT_OK(umn_register(fd, U64(p), U64(p + 2 * page_size), 1));
	EXPECT_EQ(poll_fd(fd, 0, &revents), 0);

	ASSERT_OK(munmap(p, page_size));
	EXPECT_EQ(poll_fd(fd, 0, &revents), 1);
	EXPECT_MSG((revents & POLLIN) && !(revents & (POLLHUP | POLLERR)),
		   "after an invalidation: expected POLLIN, revents %#x",
		   revents);
	/* Only the INVAL read: the LAST is still owed. */
	ASSERT_EQ(read(fd, &ev, sizeof(ev)), sizeof(ev));
	EXPECT_EQ(ev.type, UMMUNOTIFY_EVENT_TYPE_INVAL);
	EXPECT_EQ(poll_fd(fd, 0, &revents), 1);
	EXPECT_MSG(revents & POLLIN, "LAST pending: revents %#x", revents);
	ASSERT_EQ(read(fd, &ev, sizeof(ev)), sizeof(ev));
	EXPECT_EQ(ev.type, UMMUNOTIFY_EVENT_TYPE_LAST);
	EXPECT_EQ(poll_fd(fd, 0, &revents), 0);

	/* A poller asleep in poll() is woken. */
	start_delayed_unmap(&d, p + page_size, page_size);
	EXPECT_EQ(poll_fd(fd, WAKE_LIMIT_MS, &revents), 1);
	EXPECT_MSG(revents & POLLIN, "woken poll: revents %#x", revents);
	finish_delayed_unmap(&d);
	EXPECT_REPORTS(fd, umn_inval(1, U64(p + page_size),
				     U64(p + 2 * page_size), true),
		       umn_last(2));
	EXPECT_EQ(poll_fd(fd, 0, &revents), 0);
}

static int select_fd(int fd, int timeout_ms)
{
	struct timeval tv = {
		.tv_sec = timeout_ms / 1000,
		.tv_usec = timeout_ms % 1000 * 1000,
	};
	fd_set rd;
	int ret;

	FD_ZERO(&rd);
	FD_SET(fd, &rd);
	ret = select(fd + 1, &rd, NULL, NULL, &tv);
	if (ret > 0 && !FD_ISSET(fd, &rd))
		return -2;
	return ret;
}

static void test_select_epoll(void)
{
	struct epoll_event ee = { .events = EPOLLIN }, out;
	struct delayed_unmap d;
	int fd = umn_open();
	int ep = epoll_create1(EPOLL_CLOEXEC);
	char *p = map_pages(4);

	ASSERT_OK(ep);
	ASSERT_OK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ee));
	ASSERT_OK(umn_register(fd, U64(p), U64(p + 4 * page_size), 1));

	EXPECT_EQ(select_fd(fd, 0), 0);
	EXPECT_EQ(epoll_wait(ep, &out, 1, 0), 0);
	ASSERT_OK(munmap(p, page_size));
	EXPECT_EQ(select_fd(fd, 0), 1);
	EXPECT_EQ(epoll_wait(ep, &out, 1, 0), 1);
	EXPECT_MSG(out.events & EPOLLIN, "epoll: events %#x", out.events);
	EXPECT_REPORTS(fd, umn_inval(1, U64(p), U64(p + page_size), true),
		       umn_last(1));
	EXPECT_EQ(select_fd(fd, 0), 0);
	EXPECT_EQ(epoll_wait(ep, &out, 1, 0), 0);

	/* Sleepers are woken. */
	start_delayed_unmap(&d, p + page_size, page_size);
	EXPECT_EQ(select_fd(fd, WAKE_LIMIT_MS), 1);
	finish_delayed_unmap(&d);
	EXPECT_REPORTS(fd, umn_inval(1, U64(p + page_size),
				     U64(p + 2 * page_size), true),
		       umn_last(2));
	start_delayed_unmap(&d, p + 2 * page_size, page_size);
	EXPECT_EQ(epoll_wait(ep, &out, 1, WAKE_LIMIT_MS), 1);
	finish_delayed_unmap(&d);
	EXPECT_REPORTS(fd, umn_inval(1, U64(p + 2 * page_size),
				     U64(p + 3 * page_size), true),
		       umn_last(3));

	/* Edge-triggered: one edge per invalidation. */
	ee.events = EPOLLIN | EPOLLET;
	ASSERT_OK(epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ee));
	EXPECT_EQ(epoll_wait(ep, &out, 1, 0), 0);
	ASSERT_OK(munmap(p + 3 * page_size, page_size));
	EXPECT_EQ(epoll_wait(ep, &out, 1, 0), 1);
	EXPECT_EQ(epoll_wait(ep, &out, 1, 0), 0);
}

/* Wait up to @ms for SIGIO (blocked); returns 1, or 0 on timeout. */
static int wait_sigio(int ms, siginfo_t *si)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = ms % 1000 * 1000000L };
	sigset_t set;
	int ret;

	sigemptyset(&set);
	sigaddset(&set, SIGIO);
	do {
		ret = sigtimedwait(&set, si, &ts);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0) {
		ASSERT_MSG(errno == EAGAIN, "sigtimedwait: %s",
			   tap_errstr(errno));
		return 0;
	}
	ASSERT_EQ(ret, SIGIO);
	return 1;
}

static void test_sigio(void)
{
	int fd = umn_open();
	char *p = map_pages(4);
	sigset_t set;
	siginfo_t si;

	sigemptyset(&set);
	sigaddset(&set, SIGIO);
	ASSERT_OK(sigprocmask(SIG_BLOCK, &set, NULL));
	ASSERT_OK(fcntl(fd, F_SETOWN, getpid()));
	ASSERT_OK(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC));
	ASSERT_OK(umn_register(fd, U64(p), U64(p + 2 * page_size), 1));

	EXPECT_MSG(!wait_sigio(0, &si), "SIGIO before any invalidation");
	ASSERT_OK(munmap(p, page_size));
	EXPECT_MSG(wait_sigio(WAKE_LIMIT_MS, &si),
		   "no SIGIO after an invalidation");
	EXPECT_REPORTS(fd, umn_inval(1, U64(p), U64(p + page_size), true),
		       umn_last(1));
	EXPECT_MSG(!wait_sigio(0, &si), "SIGIO after reading");

	/* Not watched: no signal. */
	ASSERT_OK(munmap(p + 2 * page_size, page_size));
	EXPECT_MSG(!wait_sigio(0, &si), "SIGIO for an unwatched page");

	/* With F_SETSIG, the siginfo names the fd and says POLL_IN. */
	ASSERT_OK(fcntl(fd, F_SETSIG, SIGIO));
	ASSERT_OK(munmap(p + page_size, page_size));
	if (EXPECT_MSG(wait_sigio(WAKE_LIMIT_MS, &si),
		       "no SIGIO after the second invalidation")) {
		EXPECT_EQ(si.si_fd, fd);
		EXPECT_EQ(si.si_code, POLL_IN);
		EXPECT_MSG(si.si_band & POLLIN, "si_band %#lx", si.si_band);
	}
	EXPECT_REPORTS(fd, umn_inval(1, U64(p + page_size),
				     U64(p + 2 * page_size), true),
		       umn_last(2));
}

DEFINE_CASES(notify,
	CASE(test_blocking_read,
	     "notify: a blocking read wakes on an invalidation"),
	CASE(test_poll,
	     "notify: poll: not readable, POLLIN after an invalidation, not after draining"),
	CASE(test_select_epoll, "notify: select and epoll readiness"),
	CASE(test_sigio, "notify: O_ASYNC delivers SIGIO on an invalidation"),
);
