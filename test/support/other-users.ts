// For specs that play other users against a daemon (the tests run as root):
// sidecars and processes of a given uid that are cleaned up after each test,
// and a way to catch the refusal a call must meet.

import { afterEach } from 'vitest';
import { startSidecar, TargetProcess, type Sidecar, type TargetError } from './target-process.ts';

export interface OtherUsers {
  /** A sidecar, closed after the test. */
  sidecar(options: Parameters<typeof startSidecar>[0]): Promise<Sidecar>;
  /** A process of `uid`, killed after the test. */
  userProcess(uid: number): Promise<TargetProcess>;
}

/** Call once at the top of a spec file: registers the after-each cleanup. */
export function otherUsers(): OtherUsers {
  let cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const step of cleanup.reverse()) await step();
    cleanup = [];
  });
  return {
    async sidecar(options) {
      const s = await startSidecar(options);
      cleanup.push(() => s.close());
      return s;
    },
    async userProcess(uid) {
      const p = await TargetProcess.start(uid);
      cleanup.push(() => p.kill());
      return p;
    },
  };
}

/** The error a call was refused with; fails if it succeeded. */
export async function refusal(p: Promise<unknown>): Promise<TargetError> {
  try {
    await p;
  } catch (e) {
    return e as TargetError;
  }
  throw new Error('expected a refusal');
}
