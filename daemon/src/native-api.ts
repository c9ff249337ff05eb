// The native addon's interface (daemon/native/, C++ with node-addon-api):
// this file is the whole boundary between TypeScript and C++. Types only, so
// that pure modules can use them without loading the addon (see native.ts).
//
// Errors thrown by the addon are `NativeError`s: a message a person can act
// on, plus `errno` and `code` (the errno name) where a system call failed.

/** An error from the addon; `errno`/`code` are set when a system call failed. */
export interface NativeError extends Error {
  readonly errno?: number;
  readonly code?: string;
  /** What kind of failure, for mapping to a gRPC status. */
  readonly kind?: 'invalid' | 'exists' | 'not_found' | 'exhausted' | 'precondition' | 'permission';
}

export interface PeerCred {
  readonly pid: number;
  readonly uid: number;
  readonly gid: number;
}

/** A byte range [start, end) under a cookie. */
export interface NativeRegistration {
  readonly cookie: bigint;
  readonly start: bigint;
  readonly end: bigint;
}

/** Event sources, numbered as ummunotify.v1.EventSource. */
export const NativeSource = {
  Unmap: 1,
  Madvise: 2,
  Mremap: 3,
  Fork: 4,
} as const;
export type NativeSource = (typeof NativeSource)[keyof typeof NativeSource];

export type NativeReport =
  | { readonly type: 'inval'; readonly cookie: bigint; readonly hint: boolean; readonly start: bigint; readonly end: bigint; readonly sources: readonly NativeSource[] }
  | { readonly type: 'last'; readonly counter: bigint };

export interface NativeEngineInfo {
  readonly features: readonly string[];
  readonly sources: readonly NativeSource[];
  readonly blindSpots: readonly string[];
  /** Numbered as ummunotify.v1.MappingType. */
  readonly watchableMappings: readonly number[];
  readonly counter: bigint;
  readonly registrations: number;
  readonly maxRegistrations: number;
  readonly pendingReports: number;
  readonly subscribers: number;
  readonly targetGone: boolean;
}

/** Where counts() puts each of info()'s counts. */
export const CountSlot = {
  Counter: 0,
  Registrations: 1,
  MaxRegistrations: 2,
  PendingReports: 3,
  Subscribers: 4,
  /** 1 once the target has exited. */
  TargetGone: 5,
} as const;
export const COUNT_SLOTS = 6;

/** A subscriber's batch and the unregistration epoch at which it was taken (UnregisterResponse.epoch). */
export interface NativeTaken {
  readonly reports: NativeReport[];
  readonly epoch: bigint;
}

/** One StreamEvents subscriber's own coalescing queue inside the engine. */
export interface NativeSubscription {
  /** Takes up to `max` (0: all) coalesced INVAL reports; never a LAST. */
  take(max: number): NativeTaken;
  /** Reports waiting for this subscriber. */
  pending(): number;
  close(): void;
}

/**
 * An engine owns the notification fd and a native thread that reads it.
 * The thread never waits for JavaScript: it signals activity through
 * `onActivity`, coalesced (at most one call pending at a time).
 */
export interface NativeEngine {
  info(): NativeEngineInfo;
  /**
   * info()'s counts only, into `out` (COUNT_SLOTS long) by CountSlot: the
   * per-call part of GetInfo, without building an object (the lists of
   * info() are fixed once the engine exists).
   */
  counts(out: BigUint64Array): void;
  /** All or nothing; throws NativeError. */
  register(regs: readonly NativeRegistration[]): void;
  /** register() of [cookie, start, end] triples, read in place: what wire.ts decodes a batch into. */
  registerPacked(triples: BigUint64Array): void;
  /**
   * All or nothing; throws NativeError (kind 'not_found' for an unknown
   * cookie). Returns the unregistration epoch: batches taken from now on
   * carry it or a later one, and none of them names these cookies.
   */
  unregister(cookies: readonly bigint[]): bigint;
  /** unregister(), read in place. */
  unregisterPacked(cookies: BigUint64Array): bigint;
  /** Drains like read(2): INVAL reports, then LAST once empty; [] when nothing is pending. */
  readEvents(max: number): NativeReport[];
  subscribe(): NativeSubscription;
  /** A read-only fd for the counter page, to hand to clients (caller closes it). */
  counterFd(): number;
  /** Stops the thread and closes every fd the engine owns. Idempotent. */
  close(): void;
}

export interface DeviceEngineOptions {
  /** The /dev/ummunotify fd, already taken from the target; the engine owns it from now on. */
  readonly device: number;
  /** pidfd of the target, for exit detection; the engine does not close it. */
  readonly pidfd: number;
  readonly maxRegistrations: number;
  /** Called from the event loop when queues became non-empty or the target exited. */
  readonly onActivity: () => void;
}

export interface UffdEngineOptions {
  /** The uffd, already taken from the target; the engine owns it from now on. */
  readonly uffd: number;
  /** pidfd of the target, for exit detection; the engine does not close it. */
  readonly pidfd: number;
  readonly pid: number;
  readonly maxRegistrations: number;
  /** Spin this long after each event before blocking again (latency lever); 0 = never. */
  readonly busyPollMicros: number;
  /** Called from the event loop when queues became non-empty or the target exited. */
  readonly onActivity: () => void;
}

export interface NativeAddon {
  pidfdOpen(pid: number): number;
  /** pidfd_getfd(2); EPERM comes back as NativeError kind 'permission' with the reason. */
  pidfdGetfd(pidfd: number, targetFd: number): number;
  /** What an fd is: 'uffd', 'device' (/dev/ummunotify) or 'other'. */
  fdKind(fd: number): 'uffd' | 'device' | 'other';
  peerCred(socketFd: number): PeerCred;
  /** SO_PEERPIDFD where the kernel has it (6.5+), else null. */
  peerPidfd(socketFd: number): number | null;
  close(fd: number): void;
  /** Calls onExit once, from the event loop, when the process behind the pidfd has exited. */
  watchPidfd(pidfd: number, onExit: () => void): { close(): void };
  createUffdEngine(options: UffdEngineOptions): NativeEngine;
  /** Negotiates target-exit and counter-fd with the module; FAILED_PRECONDITION-kind error if the fd was used before. */
  createDeviceEngine(options: DeviceEngineOptions): NativeEngine;

  /**
   * A SOCK_SEQPACKET listener at `path` whose native thread hands every
   * accepted peer whose uid `allow(uid)` (checked from JS beforehand via the
   * uid list) one byte plus `fd` (SCM_RIGHTS), then closes the connection.
   */
  serveFd(path: string, fd: number, allowedUids: readonly number[]): { close(): void };

  // ---- the target's side (clients/node) ----
  /** userfaultfd(O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY); no UFFDIO_API. */
  createUffd(): number;
  /**
   * prctl(PR_SET_PTRACER, pid): under Yama's ptrace_scope 1 a sidecar this
   * process spawned (its child) may then take its fd. False without Yama.
   */
  allowPtracer(pid: number): boolean;
  /** Connects to a SOCK_SEQPACKET socket and receives exactly one fd (MSG_CMSG_CLOEXEC, MSG_CTRUNC checked). */
  receiveFd(path: string): number;
  /** F_GET_SEALS of a memfd. */
  getSeals(fd: number): number;
  /** mmap(PROT_READ, MAP_SHARED) of the first page of fd; read it with `load()`. */
  mapCounter(fd: number): { load(): bigint; unmap(): void };
}
