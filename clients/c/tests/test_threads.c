/*
 * One client shared by threads: calls from several threads at once all land,
 * and each thread's failures stay its own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "harness.h"

#define THREADS 4
#define PER_THREAD 50

static struct umn_client *client;
static char *memory;

struct worker {
	int index;
	int failures;
	bool own_error_seen;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	size_t p = page_size();
	char mine[32];

	for (int i = 0; i < PER_THREAD; i++) {
		uint64_t cookie = (uint64_t)(w->index * PER_THREAD + i);

		if (umn_register(client, (uintptr_t)memory + (size_t)w->index * p, p, cookie) < 0)
			w->failures++;
	}
	/* A failure of this thread's own, checked after the others have had
	 * every chance to overwrite a shared slot. */
	umn_unregister(client, 1000000 + (uint64_t)w->index);
	for (int i = 0; i < PER_THREAD; i++) {
		struct umn_info info;

		if (umn_info(client, &info) == 0)
			umn_info_release(&info);
	}
	snprintf(mine, sizeof(mine), "cookie %d ", 1000000 + w->index);
	w->own_error_seen = umn_last_status() == 5 && strstr(umn_last_error(), mine) != NULL;
	return NULL;
}

int main(void)
{
	pthread_t threads[THREADS];
	struct worker workers[THREADS];
	struct umn_info info;
	int failures = 0;
	bool own = true;

	test_begin(3);
	client = open_client(NULL, 0, false);
	memory = map_pages(THREADS);
	for (int i = 0; i < THREADS; i++) {
		workers[i] = (struct worker){ .index = i };
		pthread_create(&threads[i], NULL, work, &workers[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(threads[i], NULL);
		failures += workers[i].failures;
		own = own && workers[i].own_error_seen;
	}
	ok(failures == 0, "%d threads registered %d ranges each at once, none failed", THREADS, PER_THREAD);
	umn_info(client, &info);
	ok(info.registrations == THREADS * PER_THREAD, "the daemon holds all %llu",
	   (unsigned long long)info.registrations);
	umn_info_release(&info);
	ok(own, "each thread still sees its own last failure (NOT_FOUND for its own cookie)");
	munmap(memory, THREADS * page_size());
	umn_close(client);
	return test_end();
}
