/*
 * Batches are one call and all or nothing: a refused entry leaves every other
 * entry of the batch unregistered (or registered, for Unregister).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "harness.h"

static struct umn_client *client;

static uint64_t registrations(void)
{
	struct umn_info info;
	uint64_t n;

	if (umn_info(client, &info) < 0)
		bail("umn_info: %s", umn_last_error());
	n = info.registrations;
	umn_info_release(&info);
	return n;
}

static bool failed_with(int rc, int status, int err, const char *errno_name)
{
	const char *name = umn_last_errno_name();
	bool match = rc == -err && umn_last_status() == status && name && strcmp(name, errno_name) == 0;

	if (!match)
		diag("rc %d (%s), status %s, errno name %s: %s", rc, strerror(-rc), umn_status_name(umn_last_status()),
		     name ? name : "(none)", umn_last_error());
	return match;
}

int main(void)
{
	const char *args[] = { "--max-registrations", "5" };
	size_t p = page_size();
	char *a;
	int rc;

	test_begin(8);
	client = open_client(args, 2, false);
	a = map_pages(4);

	{
		struct umn_range batch[] = { { (uintptr_t)a, p, 1 }, { (uintptr_t)a + p, p, 2 }, { (uintptr_t)a + 2 * p, p, 3 } };

		rc = umn_register_batch(client, batch, 3);
		ok(rc == 0 && registrations() == 3, "a batch of three registers all three");
	}
	{
		struct umn_range batch[] = { { (uintptr_t)a, p, 4 }, { (uintptr_t)a, p, 4 } };

		rc = umn_register_batch(client, batch, 2);
		ok(failed_with(rc, 3, EINVAL, "EINVAL") && registrations() == 3,
		   "a cookie twice in one batch: INVALID_ARGUMENT, nothing registered");
	}
	{
		struct umn_range batch[] = { { (uintptr_t)a + 3 * p, p, 5 }, { (uintptr_t)a, p, 1 } };

		rc = umn_register_batch(client, batch, 2);
		ok(failed_with(rc, 6, EINVAL, "EINVAL") && registrations() == 3,
		   "a cookie already held: ALREADY_EXISTS (errno EINVAL), the new entry not registered either");
	}
	{
		/* Just above mmap_min_addr, where nothing is mapped; memory we
		 * unmap ourselves may be reused at once (valgrind does). */
		struct umn_range batch[] = { { (uintptr_t)a + 3 * p, p, 6 }, { 0x10000, p, 7 } };

		rc = umn_register_batch(client, batch, 2);
		ok(rc < 0 && umn_last_status() == 9 && registrations() == 3,
		   "unmapped memory in the batch: FAILED_PRECONDITION, the mapped entry not registered either (%s)",
		   umn_last_error());
	}
	{
		struct umn_range batch[] = { { (uintptr_t)a + 3 * p, p, 8 }, { (uintptr_t)a + 3 * p, 1, 9 },
					     { (uintptr_t)a + 3 * p, 2, 10 } };

		rc = umn_register_batch(client, batch, 3);
		ok(failed_with(rc, 8, ENOSPC, "ENOSPC") && registrations() == 3,
		   "three more than --max-registrations 5 allows: RESOURCE_EXHAUSTED (-ENOSPC), none registered");
	}
	rc = umn_register_batch(client, NULL, 0);
	ok(rc == 0 && registrations() == 3, "an empty batch is a successful no-op");

	rc = umn_unregister_batch(client, (const uint64_t[]){ 1, 2, 99 }, 3);
	ok(failed_with(rc, 5, EINVAL, "EINVAL") && registrations() == 3,
	   "unregistering an unknown cookie in a batch: NOT_FOUND, the known ones stay registered");
	rc = umn_unregister_batch(client, (const uint64_t[]){ 1, 2, 3 }, 3);
	ok(rc == 0 && registrations() == 0, "unregistering the three in one batch");

	munmap(a, 4 * p);
	umn_close(client);
	return test_end();
}
