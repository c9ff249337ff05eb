// Generic gRPC tools work against a daemon: grpc.health.v1 answers, and
// server reflection describes the service.

import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProto } from 'grpc-health-check';
import { afterEach, describe, expect, it } from 'vitest';
import { startSidecar, type Sidecar } from '../support/target-process.ts';

let s: Sidecar | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

interface Loaded {
  grpc: {
    health: { v1: { Health: grpc.ServiceClientConstructor } };
    reflection: { v1: { ServerReflection: grpc.ServiceClientConstructor } };
  };
}

const REFLECTION_PROTO = 'node_modules/@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto';

describe('generic gRPC tools', () => {
  it('health reports SERVING for the service, and reflection lists it', async () => {
    s = await startSidecar();
    const pkg = grpc.loadPackageDefinition(protoLoader.loadSync([healthProto, REFLECTION_PROTO], { keepCase: true, enums: String })) as unknown as Loaded;
    const address = `unix:${s.daemon.socket}`;

    const health = new pkg.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
    const status = await new Promise<{ status: string }>((resolve, reject) =>
      health['Check']?.({ service: 'ummunotify.v1.UmmunotifyService' }, (e: grpc.ServiceError | null, r: { status: string }) => (e ? reject(e) : resolve(r))),
    );
    expect(status.status).toBe('SERVING');
    health.close();

    const reflection = new pkg.grpc.reflection.v1.ServerReflection(address, grpc.credentials.createInsecure());
    const call = reflection['ServerReflectionInfo']?.() as grpc.ClientDuplexStream<object, { list_services_response?: { service: { name: string }[] } }>;
    const reply = new Promise<string[]>((resolve, reject) => {
      call.once('data', (r) => resolve(r.list_services_response?.service.map((x: { name: string }) => x.name) ?? []));
      call.once('error', reject);
    });
    call.write({ list_services: '' });
    expect(await reply).toContain('ummunotify.v1.UmmunotifyService');
    call.end();
    reflection.close();
  });
});
