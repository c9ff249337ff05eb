// SPDX-License-Identifier: GPL-2.0
/*
 * The raw REGISTER_REGION ioctl on /dev/ummunotify (bench/register), the
 * floor under what the daemon's Register costs on the device engine: the
 * same page pattern as the Node driver (one anonymous mapping, touched, one
 * page per registration, consecutive pages), one ioctl per registration.
 *
 * Each of ROUNDS rounds registers COUNT pages, each ioctl timed on its own
 * (clock_gettime around it), the round's rate being COUNT over the round's
 * wall time; then, untimed, every cookie is unregistered, which fails with
 * EINVAL for a cookie the driver does not hold, so a registration that was
 * silently dropped fails the run.  Every round starts from an empty fd.
 *
 * Output: one JSON line on stdout,
 *	{"driver":"ioctl","engine":"device","rates":[...],"p50_us":..,"p99_us":..}
 * (p50/p99: nearest rank over every ioctl of every round); errors on stderr.
 * Usage: register-ioctl COUNT ROUNDS
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/ummunotify.h>

#define DEVICE "/dev/ummunotify"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "register-ioctl: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank, as bench/register/stats.ts percentile(). */
static double percentile_us(const uint64_t *sorted, size_t n, double p)
{
	size_t rank = (size_t)ceil(p / 100.0 * (double)n);

	if (rank < 1)
		rank = 1;
	return (double)sorted[rank - 1] / 1000.0;
}

int main(int argc, char **argv)
{
	long count, rounds, page = sysconf(_SC_PAGESIZE);
	uint64_t *lat, cookie = 1;
	double *rates;
	char *base;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: %s COUNT ROUNDS\n", argv[0]);
		return 2;
	}
	count = atol(argv[1]);
	rounds = atol(argv[2]);
	if (count <= 0 || rounds <= 0) {
		fprintf(stderr, "register-ioctl: counts must be positive\n");
		return 2;
	}
	lat = calloc((size_t)(count * rounds), sizeof(*lat));
	rates = calloc((size_t)rounds, sizeof(*rates));
	if (!lat || !rates)
		die("calloc");
	base = mmap(NULL, (size_t)(count * page), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		die("mmap");
	for (long i = 0; i < count; i++)
		base[i * page] = 1;
	fd = open(DEVICE, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("open " DEVICE);

	for (long r = 0; r < rounds; r++) {
		uint64_t first = cookie, r0 = now_ns();

		for (long i = 0; i < count; i++) {
			struct ummunotify_register_ioctl reg = {
				.start = (uintptr_t)(base + i * page),
				.end = (uintptr_t)(base + (i + 1) * page),
				.user_cookie = cookie++,
			};
			uint64_t t0 = now_ns();

			if (ioctl(fd, UMMUNOTIFY_REGISTER_REGION, &reg))
				die("UMMUNOTIFY_REGISTER_REGION");
			lat[r * count + i] = now_ns() - t0;
		}
		rates[r] = (double)count / ((double)(now_ns() - r0) / 1e9);
		for (uint64_t c = first; c < cookie; c++)
			if (ioctl(fd, UMMUNOTIFY_UNREGISTER_REGION, &c))
				die("UMMUNOTIFY_UNREGISTER_REGION (a registration went missing)");
		fprintf(stderr, "register-ioctl: round %ld/%ld: %.0f /s\n", r + 1, rounds, rates[r]);
	}
	close(fd);

	qsort(lat, (size_t)(count * rounds), sizeof(*lat), cmp_u64);
	printf("{\"driver\":\"ioctl\",\"engine\":\"device\",\"rates\":[");
	for (long r = 0; r < rounds; r++)
		printf("%s%.1f", r ? "," : "", rates[r]);
	printf("],\"p50_us\":%.4f,\"p99_us\":%.4f}\n", percentile_us(lat, (size_t)(count * rounds), 50),
	       percentile_us(lat, (size_t)(count * rounds), 99));
	return 0;
}
