// What a test asks of its target process, and what comes back. The target
// (target-main.ts) is a real process doing real memory operations and
// talking to its daemon through clients/node, as an MPI rank would.

import type { Registration } from '../../clients/node/src/client.ts';
import type { Report } from '../../clients/node/src/reports.ts';

export type TargetRequest =
  | { readonly op: 'connect'; readonly socket: string; readonly timeoutMs?: number }
  | { readonly op: 'attach' }
  | { readonly op: 'attachFd'; readonly fd: number }
  | { readonly op: 'openFile'; readonly path: string }
  | { readonly op: 'register'; readonly regs: readonly Registration[] }
  | { readonly op: 'unregister'; readonly cookies: readonly bigint[] }
  | { readonly op: 'readEvents' }
  | { readonly op: 'info' }
  /** Opens a StreamEvents subscription, as an inspection tool would; nextReport pulls from it. */
  | { readonly op: 'subscribe' }
  /** The subscription's next report, or undefined after timeoutMs with none (or once it ended). */
  | { readonly op: 'nextReport'; readonly timeoutMs: number }
  /** Asks an fd-passing socket (the counter socket) for its fd directly, as a client would after GetCounterEndpoint. */
  | { readonly op: 'receiveFd'; readonly path: string }
  | { readonly op: 'counter' }
  | { readonly op: 'mmap'; readonly pages: number }
  | { readonly op: 'mmapFixed'; readonly addr: bigint; readonly pages: number }
  | { readonly op: 'mmapShared'; readonly pages: number }
  | { readonly op: 'mmapFile'; readonly path: string; readonly pages: number }
  /** memops.map: `pages` of one kind, MAP_FIXED at `at` if given, touched; read-only unless `writable`. */
  | { readonly op: 'map'; readonly kind: 'anonymous' | 'shared' | 'file'; readonly pages: number; readonly at?: bigint; readonly writable: boolean }
  | { readonly op: 'munmap'; readonly addr: bigint; readonly pages: number }
  | { readonly op: 'madvise'; readonly addr: bigint; readonly pages: number }
  | { readonly op: 'mremap'; readonly addr: bigint; readonly pages: number; readonly to: bigint }
  | { readonly op: 'brkGrow'; readonly pages: number }
  | { readonly op: 'brkShrink'; readonly pages: number }
  | { readonly op: 'write'; readonly addr: bigint; readonly value: number }
  | { readonly op: 'forkThenWrite'; readonly addr: bigint }
  /** munmap+mmap(MAP_FIXED) of watched pages of [addr, addr + pages), `cycles` in all; counts cycles where the counter had not moved when munmap returned. */
  | { readonly op: 'counterLoop'; readonly addr: bigint; readonly pages: number; readonly cycles: number }
  /** madvise(DONTNEED) of each page of [addr, addr + pages) in turn, `rounds` times: pages x rounds invalidations. */
  | { readonly op: 'madviseLoop'; readonly addr: bigint; readonly pages: number; readonly rounds: number }
  /** One thread munmaps/remaps watched memory while another registers, `rounds` times. */
  | { readonly op: 'racingRegister'; readonly rounds: number }
  | { readonly op: 'exit'; readonly code: number };

export interface TargetReply {
  readonly id: number;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: { readonly message: string; readonly status?: string; readonly errnoName?: string };
}

export type { Registration, Report };
