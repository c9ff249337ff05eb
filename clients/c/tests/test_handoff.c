/*
 * The handoff of clients/README.md: spawn the sidecar for our own pid, hand
 * it our notification fd, keep no copy, map the counter page; and each way
 * it can fail.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"

/* No fd of ours may reach the daemon: it would keep (say) the target's
 * sockets open behind its back. A marker fd without close-on-exec shows it. */
static void check_daemon_inherits_nothing(int marker)
{
	pid_t kids[8];
	size_t n = children(kids, 8);
	int leaked = 0;

	for (size_t i = 0; i < n; i++) {
		char path[64], link[256];
		ssize_t len;

		snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)kids[i], marker);
		len = readlink(path, link, sizeof(link) - 1);
		if (len < 0)
			continue;
		link[len] = '\0';
		if (strstr(link, "umn-test-marker"))
			leaked++;
	}
	ok(n >= 1 && leaked == 0, "the spawned daemon (%zu child) inherits none of our fds", n);
}

int main(void)
{
	struct umn_client *client;
	struct umn_info info;
	int marker, rc;

	test_begin(19);
	marker = memfd_create("umn-test-marker", 0);
	if (marker < 0)
		bail("memfd_create: %s", strerror(errno));

	client = open_client(NULL, 0, false);
	ok(true, "umn_open spawns a daemon for our pid and attaches");
	check_daemon_inherits_nothing(marker);
	close(marker);
	ok(count_fds_linking("userfaultfd") == 0, "we keep no copy of the notification fd after Attach");
	rc = umn_info(client, &info);
	ok(rc == 0 && info.target_pid == (uint32_t)getpid() && info.target_alive,
	   "GetInfo names us as the live target (pid %u)", info.target_pid);
	ok(info.engine == expected_engine(), "engine is %d, as auto chooses on this machine", info.engine);
	ok(umn_counter_page(client) != NULL && umn_counter_load(umn_counter_page(client)) == info.counter,
	   "the counter page is mapped and agrees with GetInfo");
	ok(info.n_blind_spots > 0 && (info.watchable_mappings & (1u << UMN_MAPPING_ANONYMOUS)),
	   "GetInfo lists blind spots and anonymous memory as watchable");
	umn_info_release(&info);
	{
		struct umn_open_options opts = { .socket = umn_socket_path(client), .no_attach = true };
		struct umn_client *second;

		rc = umn_open(&opts, &second);
		ok(rc == 0 && children(NULL, 0) == 1 && umn_counter_page(second) &&
			   umn_counter_load(umn_counter_page(second)) == umn_counter_load(umn_counter_page(client)),
		   "a second client through umn_socket_path shares the sidecar and its counter");
		if (rc == 0)
			umn_close(second);
		ok(umn_info(client, &info) == 0, "closing it leaves the first client working");
		umn_info_release(&info);
	}
	umn_close(client);

	/* Open first, attach later. */
	client = open_client(NULL, 0, true);
	rc = umn_info(client, &info);
	ok(rc == 0 && info.engine == UMN_ENGINE_UNSPECIFIED && umn_counter_page(client) == NULL,
	   "no_attach: the daemon has no engine and we have no counter page yet");
	umn_info_release(&info);
	rc = umn_attach(client);
	ok(rc == 0 && umn_counter_page(client) != NULL, "umn_attach hands the fd over and maps the counter");
	ok(count_fds_linking("userfaultfd") == 0, "umn_attach keeps no copy either");
	rc = umn_attach(client);
	ok(rc == -EBADFD && umn_last_status() == 9 && count_fds_linking("userfaultfd") == 0,
	   "a second attach fails FAILED_PRECONDITION (-EBADFD) and closes its fd all the same");
	umn_close(client);

	/* Daemon arguments reach the daemon. */
	{
		const char *args[] = { "--max-registrations", "4" };

		client = open_client(args, 2, false);
		rc = umn_info(client, &info);
		ok(rc == 0 && info.max_registrations == 4, "daemon_args reach the daemon (max_registrations %llu)",
		   (unsigned long long)info.max_registrations);
		umn_info_release(&info);
		umn_close(client);
	}

	/* The ways opening fails, each with its errno and a message. */
	{
		const char *args[] = { "--no-such-flag" };
		struct umn_open_options opts = { .daemon_args = args, .n_daemon_args = 1 };

		rc = umn_open(&opts, &client);
		ok(rc == -ECHILD && strstr(umn_last_error(), "exited with status 2"),
		   "a daemon that exits before its ready line: -ECHILD with its status (%s)", umn_last_error());
	}
	{
		struct umn_open_options opts = { .daemon = "/nonexistent/ummunotifyd" };

		rc = umn_open(&opts, &client);
		ok(rc == -ENOENT && umn_last_status() == 0, "a missing daemon executable: -ENOENT (%s)", umn_last_error());
	}
	{
		struct umn_open_options opts = { .daemon = "/bin/true" };

		rc = umn_open(&opts, &client);
		ok(rc == -ECHILD && strstr(umn_last_error(), "exited with status 0"),
		   "a daemon that prints no ready line: -ECHILD (%s)", umn_last_error());
	}
	setenv("UMMUNOTIFY_ENGINE", "bogus", 1);
	rc = umn_open(NULL, &client);
	ok(rc == -EINVAL && strstr(umn_last_error(), "UMMUNOTIFY_ENGINE"),
	   "a bad UMMUNOTIFY_ENGINE: -EINVAL before anything starts (%s)", umn_last_error());
	unsetenv("UMMUNOTIFY_ENGINE");
	ok(children(NULL, 0) == 0, "no daemon is left running by the failed opens");
	return test_end();
}
