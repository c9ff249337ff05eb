// ummunotifyctl's command line, parsed without side effects.

export type Command =
  | { readonly name: 'info' }
  | { readonly name: 'register'; readonly cookie: bigint; readonly start: bigint; readonly end: bigint }
  | { readonly name: 'unregister'; readonly cookies: readonly bigint[] }
  | { readonly name: 'read' }
  | { readonly name: 'stream' }
  | { readonly name: 'counter' };

export interface CtlArgs {
  /** The daemon's socket, given or derived from --pid. */
  readonly socket: { readonly path: string } | { readonly pid: number };
  readonly command: Command;
}

export const CTL_USAGE = `usage: ummunotifyctl (--socket PATH | --pid PID) COMMAND
commands:
  info                          target, engine, features, counter, counts
  register COOKIE START END     watch bytes [START, END) (decimal or 0x hex)
  unregister COOKIE...          stop watching
  read                          drain pending reports (like read(2))
  stream                        print every invalidation as it happens
  counter                       map the counter page and print its value`;

function number(text: string | undefined, what: string): bigint {
  if (text === undefined || !/^(0x[0-9a-fA-F]+|\d+)$/.test(text)) throw new Error(`${what}: expected a number, got ${text ?? 'nothing'}`);
  return BigInt(text);
}

export function parseCtlArgs(argv: readonly string[]): CtlArgs {
  let socket: CtlArgs['socket'] | undefined;
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--socket') socket = { path: argv[++i] ?? '' };
    else if (arg === '--pid') socket = { pid: Number(number(argv[++i], '--pid')) };
    else break;
  }
  if (socket === undefined) throw new Error('give --socket PATH or --pid PID');
  if ('path' in socket && !socket.path.startsWith('/')) throw new Error('--socket: expected an absolute path');
  const [name, ...rest] = argv.slice(i);
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
    case 'unregister':
      if (!rest.length) throw new Error('unregister COOKIE...');
      return { socket, command: { name, cookies: rest.map((c) => number(c, 'COOKIE')) } };
    default:
      throw new Error(name === undefined ? 'no command' : `unknown command ${JSON.stringify(name)}`);
  }
}
