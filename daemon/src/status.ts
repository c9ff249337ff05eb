// Every failure a client sees is a gRPC status with a message a person can
// act on and, where a system call failed, the errno in trailing metadata.

import * as grpc from '@grpc/grpc-js';
import type { NativeError } from './native-api.ts';

export const ERRNO_KEY = 'ummunotify-errno';
export const ERRNO_NAME_KEY = 'ummunotify-errno-name';

/** An error meant for the client, raised anywhere in the daemon. */
export class RpcError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
    readonly errno?: number,
    readonly errnoName?: string,
  ) {
    super(message);
  }
}

const KIND_TO_STATUS: Readonly<Record<NonNullable<NativeError['kind']>, grpc.status>> = {
  invalid: grpc.status.INVALID_ARGUMENT,
  exists: grpc.status.ALREADY_EXISTS,
  not_found: grpc.status.NOT_FOUND,
  exhausted: grpc.status.RESOURCE_EXHAUSTED,
  precondition: grpc.status.FAILED_PRECONDITION,
  permission: grpc.status.PERMISSION_DENIED,
};

function isNativeError(e: unknown): e is NativeError {
  return e instanceof Error && ('kind' in e || 'errno' in e);
}

/** The status to send for any thrown value; unknown failures are INTERNAL, never a crash. */
export function toRpcError(e: unknown): RpcError {
  if (e instanceof RpcError) return e;
  if (isNativeError(e)) {
    const code = e.kind !== undefined ? KIND_TO_STATUS[e.kind] : grpc.status.INTERNAL;
    return new RpcError(code, e.message, e.errno, e.code);
  }
  const message = e instanceof Error ? e.message : String(e);
  return new RpcError(grpc.status.INTERNAL, `internal error: ${message}`);
}

/** The object grpc-js callbacks and streams take as an error. */
export function toServiceError(e: unknown): Partial<grpc.ServiceError> {
  const err = toRpcError(e);
  const metadata = new grpc.Metadata();
  if (err.errno !== undefined) metadata.set(ERRNO_KEY, String(Math.abs(err.errno)));
  if (err.errnoName !== undefined) metadata.set(ERRNO_NAME_KEY, err.errnoName);
  return { code: err.code, details: err.message, metadata };
}
