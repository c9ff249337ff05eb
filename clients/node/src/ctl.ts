// ummunotifyctl: a target's daemon, for people at a terminal.

import { UmmunotifyClient } from './client.ts';
import { CTL_USAGE, parseCtlArgs, type CtlArgs } from './ctl-args.ts';
import { UmmunotifyError } from './errors.ts';
import { locateDaemonSocket } from './locate.ts';
import { describe } from './reports.ts';

const uid = process.getuid?.() ?? 0;

function socketPath(socket: CtlArgs['socket']): string {
  return 'path' in socket ? socket.path : locateDaemonSocket(socket.pid, uid, process.env);
}

async function connect(path: string): Promise<UmmunotifyClient> {
  try {
    return await UmmunotifyClient.connect(path);
  } catch (e) {
    // A daemon refuses a uid at accept, before any gRPC is spoken, so the
    // rule that refused can only be in its log.
    throw new Error(`${(e as Error).message}\n(if a daemon runs there, it may have refused uid ${uid}: its log says which rule)`);
  }
}

async function run(args: CtlArgs): Promise<void> {
  const out = (line: string) => void process.stdout.write(`${line}\n`);
  const client = await connect(socketPath(args.socket));
  try {
    const command = args.command;
    switch (command.name) {
      case 'info':
        out(JSON.stringify(await client.info(), null, 2));
        break;
      case 'register':
        await client.register(command);
        out(`registered cookie ${command.cookie}`);
        break;
      case 'unregister':
        await client.unregister(command.cookies);
        out(`unregistered ${command.cookies.join(', ')}`);
        break;
      case 'read':
        for (const report of await client.readEvents()) out(describe(report));
        break;
      case 'stream':
        for await (const report of client.streamEvents()) out(describe(report));
        break;
      case 'counter': {
        const counter = await client.counter();
        out(String(counter.value()));
        counter.close();
        break;
      }
    }
  } finally {
    client.close();
  }
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${CTL_USAGE}\n`);
    return 0;
  }
  let args: CtlArgs;
  try {
    args = parseCtlArgs(argv);
  } catch (e) {
    process.stderr.write(`ummunotifyctl: ${(e as Error).message}\n${CTL_USAGE}\n`);
    return 2;
  }
  try {
    await run(args);
    return 0;
  } catch (e) {
    const detail = e instanceof UmmunotifyError ? `${e.status}: ${e.message}${e.errnoName ? ` (${e.errnoName})` : ''}` : (e as Error).message;
    process.stderr.write(`ummunotifyctl: ${detail}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
