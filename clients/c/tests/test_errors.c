/*
 * What a caller learns from a failure: the negative errno returned, the gRPC
 * status, the daemon's errno name and message; local failures with status 0;
 * and that the last error belongs to the thread that failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "harness.h"

static bool expect(int rc, int err, int status, const char *errno_name, const char *in_message)
{
	const char *name = umn_last_errno_name();
	bool match = rc == -err && umn_last_status() == status &&
		     (errno_name ? name && strcmp(name, errno_name) == 0 : name == NULL) &&
		     strstr(umn_last_error(), in_message) != NULL;

	if (!match)
		diag("got rc %d (%s), status %s, errno name %s, message \"%s\"", rc, strerror(-rc),
		     umn_status_name(umn_last_status()), name ? name : "(none)", umn_last_error());
	return match;
}

static void *fail_in_thread(void *arg)
{
	struct umn_client *client = arg;

	umn_unregister(client, 424242);
	return (void *)(intptr_t)umn_last_status();
}

int main(void)
{
	struct umn_client *client;
	size_t p = page_size();
	struct umn_report r;
	char *a;
	int rc;

	test_begin(15);
	/* One daemon per target: the not-attached cases first, then attach. */
	client = open_client(NULL, 0, true);
	a = map_pages(1);
	rc = umn_register(client, (uintptr_t)a, p, 3);
	ok(expect(rc, EBADFD, 9, NULL, "not attached"),
	   "not attached: FAILED_PRECONDITION without errno maps to -EBADFD");
	rc = (int)umn_read_events(client, &r, 1);
	ok(expect(rc, EBADFD, 9, NULL, "not attached"), "reading before attach: the same");
	rc = umn_attach(client);
	ok(rc == 0, "attach");

	ok(strcmp(umn_status_name(3), "INVALID_ARGUMENT") == 0 && strcmp(umn_status_name(9), "FAILED_PRECONDITION") == 0 &&
		   strcmp(umn_status_name(0), "OK") == 0 && strcmp(umn_status_name(99), "UNKNOWN_STATUS") == 0,
	   "umn_status_name names the codes");

	rc = umn_register(client, (uintptr_t)a, 0, 1);
	ok(expect(rc, EINVAL, 3, "EINVAL", "must be below end"), "empty range: -EINVAL, INVALID_ARGUMENT, EINVAL, why");
	rc = umn_register(client, 0x800000000000ULL, p, 1);
	ok(expect(rc, EINVAL, 3, "EINVAL", "beyond the user address space"),
	   "beyond user space: -EINVAL, INVALID_ARGUMENT");
	rc = umn_register(client, (uintptr_t)a, p, 1);
	rc = umn_register(client, (uintptr_t)a, p, 1);
	ok(expect(rc, EINVAL, 6, "EINVAL", "already registered"),
	   "duplicate cookie: ALREADY_EXISTS with the ABI's EINVAL (the daemon's errno wins)");
	rc = umn_unregister(client, 77);
	ok(expect(rc, EINVAL, 5, "EINVAL", "not registered"), "unknown cookie: NOT_FOUND, errno EINVAL");
	rc = umn_register(client, 0x10000, p, 2);
	ok(expect(rc, EINVAL, 9, "EINVAL", "not mapped"), "unmapped memory: FAILED_PRECONDITION, with the kernel's errno");

	rc = (int)umn_read_events(client, &r, 0);
	ok(expect(rc, EINVAL, 0, NULL, "at least one report"), "a zero-report buffer is refused locally: status 0");
	rc = umn_register(client, UINT64_MAX - 10, 100, 4);
	ok(expect(rc, EINVAL, 0, NULL, "overflows"), "a range that wraps past 2^64 is refused locally");
	{
		struct umn_open_options opts = { .socket = "/nonexistent/ummunotify.sock" };
		struct umn_client *none;

		rc = umn_open(&opts, &none);
		ok(expect(rc, ENOENT, 0, NULL, "/nonexistent/ummunotify.sock"), "a socket that does not exist: -ENOENT at once");
	}

	/* Per-thread: another thread's failure does not overwrite ours. */
	rc = umn_register(client, (uintptr_t)a, 0, 5);
	{
		pthread_t thread;
		void *status;

		pthread_create(&thread, NULL, fail_in_thread, client);
		pthread_join(thread, &status);
		ok((intptr_t)status == 5, "the other thread sees its own failure (NOT_FOUND)");
		ok(expect(rc, EINVAL, 3, "EINVAL", "must be below end"), "this thread still sees its own (INVALID_ARGUMENT)");
	}
	rc = umn_unregister(client, 1);
	ok(rc == 0 && expect(-EINVAL, EINVAL, 3, "EINVAL", "must be below end"), "a success leaves the last error alone, as errno");

	munmap(a, p);
	umn_close(client);
	return test_end();
}
