// ummunotifyd's command line, parsed without side effects.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

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
  readonly logLevel: LogLevel;
}

/** `ummunotifyd run [OPTIONS] -- CMD [ARGS...]`: the daemon's options (its target is CMD) and CMD. */
export interface RunArgs {
  readonly daemon: Omit<DaemonArgs, 'pid'>;
  readonly command: readonly [string, ...string[]];
}

export type Invocation = { readonly kind: 'help' } | { readonly kind: 'serve'; readonly args: DaemonArgs } | { readonly kind: 'run'; readonly args: RunArgs };

export const USAGE = `usage: ummunotifyd --pid PID [OPTIONS]
       ummunotifyd run [OPTIONS] -- CMD [ARGS...]
options: [--socket PATH] [--allow-uid UID]... [--observer-uid UID]...
         [--max-registrations N] [--busy-poll-us N] [--exit-grace-ms N]
         [--log-level debug|info|warn|error]`;

/** --help: the usage, and what each form does. */
export const HELP = `${USAGE}

--pid PID serves the existing process PID. It prints one JSON line
{"ready":true,"socket":...,"counterSocket":...} on stdout once it listens.

run starts CMD with a sidecar of its own (one daemon per CMD, so
"mpirun -np N ummunotifyd run -- CMD" gives every rank its own), for launchers:
  - CMD is started held at a gate, the daemon starts for its pid and listens,
    and only then does CMD run (exec: the pid stays the same). A daemon that
    cannot start fails run with status 1, and CMD never runs.
  - CMD gets UMMUNOTIFY_SOCKET (the daemon's socket, so the clients connect to
    it instead of spawning a daemon), and otherwise what run got: the
    environment, stdin, stdout, stderr and inherited fds (such as PMI_FD;
    bin/ummunotifyd names them before node, which hides them, starts).
    run prints nothing on stdout.
  - The process that calls open() must be CMD itself (Attach is accepted from
    CMD's pid only): a wrapper script must exec the program, not fork it.
  - SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are passed on to CMD.
    run exits with CMD's status (128+N if signal N killed it), once the daemon
    has stopped and removed its sockets.
  - Defaults differ: --log-level warn (the daemon's JSON log lines go to
    stderr, shared with CMD) and --exit-grace-ms 0 (streams still get every
    report and TargetExited; give a grace period to observers that poll
    ReadEvents after CMD exits).
  - The default socket is per pid, so ranks on one machine never collide;
    one --socket for several ranks would.`;

const DEFAULTS: Omit<DaemonArgs, 'pid' | 'socket' | 'allowUids' | 'observerUids'> = { maxRegistrations: 1 << 21, busyPollMicros: 50, exitGraceMs: 2000, logLevel: 'info' };

/** Under `run` the daemon shares stderr with CMD and should not hold up the launcher when CMD ends. */
export const RUN_DEFAULTS: Pick<DaemonArgs, 'exitGraceMs' | 'logLevel'> = { exitGraceMs: 0, logLevel: 'warn' };

function count(name: string, text: string | undefined, min: number): number {
  if (text === undefined || !/^\d+$/.test(text)) throw new Error(`${name}: expected a whole number, got ${text ?? 'nothing'}`);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`${name}: must be at least ${min}`);
  return n;
}

/** The options as given: what was not given is undefined (or empty), so each mode applies its own defaults. */
interface GivenOptions {
  pid?: number;
  socket?: string;
  allowUids: number[];
  observerUids: number[];
  maxRegistrations?: number;
  busyPollMicros?: number;
  exitGraceMs?: number;
  logLevel?: LogLevel;
}

function parseOptions(argv: readonly string[]): GivenOptions {
  const given: GivenOptions = { allowUids: [], observerUids: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--pid':
        given.pid = count('--pid', value(), 1);
        break;
      case '--socket': {
        const path = value();
        if (path === undefined || !path.startsWith('/')) throw new Error('--socket: expected an absolute path');
        given.socket = path;
        break;
      }
      case '--allow-uid':
        given.allowUids.push(count('--allow-uid', value(), 0));
        break;
      case '--observer-uid':
        given.observerUids.push(count('--observer-uid', value(), 0));
        break;
      case '--max-registrations':
        given.maxRegistrations = count('--max-registrations', value(), 1);
        break;
      case '--busy-poll-us':
        given.busyPollMicros = count('--busy-poll-us', value(), 0);
        break;
      case '--exit-grace-ms':
        given.exitGraceMs = count('--exit-grace-ms', value(), 0);
        break;
      case '--log-level': {
        const level = value();
        if (level !== 'debug' && level !== 'info' && level !== 'warn' && level !== 'error') throw new Error('--log-level: one of debug, info, warn, error');
        given.logLevel = level;
        break;
      }
      default:
        throw new Error(`unknown argument ${JSON.stringify(arg)}`);
    }
  }
  return given;
}

function withDefaults(given: GivenOptions, defaults: Pick<DaemonArgs, 'exitGraceMs' | 'logLevel'>): Omit<DaemonArgs, 'pid'> {
  return {
    socket: given.socket,
    allowUids: given.allowUids,
    observerUids: given.observerUids,
    maxRegistrations: given.maxRegistrations ?? DEFAULTS.maxRegistrations,
    busyPollMicros: given.busyPollMicros ?? DEFAULTS.busyPollMicros,
    exitGraceMs: given.exitGraceMs ?? defaults.exitGraceMs,
    logLevel: given.logLevel ?? defaults.logLevel,
  };
}

/** Parses argv (without node and script); throws an Error whose message is meant for the user. */
export function parseDaemonArgs(argv: readonly string[]): DaemonArgs {
  const given = parseOptions(argv);
  if (given.pid === undefined) throw new Error('--pid is required');
  return { pid: given.pid, ...withDefaults(given, DEFAULTS) };
}

/** Parses what follows `run`: options up to the first `--`, then CMD and its arguments, untouched. */
export function parseRunArgs(argv: readonly string[]): RunArgs {
  const dashes = argv.indexOf('--');
  if (dashes < 0) {
    const first = argv.find((a) => !a.startsWith('-'));
    throw new Error(first === undefined ? 'run: missing -- CMD [ARGS...]' : `run: put -- before the command (-- ${first} ...)`);
  }
  const [command, ...rest] = argv.slice(dashes + 1);
  if (command === undefined || command === '') throw new Error('run: no command after --');
  const given = parseOptions(argv.slice(0, dashes));
  if (given.pid !== undefined) throw new Error('run: --pid does not apply: the target is CMD');
  return { daemon: withDefaults(given, RUN_DEFAULTS), command: [command, ...rest] };
}

/**
 * The whole command line: help, serve an existing pid, or run a command.
 * --help counts only among ummunotifyd's own options, never in CMD's arguments.
 */
export function parseCommandLine(argv: readonly string[]): Invocation {
  const run = argv[0] === 'run';
  const own = run ? argv.slice(1, argv.includes('--') ? argv.indexOf('--') : argv.length) : argv;
  if (own.includes('--help') || own.includes('-h')) return { kind: 'help' };
  return run ? { kind: 'run', args: parseRunArgs(argv.slice(1)) } : { kind: 'serve', args: parseDaemonArgs(argv) };
}
