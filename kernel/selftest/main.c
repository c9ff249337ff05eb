// SPDX-License-Identifier: GPL-2.0
/*
 * ummunotify selftest: runs every case (or those whose name contains one
 * of the arguments) and prints TAP.  Needs root and the module loaded; run
 * it in the guest: npm run vm -- --kernel 6.1 -- build/kernel/selftest/ummunotify_test
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cases.h"
#include "umn.h"
#include "util.h"

struct group {
	const struct tap_case *cases;
	const size_t *n;
};

static const struct group groups[] = {
	{ abi_cases, &abi_ncases },
	{ device_cases, &device_ncases },
	{ features_cases, &features_ncases },
	{ events_cases, &events_ncases },
	{ notify_cases, &notify_ncases },
	{ mm_cases, &mm_ncases },
	{ lifetime_cases, &lifetime_ncases },
	{ threads_cases, &threads_ncases },
	{ limits_cases, &limits_ncases },
};

#define MAX_CASES	128

static void print_usage(const char *prog)
{
	printf("usage: %s [-l] [NAME-SUBSTRING...]\n"
	       "  -l  list the cases and exit\n", prog);
}

int main(int argc, char **argv)
{
	static struct tap_case all[MAX_CASES];
	size_t n = 0, g, i;
	int first = 1;

	for (g = 0; g < ARRAY_SIZE(groups); g++)
		for (i = 0; i < *groups[g].n && n < MAX_CASES; i++)
			all[n++] = groups[g].cases[i];

	if (argc > 1 && !strcmp(argv[1], "-l")) {
		for (i = 0; i < n; i++)
			printf("%s\n", all[i].name);
		return 0;
	}
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		print_usage(argv[0]);
		return 0;
	}

	util_init();
	if (access(UMN_PARAM_MAX_REGS, R_OK) == 0)
		read_number(UMN_PARAM_MAX_REGS, &saved_max_registrations);
	return tap_run(all, n, argv + first, argc - first);
}
