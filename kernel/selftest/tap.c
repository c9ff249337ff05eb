// SPDX-License-Identifier: GPL-2.0
/*
 * TAP output and the case runner: each case is forked into a process group
 * of its own, with an alarm as its time limit; whatever it leaves behind
 * (grandchildren included) is killed and reaped before the next case.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "tap.h"

static int tap_failures;

bool tap_failed(void)
{
	return __atomic_load_n(&tap_failures, __ATOMIC_RELAXED) != 0;
}

/* Print @text as "# " lines, in one stdio call so lines do not interleave. */
static void tap_print_diag(const char *text)
{
	char out[4096];
	size_t len = 0;
	const char *p = text;

	while (*p && len + 4 < sizeof(out)) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (n > sizeof(out) - len - 4)
			n = sizeof(out) - len - 4;
		out[len++] = '#';
		out[len++] = ' ';
		memcpy(out + len, p, n);
		len += n;
		out[len++] = '\n';
		p += n;
		if (*p == '\n')
			p++;
	}
	out[len] = '\0';
	fputs(out, stdout);
	fflush(stdout);
}

void tap_diag(const char *fmt, ...)
{
	char text[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	tap_print_diag(text);
}

void tap_fail_at(const char *file, int line, const char *fmt, ...)
{
	char text[4096];
	int len;
	va_list ap;

	__atomic_add_fetch(&tap_failures, 1, __ATOMIC_RELAXED);
	if (strrchr(file, '/'))
		file = strrchr(file, '/') + 1;
	len = snprintf(text, sizeof(text), "%s:%d: ", file, line);
	va_start(ap, fmt);
	vsnprintf(text + len, sizeof(text) - len, fmt, ap);
	va_end(ap);
	tap_print_diag(text);
}

_Noreturn void tap_abort(void)
{
	fflush(stdout);
	exit(1);
}

pid_t tap_fork(void)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		__atomic_store_n(&tap_failures, 0, __ATOMIC_RELAXED);
	return pid;
}

_Noreturn void tap_child_exit(void)
{
	fflush(stdout);
	_exit(tap_failed() ? 1 : 0);
}

bool tap_wait_child(pid_t pid, const char *what)
{
	int status;
	pid_t ret;

	do {
		ret = waitpid(pid, &status, 0);
	} while (ret < 0 && errno == EINTR);
	if (ret != pid) {
		tap_fail_at(__FILE__, __LINE__, "waitpid for %s: %s", what,
			    tap_errstr(errno));
		return false;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return true;
	if (WIFSIGNALED(status))
		tap_fail_at(__FILE__, __LINE__, "%s killed by signal %d (%s)",
			    what, WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		tap_fail_at(__FILE__, __LINE__, "%s failed (exit status %d)",
			    what, WEXITSTATUS(status));
	return false;
}

const char *tap_errstr(int err)
{
	static __thread char buf[96];
	const char *name = strerrorname_np(err);
	const char *desc = strerrordesc_np(err);

	snprintf(buf, sizeof(buf), "%s (%s)", name ? name : "?",
		 desc ? desc : "unknown error");
	return buf;
}

bool tap_check(bool ok, const char *expr, const char *file, int line)
{
	if (!ok)
		tap_fail_at(file, line, "check failed: %s", expr);
	return ok;
}

bool tap_check_eq(unsigned long long seen, unsigned long long want,
		  const char *seen_expr, const char *want_expr,
		  const char *file, int line)
{
	char num[32];

	if (seen == want)
		return true;
	/* Name the expected expression unless it is just the number. */
	snprintf(num, sizeof(num), "%llu", want);
	if (!strcmp(num, want_expr))
		tap_fail_at(file, line, "%s: expected %llu (%#llx), got %llu (%#llx)",
			    seen_expr, want, want, seen, seen);
	else
		tap_fail_at(file, line,
			    "%s: expected %s = %llu (%#llx), got %llu (%#llx)",
			    seen_expr, want_expr, want, want, seen, seen);
	return false;
}

bool tap_check_ok(long ret, int err, const char *expr,
		  const char *file, int line)
{
	if (ret >= 0)
		return true;
	tap_fail_at(file, line, "%s: expected success, got %ld, errno %s",
		    expr, ret, tap_errstr(err));
	return false;
}

bool tap_check_errno(long ret, int err, int want, const char *expr,
		     const char *file, int line)
{
	char wanted[96];

	if (ret == -1 && err == want)
		return true;
	snprintf(wanted, sizeof(wanted), "%s", tap_errstr(want));
	if (ret != -1)
		tap_fail_at(file, line,
			    "%s: expected failure with %s, got success (%ld)",
			    expr, wanted, ret);
	else
		tap_fail_at(file, line,
			    "%s: expected failure with %s, got errno %s",
			    expr, wanted, tap_errstr(err));
	return false;
}

static bool tap_selected(const char *name, char *const *filters,
			 int nfilters)
{
	int i;

	if (!nfilters)
		return true;
	for (i = 0; i < nfilters; i++)
		if (strstr(name, filters[i]))
			return true;
	return false;
}

static double tap_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* SIGKILL every child of ours (orphans of a case are reparented to us). */
static void tap_kill_children(void)
{
	char path[300], buf[512], *p;
	struct dirent *de;
	DIR *proc = opendir("/proc");
	int fd, ppid;
	ssize_t n;

	if (!proc)
		return;
	while ((de = readdir(proc))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		/* "pid (comm) state ppid ...": comm may hold anything. */
		p = strrchr(buf, ')');
		if (p && sscanf(p + 1, " %*c %d", &ppid) == 1 &&
		    ppid == getpid())
			kill(atoi(de->d_name), SIGKILL);
	}
	closedir(proc);
}

/*
 * Kill what is left of the case: its process group, and whatever left the
 * group and was orphaned (we are the subreaper); reap all of it.
 */
static void tap_reap_leftovers(pid_t pgrp)
{
	int i;

	kill(-pgrp, SIGKILL);
	for (i = 0; i < 500; i++) {
		pid_t pid = waitpid(-1, NULL, WNOHANG);

		if (pid < 0)
			return;
		if (pid == 0) {
			tap_kill_children();
			usleep(10000);
		}
	}
	tap_diag("leftover processes of the case could not be reaped");
}

static bool tap_run_one(const struct tap_case *c, unsigned int num)
{
	unsigned int timeout = c->timeout ? c->timeout : TAP_DEFAULT_TIMEOUT;
	double start = tap_now();
	int status;
	pid_t pid, ret;
	bool ok;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		tap_diag("fork: %s", tap_errstr(errno));
		return false;
	}
	if (pid == 0) {
		setpgid(0, 0);
		alarm(timeout);
		c->fn();
		fflush(stdout);
		_exit(tap_failed() ? 1 : 0);
	}
	setpgid(pid, pid);

	do {
		ret = waitpid(pid, &status, 0);
	} while (ret < 0 && errno == EINTR);
	tap_reap_leftovers(pid);
	if (c->cleanup)
		c->cleanup();

	ok = ret == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (ret != pid)
		tap_diag("waitpid: %s", tap_errstr(errno));
	else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		tap_diag("timed out after %u s", timeout);
	else if (WIFSIGNALED(status))
		tap_diag("killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else if (!ok)
		tap_diag("failed (exit status %d)", WEXITSTATUS(status));
	if (tap_now() - start > 5)
		tap_diag("took %.1f s", tap_now() - start);
	printf("%sok %u - %s\n", ok ? "" : "not ", num, c->name);
	fflush(stdout);
	return ok;
}

int tap_run(const struct tap_case *cases, size_t n,
	    char *const *filters, int nfilters)
{
	unsigned int planned = 0, num = 0, failed = 0;
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0))
		tap_diag("PR_SET_CHILD_SUBREAPER: %s", tap_errstr(errno));

	for (i = 0; i < n; i++)
		if (tap_selected(cases[i].name, filters, nfilters))
			planned++;
	printf("1..%u\n", planned);

	for (i = 0; i < n; i++) {
		if (!tap_selected(cases[i].name, filters, nfilters))
			continue;
		if (!tap_run_one(&cases[i], ++num))
			failed++;
	}
	if (failed)
		tap_diag("%u of %u cases failed", failed, planned);
	else
		tap_diag("all %u cases passed", planned);
	return failed ? 1 : 0;
}
