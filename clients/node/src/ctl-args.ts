// ummunotifyctl's command line, parsed without side effects.

export type Command =
  | { readonly name: 'info' }
  | { readonly name: 'register'; readonly cookie: bigint; readonly start: bigint; readonly end: bigint }
  | { readonly name: 'unregister'; readonly cookies: readonly bigint[] }
  | { readonly name: 'read' }
  | { readonly name: 'stream' }
  | { readonly name: 'counter' }
  /** grpc.health.v1 Check; '' asks about the server as a whole. */
  | { readonly name: 'health'; readonly service: string };

export interface CtlArgs {
  /** The daemon's socket, given or found from the target's pid. */
  readonly socket: { readonly path: string } | { readonly pid: number };
  readonly command: Command;
}

export const CTL_USAGE = `usage: ummunotifyctl (--socket PATH | --pid PID) COMMAND   (options may also follow the command)
  --pid PID finds the daemon of process PID where its default socket would be
  (the target's runtime dir, yours, /run/user/UID, /run/ummunotify).
commands:
  info                          target, engine, features, counter, counts
  register COOKIE START END     watch bytes [START, END) (decimal or 0x hex)
  unregister COOKIE...          stop watching
  read                          drain pending reports (like read(2))
  stream                        print every invalidation as it happens
  counter                       map the counter page and print its value
  health [SERVICE]              grpc.health.v1 status of the daemon (or of SERVICE);
                                exit status 0 only when SERVING (for container health checks)`;

function number(text: string | undefined, what: string): bigint {
  if (text === undefined || !/^(0x[0-9a-fA-F]+|\d+)$/.test(text)) throw new Error(`${what}: expected a number, got ${text ?? 'nothing'}`);
  return BigInt(text);
}

function pidNumber(text: string | undefined): number {
  if (text === undefined || !/^\d+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
    throw new Error(`--pid: expected a process id, got ${text ?? 'nothing'}`);
  }
  return Number(text);
}

/** Options go anywhere (`stream --pid 42` as well as `--pid 42 stream`); the words left are the command. */
export function parseCtlArgs(argv: readonly string[]): CtlArgs {
  let socket: CtlArgs['socket'] | undefined;
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) {
      words.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const [flag, inline] = eq < 0 ? [arg, undefined] : [arg.slice(0, eq), arg.slice(eq + 1)];
    if (flag !== '--socket' && flag !== '--pid') throw new Error(`unknown option ${JSON.stringify(arg)}`);
    if (socket !== undefined) throw new Error('give --socket PATH or --pid PID, once');
    const value = inline ?? argv[++i];
    if (flag === '--pid') socket = { pid: pidNumber(value) };
    else if (value === undefined || !value.startsWith('/')) throw new Error('--socket: expected an absolute path');
    else socket = { path: value };
  }
  if (socket === undefined) throw new Error('give --socket PATH or --pid PID');
  const [name, ...rest] = words;
  switch (name) {
    case 'info':
    case 'read':
    case 'stream':
    case 'counter':
      if (rest.length) throw new Error(`${name} takes no arguments`);
      return { socket, command: { name } };
    case 'register':
      if (rest.length !== 3) throw new Error('register COOKIE START END');
      return { socket, command: { name, cookie: number(rest[0], 'COOKIE'), start: number(rest[1], 'START'), end: number(rest[2], 'END') } };
    case 'health':
      if (rest.length > 1) throw new Error('health [SERVICE]');
      return { socket, command: { name, service: rest[0] ?? '' } };
    case 'unregister':
      if (!rest.length) throw new Error('unregister COOKIE...');
      return { socket, command: { name, cookies: rest.map((c) => number(c, 'COOKIE')) } };
    default:
      throw new Error(name === undefined ? 'no command' : `unknown command ${JSON.stringify(name)}`);
  }
}
