// open(): what the target process calls to get watched, in one step. It
// finds or starts its sidecar, hands over its notification fd and maps the
// counter page (clients/README.md is the contract all three clients share).

import { closeSync, existsSync, openSync } from 'node:fs';
import { native } from '../../../daemon/src/native.ts';
import { UmmunotifyClient } from './client.ts';
import type { Counter } from './counter.ts';
import { nameDaemonPtracer } from './ptracer.ts';
import { spawnDaemon, type SpawnedDaemon } from './spawn.ts';

export type EngineChoice = 'device' | 'uffd' | 'auto';

export const DEVICE_PATH = '/dev/ummunotify';

export interface OpenOptions {
  /** Default: $UMMUNOTIFY_ENGINE, else auto (the device if it exists, else uffd). */
  readonly engine?: EngineChoice;
  /** Extra arguments for a daemon that open() spawns. */
  readonly daemonArgs?: readonly string[];
  /** Default true; false leaves the handoff to a later attach(). */
  readonly attach?: boolean;
  /** Default: $UMMUNOTIFY_SOCKET, else spawn a sidecar for this process. */
  readonly socket?: string;
}

/** Which engine an explicit choice, the environment and this machine pick. */
export function chooseEngine(choice: string | undefined, deviceExists: boolean): 'device' | 'uffd' {
  switch (choice ?? 'auto') {
    case 'device':
      return 'device';
    case 'uffd':
      return 'uffd';
    case 'auto':
    case '':
      return deviceExists ? 'device' : 'uffd';
    default:
      throw new Error(`engine ${JSON.stringify(choice)}: expected device, uffd or auto`);
  }
}

/** Creates the notification fd for an engine; the caller owns it. */
function notificationFd(engine: 'device' | 'uffd'): number {
  // Node opens with O_CLOEXEC; the device refuses to be opened for writing.
  return engine === 'device' ? openSync(DEVICE_PATH, 'r') : native.createUffd();
}

/** A client of this process's own sidecar, with the counter page once attached. */
export class OpenClient {
  private counterPage: Counter | undefined;

  private constructor(
    readonly client: UmmunotifyClient,
    readonly engine: 'device' | 'uffd',
    private readonly daemon: SpawnedDaemon | undefined,
  ) {}

  static async open(options: OpenOptions = {}): Promise<OpenClient> {
    const engine = chooseEngine(options.engine ?? process.env.UMMUNOTIFY_ENGINE, existsSync(DEVICE_PATH));
    const socket = options.socket ?? process.env.UMMUNOTIFY_SOCKET;
    const daemon = socket ? undefined : await spawnDaemon(process.pid, options.daemonArgs ?? []);
    let opened: OpenClient | undefined;
    try {
      opened = new OpenClient(await UmmunotifyClient.connect(socket ?? (daemon as SpawnedDaemon).socket), engine, daemon);
      if (options.attach ?? true) await opened.attach();
      return opened;
    } catch (e) {
      if (opened) await opened.close();
      else await daemon?.stop();
      throw e;
    }
  }

  /** Hands our notification fd to the daemon and closes our copy whatever happens. */
  async attach(): Promise<void> {
    const fd = notificationFd(this.engine);
    try {
      await nameDaemonPtracer(this.client.socketPath);
      await this.client.attachFd(fd);
    } finally {
      closeSync(fd);
    }
    this.counterPage ??= await this.client.counter();
  }

  /** The counter page; present once attached. */
  get counter(): Counter {
    if (!this.counterPage) throw new Error('not attached: the counter page comes with the handoff');
    return this.counterPage;
  }

  /** Unmaps the page, closes the channel and stops a sidecar we started. */
  async close(): Promise<void> {
    this.counterPage?.close();
    this.counterPage = undefined;
    this.client.close();
    await this.daemon?.stop();
  }
}
