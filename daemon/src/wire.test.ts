// The hand-written codecs against the reference: proto-loader's own
// serializers for the same messages (protobufjs, `longs: String`).

import { describe, expect, it } from 'vitest';
import { packageDefinition } from './proto.ts';
import { decodeRegisterRequest, decodeUnregisterRequest, encodeRegisterRequest, encodeUnregisterRequest, WireError } from './wire.ts';

interface Codec {
  requestSerialize(value: object): Buffer;
  requestDeserialize(bytes: Buffer): unknown;
}
const service = packageDefinition['ummunotify.v1.UmmunotifyService'] as unknown as Record<'Register' | 'Unregister', Codec>;
const reference = { register: service.Register, unregister: service.Unregister };

const MAX = (1n << 64n) - 1n;
/** Every varint length, both 32-bit halves, and the edges around them. */
const EDGES = [0n, 1n, 127n, 128n, 16383n, 16384n, (1n << 28n) - 1n, 1n << 28n, (1n << 32n) - 1n, 1n << 32n, 1n << 35n, (1n << 56n) + 5n, 1n << 63n, MAX - 1n, MAX];

function reg(cookie: bigint, start: bigint, end: bigint): { cookie: bigint; start: bigint; end: bigint } {
  return { cookie, start, end };
}

function triples(regs: readonly { cookie: bigint; start: bigint; end: bigint }[]): bigint[] {
  return regs.flatMap((r) => [r.cookie, r.start, r.end]);
}

function referenceRegister(regs: readonly { cookie: bigint; start: bigint; end: bigint }[]): Buffer {
  return reference.register.requestSerialize({ registrations: regs.map((r) => ({ cookie: String(r.cookie), start: String(r.start), end: String(r.end) })) });
}

/** A varint's bytes, for building messages by hand. */
function varint(v: bigint): number[] {
  const out: number[] = [];
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? b | 0x80 : b);
  } while (v > 0n);
  return out;
}

const buf = (bytes: number[]): Buffer => Buffer.from(bytes);

describe('RegisterRequest', () => {
  const regs = EDGES.map((v, i) => reg(v, EDGES[(i + 3) % EDGES.length] as bigint, EDGES[(i + 7) % EDGES.length] as bigint));

  it('decodes what protobufjs encodes, every varint length', () => {
    expect([...decodeRegisterRequest(referenceRegister(regs))]).toEqual(triples(regs));
  });

  it('encodes what protobufjs decodes', () => {
    const decoded = reference.register.requestDeserialize(encodeRegisterRequest(regs)) as { registrations: { cookie: string; start: string; end: string }[] };
    expect(decoded.registrations.map((r) => reg(BigInt(r.cookie), BigInt(r.start), BigInt(r.end)))).toEqual(regs);
  });

  it('agrees with protobufjs both ways on random values of every width', () => {
    let x = 0x9e3779b97f4a7c15n;
    const next = (): bigint => {
      // xorshift64, then cut to a random width so that every varint length comes up.
      x ^= (x << 13n) & MAX;
      x ^= x >> 7n;
      x ^= (x << 17n) & MAX;
      return x >> (x % 64n);
    };
    const random = Array.from({ length: 500 }, () => reg(next(), next(), next()));
    expect([...decodeRegisterRequest(referenceRegister(random))]).toEqual(triples(random));
    const back = reference.register.requestDeserialize(encodeRegisterRequest(random)) as { registrations: { cookie: string; start: string; end: string }[] };
    expect(back.registrations.map((r) => reg(BigInt(r.cookie), BigInt(r.start), BigInt(r.end)))).toEqual(random);
  });

  it('an empty batch, and a registration with every field 0 (proto3 leaves them out)', () => {
    expect(decodeRegisterRequest(Buffer.alloc(0))).toHaveLength(0);
    expect(encodeRegisterRequest([])).toHaveLength(0);
    expect([...decodeRegisterRequest(encodeRegisterRequest([reg(0n, 0n, 0n), reg(1n, 2n, 3n)]))]).toEqual([0n, 0n, 0n, 1n, 2n, 3n]);
  });

  it('fields in any order, the last of a repeated field wins, unknown fields of every wire type are skipped', () => {
    const entry = [
      ...[3 << 3, ...varint(30n)],
      ...[(9 << 3) | 1, 1, 2, 3, 4, 5, 6, 7, 8], // fixed64
      ...[1 << 3, ...varint(1n)],
      ...[(10 << 3) | 5, 1, 2, 3, 4], // fixed32
      ...[(11 << 3) | 2, 2, 0xff, 0xff], // bytes
      ...[(12 << 3) | 3, (13 << 3) | 0, 5, (12 << 3) | 4], // a group holding a varint
      ...[2 << 3, ...varint(MAX)],
      ...[2 << 3, ...varint(20n)],
      ...[15 << 3, ...varint(99n)], // unknown varint
    ];
    const message = [...[(7 << 3) | 0, 1], ...[(1 << 3) | 2, entry.length, ...entry]];
    expect([...decodeRegisterRequest(buf(message))]).toEqual([1n, 20n, 30n]);
    expect(reference.register.requestDeserialize(buf(message))).toMatchObject({ registrations: [{ cookie: '1', start: '20', end: '30' }] });
  });

  it('a 10-byte varint keeps its low 64 bits, as protobufjs does', () => {
    const big = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f];
    const message = buf([(1 << 3) | 2, 1 + big.length, 1 << 3, ...big]);
    expect([...decodeRegisterRequest(message)]).toEqual([MAX, 0n, 0n]);
    expect(reference.register.requestDeserialize(message)).toMatchObject({ registrations: [{ cookie: MAX.toString() }] });
  });

  it('malformed input throws, never a partial batch', () => {
    const first = referenceRegister([reg(1n, 4096n, 8192n)]);
    const good = Buffer.concat([first, referenceRegister([reg(2n, 8192n, 12288n)])]);
    for (let cut = 1; cut < good.length; cut++) {
      // Cut between the two registrations, it is a valid batch of one.
      if (cut !== first.length) expect(() => decodeRegisterRequest(good.subarray(0, cut)), `cut at ${cut}`).toThrow(WireError);
    }
    expect(() => decodeRegisterRequest(buf([1 << 3, 1]))).toThrow(/wire type 0, expected 2/);
    expect(() => decodeRegisterRequest(buf([(1 << 3) | 2, 2, (1 << 3) | 2, 0]))).toThrow(/wire type 2, expected 0/);
    expect(() => decodeRegisterRequest(buf([(1 << 3) | 2, 12, 1 << 3, ...new Array<number>(10).fill(0x80), 1]))).toThrow(/longer than 10 bytes/);
    expect(() => decodeRegisterRequest(buf([(9 << 3) | 6]))).toThrow(/invalid wire type 6/);
  });

  it('refuses to encode what is not a u64', () => {
    expect(() => encodeRegisterRequest([reg(-1n, 0n, 1n)])).toThrow(/registrations\[0\]\.cookie must be a bigint in \[0, 2\^64\)/);
    expect(() => encodeRegisterRequest([reg(1n, 0n, 1n), reg(2n, 0n, MAX + 1n)])).toThrow(/registrations\[1\]\.end/);
  });
});

describe('UnregisterRequest', () => {
  it('decodes what protobufjs encodes (packed), and encodes what it decodes', () => {
    const bytes = reference.unregister.requestSerialize({ cookies: EDGES.map(String) });
    expect([...decodeUnregisterRequest(bytes)]).toEqual(EDGES);
    expect(encodeUnregisterRequest(EDGES)).toEqual(bytes);
    expect((reference.unregister.requestDeserialize(encodeUnregisterRequest(EDGES)) as { cookies: string[] }).cookies).toEqual(EDGES.map(String));
  });

  it('takes cookies unpacked too, and mixed with packed runs', () => {
    const message = buf([...[1 << 3, ...varint(5n)], ...[(1 << 3) | 2, 2, 6, 7], ...[(2 << 3) | 0, 9], ...[1 << 3, ...varint(MAX)]]);
    expect([...decodeUnregisterRequest(message)]).toEqual([5n, 6n, 7n, MAX]);
    expect((reference.unregister.requestDeserialize(message) as { cookies: string[] }).cookies).toEqual(['5', '6', '7', MAX.toString()]);
  });

  it('empty, truncated, and not a u64', () => {
    expect(decodeUnregisterRequest(Buffer.alloc(0))).toHaveLength(0);
    expect(encodeUnregisterRequest([])).toHaveLength(0);
    expect(() => decodeUnregisterRequest(buf([(1 << 3) | 2, 3, 1, 2]))).toThrow(WireError);
    expect(() => decodeUnregisterRequest(buf([(1 << 3) | 2, 1, 0x80]))).toThrow(WireError);
    expect(() => decodeUnregisterRequest(buf([(1 << 3) | 1, 0]))).toThrow(/wire type 1, expected 0/);
    expect(() => encodeUnregisterRequest([1n, MAX + 1n])).toThrow(/cookies\[1\] must be a bigint/);
  });
});
