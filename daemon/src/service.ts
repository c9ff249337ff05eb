// The UmmunotifyService handlers: identify the caller's connection, check
// its role may make the call, parse, delegate to the Session, and turn every
// failure into a status. Nothing a request does can throw out of here.

import * as grpc from '@grpc/grpc-js';
import type { Logger } from './log.ts';
import type { Peer, PeerRegistry } from './peers.ts';
import type { UmmunotifyServiceHandlers } from './proto.ts';
import { parseUint64, toNativeRegistrations } from './reports.ts';
import { callRefusal, type ServiceMethod } from './roles.ts';
import type { Session } from './session.ts';
import { RpcError, toRpcError, toServiceError } from './status.ts';

interface HasPeer {
  getPeer(): string;
}

export function serviceHandlers(session: Session, peers: PeerRegistry, log: Logger): UmmunotifyServiceHandlers {
  /**
   * The caller of a call, once its role may make it: every handler, unary or
   * streaming, starts here, so no handler can forget the role check.
   */
  const callerOf = (call: HasPeer, method: ServiceMethod): Peer => {
    const peer = peers.peerOf(call);
    // Every connection is admitted (and tagged) before gRPC sees it.
    if (peer === undefined) throw new RpcError(grpc.status.PERMISSION_DENIED, 'connection not admitted by the daemon');
    const refusal = callRefusal(peer.role, peer.uid, method);
    if (refusal !== undefined) throw new RpcError(grpc.status.PERMISSION_DENIED, refusal);
    return peer;
  };

  function logRefusal(method: ServiceMethod, call: HasPeer, e: unknown): RpcError {
    const err = toRpcError(e);
    const peer = peers.peerOf(call);
    log.log(err.code === grpc.status.INTERNAL ? 'error' : 'info', 'call refused', {
      method,
      pid: peer?.pid,
      uid: peer?.uid,
      role: peer?.role,
      code: grpc.status[err.code],
      errno: err.errnoName,
      reason: err.message,
    });
    return err;
  }

  /** Runs one unary call; a failure is logged with the caller and answered with its status. */
  function unary<Req, Res>(method: ServiceMethod, body: (request: Req, peer: Peer) => Res) {
    return (call: grpc.ServerUnaryCall<Req, Res>, callback: grpc.sendUnaryData<Res>): void => {
      try {
        callback(null, body(call.request, callerOf(call, method)));
      } catch (e) {
        callback(toServiceError(logRefusal(method, call, e)));
      }
    };
  }

  return {
    Attach: unary('Attach', (req, peer) => ({ engine: session.attach(peer, req.fd) })),
    GetInfo: unary('GetInfo', () => session.info()),
    Register: unary('Register', (req) => {
      session.register(toNativeRegistrations(req.registrations));
      return {};
    }),
    Unregister: unary('Unregister', (req) => {
      session.unregister(req.cookies.map((c, i) => parseUint64(c, `cookies[${i}]`)));
      return {};
    }),
    ReadEvents: unary('ReadEvents', (req) => ({ reports: session.readEvents(req.maxReports) })),
    GetCounterEndpoint: unary('GetCounterEndpoint', () => session.counterEndpoint()),
    StreamEvents: (call) => {
      try {
        callerOf(call, 'StreamEvents');
        session.openStream(call);
      } catch (e) {
        // emit('error') sends the status; destroy(err) would end the stream without one.
        call.emit('error', toServiceError(logRefusal('StreamEvents', call, e)));
      }
    },
  };
}
