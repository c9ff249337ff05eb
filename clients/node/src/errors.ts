// A failed call as a client sees it: the gRPC status, the daemon's message,
// and the errno where a system call failed.

import * as grpc from '@grpc/grpc-js';
import { ERRNO_KEY, ERRNO_NAME_KEY } from '../../../daemon/src/status.ts';

export class UmmunotifyError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
    readonly errno?: number,
    readonly errnoName?: string,
  ) {
    super(message);
    this.name = 'UmmunotifyError';
  }

  /** The status name, e.g. "INVALID_ARGUMENT". */
  get status(): string {
    return grpc.status[this.code] ?? String(this.code);
  }
}

function firstString(metadata: grpc.Metadata | undefined, key: string): string | undefined {
  const value = metadata?.get(key)[0];
  return typeof value === 'string' ? value : undefined;
}

export function fromServiceError(e: unknown): UmmunotifyError {
  if (e instanceof UmmunotifyError) return e;
  const err = e as Partial<grpc.ServiceError>;
  if (typeof err.code !== 'number') return new UmmunotifyError(grpc.status.UNKNOWN, e instanceof Error ? e.message : String(e));
  const errno = firstString(err.metadata, ERRNO_KEY);
  return new UmmunotifyError(err.code, err.details ?? err.message ?? '', errno === undefined ? undefined : Number(errno), firstString(err.metadata, ERRNO_NAME_KEY));
}
