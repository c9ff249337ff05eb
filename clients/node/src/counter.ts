// The counter page: fetched once over the daemon's SCM_RIGHTS socket, then
// checked with one memory load, no system call.

import { native } from '../../../daemon/src/native.ts';

// <linux/fcntl.h>
const F_SEAL_SEAL = 0x0001;
const F_SEAL_SHRINK = 0x0002;
const F_SEAL_GROW = 0x0004;
const F_SEAL_FUTURE_WRITE = 0x0010;
export const REQUIRED_SEALS = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE;

/** Whether a memfd's seals stop everybody but the daemon's own mapping from changing it. */
export function sealsAreSafe(seals: number): boolean {
  return (seals & REQUIRED_SEALS) === REQUIRED_SEALS;
}

export interface Counter {
  /** The generation counter now: one load from the mapped page. */
  value(): bigint;
  /** True if the counter moved since `seen` (the counter of the last Last report). */
  changedSince(seen: bigint): boolean;
  close(): void;
}

export function mapCounter(socketPath: string, sealedMemfd: boolean): Counter {
  const fd = native.receiveFd(socketPath);
  try {
    if (sealedMemfd && !sealsAreSafe(native.getSeals(fd))) {
      throw new Error(`the counter fd from ${socketPath} is not sealed against writes and truncation; refusing to trust it`);
    }
    const mapping = native.mapCounter(fd);
    return {
      value: () => mapping.load(),
      changedSince: (seen) => mapping.load() !== seen,
      close: () => mapping.unmap(),
    };
  } finally {
    native.close(fd);
  }
}
