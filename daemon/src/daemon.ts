// One daemon for one target: claim the socket directory, admit connections
// by peer credentials, serve gRPC (plus health and reflection) through a
// connection injector, and stop in order when the target exits or on SIGTERM.

import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import { chmodSync } from 'node:fs';
import { createServer, type Server as NetServer } from 'node:net';
import type { DaemonArgs } from './args.ts';
import type { Logger } from './log.ts';
import { native } from './native.ts';
import { claim, daemonPaths, defaultSocketDir, ensurePrivateDir, othersMustConnect, release, socketModes, socketPathFor, type DaemonPaths } from './paths.ts';
import { PeerRegistry } from './peers.ts';
import { packageDefinition, SERVICE_NAME } from './proto.ts';
import { serviceDefinition, serviceHandlers } from './service.ts';
import { Session } from './session.ts';
import { identifyTarget, startTimeOf } from './target.ts';

export interface RunningDaemon {
  readonly paths: DaemonPaths;
  /** Resolves once the daemon has stopped and removed its sockets. */
  readonly stopped: Promise<void>;
  stop(reason: string): Promise<void>;
}

function listen(server: NetServer, path: string): Promise<void> {
  // Bound under a restrictive umask so the socket is never briefly open to others.
  const umask = process.umask(0o077);
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  }).finally(() => process.umask(umask));
}

export async function startDaemon(args: DaemonArgs, log: Logger): Promise<RunningDaemon> {
  const target = identifyTarget(args.pid);
  if (target === undefined) throw new Error(`no process with pid ${args.pid}`);
  const pidfd = native.pidfdOpen(args.pid);
  // The pid could have been reused between looking and opening: check it is still the same process.
  if (startTimeOf(args.pid) !== target.startTime) {
    native.close(pidfd);
    throw new Error(`process ${args.pid} exited while the daemon started`);
  }

  const grpcSocket = args.socket ?? socketPathFor(args.pid, defaultSocketDir(process.getuid?.() ?? 0, process.env));
  const paths = daemonPaths(grpcSocket);
  // Open the modes when anyone but us must connect (allowed or observer uids,
  // or a target of another uid than the daemon's); the peer check then does the refusing.
  const modes = socketModes(othersMustConnect(process.getuid?.() ?? 0, [target.uid, ...args.allowUids, ...args.observerUids]));
  ensurePrivateDir(paths.dir, modes.dir);
  await claim(paths);

  let stopping: Promise<void> | undefined;
  let resolveStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  const health = new HealthImplementation({ '': 'SERVING', [SERVICE_NAME]: 'SERVING' });

  const session = new Session(
    target,
    pidfd,
    {
      maxRegistrations: args.maxRegistrations,
      busyPollMicros: args.busyPollMicros,
      counterSocket: paths.counterSocket,
      counterSocketMode: modes.socket,
      // Observers are left out on purpose: they may watch reports, not map the counter page.
      allowedUids: args.allowUids,
    },
    log,
    () => {
      health.setStatus('', 'NOT_SERVING');
      health.setStatus(SERVICE_NAME, 'NOT_SERVING');
      setTimeout(() => void stop('target exited'), args.exitGraceMs).unref();
    },
  );

  const peers = new PeerRegistry({ targetUid: target.uid, allowUids: new Set(args.allowUids), observerUids: new Set(args.observerUids) }, target);
  // No channelz service is registered, so nobody can read what channelz
  // would track; left on, it costs every call a few percent of the server's time.
  const server = new grpc.Server({ 'grpc.enable_channelz': 0 });
  server.addService(serviceDefinition(), serviceHandlers(session, peers, log));
  health.addToServer(server);
  new ReflectionService(packageDefinition).addToServer(server);
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());

  const listener = createServer((socket) => {
    const admission = peers.admit(socket);
    if (!admission.ok) {
      log.log('warn', 'connection refused', { pid: admission.cred?.pid, uid: admission.cred?.uid, reason: admission.reason });
      socket.destroy();
      return;
    }
    const { pid, uid, isTarget, identifiedBy } = admission.peer;
    log.log('debug', 'connection admitted', { pid, uid, target: isTarget, identifiedBy });
    injector.injectConnection(socket);
  });
  await listen(listener, paths.grpcSocket);
  chmodSync(paths.grpcSocket, modes.socket);
  log.log('info', 'serving', { pid: args.pid, socket: paths.grpcSocket });

  function stop(reason: string): Promise<void> {
    stopping ??= (async () => {
      log.log('info', 'stopping', { reason });
      listener.close();
      session.close();
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      injector.destroy();
      release(paths);
      native.close(pidfd);
      log.log('info', 'stopped', { reason });
      resolveStopped();
    })();
    return stopping;
  }

  return { paths, stopped, stop };
}
