/*
 * StreamEvents through umn_stream_*: reports arrive as they happen, each
 * subscriber has its own queue, a timeout loses nothing, and closing a stream
 * drops the subscriber at the daemon at once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"

int main(void)
{
	struct umn_client *client;
	struct umn_stream *s1, *s2, *bad;
	size_t p = page_size();
	struct umn_report r, rs[4];
	int64_t t0;
	char *a;
	int rc;

	test_begin(13);
	/* One daemon per target: the not-attached case first, then attach. */
	client = open_client(NULL, 0, true);
	bad = NULL;
	rc = umn_stream_open(client, &bad);
	ok(rc == -EBADFD && umn_last_status() == 9 && bad == NULL,
	   "a stream before attach is refused at open: FAILED_PRECONDITION (%s)", umn_last_error());
	ok(umn_attach(client) == 0 && wait_subscribers(client, 0), "attach; the failed stream left no subscriber");

	rc = umn_stream_open(client, &s1);
	ok(rc == 0 && wait_subscribers(client, 1), "umn_stream_open: the daemon counts one subscriber");

	t0 = now_ms();
	rc = umn_stream_next(s1, &r, 200);
	ok(rc == 0 && now_ms() - t0 >= 190, "nothing happened: 0 after the timeout (%lld ms)", (long long)(now_ms() - t0));
	rc = umn_stream_next(s1, &r, 0);
	ok(rc == 0, "a zero timeout only takes what has arrived");

	rc = umn_stream_open(client, &s2);
	ok(rc == 0 && wait_subscribers(client, 2), "a second subscriber");
	a = map_pages(2);
	umn_register(client, (uintptr_t)a, 2 * p, 7);
	munmap(a, p);
	rc = umn_stream_next(s1, &r, 5000);
	ok(rc == 1 && r.kind == UMN_REPORT_INVALIDATION && r.cookie == 7 && r.hint && r.start == (uintptr_t)a &&
		   r.end == (uintptr_t)a + p && r.n_sources == 1 && r.sources[0] == UMN_SOURCE_UNMAP,
	   "munmap reaches the first stream as it happens");
	rc = umn_stream_next(s2, &r, 5000);
	ok(rc == 1 && r.cookie == 7, "and the second, from its own queue");
	rc = (int)umn_read_events(client, rs, 4);
	ok(rc == 2 && rs[0].cookie == 7, "streams do not drain the ReadEvents queue");

	/*
	 * A stream read right after Unregister: the batch naming the cookie is
	 * sent at once, so it is on its way (or already here) when
	 * umn_unregister() returns. s2 must drop it; a marker registered after
	 * the Unregister is the first thing it may hand over.
	 */
	{
		bool fenced = true;
		char *b;

		/* Cookie 7 watches where the new page may land. */
		umn_unregister(client, 7);
		b = map_pages(1);
		while (umn_stream_next(s2, &r, 0) == 1)
			;
		for (uint64_t round = 0; round < 5; round++) {
			umn_register(client, (uintptr_t)b, p, 20 + round);
			madvise(b, p, MADV_DONTNEED);
			usleep(200 * 1000);
			if (umn_unregister(client, 20 + round) != 0)
				fenced = false;
			umn_register(client, (uintptr_t)b, p, 40 + round);
			madvise(b, p, MADV_DONTNEED);
			rc = umn_stream_next(s2, &r, 5000);
			if (rc != 1 || r.cookie != 40 + round) {
				diag("round %llu: got rc %d cookie %llu", (unsigned long long)round, rc, (unsigned long long)r.cookie);
				fenced = false;
			}
			umn_unregister(client, 40 + round);
		}
		ok(fenced, "after umn_unregister() returns, the stream never hands over a report for the cookie (5 rounds)");
		munmap(b, p);
	}
	{
		bool seen = false;
		char *b = map_pages(1);

		/* A cookie used before, registered again, is reported as usual. */
		umn_register(client, (uintptr_t)b, p, 20);
		madvise(b, p, MADV_DONTNEED);
		while (!seen && umn_stream_next(s2, &r, 5000) == 1)
			seen = r.cookie == 20;
		ok(seen, "a cookie registered again after its Unregister is reported");
		umn_unregister(client, 20);
		munmap(b, p);
	}

	umn_stream_close(s2);
	ok(wait_subscribers(client, 1), "closing a stream drops its subscriber at the daemon");
	umn_stream_close(s1);
	ok(wait_subscribers(client, 0), "and the other");

	munmap(a, 2 * p);
	umn_close(client);
	return test_end();
}
