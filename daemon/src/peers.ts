// Peer identity, checked on every connection at accept, before gRPC sees it.
//
// Our own net.Server accepts the Unix socket; we read SO_PEERCRED, refuse
// uids that may not talk to us, and hand the rest to grpc-js through a
// connection injector. grpc-js reports a call's peer as its socket's
// remoteAddress, which a Unix socket lacks: we set it to a per-connection
// tag, so that each call can learn which connection (and process) it came
// from through the public getPeer().

import type { Socket } from 'node:net';
import { native, type PeerCred } from './native.ts';
import { roleOfUid, type AccessPolicy, type Role } from './roles.ts';
import { isSameProcess, pidOfPidfd, startTimeOf, type TargetIdentity } from './target.ts';

/** How a peer was told apart from a process that reused its pid. */
export type Identification = 'SO_PEERPIDFD' | 'start time';

export interface Peer extends PeerCred {
  readonly tag: string;
  /** The peer is the target process itself, decided at accept. */
  readonly isTarget: boolean;
  readonly identifiedBy: Identification;
  /** Decided at accept from the uid (roles.ts); every call is checked against it. */
  readonly role: Role;
}

interface SocketWithHandle {
  readonly _handle?: { readonly fd?: number };
}

/** The fd under a connected net.Socket; Node keeps it in the (stable, if undocumented) handle. */
export function socketFd(socket: Socket): number {
  const fd = (socket as unknown as SocketWithHandle)._handle?.fd;
  if (fd === undefined || fd < 0) throw new Error('socket has no file descriptor');
  return fd;
}

/**
 * Whether the process at the other end of a socket is the target. SO_PEERPIDFD
 * names the connecting process itself: while it lives its pid is its own, so
 * it is the target exactly when that pid is the target's (the target is alive:
 * Attach takes the fd through the daemon's own pidfd, which fails otherwise).
 * Kernels before 6.5 lack it; the pid's start time then stands in.
 */
export function identifyPeer(fd: number, cred: PeerCred, target: TargetIdentity): { isTarget: boolean; identifiedBy: Identification } {
  let pidfd: number | null;
  try {
    pidfd = native.peerPidfd(fd);
  } catch {
    // The peer is gone already (ESRCH): it is nobody's target.
    return { isTarget: false, identifiedBy: 'SO_PEERPIDFD' };
  }
  if (pidfd === null) return { isTarget: isSameProcess(target, cred.pid, startTimeOf(cred.pid)), identifiedBy: 'start time' };
  try {
    return { isTarget: pidOfPidfd(pidfd) === target.pid, identifiedBy: 'SO_PEERPIDFD' };
  } finally {
    native.close(pidfd);
  }
}

export type Admission = { readonly ok: true; readonly peer: Peer } | { readonly ok: false; readonly reason: string; readonly cred?: PeerCred };

export class PeerRegistry {
  private readonly peers = new Map<string, Peer>();
  private next = 1;

  constructor(
    private readonly policy: AccessPolicy,
    private readonly target: TargetIdentity,
  ) {}

  /** Checks a new connection; on success tags the socket and remembers the peer until it closes. */
  admit(socket: Socket): Admission {
    let fd: number;
    let cred: PeerCred;
    try {
      fd = socketFd(socket);
      cred = native.peerCred(fd);
    } catch (e) {
      return { ok: false, reason: `cannot read the peer's credentials: ${(e as Error).message}` };
    }
    const decision = roleOfUid(cred.uid, this.policy);
    if (!decision.ok) return { ok: false, reason: decision.reason, cred };
    const tag = `ummunotify-peer-${this.next++}`;
    const peer: Peer = { ...cred, tag, ...identifyPeer(fd, cred, this.target), role: decision.role };
    Object.defineProperty(socket, 'remoteAddress', { value: tag, configurable: true });
    this.peers.set(tag, peer);
    socket.once('close', () => this.peers.delete(tag));
    return { ok: true, peer };
  }

  /** The peer of a call, from grpc-js's getPeer(). */
  peerOf(call: { getPeer(): string }): Peer | undefined {
    return this.peers.get(call.getPeer());
  }
}
