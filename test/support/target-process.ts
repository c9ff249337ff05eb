// The test side of a target process: start it, ask it to do things, start a
// real daemon for it, and clean everything up.

import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach } from 'vitest';
import { UmmunotifyClient } from '../../clients/node/src/client.ts';
import { spawnDaemon, type SpawnedDaemon } from '../../clients/node/src/spawn.ts';
import { isOtherUid, nodeCommand, otherUidProgram } from './other-uid.ts';
import type { TargetReply, TargetRequest } from './target-protocol.ts';

/** A failed target request, with the daemon's status and errno when there were any. */
export class TargetError extends Error {
  constructor(
    message: string,
    readonly status?: string,
    readonly errnoName?: string,
  ) {
    super(message);
  }
}

export class TargetProcess {
  private next = 1;
  private readonly waiting = new Map<number, (reply: TargetReply) => void>();
  readonly exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly pid: number,
  ) {
    child.on('message', (reply: TargetReply) => {
      this.waiting.get(reply.id)?.(reply);
      this.waiting.delete(reply.id);
    });
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Starts a target, as another user if `uid` is given (tests run as root). */
  static async start(uid?: number): Promise<TargetProcess> {
    const command = await nodeCommand('test/support/target-main.ts', uid);
    // Advanced serialization carries bigints (addresses, cookies) intact.
    const child = spawn(process.execPath, command.args, {
      ...command.options,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      child.once('message', (hello: TargetReply) => resolve(new TargetProcess(child, hello.result as number)));
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`target exited (${code}) before it was ready`)));
    });
  }

  /** Asks the target to do something; rejects with a TargetError carrying the daemon's status. */
  do<T = unknown>(req: TargetRequest): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, (reply) =>
        reply.ok ? resolve(reply.result as T) : reject(new TargetError(reply.error?.message ?? 'failed', reply.error?.status, reply.error?.errnoName)),
      );
      this.child.send({ id, req });
    });
  }

  kill(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    return this.exited;
  }
}

export interface Sidecar {
  readonly target: TargetProcess;
  readonly daemon: SpawnedDaemon;
  readonly dir: string;
  /** The daemon's log lines (JSON), when captureDaemonLog was asked for; else always empty. */
  readonly daemonLog: readonly string[];
  close(): Promise<void>;
}

export interface SidecarOptions {
  /** Attach the target's uffd at once (default true). */
  readonly attach?: boolean;
  readonly daemonArgs?: readonly string[];
  readonly targetUid?: number;
  readonly daemonUid?: number;
  /** No --socket: the daemon picks its default path (/run/ummunotify/PID.sock as root). */
  readonly defaultSocket?: boolean;
  /** Keep the daemon's stderr (JSON log lines) in daemonLog instead of passing it through. */
  readonly captureDaemonLog?: boolean;
}

/** A target with its own daemon, connected and (unless told otherwise) attached. */
export async function startSidecar(options: SidecarOptions = {}): Promise<Sidecar> {
  const target = await TargetProcess.start(options.targetUid);
  const dir = mkdtempSync(join(tmpdir(), 'umn-test-'));
  if (options.daemonUid !== undefined) chownSync(dir, options.daemonUid, options.daemonUid);
  let daemon: SpawnedDaemon;
  try {
    // A daemon of another uid, who may not reach the checkout, runs from its private bundle.
    const bundle = isOtherUid(options.daemonUid) ? await otherUidProgram('daemon/src/cli.ts') : undefined;
    daemon = await spawnDaemon(
      target.pid,
      [...(options.defaultSocket ? [] : ['--socket', join(dir, 'd.sock')]), '--exit-grace-ms', '100', '--log-level', 'warn', ...(options.daemonArgs ?? [])],
      {
        ...(options.daemonUid === undefined ? {} : { uid: options.daemonUid }),
        ...(options.captureDaemonLog ? { stderr: 'pipe' as const } : {}),
        ...(bundle === undefined ? {} : { daemon: bundle }),
      },
    );
  } catch (e) {
    // No close() will come for a sidecar that never was: its target must not outlive the test.
    await target.kill();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const daemonLog: string[] = [];
  if (options.captureDaemonLog && daemon.process.stderr) createInterface({ input: daemon.process.stderr }).on('line', (line) => daemonLog.push(line));
  await target.do({ op: 'connect', socket: daemon.socket });
  if (options.attach ?? true) await target.do({ op: 'attach' });
  return {
    target,
    daemon,
    dir,
    daemonLog,
    async close() {
      await target.kill();
      const code = await daemon.stop();
      rmSync(dir, { recursive: true, force: true });
      // Every test also checks that the daemon stops cleanly (a crash at
      // shutdown, say), unless the test killed it on purpose.
      if (code !== 0 && daemon.process.signalCode !== 'SIGKILL') {
        throw new Error(`ummunotifyd did not stop cleanly: exit ${code}, signal ${daemon.process.signalCode}`);
      }
    },
  };
}

/**
 * For a describe block whose tests each want a fresh attached sidecar and
 * an observer client of their own (the test process, as root).
 */
export function eachWithSidecar(options: SidecarOptions = {}): { readonly sidecar: Sidecar; readonly observer: UmmunotifyClient } {
  let sidecar: Sidecar | undefined;
  let observer: UmmunotifyClient | undefined;
  beforeEach(async () => {
    sidecar = await startSidecar(options);
    observer = await UmmunotifyClient.connect(sidecar.daemon.socket);
  });
  afterEach(async () => {
    observer?.close();
    await sidecar?.close();
    sidecar = observer = undefined;
  });
  const need = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('eachWithSidecar: only inside a test');
    return value;
  };
  return {
    get sidecar() {
      return need(sidecar);
    },
    get observer() {
      return need(observer);
    },
  };
}
