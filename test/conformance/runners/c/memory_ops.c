/*
 * Memory steps: real system calls in the runner's own address space, each
 * checked against what the runner owns so that a wrong address in a
 * scenario fails the scenario instead of corrupting the runner.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "expr.h"
#include "steps.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

static uint64_t page_floor(const struct run *run, uint64_t x)
{
	return x - x % run->page;
}

static uint64_t page_ceil(const struct run *run, uint64_t x)
{
	return x % run->page ? page_floor(run, x) + run->page : x;
}

/* [at, at + length) from the step's "at" and lengthField; false if it wraps. */
static bool range_of(struct run *run, json_object *step, const char *length_field, uint64_t *at, uint64_t *end)
{
	uint64_t length;

	if (!eval_expr(run, field(step, "at"), "at", at) || !eval_expr(run, field(step, length_field), length_field, &length))
		return false;
	if (length > UINT64_MAX - *at)
		return fail(run, "at + %s wraps past 2^64", length_field);
	*end = *at + length;
	return true;
}

/* Writes (or reads) one byte in every page overlapping [start, end). */
static void touch(struct run *run, uint64_t start, uint64_t end, bool write)
{
	for (uint64_t p = page_floor(run, start); p < end; p += run->page) {
		volatile char *byte = (volatile char *)(uintptr_t)(p < start ? start : p);

		if (write)
			*byte = 1;
		else
			(void)*byte;
	}
}

/* A new regular file of length bytes in $TMPDIR or /tmp, already unlinked;
 * opened read-only for the mapping if asked, so it can never become writable. */
static int temp_file(struct run *run, uint64_t length, bool read_only)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd, map_fd;

	snprintf(path, sizeof(path), "%s/umn-conformance-XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return fail(run, "creating a file in %s: %s", path, strerror(errno)), -1;
	if (ftruncate(fd, (off_t)length) != 0) {
		fail(run, "ftruncate %s: %s", path, strerror(errno));
		unlink(path);
		close(fd);
		return -1;
	}
	map_fd = read_only ? open(path, O_RDONLY | O_CLOEXEC) : fd;
	if (map_fd < 0)
		fail(run, "open %s read-only: %s", path, strerror(errno));
	unlink(path);
	if (map_fd != fd)
		close(fd);
	return map_fd;
}

bool op_mmap(struct run *run, json_object *step)
{
	static const char *const types[] = { "anonymous", "shared", "file", NULL };
	static const char *const prots[] = { "read-write", "read", NULL };
	const char *name;
	uint64_t pages, at = 0, length;
	int type = 0, prot = 0, flags, fd = -1;
	bool fixed = field(step, "at") != NULL;
	void *p;

	if (!get_name(run, field(step, "name"), "name", &name) ||
	    !get_uint(run, field(step, "pages"), "pages", 1, 1 << 20, &pages))
		return false;
	if (field(step, "type") && !get_choice(run, field(step, "type"), "type", types, &type))
		return false;
	if (field(step, "prot") && !get_choice(run, field(step, "prot"), "prot", prots, &prot))
		return false;
	length = pages * run->page;
	if (fixed) {
		if (!eval_expr(run, field(step, "at"), "at", &at))
			return false;
		if (at % run->page || length > UINT64_MAX - at)
			return fail(run, "at 0x%" PRIx64 " is not page-aligned or the mapping wraps", at);
		if (!owned_or_free(&run->owned, at, at + length))
			return fail(run, "mmap at 0x%" PRIx64 " would replace memory the runner did not map", at);
	}
	flags = (fixed ? MAP_FIXED : 0) | (type == 0 ? MAP_PRIVATE | MAP_ANONYMOUS : MAP_SHARED) | (type == 1 ? MAP_ANONYMOUS : 0);
	if (type == 2 && (fd = temp_file(run, length, prot == 1)) < 0)
		return false;
	p = mmap(fixed ? (void *)(uintptr_t)at : NULL, length, prot == 1 ? PROT_READ : PROT_READ | PROT_WRITE, flags, fd, 0);
	if (fd >= 0)
		close(fd);
	if (p == MAP_FAILED)
		return fail(run, "mmap of %" PRIu64 " pages: %s", pages, strerror(errno));
	/* Owned before anything else can fail, so that cleanup unmaps it. */
	if (!owned_add(&run->owned, (uintptr_t)p, (uintptr_t)p + length, OWNED_MMAP, prot == 0)) {
		munmap(p, length);
		return fail(run, "out of memory");
	}
	/* So that each page is its own small page, as the README says. */
	if (type == 0)
		madvise(p, length, MADV_NOHUGEPAGE);
	touch(run, (uintptr_t)p, (uintptr_t)p + length, prot == 0);
	return bind_name(run, name, (uintptr_t)p);
}

bool op_munmap(struct run *run, json_object *step)
{
	uint64_t at, end;

	if (!range_of(run, step, "length", &at, &end))
		return false;
	if (!owned_or_free(&run->owned, page_floor(run, at), page_ceil(run, end)))
		return fail(run, "munmap [0x%" PRIx64 ", 0x%" PRIx64 ") would unmap memory the runner did not map", at, end);
	if (munmap((void *)(uintptr_t)at, end - at) != 0)
		return fail(run, "munmap: %s", strerror(errno));
	owned_remove(&run->owned, page_floor(run, at), page_ceil(run, end));
	return true;
}

bool op_madvise(struct run *run, json_object *step)
{
	static const char *const advice[] = { "dontneed", "pageout", NULL };
	static const int values[] = { MADV_DONTNEED, MADV_PAGEOUT };
	uint64_t at, end;
	int which;

	if (!range_of(run, step, "length", &at, &end) || !get_choice(run, field(step, "advice"), "advice", advice, &which))
		return false;
	if (!owned_covers(&run->owned, page_floor(run, at), page_ceil(run, end), false))
		return fail(run, "madvise of [0x%" PRIx64 ", 0x%" PRIx64 "): memory the runner did not map", at, end);
	if (madvise((void *)(uintptr_t)at, end - at, values[which]) != 0)
		return fail(run, "madvise: %s", strerror(errno));
	return true;
}

bool op_mremap(struct run *run, json_object *step)
{
	uint64_t at, end, new_length, to = 0;
	bool move = field(step, "to") != NULL;
	bool writable;
	long moved;

	if (!range_of(run, step, "length", &at, &end))
		return false;
	new_length = end - at;
	if (field(step, "new_length") && !eval_expr(run, field(step, "new_length"), "new_length", &new_length))
		return false;
	if (move && !eval_expr(run, field(step, "to"), "to", &to))
		return false;
	if (!owned_covers(&run->owned, page_floor(run, at), page_ceil(run, end), false))
		return fail(run, "mremap of [0x%" PRIx64 ", 0x%" PRIx64 "): memory the runner did not map", at, end);
	if (move && (new_length > UINT64_MAX - to || !owned_or_free(&run->owned, page_floor(run, to), page_ceil(run, to + new_length))))
		return fail(run, "mremap to 0x%" PRIx64 " would replace memory the runner did not map", to);
	writable = owned_covers(&run->owned, page_floor(run, at), page_ceil(run, end), true);
	/* Directly, as the README asks: no C library wrapper in between. */
	moved = syscall(SYS_mremap, (uintptr_t)at, (size_t)(end - at), (size_t)new_length,
			move ? MREMAP_MAYMOVE | MREMAP_FIXED : 0, (uintptr_t)to);
	if (moved == -1)
		return fail(run, "mremap: %s", strerror(errno));
	owned_remove(&run->owned, page_floor(run, at), page_ceil(run, end));
	if (!owned_add(&run->owned, (uint64_t)moved, page_ceil(run, (uint64_t)moved + new_length), OWNED_MMAP, writable))
		return fail(run, "out of memory");
	return true;
}

bool op_brk_grow(struct run *run, json_object *step)
{
	const char *name;
	uint64_t pages, now, start, end;

	if (!get_name(run, field(step, "name"), "name", &name) ||
	    !get_uint(run, field(step, "pages"), "pages", 1, 1 << 20, &pages))
		return false;
	now = (uintptr_t)sbrk(0);
	start = page_ceil(run, now);
	end = start + pages * run->page;
	/* Where someone else (malloc) moved the break, shrinking may only go
	 * back to here, and cleanup may only restore to here. */
	if (!run->brk_used || now != run->brk_last) {
		run->brk_original = now;
		run->brk_floor = start;
	}
	if (brk((void *)(uintptr_t)end) != 0)
		return fail(run, "brk to 0x%" PRIx64 ": %s", end, strerror(errno));
	run->brk_used = true;
	run->brk_last = end;
	if (!owned_add(&run->owned, start, end, OWNED_BRK, true))
		return fail(run, "out of memory");
	touch(run, start, end, true);
	return bind_name(run, name, start);
}

bool op_brk_shrink(struct run *run, json_object *step)
{
	uint64_t pages, now, target;

	if (!get_uint(run, field(step, "pages"), "pages", 1, 1 << 20, &pages))
		return false;
	if (!run->brk_used)
		return fail(run, "brk-shrink before any brk-grow");
	now = (uintptr_t)sbrk(0);
	if (now != run->brk_last)
		return fail(run, "the program break is at 0x%" PRIx64 ", not 0x%" PRIx64 " where the last brk step left it "
				 "(malloc moved it): the runner cannot shrink safely, which says nothing about the rule",
			    now, run->brk_last);
	target = run->brk_last - pages * run->page;
	if (pages * run->page > run->brk_last || target < run->brk_floor)
		return fail(run, "brk-shrink of %" PRIu64 " pages would give back memory the scenario did not grow", pages);
	if (brk((void *)(uintptr_t)target) != 0)
		return fail(run, "brk to 0x%" PRIx64 ": %s", target, strerror(errno));
	owned_remove(&run->owned, target, run->brk_last);
	run->brk_last = target;
	return true;
}

bool op_write(struct run *run, json_object *step)
{
	uint64_t at, end;

	if (!range_of(run, step, "length", &at, &end))
		return false;
	if (!owned_covers(&run->owned, page_floor(run, at), page_ceil(run, end), true))
		return fail(run, "write to [0x%" PRIx64 ", 0x%" PRIx64 "): not memory the runner mapped writable", at, end);
	touch(run, at, end, true);
	return true;
}

/* A child made with the raw system call: no atfork handler runs (gRPC's
 * must not), and the child only waits, with raw system calls, to be killed. */
static long raw_fork(void)
{
#ifdef SYS_fork
	return syscall(SYS_fork);
#else
	return syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
#endif
}

static void __attribute__((noreturn)) child_wait(void)
{
	syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	for (;;) {
#ifdef SYS_pause
		syscall(SYS_pause);
#else
		syscall(SYS_ppoll, NULL, 0, NULL, NULL, 0);
#endif
	}
}

bool op_fork_write(struct run *run, json_object *step)
{
	uint64_t at, end;
	long child;
	int status;

	if (!range_of(run, step, "length", &at, &end))
		return false;
	if (!owned_covers(&run->owned, page_floor(run, at), page_ceil(run, end), true))
		return fail(run, "fork-write to [0x%" PRIx64 ", 0x%" PRIx64 "): not memory the runner mapped writable", at, end);
	child = raw_fork();
	if (child < 0)
		return fail(run, "fork: %s", strerror(errno));
	if (child == 0)
		child_wait();
	touch(run, at, end, true);
	kill((pid_t)child, SIGKILL);
	while (waitpid((pid_t)child, &status, 0) < 0 && errno == EINTR)
		;
	return true;
}
