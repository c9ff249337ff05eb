// Hand-written protobuf codecs for the two requests whose size grows with the
// batch: RegisterRequest and UnregisterRequest (proto/ummunotify/v1).
//
// The generic path (proto-loader with `longs: String`) turns every uint64
// into a decimal string and a long.js object on one side and back on the
// other, and the addon then read each registration as an object: about 3 us
// per registration on each side, more than the engine spends on one. These
// codecs go straight between the varint wire form and BigUint64Array, which
// the addon reads in place (NativeEngine.registerPacked / unregisterPacked):
// about 0.25 us. Every other message keeps the generic codec.
//
// Decoding follows protobuf's rules, as protobufjs does: fields in any order,
// unknown fields skipped, the last value of a repeated scalar wins, a missing
// field is 0, a repeated uint64 packed or not, varints of up to 10 bytes
// (bits beyond 64 dropped). Malformed input throws; grpc-js then answers
// INTERNAL "Error deserializing request", as it does for every method.

import type { NativeRegistration } from './native-api.ts';

/** [cookie, start, end] of each registration, in request order. */
export type PackedRegistrations = BigUint64Array;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Index of the low and high 32-bit halves of a u64 within a Uint32Array view. */
const LO = LITTLE_ENDIAN ? 0 : 1;
const HI = 1 - LO;

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_SGROUP = 3;
const WIRE_EGROUP = 4;
const WIRE_I32 = 5;

const UINT64_MAX = (1n << 64n) - 1n;

export class WireError extends Error {}

/** A cursor over one message (or a length-delimited part of one). */
class Reader {
  pos: number;

  constructor(
    private readonly buf: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  private byte(): number {
    if (this.pos >= this.end) throw new WireError(`truncated message (at byte ${this.pos})`);
    return this.buf[this.pos++] as number;
  }

  /** A varint's low 32 bits (tags, lengths); the rest is read and dropped. */
  uint32(): number {
    let value = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      const b = this.byte();
      if (shift < 32) value |= (b & 0x7f) << shift;
      if (b < 0x80) return value >>> 0;
    }
    throw new WireError(`varint longer than 10 bytes (at byte ${this.pos})`);
  }

  /** A varint as a u64 into words[2i], words[2i + 1] of a Uint32Array view, host order. */
  uint64Into(words: Uint32Array, i: number): void {
    let lo = 0;
    let hi = 0;
    for (let n = 0; n < 10; n++) {
      const b = this.byte();
      const bits = b & 0x7f;
      if (n < 4) lo |= bits << (7 * n);
      else if (n === 4) {
        lo |= bits << 28; // its low 4 bits
        hi |= bits >>> 4;
      } else hi |= bits << (7 * n - 32); // the 10th byte keeps 1 bit: the rest is past 64
      if (b < 0x80) {
        words[2 * i + LO] = lo >>> 0;
        words[2 * i + HI] = hi >>> 0;
        return;
      }
    }
    throw new WireError(`varint longer than 10 bytes (at byte ${this.pos})`);
  }

  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.uint32();
        return;
      case WIRE_I64:
        this.advance(8);
        return;
      case WIRE_LEN:
        this.advance(this.uint32());
        return;
      case WIRE_SGROUP:
        for (;;) {
          const t = this.uint32() & 7;
          if (t === WIRE_EGROUP) return;
          this.skip(t);
        }
      case WIRE_I32:
        this.advance(4);
        return;
      default:
        throw new WireError(`invalid wire type ${wireType} (at byte ${this.pos})`);
    }
  }

  advance(n: number): void {
    if (n > this.end - this.pos) throw new WireError(`truncated message (a field of ${n} bytes at byte ${this.pos})`);
    this.pos += n;
  }

  /** The next n bytes as a reader of their own. */
  sub(n: number): Reader {
    const start = this.pos;
    this.advance(n);
    return new Reader(this.buf, start, start + n);
  }
}

function expectWireType(field: string, got: number, want: number): void {
  if (got !== want) throw new WireError(`${field} has wire type ${got}, expected ${want}`);
}

/** Calls `each` with a reader over every `registrations` entry of a RegisterRequest. */
function forEachRegistration(r: Reader, each: (entry: Reader) => void): void {
  while (!r.done) {
    const tag = r.uint32();
    if (tag >>> 3 === 1) {
      expectWireType('RegisterRequest.registrations', tag & 7, WIRE_LEN);
      each(r.sub(r.uint32()));
    } else {
      r.skip(tag & 7);
    }
  }
}

/** RegisterRequest bytes to [cookie, start, end] triples. */
export function decodeRegisterRequest(buf: Uint8Array): PackedRegistrations {
  let count = 0;
  forEachRegistration(new Reader(buf, 0, buf.length), () => count++);
  const out = new BigUint64Array(3 * count);
  const words = new Uint32Array(out.buffer);
  let i = 0;
  forEachRegistration(new Reader(buf, 0, buf.length), (entry) => {
    // Registration: cookie = 1, start = 2, end = 3; absent fields stay 0.
    while (!entry.done) {
      const tag = entry.uint32();
      const field = tag >>> 3;
      if (field >= 1 && field <= 3) {
        expectWireType(`Registration field ${field}`, tag & 7, WIRE_VARINT);
        entry.uint64Into(words, 3 * i + field - 1);
      } else {
        entry.skip(tag & 7);
      }
    }
    i++;
  });
  return out;
}

/** Calls `each` for every cookie of an UnregisterRequest, packed or not. */
function forEachCookie(r: Reader, each: (from: Reader) => void): void {
  while (!r.done) {
    const tag = r.uint32();
    if (tag >>> 3 !== 1) {
      r.skip(tag & 7);
    } else if ((tag & 7) === WIRE_LEN) {
      const packed = r.sub(r.uint32());
      while (!packed.done) each(packed);
    } else {
      expectWireType('UnregisterRequest.cookies', tag & 7, WIRE_VARINT);
      each(r);
    }
  }
}

/** UnregisterRequest bytes to its cookies. */
export function decodeUnregisterRequest(buf: Uint8Array): BigUint64Array {
  let count = 0;
  forEachCookie(new Reader(buf, 0, buf.length), (from) => {
    from.uint32();
    count++;
  });
  const out = new BigUint64Array(count);
  const words = new Uint32Array(out.buffer);
  let i = 0;
  forEachCookie(new Reader(buf, 0, buf.length), (from) => from.uint64Into(words, i++));
  return out;
}

// ---- encoding (the Node client's side) ----

function varintSize(lo: number, hi: number): number {
  if (hi === 0) return lo < 1 << 7 ? 1 : lo < 1 << 14 ? 2 : lo < 1 << 21 ? 3 : lo < 1 << 28 ? 4 : 5;
  return Math.ceil((64 - Math.clz32(hi)) / 7); // 32 bits of lo, and hi's significant ones
}

class Writer {
  pos = 0;

  constructor(readonly buf: Buffer) {}

  uint32(v: number): void {
    while (v > 0x7f) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
  }

  uint64(lo: number, hi: number): void {
    while (hi !== 0 || lo > 0x7f) {
      this.buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.buf[this.pos++] = lo;
  }
}

/** u64 values as their 32-bit halves (lo, hi pairs): one typed-array store each, no BigInt arithmetic. */
function halves(values: readonly bigint[], what: (i: number) => string): Uint32Array {
  const wide = new BigUint64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as bigint;
    // A BigUint64Array store wraps silently; a value that does not fit is the caller's mistake.
    if (typeof v !== 'bigint' || v < 0n || v > UINT64_MAX) throw new RangeError(`${what(i)} must be a bigint in [0, 2^64), got ${String(v)}`);
    wide[i] = v;
  }
  const words = new Uint32Array(wide.buffer);
  if (LITTLE_ENDIAN) return words;
  for (let i = 0; i < values.length; i++) [words[2 * i], words[2 * i + 1]] = [words[2 * i + 1] as number, words[2 * i] as number];
  return words;
}

const FIELD_NAMES = ['cookie', 'start', 'end'] as const;

/**
 * A RegisterRequest (fields in order; a zero field left out, which proto3
 * reads back as 0); throws RangeError for a value that is not a u64.
 */
export function encodeRegisterRequest(regs: readonly NativeRegistration[]): Buffer {
  const flat: bigint[] = new Array<bigint>(3 * regs.length);
  regs.forEach((r, i) => {
    flat[3 * i] = r.cookie;
    flat[3 * i + 1] = r.start;
    flat[3 * i + 2] = r.end;
  });
  const w32 = halves(flat, (k) => `registrations[${Math.floor(k / 3)}].${FIELD_NAMES[k % 3] as string}`);
  const sizes = new Uint32Array(regs.length);
  let total = 0;
  for (let i = 0; i < regs.length; i++) {
    let size = 0;
    for (let f = 0; f < 3; f++) {
      const lo = w32[2 * (3 * i + f)] as number;
      const hi = w32[2 * (3 * i + f) + 1] as number;
      if (lo !== 0 || hi !== 0) size += 1 + varintSize(lo, hi);
    }
    sizes[i] = size;
    total += 1 + varintSize(size, 0) + size;
  }
  const w = new Writer(Buffer.allocUnsafe(total));
  for (let i = 0; i < regs.length; i++) {
    w.uint32((1 << 3) | WIRE_LEN);
    w.uint32(sizes[i] as number);
    for (let f = 0; f < 3; f++) {
      const lo = w32[2 * (3 * i + f)] as number;
      const hi = w32[2 * (3 * i + f) + 1] as number;
      if (lo === 0 && hi === 0) continue;
      w.uint32(((f + 1) << 3) | WIRE_VARINT);
      w.uint64(lo, hi);
    }
  }
  return w.buf;
}

/** An UnregisterRequest, its cookies packed (proto3's default, as protobufjs writes it). */
export function encodeUnregisterRequest(cookies: readonly bigint[]): Buffer {
  if (cookies.length === 0) return Buffer.alloc(0);
  const w32 = halves(cookies, (i) => `cookies[${i}]`);
  let size = 0;
  for (let i = 0; i < cookies.length; i++) size += varintSize(w32[2 * i] as number, w32[2 * i + 1] as number);
  const w = new Writer(Buffer.allocUnsafe(1 + varintSize(size, 0) + size));
  w.uint32((1 << 3) | WIRE_LEN);
  w.uint32(size);
  for (let i = 0; i < cookies.length; i++) w.uint64(w32[2 * i] as number, w32[2 * i + 1] as number);
  return w.buf;
}
