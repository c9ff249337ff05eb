// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the C benchmark programs of bench/scale and bench/storm
 * (header only: each program is one translation unit).  A program defines
 * BENCH (the figures' "bench" field) before including this.
 *
 * Figures go to stdout, one JSON line each in the shape bench/figures.ts
 * defines, written with one write() so that a guest's serial console,
 * shared with kernel messages, cannot split a line.  Progress and errors go
 * to stderr.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#ifndef BENCH
#error "define BENCH before including bench/common.h"
#endif

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* One line for people on stderr, named after the benchmark. */
static inline void vnote(const char *fmt, va_list ap)
{
	fputs(BENCH ": ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static inline void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnote(fmt, ap);
	va_end(ap);
}

static inline void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static inline void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vnote(fmt, ap);
	va_end(ap);
	exit(1);
}

static inline double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median of n values; sorts a copy, so v keeps its order. */
static inline double median(const double *v, long n)
{
	double *s;
	double m;

	if (n <= 0)
		die("median of nothing");
	s = malloc((size_t)n * sizeof(*s));
	if (!s)
		die("out of memory");
	memcpy(s, v, (size_t)n * sizeof(*s));
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	free(s);
	return m;
}

static inline void emit_line(const char *line, int len)
{
	if (len < 0 || write(STDOUT_FILENO, line, (size_t)len) != len)
		die("write stdout: %s", strerror(errno));
}

/* A numeric figure; target NULL for an informative one. */
static inline void figure(const char *name, double value, int decimals, const char *unit,
		   const char *target)
{
	char line[512], tgt[64];

	if (target)
		snprintf(tgt, sizeof(tgt), "\"%s\"", target);
	else
		snprintf(tgt, sizeof(tgt), "null");
	emit_line(line, snprintf(line, sizeof(line),
				 "{\"bench\":\"" BENCH "\",\"figure\":\"%s\",\"value\":%.*f,"
				 "\"unit\":\"%s\",\"target\":%s}\n",
				 name, decimals, value, unit, tgt));
}

/* A string figure (a fact about the run, e.g. the kernel release). */
static inline void figure_text(const char *name, const char *value)
{
	char line[512];

	emit_line(line, snprintf(line, sizeof(line),
				 "{\"bench\":\"" BENCH "\",\"figure\":\"%s\",\"value\":\"%s\","
				 "\"unit\":null,\"target\":null}\n",
				 name, value));
}

static inline long parse_long(const char *opt, const char *s, long min)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min)
		die("%s: expected an integer >= %ld, got '%s'", opt, min, s);
	return v;
}

/* 1000 -> "1k", 1000000 -> "1m", else verbatim: as bench/kernel names them. */
static inline void count_suffix(char *buf, size_t size, long n)
{
	if (n % 1000000 == 0)
		snprintf(buf, size, "%ldm", n / 1000000);
	else if (n % 1000 == 0)
		snprintf(buf, size, "%ldk", n / 1000);
	else
		snprintf(buf, size, "%ld", n);
}

/*
 * The pid of the ummunotifyd this process spawned (through umn_open()): our
 * child started with "--pid".  The client does not expose
 * it, and GetInfo names the target, not the daemon.
 */
static inline pid_t find_daemon_pid(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = 0, self = getpid();

	if (!d)
		die("opendir /proc: %s", strerror(errno));
	while ((e = readdir(d))) {
		char path[300], buf[4096];
		FILE *f;
		size_t n;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = 0;
		/* "pid (comm) state ppid ...": comm may hold spaces and parentheses. */
		char *rp = strrchr(buf, ')');
		char state;
		int ppid;

		if (!rp || sscanf(rp + 1, " %c %d", &state, &ppid) != 2 || ppid != self)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		for (size_t i = 0; i < n; i++)
			if (!buf[i])
				buf[i] = ' ';
		buf[n] = 0;
		/* bin/ummunotifyd execs node on daemon/src/cli.ts: match the arguments, not the name. */
		if (!strstr(buf, "--pid "))
			continue;
		if (found)
			die("two ummunotifyd children (%d and %s)", (int)found, e->d_name);
		found = (pid_t)atoi(e->d_name);
	}
	closedir(d);
	if (!found)
		die("no ummunotifyd child process found under /proc");
	return found;
}

/* A "Key:   value kB" line of a /proc file, in kB; dies if missing. */
static inline long proc_kb(const char *path, const char *key)
{
	FILE *f = fopen(path, "r");
	char line[256];
	size_t klen = strlen(key);
	long v = -1;

	if (!f)
		die("open %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			v = strtol(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	if (v < 0)
		die("no %s in %s", key, path);
	return v;
}

/* Resident set size of a process, kB (VmRSS: anonymous + file + shmem). */
static inline long rss_kb(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	return proc_kb(path, "VmRSS");
}

/*
 * CPU time a process has used, ns, summed over its threads: the first
 * field of each /proc/PID/task/TID/schedstat.  Finer than the clock ticks
 * of /proc/PID/stat, which a short batch would round to nothing.
 */
static inline double cpu_ns(pid_t pid)
{
	char path[300];
	DIR *d;
	struct dirent *e;
	double total = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		die("opendir %s: %s", path, strerror(errno));
	while ((e = readdir(d))) {
		FILE *f;
		unsigned long long run;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/schedstat", (int)pid, e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue; /* the thread has exited */
		if (fscanf(f, "%llu", &run) == 1)
			total += (double)run;
		fclose(f);
	}
	closedir(d);
	return total;
}

/*
 * Waits until a process is idle: under 5% of one CPU over 200 ms, for up to
 * `max_s` seconds.  After a burst of calls the daemon (node) may still be
 * collecting garbage, which would land in whatever is timed next.  Returns
 * whether it settled.
 */
static inline int wait_idle(pid_t pid, double max_s)
{
	double end = now_ns() + max_s * 1e9;

	while (now_ns() < end) {
		double c0 = cpu_ns(pid);

		usleep(200000);
		if (cpu_ns(pid) - c0 < 0.05 * 200e6)
			return 1;
	}
	note("note: pid %d still busy after %.0f s", (int)pid, max_s);
	return 0;
}

/*
 * Runs fn(arg, out) in a fresh forked child (its own address space, and its
 * own daemon if it opens a client) and copies the child's `size` bytes of
 * result back.  Dies if the child fails.
 */
static inline void run_in_child(void (*fn)(void *arg, void *out), void *arg, void *out, size_t size,
			 const char *what)
{
	int pipefd[2];
	pid_t pid;
	size_t got = 0;
	int status;

	if (pipe(pipefd))
		die("pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		char *buf = calloc(1, size);
		const char *p = buf;
		size_t left = size;

		if (!buf)
			die("out of memory");
		close(pipefd[0]);
		fn(arg, buf);
		while (left) {
			ssize_t w = write(pipefd[1], p, left);

			if (w <= 0)
				die("write to parent: %s", strerror(errno));
			p += w;
			left -= (size_t)w;
		}
		_exit(0);
	}
	close(pipefd[1]);
	while (got < size) {
		ssize_t r = read(pipefd[0], (char *)out + got, size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) || got != size)
		die("%s failed (status %#x)", what, status);
}

#endif /* BENCH_COMMON_H */
