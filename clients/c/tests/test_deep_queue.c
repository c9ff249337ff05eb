/*
 * umn_read_events_all() never loses a report: one reply holds at most the
 * daemon's max_reports_per_read reports, and the call asks again until Last,
 * however deep the queue.  What must never happen: a reply too big for
 * gRPC's 4 MiB receive limit drains the queue and is then refused, losing
 * every report in it.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "harness.h"

#define PENDING 200000
#define BATCH 50000

static uint64_t pending_reports(struct umn_client *client)
{
	struct umn_info info;
	uint64_t n;

	if (umn_info(client, &info) < 0)
		bail("umn_info: %s", umn_last_error());
	n = info.pending_reports;
	umn_info_release(&info);
	return n;
}

/* PENDING registrations on one page, then one madvise of it. */
static void queue_reports(struct umn_client *client, char *page)
{
	struct umn_range *batch = calloc(BATCH, sizeof(*batch));

	if (!batch)
		bail("calloc");
	for (uint64_t first = 0; first < PENDING; first += BATCH) {
		for (uint64_t i = 0; i < BATCH; i++)
			batch[i] = (struct umn_range){ (uintptr_t)page, page_size(), first + i + 1 };
		if (umn_register_batch(client, batch, BATCH) < 0)
			bail("umn_register_batch: %s", umn_last_error());
	}
	free(batch);
	if (madvise(page, page_size(), MADV_DONTNEED) != 0)
		bail("madvise");
}

static bool each_cookie_once(const struct umn_report *r, size_t n)
{
	unsigned char *seen = calloc(PENDING + 1, 1);
	bool good = seen != NULL;

	for (size_t i = 0; good && i < n; i++) {
		if (r[i].kind != UMN_REPORT_INVALIDATION)
			continue;
		good = r[i].cookie >= 1 && r[i].cookie <= PENDING && !seen[r[i].cookie];
		if (good)
			seen[r[i].cookie] = 1;
	}
	free(seen);
	return good;
}

int main(void)
{
	struct umn_client *client;
	struct umn_report *reports = NULL;
	char *page;
	ssize_t n;

	test_begin(5);
	client = open_client(NULL, 0, false);
	page = map_pages(1);
	queue_reports(client, page);
	ok(pending_reports(client) == PENDING, "%d reports are queued", PENDING);

	n = umn_read_events_all(client, &reports);
	if (n < 0)
		diag_last_error("umn_read_events_all");
	ok(n == PENDING + 1, "umn_read_events_all returns them all and Last: %zd reports", n);
	ok(n == PENDING + 1 && reports[n - 1].kind == UMN_REPORT_LAST && each_cookie_once(reports, (size_t)n - 1),
	   "each cookie once, then Last at the end");
	free(reports);
	ok(pending_reports(client) == 0, "the queue is empty afterwards");
	reports = NULL;
	n = umn_read_events_all(client, &reports);
	ok(n == 0 && reports == NULL, "and a second call finds nothing");
	free(reports);

	munmap(page, page_size());
	umn_close(client);
	return test_end();
}
