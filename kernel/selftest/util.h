/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Process and memory helpers the cases share: anonymous mappings, a
 * parent/child message channel that can carry file descriptors, pidfds,
 * dropping root, and sysfs files.
 */
#ifndef UMN_UTIL_H
#define UMN_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tap.h"

/* The unprivileged identity cases switch to: nobody / nogroup. */
#define UMN_NOBODY		65534

extern size_t page_size;

void util_init(void);

/*
 * @n private anonymous read-write pages, each written once so that it is
 * populated, never backed by a transparent huge page (a huge page split
 * would invalidate its neighbours too).  Failure ends the case.
 */
char *map_pages(size_t n);
/* @n pages of address space, PROT_NONE, to carve fixed mappings from. */
char *reserve_pages(size_t n);
void touch_pages(char *p, size_t n);

/*
 * Channel between a case and a child it forks: a SOCK_SEQPACKET socketpair.
 * chan_send()/chan_recv() move one u64, optionally with a file descriptor;
 * any failure ends the process.
 */
struct chan {
	int fd[2];
};

void chan_init(struct chan *c);
/* Keep end @side (0 in the parent, 1 in the child), close the other. */
int chan_end(struct chan *c, int side);
void chan_send(int sock, uint64_t val, int fd);
/* @fd may be NULL when no descriptor is expected. */
uint64_t chan_recv(int sock, int *fd);

int sys_pidfd_open(pid_t pid, unsigned int flags);
int sys_pidfd_getfd(int pidfd, int targetfd, unsigned int flags);
long sys_delete_module(const char *name, unsigned int flags);

/* setgroups/setgid/setuid to UMN_NOBODY; failure ends the process. */
void drop_privileges(void);

/* First number in a sysfs/proc file; false (diagnosed) on failure. */
bool read_number(const char *path, long long *val);
bool write_string(const char *path, const char *text);

#endif /* UMN_UTIL_H */
