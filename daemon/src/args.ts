// ummunotifyd's command line, parsed without side effects.

export interface DaemonArgs {
  readonly pid: number;
  readonly socket: string | undefined;
  readonly allowUids: readonly number[];
  /** Uids that may only look: GetInfo and StreamEvents. */
  readonly observerUids: readonly number[];
  readonly maxRegistrations: number;
  readonly busyPollMicros: number;
  /** How long to keep serving after the target exits, so clients can drain. */
  readonly exitGraceMs: number;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export const USAGE = `usage: ummunotifyd --pid PID [--socket PATH] [--allow-uid UID]... [--observer-uid UID]...
                   [--max-registrations N] [--busy-poll-us N] [--exit-grace-ms N]
                   [--log-level debug|info|warn|error]`;

const DEFAULTS: Omit<DaemonArgs, 'pid' | 'socket' | 'allowUids' | 'observerUids'> = { maxRegistrations: 1 << 21, busyPollMicros: 50, exitGraceMs: 2000, logLevel: 'info' };

function count(name: string, text: string | undefined, min: number): number {
  if (text === undefined || !/^\d+$/.test(text)) throw new Error(`${name}: expected a whole number, got ${text ?? 'nothing'}`);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`${name}: must be at least ${min}`);
  return n;
}

/** Parses argv (without node and script); throws an Error whose message is meant for the user. */
export function parseDaemonArgs(argv: readonly string[]): DaemonArgs {
  let pid: number | undefined;
  let socket: string | undefined;
  const allowUids: number[] = [];
  const observerUids: number[] = [];
  let { maxRegistrations, busyPollMicros, exitGraceMs } = DEFAULTS;
  let logLevel: DaemonArgs['logLevel'] = DEFAULTS.logLevel;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--pid':
        pid = count('--pid', value(), 1);
        break;
      case '--socket': {
        const path = value();
        if (path === undefined || !path.startsWith('/')) throw new Error('--socket: expected an absolute path');
        socket = path;
        break;
      }
      case '--allow-uid':
        allowUids.push(count('--allow-uid', value(), 0));
        break;
      case '--observer-uid':
        observerUids.push(count('--observer-uid', value(), 0));
        break;
      case '--max-registrations':
        maxRegistrations = count('--max-registrations', value(), 1);
        break;
      case '--busy-poll-us':
        busyPollMicros = count('--busy-poll-us', value(), 0);
        break;
      case '--exit-grace-ms':
        exitGraceMs = count('--exit-grace-ms', value(), 0);
        break;
      case '--log-level': {
        const level = value();
        if (level !== 'debug' && level !== 'info' && level !== 'warn' && level !== 'error') throw new Error('--log-level: one of debug, info, warn, error');
        logLevel = level;
        break;
      }
      default:
        throw new Error(`unknown argument ${JSON.stringify(arg)}`);
    }
  }
  if (pid === undefined) throw new Error('--pid is required');
  return { pid, socket, allowUids, observerUids, maxRegistrations, busyPollMicros, exitGraceMs, logLevel };
}
