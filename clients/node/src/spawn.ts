// Starting a daemon for a process (usually our own): what a client library
// does when no sidecar was started for it.

import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const DAEMON_CLI = join(REPO, 'daemon', 'src', 'cli.ts');

export interface SpawnedDaemon {
  readonly process: ChildProcess;
  readonly socket: string;
  readonly counterSocket: string;
  /** Resolves with the daemon's exit code once it has exited. */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then wait for the orderly stop. */
  stop(): Promise<number | null>;
}

/** The daemon's ready line on stdout: {"ready":true,"socket":...,"counterSocket":...}. */
export function parseReadyLine(line: string): { socket: string; counterSocket: string } | undefined {
  try {
    const value = JSON.parse(line) as { ready?: unknown; socket?: unknown; counterSocket?: unknown };
    if (value.ready === true && typeof value.socket === 'string' && typeof value.counterSocket === 'string') {
      return { socket: value.socket, counterSocket: value.counterSocket };
    }
  } catch {
    // not the ready line
  }
  return undefined;
}

export interface SpawnOptions {
  readonly stderr?: 'inherit' | 'ignore' | 'pipe';
  /** Run the daemon as this user (and group of the same number); needs privilege. */
  readonly uid?: number;
  /** The daemon's environment (default: ours). */
  readonly env?: NodeJS.ProcessEnv;
  /** The daemon executable (default: $UMMUNOTIFYD, else this repository's). */
  readonly daemon?: string;
}

/** The given daemon, else $UMMUNOTIFYD if set (clients/README.md), else this repository's daemon. */
function daemonCommand(given: string | undefined): [string, string[]] {
  const configured = given ?? process.env.UMMUNOTIFYD;
  return configured ? [configured, []] : [process.execPath, ['--import', 'tsx', DAEMON_CLI]];
}

export function spawnDaemon(pid: number, args: readonly string[] = [], options: SpawnOptions = {}): Promise<SpawnedDaemon> {
  const [command, prefix] = daemonCommand(options.daemon);
  const child = spawn(command, [...prefix, '--pid', String(pid), ...args], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', options.stderr ?? 'inherit'],
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }),
    ...(options.env === undefined ? {} : { env: options.env }),
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      const ready = parseReadyLine(line);
      if (ready === undefined) return;
      lines.close();
      resolve({
        process: child,
        ...ready,
        exited,
        stop: () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          return exited;
        },
      });
    });
    void exited.then((code) => reject(new Error(`ummunotifyd exited (status ${code}) before it was ready`)));
    child.once('error', reject);
  });
}
