#define _GNU_SOURCE
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static int planned_tests;
static int run_tests;
static int failed_tests;
static const char *todo_reason;

void test_begin(int planned)
{
	/* Line-buffered, so TAP lines and the daemon's stderr interleave sanely. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	setenv("UMMUNOTIFYD", UMN_REPO "/bin/ummunotifyd", 0);
	unsetenv("UMMUNOTIFY_SOCKET");
	planned_tests = planned;
	printf("1..%d\n", planned);
}

bool ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	run_tests++;
	if (!cond && !todo_reason)
		failed_tests++;
	printf("%s %d - ", cond ? "ok" : "not ok", run_tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (todo_reason && cond)
		printf(" # TODO passes now: drop the todo() (%s)", todo_reason);
	else if (todo_reason)
		printf(" # TODO %s", todo_reason);
	printf("\n");
	todo_reason = NULL;
	return cond;
}

void todo(const char *reason)
{
	todo_reason = reason;
}

void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

void bail(const char *fmt, ...)
{
	va_list ap;

	printf("Bail out! ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(1);
}

int test_end(void)
{
	if (run_tests != planned_tests)
		diag("planned %d tests, ran %d", planned_tests, run_tests);
	if (failed_tests)
		diag("%d of %d failed", failed_tests, run_tests);
	return failed_tests == 0 && run_tests == planned_tests ? 0 : 1;
}

struct umn_client *open_client(const char *const *daemon_args, size_t n, bool no_attach)
{
	struct umn_open_options opts = {
		.daemon_args = daemon_args,
		.n_daemon_args = n,
		.no_attach = no_attach,
	};
	struct umn_client *client;
	int rc = umn_open(&opts, &client);

	if (rc < 0)
		bail("umn_open: %s (%s, %s)", strerror(-rc), umn_status_name(umn_last_status()), umn_last_error());
	return client;
}

void diag_last_error(const char *what)
{
	const char *name = umn_last_errno_name();

	diag("%s: status %s, errno %s: %s", what, umn_status_name(umn_last_status()), name ? name : "(none)",
	     umn_last_error());
}

enum umn_engine expected_engine(void)
{
	return access("/dev/ummunotify", F_OK) == 0 ? UMN_ENGINE_DEVICE : UMN_ENGINE_UFFD;
}

size_t page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

char *map_pages(size_t pages)
{
	char *p = mmap(NULL, pages * page_size(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		bail("mmap %zu pages: %s", pages, strerror(errno));
	for (size_t i = 0; i < pages; i++)
		p[i * page_size()] = 1;
	return p;
}

static int scan_fds(const char *needle)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!dir)
		bail("opendir /proc/self/fd: %s", strerror(errno));
	while ((e = readdir(dir)) != NULL) {
		char path[300], link[300];
		ssize_t len;

		if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(dir))
			continue;
		if (!needle) {
			n++;
			continue;
		}
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len < 0)
			continue;
		link[len] = '\0';
		if (strstr(link, needle))
			n++;
	}
	closedir(dir);
	return n;
}

int count_fds(void)
{
	return scan_fds(NULL);
}

int count_fds_linking(const char *needle)
{
	return scan_fds(needle);
}

int count_maps_lines(const char *needle)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	int n = 0;

	if (!f)
		bail("fopen /proc/self/maps: %s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (strstr(line, needle))
			n++;
	fclose(f);
	return n;
}

bool mapping_perms(const void *addr, char perms[5])
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	bool found = false;

	if (!f)
		bail("fopen /proc/self/maps: %s", strerror(errno));
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long start, end;
		char p[5];

		if (sscanf(line, "%lx-%lx %4s", &start, &end, p) == 3 && (uintptr_t)addr >= start &&
		    (uintptr_t)addr < end) {
			memcpy(perms, p, 5);
			found = true;
		}
	}
	fclose(f);
	return found;
}

size_t children(pid_t *pids, size_t max)
{
	DIR *dir = opendir("/proc/self/task");
	struct dirent *e;
	size_t n = 0;

	if (!dir)
		bail("opendir /proc/self/task: %s", strerror(errno));
	while ((e = readdir(dir)) != NULL) {
		char path[300];
		FILE *f;
		long pid;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/children", e->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fscanf(f, "%ld", &pid) == 1) {
			if (n < max)
				pids[n] = (pid_t)pid;
			n++;
		}
		fclose(f);
	}
	closedir(dir);
	return n;
}

bool wait_subscribers(struct umn_client *client, uint32_t want)
{
	int64_t deadline = now_ms() + 5000;

	for (;;) {
		struct umn_info info;
		uint32_t have;

		if (umn_info(client, &info) < 0) {
			diag_last_error("umn_info");
			return false;
		}
		have = info.subscribers;
		umn_info_release(&info);
		if (have == want)
			return true;
		if (now_ms() > deadline) {
			diag("subscribers: want %u, still %u after 5 s", want, have);
			return false;
		}
		usleep(10000);
	}
}

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
