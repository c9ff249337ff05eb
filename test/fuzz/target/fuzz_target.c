/*
 * The fuzzer's target process (test/fuzz): a real process whose address
 * space the fuzzer changes on command while a real daemon watches it.
 *
 * One command per line on stdin, one answer per line on stdout:
 *   ok [values...] | err ERRNO_NAME what | skip why
 * It hands its notification fd to the daemon with the C client and closes
 * the client at once, so from then on it is single-threaded and calls no
 * malloc: the memory it maps and the program break it moves are its own,
 * and what the fuzzer's model believes about them is what the kernel holds.
 *
 * Commands (addresses in hex, sizes in pages):
 *   attach SOCKET uffd|device
 *   map anon|shared|file-rw|file-ro|file-private ADDR PAGES   (MAP_FIXED, touched)
 *   munmap ADDR PAGES
 *   madvise ADDR PAGES dontneed|free
 *   mremap ADDR OLD NEW [TO]      in place (shrink, grow) or moved to TO;
 *                                 "skip" where the VMAs do not allow it
 *   brk-grow PAGES | brk-shrink PAGES    answer: ok START END
 *   fork [ADDR]                   the child lives until the parent has
 *                                 written a byte at ADDR (if given)
 *   write ADDR
 *   probe mremap ...|brk-shrink ...   "ok" if it would not be skipped; does
 *                                 nothing (the fuzzer runs two targets in
 *                                 step, and either may have to skip)
 *   exit
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ummunotify/client.h>

static long page;
static const char *file_dir;
/* The break as this process last set it; 0 before the first brk-grow. */
static uintptr_t brk_base, brk_end;
/* Set by "probe": check whether the command would run, and do nothing. */
static bool probing;

static char line[4096];
static char answer[512];
static char maps[1 << 18];

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(answer, sizeof(answer) - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || n > (int)sizeof(answer) - 2)
		n = (int)sizeof(answer) - 2;
	answer[n++] = '\n';
	if (write(STDOUT_FILENO, answer, (size_t)n) != n)
		_exit(3);
}

static void fail(int err, const char *what)
{
	const char *name = strerrorname_np(err);

	say("err %s %s", name ? name : "E?", what);
}

/* One line from stdin, without its newline; false at end of input. */
static bool read_line(void)
{
	size_t n = 0;

	while (n < sizeof(line) - 1) {
		ssize_t r = read(STDIN_FILENO, &line[n], 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	return true;
}

static uintptr_t hex(const char *s)
{
	return s ? (uintptr_t)strtoull(s, NULL, 16) : 0;
}

static size_t pages(const char *s)
{
	return s ? (size_t)strtoull(s, NULL, 10) * (size_t)page : 0;
}

static void touch(uintptr_t addr, size_t len, bool writable)
{
	for (size_t off = 0; off < len; off += (size_t)page) {
		volatile char *p = (volatile char *)(addr + off);

		if (writable)
			*p = 1;
		else
			(void)*p;
	}
}

/* /proc/self/maps into `maps`; false if it does not fit. */
static bool read_maps(void)
{
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	size_t n = 0;

	if (fd < 0)
		return false;
	for (;;) {
		ssize_t r = read(fd, maps + n, sizeof(maps) - 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n == sizeof(maps) - 1) {
			close(fd);
			return false;
		}
	}
	close(fd);
	maps[n] = '\0';
	return true;
}

struct vma {
	uintptr_t start, end;
	bool writable;
};

/* The VMA containing addr, if any (from `maps`); *next_start is where the next one begins. */
static bool find_vma(uintptr_t addr, struct vma *out, uintptr_t *next_start)
{
	bool found = false;

	*next_start = UINTPTR_MAX;
	for (char *p = maps; *p; ) {
		char *nl = strchr(p, '\n');
		char *after;
		uintptr_t s = (uintptr_t)strtoull(p, &after, 16);
		uintptr_t e = (uintptr_t)strtoull(after + 1, &after, 16);

		if (found && s >= out->end && s < *next_start)
			*next_start = s;
		if (!found && addr >= s && addr < e) {
			out->start = s;
			out->end = e;
			out->writable = after[2] == 'w';
			found = true;
		} else if (!found && s > addr && s < *next_start) {
			*next_start = s;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	return found;
}

static void do_attach(const char *socket, const char *engine)
{
	struct umn_open_options opts = { 0 };
	struct umn_client *client;
	int rc;

	opts.socket = socket;
	opts.engine = engine && strcmp(engine, "device") == 0 ? UMN_ENGINE_DEVICE : UMN_ENGINE_UFFD;
	rc = umn_open(&opts, &client);
	if (rc < 0) {
		say("err %s %s", umn_last_errno_name() ? umn_last_errno_name() : "E?", umn_last_error());
		return;
	}
	/* The daemon holds the fd now; the library closed its copy. */
	umn_close(client);
	say("ok");
}

static void do_map(const char *kind, uintptr_t addr, size_t len)
{
	int prot = PROT_READ | PROT_WRITE, flags = MAP_FIXED, fd = -1;
	bool writable = true;
	void *p;

	if (strcmp(kind, "anon") == 0) {
		flags |= MAP_PRIVATE | MAP_ANONYMOUS;
	} else if (strcmp(kind, "shared") == 0) {
		flags |= MAP_SHARED | MAP_ANONYMOUS;
	} else if (strncmp(kind, "file-", 5) == 0) {
		char path[4096];
		int rw;

		snprintf(path, sizeof(path), "%s/umn-fuzz-XXXXXX", file_dir);
		rw = mkostemp(path, O_CLOEXEC);
		if (rw < 0)
			return fail(errno, "mkostemp");
		if (ftruncate(rw, (off_t)len) != 0) {
			int err = errno;

			close(rw);
			unlink(path);
			return fail(err, "ftruncate");
		}
		if (strcmp(kind, "file-ro") == 0) {
			/* Opened read-only and shared: it can never be written. */
			fd = open(path, O_RDONLY | O_CLOEXEC);
			close(rw);
			prot = PROT_READ;
			writable = false;
			flags |= MAP_SHARED;
		} else {
			fd = rw;
			flags |= strcmp(kind, "file-private") == 0 ? MAP_PRIVATE : MAP_SHARED;
		}
		unlink(path);
		if (fd < 0)
			return fail(errno, "open");
	} else {
		return fail(EINVAL, "map: unknown kind");
	}
	p = mmap((void *)addr, len, prot, flags, fd, 0);
	if (fd >= 0)
		close(fd);
	if (p == MAP_FAILED)
		return fail(errno, "mmap");
	if (flags & MAP_ANONYMOUS && flags & MAP_PRIVATE)
		madvise(p, len, MADV_NOHUGEPAGE);
	touch(addr, len, writable);
	say("ok");
}

static void do_mremap(uintptr_t addr, size_t old_len, size_t new_len, uintptr_t to)
{
	struct vma vma;
	uintptr_t next;
	void *p;

	/*
	 * mremap works within one VMA, and where the VMAs lie depends on more
	 * than the fuzzer's mappings (a userfaultfd registration splits them):
	 * skip what the layout does not allow, rather than fail half-way.
	 */
	if (!read_maps() || !find_vma(addr, &vma, &next) || addr + old_len > vma.end)
		return (void)say("skip not within one VMA");
	if (!to && new_len > old_len && (addr + old_len != vma.end || next < addr + new_len))
		return (void)say("skip no room to grow in place");
	if (probing)
		return (void)say("ok");
	if (to)
		p = mremap((void *)addr, old_len, new_len, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)to);
	else
		p = mremap((void *)addr, old_len, new_len, 0);
	if (p == MAP_FAILED)
		return fail(errno, "mremap");
	if (new_len > old_len)
		touch((uintptr_t)p + old_len, new_len - old_len, vma.writable);
	say("ok %lx", (unsigned long)(uintptr_t)p);
}

static void do_brk_grow(size_t len)
{
	uintptr_t cur = (uintptr_t)sbrk(0);
	uintptr_t start = (cur + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);

	if (brk_end != 0 && cur != brk_end)
		return (void)say("skip the break moved");
	if (sbrk((intptr_t)(start - cur + len)) == (void *)-1)
		return fail(errno, "sbrk");
	madvise((void *)start, len, MADV_NOHUGEPAGE);
	touch(start, len, true);
	if (brk_base == 0)
		brk_base = start;
	brk_end = start + len;
	say("ok %lx %lx", (unsigned long)start, (unsigned long)brk_end);
}

static void do_brk_shrink(size_t len)
{
	if (brk_end == 0 || (uintptr_t)sbrk(0) != brk_end || brk_end - len < brk_base)
		return (void)say("skip the break is not where brk-grow left it");
	if (probing)
		return (void)say("ok");
	if (sbrk(-(intptr_t)len) == (void *)-1)
		return fail(errno, "sbrk");
	brk_end -= len;
	say("ok %lx %lx", (unsigned long)brk_end, (unsigned long)(brk_end + len));
}

static void do_fork(uintptr_t write_at)
{
	int release[2];
	pid_t child;
	int status;
	char byte = 0;

	if (pipe2(release, O_CLOEXEC) != 0)
		return fail(errno, "pipe2");
	child = fork();
	if (child < 0) {
		close(release[0]);
		close(release[1]);
		return fail(errno, "fork");
	}
	if (child == 0) {
		/* Alive, and sharing the pages copy-on-write, until released. */
		while (read(release[0], &byte, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	if (write_at)
		*(volatile char *)write_at = 2;
	if (write(release[1], &byte, 1) != 1)
		_exit(4);
	close(release[0]);
	close(release[1]);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	say("ok");
}

int main(int argc, char **argv)
{
	struct statfs fs;

	page = sysconf(_SC_PAGESIZE);
	file_dir = argc > 1 ? argv[1] : "/tmp";
	if (statfs(file_dir, &fs) != 0) {
		fprintf(stderr, "fuzz_target: statfs %s: %s\n", file_dir, strerror(errno));
		return 2;
	}
	/* The kernel treats a file on tmpfs as shmem, anywhere else as a file. */
	say("ready pid=%d page=%ld fs=%s", getpid(), page, (unsigned long)fs.f_type == TMPFS_MAGIC ? "tmpfs" : "other");
	while (read_line()) {
		char *save = NULL;
		char *cmd = strtok_r(line, " ", &save);

		probing = cmd && strcmp(cmd, "probe") == 0;
		if (probing)
			cmd = strtok_r(NULL, " ", &save);
		char *a1 = strtok_r(NULL, " ", &save);
		char *a2 = strtok_r(NULL, " ", &save);
		char *a3 = strtok_r(NULL, " ", &save);
		char *a4 = strtok_r(NULL, " ", &save);

		if (!cmd) {
			say("err EINVAL empty command");
		} else if (strcmp(cmd, "attach") == 0) {
			do_attach(a1, a2);
		} else if (strcmp(cmd, "map") == 0 && a3) {
			do_map(a1, hex(a2), pages(a3));
		} else if (strcmp(cmd, "munmap") == 0 && a2) {
			if (munmap((void *)hex(a1), pages(a2)) != 0)
				fail(errno, "munmap");
			else
				say("ok");
		} else if (strcmp(cmd, "madvise") == 0 && a3) {
			int advice = strcmp(a3, "free") == 0 ? MADV_FREE : MADV_DONTNEED;

			if (madvise((void *)hex(a1), pages(a2), advice) != 0)
				fail(errno, "madvise");
			else
				say("ok");
		} else if (strcmp(cmd, "mremap") == 0 && a3) {
			do_mremap(hex(a1), pages(a2), pages(a3), hex(a4));
		} else if (strcmp(cmd, "brk-shrink") == 0 && a1) {
			do_brk_shrink(pages(a1));
		} else if (probing) {
			say("ok");
		} else if (strcmp(cmd, "brk-grow") == 0 && a1) {
			do_brk_grow(pages(a1));
		} else if (strcmp(cmd, "fork") == 0) {
			do_fork(hex(a1));
		} else if (strcmp(cmd, "write") == 0 && a1) {
			*(volatile char *)hex(a1) = 3;
			say("ok");
		} else if (strcmp(cmd, "exit") == 0) {
			say("ok");
			return 0;
		} else {
			say("err EINVAL unknown command or missing arguments: %s", cmd);
		}
	}
	return 0;
}
