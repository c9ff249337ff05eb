// The UmmunotifyService handlers: identify the caller's connection, check
// its role may make the call, parse, delegate to the Session, and turn every
// failure into a status. Nothing a request does can throw out of here.

import * as grpc from '@grpc/grpc-js';
import type { RegisterResponse } from '../../proto/gen/ts/ummunotify/v1/RegisterResponse.ts';
import type { UnregisterResponse } from '../../proto/gen/ts/ummunotify/v1/UnregisterResponse.ts';
import type { Logger } from './log.ts';
import type { Peer, PeerRegistry } from './peers.ts';
import { ummunotifyV1, type UmmunotifyServiceHandlers } from './proto.ts';
import { callRefusal, type ServiceMethod } from './roles.ts';
import type { Session } from './session.ts';
import { RpcError, toRpcError, toServiceError } from './status.ts';
import { decodeRegisterRequest, decodeUnregisterRequest, type PackedRegistrations } from './wire.ts';

interface HasPeer {
  getPeer(): string;
}

/** The requests as the server's own decoders hand them over (wire.ts). */
export interface PackedRegisterRequest {
  readonly registrations: PackedRegistrations;
}
export interface PackedUnregisterRequest {
  readonly cookies: BigUint64Array;
}

/** The generated handlers' named members (without the index signature, which Omit would keep alone). */
type NamedHandlers = { [K in keyof UmmunotifyServiceHandlers as string extends K ? never : K]: UmmunotifyServiceHandlers[K] };

/** The generated handler types, but for the two requests that come packed. */
export type ServiceHandlers = Omit<NamedHandlers, 'Register' | 'Unregister'> & {
  Register: grpc.handleUnaryCall<PackedRegisterRequest, RegisterResponse>;
  Unregister: grpc.handleUnaryCall<PackedUnregisterRequest, UnregisterResponse>;
};

/**
 * UmmunotifyService as the daemon serves it: the loaded definition, with the
 * batch requests decoded by wire.ts straight into what the addon takes.
 * Everything else on the wire (paths, responses, errors) is the loaded one.
 */
export function serviceDefinition(): grpc.ServiceDefinition {
  const loaded = ummunotifyV1.UmmunotifyService.service;
  return {
    ...loaded,
    Register: { ...loaded.Register, requestDeserialize: (bytes: Buffer): PackedRegisterRequest => ({ registrations: decodeRegisterRequest(bytes) }) },
    Unregister: { ...loaded.Unregister, requestDeserialize: (bytes: Buffer): PackedUnregisterRequest => ({ cookies: decodeUnregisterRequest(bytes) }) },
  };
}

export function serviceHandlers(session: Session, peers: PeerRegistry, log: Logger): ServiceHandlers {
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
      session.register(req.registrations);
      return {};
    }),
    Unregister: unary('Unregister', (req) => ({ epoch: session.unregister(req.cookies).toString() })),
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
