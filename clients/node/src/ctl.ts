// ummunotifyctl: a target's daemon, for people at a terminal.

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProto } from 'grpc-health-check';
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

/** How long `health` waits for an answer: a health check must end, not hang on a wedged daemon. */
const HEALTH_DEADLINE_MS = 5_000;

interface HealthPackage {
  grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
}

type HealthCheck = (
  request: { service: string },
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, reply?: { status: string }) => void,
) => grpc.ClientUnaryCall;

/** grpc.health.v1 Check: the status name (SERVING, NOT_SERVING, ...) the daemon reports for `service`. */
async function checkHealth(path: string, service: string): Promise<string> {
  const pkg = grpc.loadPackageDefinition(protoLoader.loadSync(healthProto, { keepCase: true, enums: String })) as unknown as HealthPackage;
  const stub = new pkg.grpc.health.v1.Health(`unix:${path}`, grpc.credentials.createInsecure());
  try {
    const deadline = Date.now() + HEALTH_DEADLINE_MS;
    await new Promise<void>((resolve, reject) => stub.waitForReady(deadline, (e) => (e ? reject(new Error(`no daemon answers on ${path}: ${e.message}`)) : resolve())));
    const check = stub['Check'] as HealthCheck;
    return await new Promise<string>((resolve, reject) =>
      check.call(stub, { service }, { deadline }, (e, r) => (e || r === undefined ? reject(e ?? new Error('empty health reply')) : resolve(r.status))),
    );
  } finally {
    stub.close();
  }
}

async function run(args: CtlArgs): Promise<number> {
  const out = (line: string) => void process.stdout.write(`${line}\n`);
  if (args.command.name === 'health') {
    const status = await checkHealth(socketPath(args.socket), args.command.service);
    out(status);
    return status === 'SERVING' ? 0 : 1;
  }
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
  return 0;
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
    return await run(args);
  } catch (e) {
    const detail = e instanceof UmmunotifyError ? `${e.status}: ${e.message}${e.errnoName ? ` (${e.errnoName})` : ''}` : (e as Error).message;
    process.stderr.write(`ummunotifyctl: ${detail}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
