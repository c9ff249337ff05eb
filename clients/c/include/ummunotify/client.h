/*
 * libummunotify-client: the C client of the ummunotify sidecar daemon.
 *
 * A registration cache (MPI, RDMA) learns through this library when the
 * address ranges it cached stop being valid: munmap, madvise, mremap, brk
 * shrinking, mmap(MAP_FIXED) over a mapping, copy-on-write after fork.  The
 * events come from a per-process sidecar daemon, ummunotifyd, which this
 * library starts (or finds) and hands the process's notification fd to.
 *
 * The fast path costs one memory load and no system call: the daemon bumps a
 * generation counter on a page mapped read-only into this process *before*
 * the system call that caused the invalidation returns.  A cache keeps the
 * counter of the last Last report it read and compares it with the page on
 * every lookup (umn_changed_since()); only when they differ does it call
 * umn_read_events() and evict what was invalidated.
 *
 * Errors: every function that can fail returns a negative errno value.  Where
 * the daemon answered with an error, that is the errno the daemon sent in its
 * `ummunotify-errno` trailing metadata, or, where it sent none, one derived
 * from the gRPC status (table at umn_last_status()).  umn_last_error(),
 * umn_last_status() and umn_last_errno_name() then tell the calling thread
 * what failed and why.
 *
 * Threads: a client may be used by several threads at once, except that
 * umn_close() must not overlap any other call on the same client, and a
 * stream is used by one thread at a time.  The last-error state is per
 * thread, like errno, so a failure in one thread is never reported to
 * another.
 *
 * The library is C++ inside; no C++ exception ever crosses this interface.
 */
#ifndef UMMUNOTIFY_CLIENT_H
#define UMMUNOTIFY_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define UMN_API __attribute__((visibility("default")))
#else
#define UMN_API
#endif

/* A connection to one target's sidecar daemon; opaque. */
struct umn_client;

/* One StreamEvents subscription; opaque. */
struct umn_stream;

/**
 * enum umn_engine - where invalidations come from
 * @UMN_ENGINE_UNSPECIFIED: in &struct umn_open_options, "decide for me":
 *	$UMMUNOTIFY_ENGINE if set, else auto.  In &struct umn_info: not
 *	attached yet.
 * @UMN_ENGINE_DEVICE: /dev/ummunotify, the kernel module; sees every
 *	MMU-notifier invalidation.
 * @UMN_ENGINE_UFFD: a userfaultfd (UFFD_USER_MODE_ONLY, no privilege needed);
 *	sees unmap, madvise, mremap and fork only (see umn_info.blind_spots).
 * @UMN_ENGINE_AUTO: options only: the device if /dev/ummunotify exists, else
 *	uffd.
 *
 * The first three values are the wire enum's, so GetInfo maps one to one.
 */
enum umn_engine {
	UMN_ENGINE_UNSPECIFIED = 0,
	UMN_ENGINE_DEVICE = 1,
	UMN_ENGINE_UFFD = 2,
	UMN_ENGINE_AUTO = 3,
};

/**
 * struct umn_open_options - how umn_open() finds the daemon and attaches
 * @socket: the daemon's gRPC socket path.  NULL: $UMMUNOTIFY_SOCKET, and if
 *	that is unset too, spawn a daemon for this process.
 * @daemon: the daemon executable to spawn.  NULL: $UMMUNOTIFYD, else
 *	"ummunotifyd" searched on $PATH.
 * @daemon_args: extra arguments for a spawned daemon, after
 *	"--pid <getpid()>" (for example "--max-registrations", "4").
 * @n_daemon_args: number of entries in @daemon_args.
 * @engine: which notification fd to create and hand over.
 * @no_attach: open without handing the notification fd over; call
 *	umn_attach() later.  Named in the negative so that a zeroed struct
 *	means the usual thing: attach at once.
 * @call_timeout_ms: how long a call may wait for the daemon before failing
 *	with -ETIMEDOUT; 0 means 30 000.  A daemon that never answers must
 *	not hang the target forever.
 *
 * A zero-initialised struct (or a NULL pointer) gives the defaults, so new
 * fields keep old callers' behaviour.
 */
struct umn_open_options {
	const char *socket;
	const char *daemon;
	const char *const *daemon_args;
	size_t n_daemon_args;
	enum umn_engine engine;
	bool no_attach;
	unsigned call_timeout_ms;
};

/**
 * struct umn_range - one byte range to watch
 * @addr: first watched byte; need not be page-aligned (MPI buffers rarely
 *	are): an invalidation of any page overlapping the bytes hits it.
 * @length: number of bytes; the range is [addr, addr + length).
 * @cookie: the caller's name for the registration, unique per daemon.
 */
struct umn_range {
	uint64_t addr;
	uint64_t length;
	uint64_t cookie;
};

/**
 * enum umn_source - what the target did that invalidated a range
 *
 * Numbered as on the wire.  The device engine reports none (it sees
 * invalidations, not their causes).
 */
enum umn_source {
	UMN_SOURCE_UNSPECIFIED = 0,
	UMN_SOURCE_UNMAP = 1,	/* munmap, brk shrinking, mmap(MAP_FIXED) over it */
	UMN_SOURCE_MADVISE = 2, /* MADV_DONTNEED, MADV_REMOVE, MADV_FREE */
	UMN_SOURCE_MREMAP = 3,	/* mremap moving the range away */
	UMN_SOURCE_FORK = 4,	/* private writable memory became copy-on-write */
};

/* Room for every kind the protocol may grow to; each kind appears once. */
#define UMN_MAX_SOURCES 8

/**
 * enum umn_report_kind - what a &struct umn_report says
 * @UMN_REPORT_INVALIDATION: a registration was invalidated at least once
 *	since it was last reported.
 * @UMN_REPORT_LAST: the queue has emptied; @counter is the generation counter
 *	at that moment.  Keep it: umn_changed_since(page, counter) is false
 *	until something new happened.
 * @UMN_REPORT_TARGET_EXITED: the target has exited; nothing more will come.
 */
enum umn_report_kind {
	UMN_REPORT_INVALIDATION = 1,
	UMN_REPORT_LAST = 2,
	UMN_REPORT_TARGET_EXITED = 3,
};

/**
 * struct umn_report - one report
 * @kind: which fields below mean something.
 * @hint: (invalidation) exactly one invalidation hit the registration since
 *	it was last reported, and [@start, @end) is that invalidation clipped to
 *	the registration.  False: [@start, @end) is the whole registration.
 * @n_sources: (invalidation) entries used in @sources.
 * @sources: (invalidation) the kinds of invalidation folded into this report,
 *	each once, in the order first seen; empty where the engine cannot tell.
 * @cookie: (invalidation) the registration's cookie.
 * @start: (invalidation) first invalidated byte (see @hint).
 * @end: (invalidation) end of the invalidated bytes, exclusive.
 * @counter: (last) the generation counter when the queue emptied.
 * @pid: (target exited) the target's pid.
 */
struct umn_report {
	enum umn_report_kind kind;
	bool hint;
	unsigned n_sources;
	enum umn_source sources[UMN_MAX_SOURCES];
	uint64_t cookie;
	uint64_t start;
	uint64_t end;
	uint64_t counter;
	uint32_t pid;
};

/* Kinds of mapping, numbered as on the wire, for umn_info.watchable_mappings. */
enum umn_mapping {
	UMN_MAPPING_ANONYMOUS = 1,
	UMN_MAPPING_SHMEM = 2,
	UMN_MAPPING_HUGETLB = 3,
	UMN_MAPPING_FILE = 4,
};

/**
 * struct umn_info - what GetInfo says about the daemon and its target
 * @target_pid: the watched process.
 * @target_alive: false once it has exited.
 * @engine: UMN_ENGINE_UNSPECIFIED before Attach.
 * @counter: the generation counter now (a round trip; the page is cheaper).
 * @registrations: registrations held.
 * @max_registrations: the most the daemon accepts.
 * @pending_reports: reports waiting for umn_read_events().
 * @subscribers: streams connected.
 * @sources: bit (1u << UMN_SOURCE_x) for each kind of invalidation this
 *	engine reports.
 * @watchable_mappings: bit (1u << UMN_MAPPING_x) for each kind of mapping
 *	a registration may cover on this engine.
 * @features: engine features in use, by name ("wp_async", "event_fork").
 * @n_features: entries in @features.
 * @blind_spots: what this engine cannot see, in words a person can act on.
 * @n_blind_spots: entries in @blind_spots.
 *
 * The string arrays are allocated: release them with umn_info_release().
 */
struct umn_info {
	uint32_t target_pid;
	bool target_alive;
	enum umn_engine engine;
	uint64_t counter;
	uint64_t registrations;
	uint64_t max_registrations;
	uint64_t pending_reports;
	uint32_t subscribers;
	uint32_t sources;
	uint32_t watchable_mappings;
	char **features;
	size_t n_features;
	char **blind_spots;
	size_t n_blind_spots;
};

/**
 * umn_open() - connect to (or start) this process's sidecar and attach
 * @opts: NULL or a zero-initialised struct for the defaults.
 * @out: receives the client on success; untouched on failure.
 *
 * Called by the target process itself.  In order: find the daemon
 * (@opts->socket, $UMMUNOTIFY_SOCKET, or spawn @opts->daemon /
 * $UMMUNOTIFYD / "ummunotifyd" with "--pid <getpid()>" and the extra
 * arguments, its stderr inherited, waiting for its ready line); connect;
 * unless @opts->no_attach, umn_attach().
 *
 * A daemon spawned here is stopped by umn_close(), and by umn_open() itself
 * if a later step fails, so nothing outlives the client.  The spawned
 * daemon inherits none of this process's file descriptors besides stdio.
 * It is our child: do not reap it with waitpid(-1, ...) behind our back.
 * A process has one sidecar (the daemon locks its pid's socket), so a second
 * client that would spawn another fails with -ECHILD: give it the first
 * one's umn_socket_path() as @opts->socket, and @opts->no_attach.
 *
 * Return: 0, or a negative errno (-ENOENT: no daemon executable; -ECHILD:
 * the daemon exited before it was ready, umn_last_error() has its status;
 * -ETIMEDOUT: it never became ready or never answered; the errors of
 * umn_attach()).
 */
UMN_API int umn_open(const struct umn_open_options *opts, struct umn_client **out);

/**
 * umn_close() - unmap the counter page, disconnect, stop a spawned daemon
 * @client: NULL is allowed and does nothing.
 *
 * Stopping is SIGTERM, then wait; SIGKILL after 10 s.  A daemon found through
 * a socket was started by somebody else and keeps running.  Close every
 * stream of the client first: a stream left open after its client is closed
 * only ever reports an error.
 *
 * gRPC finishes tearing a connection down on its own threads.  When this
 * library is the only user of gRPC in the process, the last umn_close() or
 * umn_stream_close() waits (at most 5 s) until gRPC has shut down, so the
 * program may exit at once; an application that uses gRPC itself keeps it
 * up, and nothing waits.
 */
UMN_API void umn_close(struct umn_client *client);

/**
 * umn_socket_path() - the daemon's gRPC socket this client talks to
 *
 * Return: the path (the spawned daemon's, or the one given), valid until
 * umn_close(); how a second client in this process reaches the same sidecar.
 */
UMN_API const char *umn_socket_path(const struct umn_client *client);

/**
 * umn_attach() - hand this process's notification fd to the daemon
 * @client: a client opened with no_attach.
 *
 * Creates the engine's fd (open("/dev/ummunotify") or userfaultfd(2) with
 * UFFD_USER_MODE_ONLY), calls Attach with its number, and closes our copy
 * whatever the outcome: with the uffd engine a copy left here would keep this
 * process blocked on a daemon that died.  Then maps the counter page.
 *
 * Return: 0, or a negative errno: -EPERM (the kernel refused pidfd_getfd:
 * Yama, PR_SET_PTRACER, user namespaces), -EBADFD (already attached, or the
 * daemon has no engine for that fd), -EINVAL (bad engine in
 * $UMMUNOTIFY_ENGINE), the errno of a failed userfaultfd(2) or open(2), or of
 * the counter-page handoff (-EPROTO: not exactly one fd; -EMSGSIZE:
 * truncated control message; -EACCES: the memfd is not sealed).
 */
UMN_API int umn_attach(struct umn_client *client);

/**
 * umn_register() - watch the bytes [addr, addr + length) under @cookie
 *
 * Register *before* looking up or pinning the pages: an invalidation that
 * has already happened is not reported.
 *
 * Return: 0, or a negative errno, the daemon's where it sent one: -EINVAL
 * with status INVALID_ARGUMENT (empty range, beyond user space), with
 * ALREADY_EXISTS (cookie already in use: EINVAL as in the kernel ABI), or
 * with FAILED_PRECONDITION (memory the engine cannot watch, unmapped memory
 * included: the errno of the kernel's refusal); -ENOSPC (registration cap);
 * -ESRCH (the target has exited); -EBADFD (not attached).
 * umn_last_status() tells the cases apart.
 */
UMN_API int umn_register(struct umn_client *client, uint64_t addr, uint64_t length, uint64_t cookie);

/**
 * umn_register_batch() - watch @n ranges in one call, all or nothing
 *
 * One Register round trip for the lot, which is what makes registering many
 * buffers cheap.  If any range is refused none is registered, and the error
 * says which.
 *
 * Return: as umn_register().
 */
UMN_API int umn_register_batch(struct umn_client *client, const struct umn_range *ranges, size_t n);

/**
 * umn_unregister() - stop watching @cookie
 *
 * Once this returns, no report for @cookie is ever delivered, by
 * umn_read_events() or by any stream.
 *
 * Return: 0, or a negative errno: -EINVAL (unknown cookie: status NOT_FOUND,
 * errno EINVAL as in the kernel ABI), -EBADFD (not attached).
 */
UMN_API int umn_unregister(struct umn_client *client, uint64_t cookie);

/* As umn_unregister(), @n cookies in one call, all or nothing. */
UMN_API int umn_unregister_batch(struct umn_client *client, const uint64_t *cookies, size_t n);

/**
 * umn_read_events() - drain up to @max_reports reports into @out
 * @out: room for @max_reports reports.
 * @max_reports: at least 1; passed to the daemon as the request's limit.
 *
 * Like read(2) on the device: invalidation reports, then a Last report once
 * the queue is empty, then (once the target has exited and nothing remains)
 * a TargetExited report.  Nothing is lost when @out is small: the daemon
 * sends at most @max_reports and keeps the rest queued, coalesced.  To get
 * them all, call again until the answer holds a Last (or TargetExited)
 * report; a full answer without one means more is waiting.
 *
 * Return: the number of reports stored (0 if nothing was pending), or a
 * negative errno (-EINVAL for @max_reports 0, -EBADFD if not attached).
 */
UMN_API ssize_t umn_read_events(struct umn_client *client, struct umn_report *out, size_t max_reports);

/**
 * umn_read_events_all() - drain the whole queue
 * @out: receives an array allocated with malloc(3) (NULL when 0 reports);
 *	the caller frees it with free(3).
 *
 * Sends no limit and asks again until Last (or TargetExited) comes: one
 * reply holds at most the daemon's max_reports_per_read reports, so a deep
 * queue takes several round trips, and nothing is left behind.
 *
 * Return: the number of reports, or a negative errno.
 */
UMN_API ssize_t umn_read_events_all(struct umn_client *client, struct umn_report **out);

/**
 * umn_info() - ask the daemon about itself, its target and its engine
 * @out: filled on success; release it with umn_info_release().
 *
 * Works before Attach and after the target has exited.
 *
 * Return: 0 or a negative errno.
 */
UMN_API int umn_info(struct umn_client *client, struct umn_info *out);

/* Frees what umn_info() allocated in @info and zeroes it; NULL is allowed. */
UMN_API void umn_info_release(struct umn_info *info);

/**
 * umn_stream_open() - subscribe to every invalidation as it happens
 * @out: receives the stream on success.
 *
 * Each subscriber has its own queue and does not drain umn_read_events()'s.
 * One that falls behind gets coalesced reports, never a lost cookie.  Returns
 * once the daemon has the subscription in place (its first message came),
 * so every invalidation after this returns is delivered to the stream.
 *
 * Return: 0 or a negative errno: the daemon's refusal (-EBADFD, not
 * attached), or -ETIMEDOUT if it did not confirm within the client's call
 * timeout.
 */
UMN_API int umn_stream_open(struct umn_client *client, struct umn_stream **out);

/**
 * umn_stream_next() - wait for the stream's next report
 * @out: receives the report.
 * @timeout_ms: the longest wait; 0 only takes what has already arrived; a
 *	negative value waits without limit.
 *
 * Return: 1 with a report in @out; 0 on timeout (call again: nothing is
 * lost); -EPIPE once the stream has ended cleanly (after a TargetExited
 * report, or the daemon stopping); another negative errno if the stream
 * failed (umn_last_status() says how).
 */
UMN_API int umn_stream_next(struct umn_stream *stream, struct umn_report *out, int timeout_ms);

/**
 * umn_stream_close() - cancel the subscription at once and free the stream
 * @stream: NULL is allowed and does nothing.
 *
 * The daemon drops the subscriber and its queue as soon as the cancellation
 * arrives; this does not wait for reports still in flight.
 */
UMN_API void umn_stream_close(struct umn_stream *stream);

/**
 * umn_counter_page() - the mapped generation counter
 *
 * Return: the read-only page whose first u64 is the counter, valid until
 * umn_close(); NULL before the client has attached (the daemon has no counter
 * before it has an engine).  Check it with umn_changed_since().
 */
UMN_API const volatile uint64_t *umn_counter_page(const struct umn_client *client);

/**
 * umn_counter_load() - the generation counter now: one load, no system call
 * @page: from umn_counter_page().
 *
 * Acquire ordering: whatever the cache reads after seeing a counter value is
 * not reordered before the load that saw it.
 */
static inline uint64_t umn_counter_load(const volatile uint64_t *page)
{
	return __atomic_load_n(page, __ATOMIC_ACQUIRE);
}

/**
 * umn_changed_since() - has anything been invalidated since @seen?
 * @page: from umn_counter_page().
 * @seen: the counter of the last Last report the caller read (or
 *	umn_counter_load() just after opening, before any read).
 *
 * The counter is bumped before the system call that caused the invalidation
 * returns, so a false answer means every cached registration is still good.
 */
static inline bool umn_changed_since(const volatile uint64_t *page, uint64_t seen)
{
	return umn_counter_load(page) != seen;
}

/**
 * umn_last_error() - what the calling thread's last failed call said
 *
 * The daemon's message (a sentence a person can act on), or a local one
 * naming the system call that failed.  Valid until the thread's next failure;
 * "" if nothing has failed on this thread.  Calls that succeed leave it alone,
 * as they leave errno alone.
 */
UMN_API const char *umn_last_error(void);

/**
 * umn_last_status() - the gRPC status code of the thread's last failure
 *
 * 0 (OK) when the failure was local (spawning, the counter socket, mmap, an
 * argument this library refused).  Otherwise the code the daemon (or gRPC)
 * answered with; when the daemon sent no errno the return value came from it:
 *
 *	INVALID_ARGUMENT -EINVAL      ALREADY_EXISTS   -EEXIST
 *	NOT_FOUND        -ENOENT      RESOURCE_EXHAUSTED -ENOSPC
 *	PERMISSION_DENIED -EPERM      UNAUTHENTICATED  -EACCES
 *	FAILED_PRECONDITION -EBADFD   ("the daemon is not in a state for this":
 *	                              not attached, already attached; distinct
 *	                              from every errno the daemon sends)
 *	UNAVAILABLE      -ECONNREFUSED DEADLINE_EXCEEDED -ETIMEDOUT
 *	CANCELLED        -ECANCELED   UNIMPLEMENTED    -ENOSYS
 *	OUT_OF_RANGE     -ERANGE      ABORTED          -EAGAIN
 *	UNKNOWN, INTERNAL, DATA_LOSS  -EIO
 */
UMN_API int umn_last_status(void);

/**
 * umn_last_errno_name() - the errno name the daemon sent with the failure
 *
 * The `ummunotify-errno-name` trailing metadata ("EINVAL", "ENOSPC", ...), or
 * NULL if the daemon sent none (or the failure was local).
 */
UMN_API const char *umn_last_errno_name(void);

/* The name of a gRPC status code ("INVALID_ARGUMENT"), "UNKNOWN_STATUS" if none. */
UMN_API const char *umn_status_name(int code);

#ifdef __cplusplus
}
#endif

#endif /* UMMUNOTIFY_CLIENT_H */
