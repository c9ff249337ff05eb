// SPDX-License-Identifier: GPL-2.0
/*
 * Process and memory helpers shared by the cases.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "util.h"

#ifndef __NR_pidfd_open
#define __NR_pidfd_open		434
#endif
#ifndef __NR_pidfd_getfd
#define __NR_pidfd_getfd	438
#endif

size_t page_size;

void util_init(void)
{
	page_size = sysconf(_SC_PAGESIZE);
}

void touch_pages(char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		__atomic_store_n(p + i * page_size, (char)(i + 1),
				 __ATOMIC_RELAXED);
}

char *map_pages(size_t n)
{
	char *p = mmap(NULL, n * page_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_MSG(p != MAP_FAILED, "mmap of %zu pages: %s", n,
		   tap_errstr(errno));
	/* Not fatal: kernels without THP reject it. */
	madvise(p, n * page_size, MADV_NOHUGEPAGE);
	touch_pages(p, n);
	return p;
}

char *reserve_pages(size_t n)
{
	char *p = mmap(NULL, n * page_size, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	ASSERT_MSG(p != MAP_FAILED, "mmap of %zu PROT_NONE pages: %s", n,
		   tap_errstr(errno));
	return p;
}

void chan_init(struct chan *c)
{
	ASSERT_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, c->fd));
}

int chan_end(struct chan *c, int side)
{
	close(c->fd[!side]);
	return c->fd[side];
}

void chan_send(int sock, uint64_t val, int fd)
{
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &val, .iov_len = sizeof(val) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;

	if (fd >= 0) {
		msg.msg_control = control;
		msg.msg_controllen = sizeof(control);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	ASSERT_EQ(sendmsg(sock, &msg, MSG_NOSIGNAL), sizeof(val));
}

uint64_t chan_recv(int sock, int *fd)
{
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	uint64_t val = 0;
	struct iovec iov = { .iov_base = &val, .iov_len = sizeof(val) };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control,
		.msg_controllen = sizeof(control),
	};
	struct cmsghdr *cmsg;
	ssize_t ret;

	do {
		ret = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	} while (ret < 0 && errno == EINTR);
	ASSERT_MSG(ret == sizeof(val),
		   "recvmsg on the channel: got %zd (%s)", ret,
		   ret < 0 ? tap_errstr(errno) : "peer gone or short message");
	ASSERT_TRUE(!(msg.msg_flags & MSG_CTRUNC));
	cmsg = CMSG_FIRSTHDR(&msg);
	if (fd) {
		ASSERT_MSG(cmsg && cmsg->cmsg_type == SCM_RIGHTS &&
			   cmsg->cmsg_len == CMSG_LEN(sizeof(int)),
			   "expected one file descriptor with the message");
		memcpy(fd, CMSG_DATA(cmsg), sizeof(int));
	} else {
		ASSERT_MSG(!cmsg, "unexpected file descriptor on the channel");
	}
	return val;
}

int sys_pidfd_open(pid_t pid, unsigned int flags)
{
	return syscall(__NR_pidfd_open, pid, flags);
}

int sys_pidfd_getfd(int pidfd, int targetfd, unsigned int flags)
{
	return syscall(__NR_pidfd_getfd, pidfd, targetfd, flags);
}

long sys_delete_module(const char *name, unsigned int flags)
{
	return syscall(SYS_delete_module, name, flags);
}

void drop_privileges(void)
{
	ASSERT_OK(setgroups(0, NULL));
	ASSERT_OK(setgid(UMN_NOBODY));
	ASSERT_OK(setuid(UMN_NOBODY));
	ASSERT_EQ(geteuid(), UMN_NOBODY);
}

bool read_number(const char *path, long long *val)
{
	char buf[128], *end;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		tap_fail_at(__FILE__, __LINE__, "open(%s): %s", path,
			    tap_errstr(errno));
		return false;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		tap_fail_at(__FILE__, __LINE__, "read(%s): %s", path,
			    tap_errstr(errno));
	close(fd);
	if (n < 0)
		return false;
	buf[n] = '\0';
	errno = 0;
	*val = strtoll(buf, &end, 10);
	if (end == buf || errno) {
		tap_fail_at(__FILE__, __LINE__, "%s: no number in \"%s\"",
			    path, buf);
		return false;
	}
	return true;
}

bool write_string(const char *path, const char *text)
{
	size_t len = strlen(text);
	ssize_t n;
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0) {
		tap_fail_at(__FILE__, __LINE__, "open(%s) for writing: %s",
			    path, tap_errstr(errno));
		return false;
	}
	n = write(fd, text, len);
	if (n != (ssize_t)len)
		tap_fail_at(__FILE__, __LINE__, "write \"%s\" to %s: %s",
			    text, path,
			    n < 0 ? tap_errstr(errno) : "short write");
	close(fd);
	return n == (ssize_t)len;
}
