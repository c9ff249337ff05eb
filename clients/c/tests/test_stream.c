/*
 * StreamEvents through umn_stream_*: reports arrive as they happen, each
 * subscriber has its own queue, a timeout loses nothing, and closing a stream
 * drops the subscriber at the daemon at once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>

#include "harness.h"

int main(void)
{
	struct umn_client *client;
	struct umn_stream *s1, *s2, *bad;
	size_t p = page_size();
	struct umn_report r, rs[4];
	int64_t t0;
	char *a;
	int rc, rc2;

	test_begin(11);
	/* One daemon per target: the not-attached case first, then attach. */
	client = open_client(NULL, 0, true);
	rc = umn_stream_open(client, &bad);
	rc2 = rc == 0 ? umn_stream_next(bad, &r, 5000) : rc;
	ok(rc == 0 && rc2 == -EBADFD && umn_last_status() == 9,
	   "a stream before attach fails FAILED_PRECONDITION on its first read (%s)", umn_last_error());
	umn_stream_close(bad);
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

	umn_stream_close(s2);
	ok(wait_subscribers(client, 1), "closing a stream drops its subscriber at the daemon");
	umn_stream_close(s1);
	ok(wait_subscribers(client, 0), "and the other");

	munmap(a, 2 * p);
	umn_close(client);
	return test_end();
}
