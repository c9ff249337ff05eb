/*
 * Register, read, unregister against the real daemon: what each kind of
 * invalidation reports, how reports coalesce, and that a small buffer loses
 * nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"

static struct umn_client *client;

/* Reads until the Last report with a buffer of max reports; returns the count. */
static ssize_t drain(struct umn_report *out, size_t room, size_t max)
{
	size_t n = 0;

	for (int calls = 0; calls < 100; calls++) {
		ssize_t got = umn_read_events(client, out + n, room - n < max ? room - n : max);

		if (got < 0) {
			diag_last_error("umn_read_events");
			return got;
		}
		n += (size_t)got;
		if (got == 0 || out[n - 1].kind == UMN_REPORT_LAST)
			return (ssize_t)n;
	}
	return (ssize_t)n;
}

static const struct umn_report *find(const struct umn_report *r, ssize_t n, uint64_t cookie)
{
	for (ssize_t i = 0; i < n; i++)
		if (r[i].kind == UMN_REPORT_INVALIDATION && r[i].cookie == cookie)
			return &r[i];
	return NULL;
}

int main(void)
{
	size_t p = page_size();
	struct umn_report r[16];
	const struct umn_report *inv;
	char *a;
	ssize_t n;
	int rc;

	test_begin(13);
	client = open_client(NULL, 0, false);

	n = umn_read_events(client, r, 16);
	ok(n == 0, "nothing pending: an empty answer (%zd reports)", n);

	a = map_pages(4);
	rc = umn_register(client, (uintptr_t)a, 4 * p, 1);
	ok(rc == 0, "register 4 pages as cookie 1");
	munmap(a + p, p);
	n = umn_read_events(client, r, 16);
	ok(n == 2 && r[0].kind == UMN_REPORT_INVALIDATION && r[0].cookie == 1 && r[0].hint &&
		   r[0].start == (uintptr_t)a + p && r[0].end == (uintptr_t)a + 2 * p && r[0].n_sources == 1 &&
		   r[0].sources[0] == UMN_SOURCE_UNMAP,
	   "munmap of page 1: one hinted report of exactly that page, source unmap");
	ok(n == 2 && r[1].kind == UMN_REPORT_LAST && r[1].counter == umn_counter_load(umn_counter_page(client)),
	   "then Last with the counter on the page (%llu)", n == 2 ? (unsigned long long)r[1].counter : 0ULL);

	madvise(a, p, MADV_DONTNEED);
	madvise(a + 2 * p, p, MADV_DONTNEED);
	n = umn_read_events(client, r, 16);
	ok(n == 2 && r[0].cookie == 1 && !r[0].hint && r[0].start == (uintptr_t)a && r[0].end == (uintptr_t)a + 4 * p &&
		   r[0].n_sources == 1 && r[0].sources[0] == UMN_SOURCE_MADVISE,
	   "two madvise(DONTNEED): coalesced into one report without hint, the whole registration");

	rc = umn_unregister(client, 1);
	madvise(a, p, MADV_DONTNEED);
	n = umn_read_events(client, r, 16);
	ok(rc == 0 && n == 0, "after unregister nothing is reported for the cookie (%zd reports)", n);
	munmap(a, 4 * p);

	/* Unaligned bytes: any page they overlap counts. */
	a = map_pages(2);
	rc = umn_register(client, (uintptr_t)a + 100, 200, 2);
	munmap(a, p);
	n = umn_read_events(client, r, 16);
	ok(rc == 0 && n == 2 && r[0].cookie == 2 && r[0].hint && r[0].start == (uintptr_t)a + 100 &&
		   r[0].end == (uintptr_t)a + 300,
	   "unaligned registration: hit by munmap of its page, hint clipped to its bytes");
	rc = umn_unregister(client, 2);
	munmap(a, 2 * p);

	/* mremap moving the range away invalidates the old range. */
	{
		char *b = map_pages(2), *c = map_pages(2);
		void *moved;

		rc = umn_register(client, (uintptr_t)b, 2 * p, 3);
		moved = mremap(b, 2 * p, 2 * p, MREMAP_MAYMOVE | MREMAP_FIXED, c);
		n = umn_read_events(client, r, 16);
		inv = find(r, n, 3);
		ok(rc == 0 && moved == c && inv && inv->n_sources == 1 && inv->sources[0] == UMN_SOURCE_MREMAP,
		   "mremap moving the range away: source mremap");
		umn_unregister(client, 3);
		munmap(c, 2 * p);
	}

	/* A buffer of one report at a time loses nothing. */
	{
		struct umn_report all[16];
		bool every = true;

		a = map_pages(5);
		for (uint64_t i = 0; i < 5; i++)
			umn_register(client, (uintptr_t)a + i * p, p, 10 + i);
		munmap(a, 5 * p);
		n = drain(all, 16, 1);
		for (uint64_t i = 0; i < 5; i++)
			every = every && find(all, n, 10 + i);
		ok(n == 6 && every && all[5].kind == UMN_REPORT_LAST,
		   "five invalidations read one report per call: all five, then Last (%zd)", n);
		umn_unregister_batch(client, (const uint64_t[]){ 10, 11, 12, 13, 14 }, 5);
	}

	/* umn_read_events_all drains everything in one call. */
	{
		struct umn_report *all = NULL;
		bool every = true;

		a = map_pages(3);
		for (uint64_t i = 0; i < 3; i++)
			umn_register(client, (uintptr_t)a + i * p, p, 20 + i);
		munmap(a, 3 * p);
		n = umn_read_events_all(client, &all);
		for (uint64_t i = 0; i < 3; i++)
			every = every && n > 0 && find(all, n, 20 + i);
		ok(n == 4 && every && all[3].kind == UMN_REPORT_LAST, "umn_read_events_all: three reports and Last");
		free(all);
		/* As a cache would: the stale registrations would otherwise
		 * also match whatever is mapped at those addresses next. */
		umn_unregister_batch(client, (const uint64_t[]){ 20, 21, 22 }, 3);
		n = umn_read_events_all(client, &all);
		ok(n == 0 && all == NULL, "umn_read_events_all with nothing pending: 0 and no array");
	}

	/* Overlapping registrations under different cookies each get a report. */
	a = map_pages(2);
	rc = umn_register(client, (uintptr_t)a, 2 * p, 30) | umn_register(client, (uintptr_t)a, p, 31);
	munmap(a, 2 * p);
	n = umn_read_events(client, r, 16);
	ok(rc == 0 && n == 3 && find(r, n, 30) && find(r, n, 31), "overlapping registrations: one report each");

	{
		struct umn_info info;

		umn_info(client, &info);
		/* cookies 30 and 31, invalidated but not unregistered */
		ok(info.registrations == 2 && info.pending_reports == 0,
		   "GetInfo counts what is held (%llu) and nothing pending",
		   (unsigned long long)info.registrations);
		umn_info_release(&info);
	}
	umn_close(client);
	return test_end();
}
