// Naming the daemon this process's ptracer before the handoff. Under Yama's
// ptrace_scope 1 (Ubuntu's default) a process may take another's fds with
// pidfd_getfd only from its own descendants or from a process that named it
// with prctl(PR_SET_PTRACER); a sidecar is the target's child (spawned by the
// library) or its sibling (ummunotifyd run), so neither would pass.

import { connect } from 'node:net';
import { native } from '../../../daemon/src/native.ts';
import { socketFd } from '../../../daemon/src/peers.ts';

/**
 * Best effort: asks the kernel who listens on the daemon's socket
 * (SO_PEERCRED) and names that process. Nothing to do without Yama; any
 * failure shows at Attach, whose error names the reasons.
 */
export async function nameDaemonPtracer(socketPath: string): Promise<void> {
  const sock = connect(socketPath);
  try {
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    const { pid } = native.peerCred(socketFd(sock));
    // A pid of 0: the daemon is in a pid namespace we cannot see.
    if (pid > 0) native.allowPtracer(pid);
  } catch {
    // As above: Attach will say what is wrong.
  } finally {
    sock.destroy();
  }
}
