/*
 * A sidecar started for us by somebody else (UMMUNOTIFY_SOCKET): umn_open
 * connects and attaches, and umn_close leaves that daemon running. A second
 * client shares the counter page; a stream ends cleanly when the daemon stops.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

extern char **environ;

/* Starts the daemon for our pid as a supervisor would; returns its pid and
 * socket path (from its ready line). */
static pid_t start_daemon(char *socket, size_t room)
{
	char pid_text[24], line[1024];
	char *argv[] = { (char *)getenv("UMMUNOTIFYD"), "--pid", pid_text, NULL };
	posix_spawn_file_actions_t fa;
	const char *key = "\"socket\":\"", *begin, *end;
	int out[2];
	pid_t pid;
	FILE *f;

	snprintf(pid_text, sizeof(pid_text), "%d", (int)getpid());
	if (pipe2(out, O_CLOEXEC) != 0)
		bail("pipe2: %s", strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ) != 0)
		bail("spawning %s", argv[0]);
	posix_spawn_file_actions_destroy(&fa);
	close(out[1]);
	f = fdopen(out[0], "r");
	if (!f || !fgets(line, sizeof(line), f))
		bail("no ready line from the daemon");
	fclose(f);
	begin = strstr(line, key);
	end = begin ? strchr(begin + strlen(key), '"') : NULL;
	if (!end || (size_t)(end - begin) >= room + strlen(key))
		bail("unexpected ready line: %s", line);
	begin += strlen(key);
	memcpy(socket, begin, (size_t)(end - begin));
	socket[end - begin] = '\0';
	return pid;
}

int main(void)
{
	struct umn_client *client, *second;
	struct umn_stream *stream;
	struct umn_report r;
	struct umn_info info;
	size_t p = page_size();
	char socket[512];
	pid_t daemon;
	int64_t t0;
	char *a;
	int rc, status;

	test_begin(8);
	daemon = start_daemon(socket, sizeof(socket));
	setenv("UMMUNOTIFY_SOCKET", socket, 1);

	rc = umn_open(NULL, &client);
	ok(rc == 0, "umn_open connects to UMMUNOTIFY_SOCKET=%s and attaches", socket);
	if (rc < 0)
		bail("umn_open: %s", umn_last_error());
	ok(children(NULL, 0) == 1, "and spawns no daemon of its own");
	a = map_pages(1);
	rc = umn_register(client, (uintptr_t)a, p, 1);
	umn_info(client, &info);
	ok(rc == 0 && info.registrations == 1 && info.target_pid == (uint32_t)getpid(), "registers through it");
	umn_info_release(&info);

	rc = umn_open(&(struct umn_open_options){ .no_attach = true }, &second);
	ok(rc == 0 && umn_counter_page(second) != NULL &&
		   umn_counter_load(umn_counter_page(second)) == umn_counter_load(umn_counter_page(client)),
	   "a second client (no_attach) of the attached daemon maps the same counter");
	umn_close(second);
	umn_close(client);
	ok(waitpid(daemon, &status, WNOHANG) == 0, "umn_close leaves a daemon it did not start running");

	rc = umn_open(&(struct umn_open_options){ .no_attach = true }, &client);
	rc = rc == 0 ? umn_stream_open(client, &stream) : rc;
	ok(rc == 0 && wait_subscribers(client, 1), "a stream on the running daemon");
	kill(daemon, SIGTERM);
	t0 = now_ms();
	rc = umn_stream_next(stream, &r, 5000);
	ok(rc == -EPIPE, "the daemon stopping ends the stream cleanly: -EPIPE (%d, %lld ms)", rc,
	   (long long)(now_ms() - t0));
	umn_stream_close(stream);
	umn_close(client);
	waitpid(daemon, &status, 0);
	unsetenv("UMMUNOTIFY_SOCKET");

	munmap(a, p);
	setenv("UMMUNOTIFY_SOCKET", socket, 1);
	rc = umn_open(NULL, &client);
	ok(rc == -ENOENT, "UMMUNOTIFY_SOCKET naming a socket nobody serves: -ENOENT (%s)", umn_last_error());
	return test_end();
}
