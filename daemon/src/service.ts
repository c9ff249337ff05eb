// The UmmunotifyService handlers: identify the caller's connection, parse,
// delegate to the Session, and turn every failure into a status. Nothing a
// request does can throw out of here.

import * as grpc from '@grpc/grpc-js';
import type { Logger } from './log.ts';
import type { Peer, PeerRegistry } from './peers.ts';
import type { UmmunotifyServiceHandlers } from './proto.ts';
import { parseUint64, toNativeRegistrations } from './reports.ts';
import type { Session } from './session.ts';
import { RpcError, toRpcError, toServiceError } from './status.ts';

interface HasPeer {
  getPeer(): string;
}

export function serviceHandlers(session: Session, peers: PeerRegistry, log: Logger): UmmunotifyServiceHandlers {
  const peerOf = (call: HasPeer): Peer => {
    const peer = peers.peerOf(call);
    // Every connection is admitted (and tagged) before gRPC sees it.
    if (peer === undefined) throw new RpcError(grpc.status.PERMISSION_DENIED, 'connection not admitted by the daemon');
    return peer;
  };

  /** Runs one unary call; a failure is logged with the caller and answered with its status. */
  function unary<Req, Res>(method: string, body: (request: Req, peer: Peer) => Res) {
    return (call: grpc.ServerUnaryCall<Req, Res>, callback: grpc.sendUnaryData<Res>): void => {
      let peer: Peer | undefined;
      try {
        peer = peerOf(call);
        callback(null, body(call.request, peer));
      } catch (e) {
        const err = toRpcError(e);
        log.log(err.code === grpc.status.INTERNAL ? 'error' : 'info', 'call refused', {
          method,
          pid: peer?.pid,
          uid: peer?.uid,
          code: grpc.status[err.code],
          errno: err.errnoName,
          reason: err.message,
        });
        callback(toServiceError(err));
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
        peerOf(call);
        session.openStream(call);
      } catch (e) {
        call.destroy(toServiceError(e) as grpc.ServiceError);
      }
    },
  };
}
