// ummunotifyd: the sidecar daemon for one target process.

import { parseDaemonArgs, USAGE } from './args.ts';
import { startDaemon } from './daemon.ts';
import { stderrLogger } from './log.ts';

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let args;
  try {
    args = parseDaemonArgs(argv);
  } catch (e) {
    process.stderr.write(`ummunotifyd: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
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

process.exitCode = await main(process.argv.slice(2));
