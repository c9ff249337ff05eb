// ummunotifyd: the sidecar daemon for one target process, either an existing
// one (--pid) or a command it starts (run -- CMD, see run.ts).

import { HELP, parseCommandLine, USAGE, type DaemonArgs, type Invocation } from './args.ts';
import { startDaemon } from './daemon.ts';
import { stderrLogger } from './log.ts';
import { runCommand } from './run.ts';

async function serve(args: DaemonArgs): Promise<number> {
  const log = stderrLogger(args.logLevel, { daemon: 'ummunotifyd', target: args.pid });
  let daemon;
  try {
    daemon = await startDaemon(args, log);
  } catch (e) {
    log.log('error', 'cannot start', { reason: (e as Error).message });
    return 1;
  }
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void daemon.stop(signal));
  // Tells a parent that spawned us (a client library) that the socket is ready.
  process.stdout.write(`${JSON.stringify({ ready: true, socket: daemon.paths.grpcSocket, counterSocket: daemon.paths.counterSocket })}\n`);
  await daemon.stopped;
  return 0;
}

async function main(argv: readonly string[]): Promise<number> {
  let invocation: Invocation;
  try {
    invocation = parseCommandLine(argv);
  } catch (e) {
    process.stderr.write(`ummunotifyd: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  switch (invocation.kind) {
    case 'help':
      process.stdout.write(`${HELP}\n`);
      return 0;
    case 'serve':
      return serve(invocation.args);
    case 'run': {
      // A launcher waits for this process: exit as soon as CMD and the
      // daemon are done, whatever handle might still be open.
      process.exit(await runCommand(invocation.args));
    }
  }
}

process.exitCode = await main(process.argv.slice(2));
