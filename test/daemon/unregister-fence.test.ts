// Streams and Unregister agree with the proto. What must never happen:
// after unregister() resolves, a client's own stream hands its caller a
// report for an unregistered cookie. On the wire, a batch taken before the
// Unregister may still arrive afterwards; its epoch says so, and no batch
// at or past the Unregister's epoch names the cookie.

import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { ummunotifyV1, type StreamEventsResponse__Output } from '../../daemon/src/proto.ts';
import { eachWithSidecar } from '../support/target-process.ts';

const PAGE = 4096n;
const fixture = eachWithSidecar();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a stream read right after Unregister', () => {
  it('through the client, never hands over a report for the cookie, though the report had already arrived (5 tries)', async () => {
    const { sidecar, observer } = fixture;
    const p = await sidecar.target.do<bigint>({ op: 'mmap', pages: 1 });
    const subscription = await observer.subscribe();
    for (let round = 0; round < 5; round++) {
      const cookie = BigInt(round + 1);
      await observer.register({ cookie, start: p, end: p + PAGE });
      await sidecar.target.do({ op: 'madvise', addr: p, pages: 1 });
      // The daemon sends the batch at once: it is received before the Unregister.
      await sleep(200);
      await observer.unregister(cookie);
      expect(await subscription.next(300)).toBeUndefined();
    }
    // A registration after the Unregister, under a cookie used before, is reported as usual.
    await observer.register({ cookie: 1n, start: p, end: p + PAGE });
    await sidecar.target.do({ op: 'madvise', addr: p, pages: 1 });
    expect(await subscription.next(5_000)).toMatchObject({ kind: 'invalidation', cookie: 1n });
    subscription.cancel();
  });

  it('on the wire (the control), the report does arrive, in a batch whose epoch is below the one Unregister returned; later batches never name it', async () => {
    const { sidecar } = fixture;
    const stub = new ummunotifyV1.UmmunotifyService(`unix:${sidecar.daemon.socket}`, grpc.credentials.createInsecure());
    const batches: StreamEventsResponse__Output[] = [];
    const stream = stub.StreamEvents({});
    stream.on('data', (b: StreamEventsResponse__Output) => batches.push(b));
    stream.on('error', () => {});
    const unary = <Res>(method: 'Register' | 'Unregister', request: object) =>
      new Promise<Res>((resolve, reject) =>
        (stub[method] as unknown as (r: object, cb: (e: grpc.ServiceError | null, res?: Res) => void) => void).call(stub, request, (e, res) =>
          e || res === undefined ? reject(e) : resolve(res),
        ),
      );
    const p = await sidecar.target.do<bigint>({ op: 'mmap', pages: 1 });
    await unary('Register', { registrations: [{ cookie: '7', start: p.toString(), end: (p + PAGE).toString() }] });
    await sidecar.target.do({ op: 'madvise', addr: p, pages: 1 });
    await sleep(200);
    const { epoch } = await unary<{ epoch: string }>('Unregister', { cookies: ['7'] });
    await unary('Register', { registrations: [{ cookie: '8', start: p.toString(), end: (p + PAGE).toString() }] });
    await sidecar.target.do({ op: 'madvise', addr: p, pages: 1 });
    await sleep(300);
    stream.cancel();
    stub.close();
    const naming = (cookie: string) => batches.filter((b) => b.reports.some((r) => r.invalidation?.cookie === cookie));
    expect(naming('7').length).toBeGreaterThan(0);
    for (const b of naming('7')) expect(BigInt(b.epoch)).toBeLessThan(BigInt(epoch));
    expect(naming('8').length).toBeGreaterThan(0);
    for (const b of naming('8')) expect(BigInt(b.epoch)).toBeGreaterThanOrEqual(BigInt(epoch));
  });
});
