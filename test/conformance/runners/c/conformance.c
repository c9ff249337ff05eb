/*
 * The C conformance runner: runs every scenario of test/conformance/scenarios
 * (or the files and directories named on the command line) in file-name
 * order, in this process as the target, and prints TAP.
 *
 *   umn-conformance [SCENARIO.json | DIRECTORY]...
 *
 * The engine under test is $UMMUNOTIFY_ENGINE (device, uffd), else auto:
 * the device if /dev/ummunotify exists, else uffd. Scenarios for other
 * engines only are not run; the summary says how many. Scenarios share one
 * sidecar, cleaned between them, unless they need their own (README
 * "Sidecars").
 */
#define _GNU_SOURCE
#include <errno.h>
#include <glob.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "execute.h"
#include "scenario.h"
#include "sidecar.h"

#ifndef UMN_SCENARIOS
#error "UMN_SCENARIOS: the default scenario directory, set by the build"
#endif

struct files {
	char **paths;
	size_t n;
};

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds a file, or a directory's *.json (found now, so new files need no
 * code change); false if the path is neither. */
static bool add_path(struct files *files, const char *path)
{
	struct stat st;
	glob_t g;
	char pattern[4096];
	size_t from = files->n;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "umn-conformance: %s: %s\n", path, strerror(errno));
		return false;
	}
	if (!S_ISDIR(st.st_mode)) {
		files->paths = realloc(files->paths, (files->n + 1) * sizeof(char *));
		files->paths[files->n++] = strdup(path);
		return true;
	}
	snprintf(pattern, sizeof(pattern), "%s/*.json", path);
	if (glob(pattern, GLOB_NOSORT, NULL, &g) == 0) {
		files->paths = realloc(files->paths, (files->n + g.gl_pathc) * sizeof(char *));
		for (size_t i = 0; i < g.gl_pathc; i++)
			files->paths[files->n++] = strdup(g.gl_pathv[i]);
		globfree(&g);
	}
	/* File-name order within a directory, bytewise whatever the locale. */
	qsort(files->paths + from, files->n - from, sizeof(char *), by_name);
	return true;
}

/* The file's name without directory and ".json". */
static void stem(const char *path, char *out, size_t size)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 5 && strcmp(base + n - 5, ".json") == 0)
		n -= 5;
	snprintf(out, size, "%.*s", (int)n, base);
}

static bool engine_under_test(enum umn_engine *engine, const char **name)
{
	const char *env = getenv("UMMUNOTIFY_ENGINE");

	if (!env || !*env || strcmp(env, "auto") == 0)
		*engine = access("/dev/ummunotify", F_OK) == 0 ? UMN_ENGINE_DEVICE : UMN_ENGINE_UFFD;
	else if (strcmp(env, "device") == 0)
		*engine = UMN_ENGINE_DEVICE;
	else if (strcmp(env, "uffd") == 0)
		*engine = UMN_ENGINE_UFFD;
	else {
		fprintf(stderr, "umn-conformance: UMMUNOTIFY_ENGINE=%s: expected device, uffd or auto\n", env);
		return false;
	}
	*name = *engine == UMN_ENGINE_DEVICE ? "device" : "uffd";
	return true;
}

int main(int argc, char **argv)
{
	struct files files = { 0 };
	struct sidecar shared = { 0 };
	size_t passed = 0, failed = 0, left_out = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!engine_under_test(&shared.engine, &shared.engine_name))
		return 2;
	if (argc < 2 && !add_path(&files, UMN_SCENARIOS))
		return 2;
	for (int i = 1; i < argc; i++)
		if (!add_path(&files, argv[i]))
			return 2;
	if (files.n == 0) {
		printf("1..0\n# no scenarios found: nothing was tested\n");
		return 1;
	}

	/*
	 * Scenarios for another engine are not tests of this run: they get a
	 * comment line, not a TAP "SKIP", and the plan comes last.
	 */
	for (size_t i = 0; i < files.n; i++) {
		struct scenario scenario;
		char name[256], why[8192];

		stem(files.paths[i], name, sizeof(name));
		if (!scenario_load(files.paths[i], &scenario, why, sizeof(why))) {
			printf("not ok %zu - %s: %s\n", passed + failed + 1, name, why);
			failed++;
		} else if (!(shared.engine == UMN_ENGINE_UFFD ? scenario.for_uffd : scenario.for_device)) {
			printf("# %s: written for another engine than %s; not run\n", name, shared.engine_name);
			left_out++;
		} else if (execute(&scenario, &shared, why, sizeof(why))) {
			printf("ok %zu - %s\n", passed + failed + 1, name);
			passed++;
		} else {
			printf("not ok %zu - %s: %s\n", passed + failed + 1, name, why);
			failed++;
		}
		scenario_free(&scenario);
		free(files.paths[i]);
	}
	free(files.paths);
	sidecar_close(&shared);
	printf("1..%zu\n", passed + failed);
	printf("# engine %s: %zu scenarios, %zu passed, %zu failed, %zu left out (not for the %s engine)\n",
	       shared.engine_name, passed + failed + left_out, passed, failed, left_out, shared.engine_name);
	return failed ? 1 : 0;
}
