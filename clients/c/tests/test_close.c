/*
 * umn_close leaves nothing behind: the spawned daemon is stopped and reaped,
 * and every fd and mapping the client held is released; also when the daemon
 * died first. When the library was gRPC's only user, the last close returns
 * after gRPC has shut down, so a program may exit at once.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <grpc/grpc.h>

#include "harness.h"

/* The first child of pid, or 0. */
static pid_t child_of(pid_t pid)
{
	char path[64];
	FILE *f;
	long child = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%ld", &child) != 1)
		child = 0;
	fclose(f);
	return (pid_t)child;
}

int main(void)
{
	struct umn_client *client;
	pid_t kids[4];
	size_t n;
	int fds, maps;
	int64_t t0;
	char sock[128];
	struct stat st;

	test_begin(10);
	/* gRPC starts process-wide threads and fds on first use; count after. */
	umn_close(open_client(NULL, 0, false));
	ok(!grpc_is_initialized(), "after the last close gRPC is shut down, not still tearing down on its threads");
	fds = count_fds();
	maps = count_maps_lines("memfd:");

	/* A daemon that died under us: close still returns, at once. Where a
	 * launcher (tsx) runs the daemon proper as its child, kill that one, and
	 * the launcher exits with it. */
	client = open_client(NULL, 0, false);
	n = children(kids, 4);
	{
		pid_t daemon = n == 1 ? child_of(kids[0]) : 0;

		if (n == 1 && daemon <= 0)
			daemon = kids[0];

		if (daemon > 0)
			kill(daemon, SIGKILL);
		usleep(200000);
		t0 = now_ms();
		umn_close(client);
		ok(daemon > 0 && now_ms() - t0 < 5000 && children(NULL, 0) == 0,
		   "closing after the daemon was killed returns promptly (%lld ms) and reaps it",
		   (long long)(now_ms() - t0));
	}

	/* The usual case, which also gives gRPC time to finish tearing down the
	 * dead connection before the fds are counted and the process exits. */
	client = open_client(NULL, 0, false);
	n = children(kids, 4);
	ok(n == 1 && kill(kids[0], 0) == 0, "umn_open spawned one daemon (pid %d)", n ? (int)kids[0] : -1);
	/* The daemon's default place (daemon/src/paths.ts). */
	snprintf(sock, sizeof(sock), "/run/ummunotify/%d.sock", (int)getpid());
	if (geteuid() != 0)
		snprintf(sock, sizeof(sock), "%s/ummunotify/%d.sock", getenv("XDG_RUNTIME_DIR"), (int)getpid());
	ok(stat(sock, &st) == 0, "it serves %s", sock);
	t0 = now_ms();
	umn_close(client);
	ok(children(NULL, 0) == 0 && kill(kids[0], 0) == -1 && errno == ESRCH,
	   "umn_close stopped and reaped it (%lld ms)", (long long)(now_ms() - t0));
	ok(stat(sock, &st) != 0, "its socket is gone");
	ok(count_fds() == fds, "every fd of both clients is closed (%d open, %d before)", count_fds(), fds);
	ok(count_maps_lines("memfd:") == maps, "both counter pages are unmapped");

	/* gRPC state the application holds is not ours to wait for. */
	grpc_init();
	client = open_client(NULL, 0, false);
	t0 = now_ms();
	umn_close(client);
	ok(grpc_is_initialized() && now_ms() - t0 < 2500,
	   "with the application using gRPC too, close leaves it up and does not wait for it (%lld ms)",
	   (long long)(now_ms() - t0));
	grpc_shutdown_blocking();

	umn_close(NULL);
	ok(true, "umn_close(NULL) does nothing");
	return test_end();
}
