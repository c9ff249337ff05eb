// SPDX-License-Identifier: GPL-2.0
/*
 * One fd used by eight threads at once: six workers register, invalidate
 * and (for odd cookies) unregister, each in its own region; two readers
 * drain the queue meanwhile.  Every cookie is invalidated exactly once, so
 * every one still registered must be reported exactly once, an
 * unregistered one at most once, and nothing else may appear.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <unistd.h>
#include <sys/mman.h>

#include "cases.h"
#include "umn.h"
#include "util.h"

#define WORKERS		6
#define READERS		2
#define PAGES		2000	/* per worker, one cookie each */
#define READ_BATCH	64
/* Wrong cookies shown individually. */
#define SHOWN		10

struct shared {
	int fd;
	char *region[WORKERS];
	unsigned int seen[WORKERS][PAGES];
	unsigned long unknown;
	unsigned long bad_hint;
	unsigned long last_backwards;
	unsigned long reports;
	__u64 max_last;
	int done;
	pthread_barrier_t go;
};

static __u64 cookie_of(int w, int i)
{
	return (__u64)(w + 1) << 32 | i;
}

struct worker_arg {
	struct shared *sh;
	int w;
};

static void *worker_fn(void *arg)
{
	struct worker_arg *wa = arg;
	struct shared *sh = wa->sh;
	char *page;
	int i;

	pthread_barrier_wait(&sh->go);
	for (i = 0; i < PAGES; i++) {
		page = sh->region[wa->w] + i * page_size;
		__atomic_store_n(page, 1, __ATOMIC_RELAXED);
		ASSERT_OK(umn_register(sh->fd, U64(page), U64(page + page_size),
				       cookie_of(wa->w, i)));
		if (i % 4 < 2)
			ASSERT_OK(madvise(page, page_size, MADV_DONTNEED));
		else
			ASSERT_OK(munmap(page, page_size));
		if (i & 1)
			ASSERT_OK(umn_unregister(sh->fd, cookie_of(wa->w, i)));
	}
	return NULL;
}

static void atomic_max(__u64 *v, __u64 val)
{
	__u64 old = __atomic_load_n(v, __ATOMIC_RELAXED);

	while (old < val &&
	       !__atomic_compare_exchange_n(v, &old, val, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* Account for @n reports; *@last is the last LAST counter seen. */
static void account(struct shared *sh, const struct ummunotify_event *ev,
		    int n, __u64 *last)
{
	const struct ummunotify_event *e;
	char *page;
	__u64 w, i;

	for (e = ev; e < ev + n; e++) {
		if (e->type == UMMUNOTIFY_EVENT_TYPE_LAST) {
			if (e->user_cookie_counter < *last)
				__atomic_add_fetch(&sh->last_backwards, 1,
						   __ATOMIC_RELAXED);
			*last = e->user_cookie_counter;
			atomic_max(&sh->max_last, *last);
			continue;
		}
		__atomic_add_fetch(&sh->reports, 1, __ATOMIC_RELAXED);
		w = (e->user_cookie_counter >> 32) - 1;
		i = e->user_cookie_counter & 0xffffffff;
		if (e->type != UMMUNOTIFY_EVENT_TYPE_INVAL || w >= WORKERS ||
		    i >= PAGES) {
			char line[160];

			umn_format(e, line, sizeof(line));
			tap_diag("unknown report: %s", line);
			__atomic_add_fetch(&sh->unknown, 1, __ATOMIC_RELAXED);
			continue;
		}
		__atomic_add_fetch(&sh->seen[w][i], 1, __ATOMIC_RELAXED);
		page = sh->region[w] + i * page_size;
		if (e->flags != UMMUNOTIFY_EVENT_FLAG_HINT ||
		    e->hint_start != U64(page) ||
		    e->hint_end != U64(page + page_size)) {
			char line[160];

			umn_format(e, line, sizeof(line));
			if (__atomic_add_fetch(&sh->bad_hint, 1,
					       __ATOMIC_RELAXED) <= SHOWN)
				tap_diag("expected a hint of exactly its page: %s",
					 line);
		}
	}
}

/* Read until EAGAIN; false if the queue was empty to begin with. */
static bool drain(struct shared *sh, __u64 *last)
{
	struct ummunotify_event ev[READ_BATCH];
	bool any = false;
	ssize_t ret;

	for (;;) {
		ret = read(sh->fd, ev, sizeof(ev));
		if (ret < 0) {
			ASSERT_MSG(errno == EAGAIN, "read: %s",
				   tap_errstr(errno));
			return any;
		}
		ASSERT_MSG(ret > 0 && ret % sizeof(ev[0]) == 0,
			   "read returned %zd", ret);
		account(sh, ev, ret / sizeof(ev[0]), last);
		any = true;
	}
}

static void *reader_fn(void *arg)
{
	struct shared *sh = arg;
	struct pollfd pfd = { .fd = sh->fd, .events = POLLIN };
	__u64 last = 0;

	pthread_barrier_wait(&sh->go);
	for (;;) {
		if (!drain(sh, &last) &&
		    __atomic_load_n(&sh->done, __ATOMIC_ACQUIRE))
			break;
		poll(&pfd, 1, 10);
	}
	return NULL;
}

/*
 * PAGES pages, each a VMA of its own (every other page VM_DONTDUMP), made
 * before anything is registered.  A munmap that splits a VMA makes the
 * kernel invalidate the whole 2 MiB block around each new boundary when the
 * block lies within the VMA, huge page or not (split_huge_pmd_if_needed()
 * in 6.1 and 6.12): with such splits a cookie could rightly be reported
 * twice.  Unmapping a whole VMA splits nothing.
 */
static char *make_region(void)
{
	char *r = mmap(NULL, PAGES * page_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int i;

	ASSERT_MSG(r != MAP_FAILED, "mmap: %s", tap_errstr(errno));
	madvise(r, PAGES * page_size, MADV_NOHUGEPAGE);
	for (i = 1; i < PAGES; i += 2)
		ASSERT_OK(madvise(r + i * page_size, page_size,
				  MADV_DONTDUMP));
	return r;
}

static void test_threads(void)
{
	static struct shared sh;
	struct worker_arg wa[WORKERS];
	pthread_t th[WORKERS + READERS];
	const __u64 *c;
	unsigned long missing = 0, twice = 0, reported = 0;
	__u64 last = 0;
	int w, i, err;

	sh.fd = umn_open();
	ASSERT_OK(fcntl(sh.fd, F_SETFL, O_NONBLOCK));
	c = umn_map_counter(sh.fd);
	for (w = 0; w < WORKERS; w++)
		sh.region[w] = make_region();
	ASSERT_EQ(pthread_barrier_init(&sh.go, NULL, WORKERS + READERS), 0);

	for (w = 0; w < WORKERS; w++) {
		wa[w].sh = &sh;
		wa[w].w = w;
		err = pthread_create(&th[w], NULL, worker_fn, &wa[w]);
		ASSERT_MSG(!err, "pthread_create: %s", tap_errstr(err));
	}
	for (i = 0; i < READERS; i++) {
		err = pthread_create(&th[WORKERS + i], NULL, reader_fn, &sh);
		ASSERT_MSG(!err, "pthread_create: %s", tap_errstr(err));
	}
	for (w = 0; w < WORKERS; w++)
		pthread_join(th[w], NULL);
	__atomic_store_n(&sh.done, 1, __ATOMIC_RELEASE);
	for (i = 0; i < READERS; i++)
		pthread_join(th[WORKERS + i], NULL);
	/* Whatever the readers left. */
	drain(&sh, &last);

	for (w = 0; w < WORKERS; w++) {
		for (i = 0; i < PAGES; i++) {
			unsigned int n = sh.seen[w][i];

			reported += n;
			if (n > 1 && ++twice <= SHOWN)
				tap_diag("cookie %#llx reported %u times",
					 (unsigned long long)cookie_of(w, i), n);
			if (!n && !(i & 1) && ++missing <= SHOWN)
				tap_diag("cookie %#llx never reported",
					 (unsigned long long)cookie_of(w, i));
		}
	}
	tap_diag("%lu reports of %d cookies (%d unregistered after invalidation)",
		 reported, WORKERS * PAGES, WORKERS * PAGES / 2);
	EXPECT_MSG(!missing, "%lu registered cookies never reported", missing);
	EXPECT_MSG(!twice, "%lu cookies reported more than once", twice);
	EXPECT_MSG(!sh.unknown, "%lu reports for unknown cookies", sh.unknown);
	EXPECT_MSG(!sh.bad_hint, "%lu reports with a wrong hint", sh.bad_hint);
	EXPECT_MSG(!sh.last_backwards, "%lu LAST counters went backwards",
		   sh.last_backwards);
	/* One invalidation per cookie, each hitting one registration. */
	EXPECT_EQ(umn_counter(c), WORKERS * PAGES);
	/* The last LAST anyone read carried the final counter. */
	EXPECT_EQ(sh.max_last, WORKERS * PAGES);
	EXPECT_NO_REPORTS(sh.fd);
}

DEFINE_CASES(threads,
	{
		.name = "threads: 6 workers and 2 readers on one fd: every cookie reported once",
		.fn = test_threads,
		.timeout = 600,
	},
);
