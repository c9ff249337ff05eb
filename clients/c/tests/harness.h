/*
 * What every C client test shares: TAP output, the daemon of this checkout,
 * and small probes of this process (its fds, its mappings, its children).
 */
#ifndef UMN_TEST_HARNESS_H
#define UMN_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ummunotify/client.h"

/* Points UMMUNOTIFYD at this checkout's daemon (unless set), clears
 * UMMUNOTIFY_SOCKET so that clients spawn their own, prints the TAP plan. */
void test_begin(int planned);

/* Records one TAP result; returns cond. */
bool ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Marks the next ok() as TAP TODO: a known bug outside this library, whose
 * failure is shown but not counted; reason says where the bug is. */
void todo(const char *reason);

/* A TAP diagnostic line. */
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Stops at once (TAP "Bail out!"): later tests would only repeat the failure. */
void bail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* The exit status: 0 if every planned test ran and passed. */
int test_end(void);

/* umn_open() with the given daemon arguments; bails out on failure. */
struct umn_client *open_client(const char *const *daemon_args, size_t n, bool no_attach);

/* Reports the last failure as a diagnostic (for a failed expectation). */
void diag_last_error(const char *what);

/* The engine auto resolves to on this machine. */
enum umn_engine expected_engine(void);

size_t page_size(void);

/* Anonymous private read-write pages, each touched once; bails out on failure. */
char *map_pages(size_t pages);

/* Open fds of this process. */
int count_fds(void);

/* Fds of this process whose /proc/self/fd link contains needle. */
int count_fds_linking(const char *needle);

/* Lines of /proc/self/maps containing needle. */
int count_maps_lines(const char *needle);

/* Permissions ("r--s") of the mapping holding addr, into perms[5]; false if none. */
bool mapping_perms(const void *addr, char perms[5]);

/* How many live children we have; the first max pids go to pids. */
size_t children(pid_t *pids, size_t max);

/* Polls umn_info() until subscribers == want (every 10 ms, 5 s at most). */
bool wait_subscribers(struct umn_client *client, uint32_t want);

/* Milliseconds on a monotonic clock. */
int64_t now_ms(void);

#endif
