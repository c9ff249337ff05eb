// The stale-registration case every MPI registration cache must survive:
//
//   a = mmap(1 page); send(a); munmap(a); b = mmap(1 page); send(b)
//
// The kernel usually hands b the very address a had. A cache keyed by
// address alone would reuse a's registration for b; this one sees the
// counter move, reads the invalidation and evicts a first.
//
// Usage: npm run example:node   (or: tsx clients/node/examples/regcache.ts)

import { OpenClient } from '../src/open.ts';
// Node has no mmap(2); the tests' small native helper does the real memory operations.
import { memops } from '../../../test/support/memops/index.ts';
import { RegistrationCache, type Entry } from './registration-cache.ts';

const PAGE = BigInt(memops.pageSize());
const say = (line: string): void => void process.stdout.write(`${line}\n`);

// The daemon's own log would only interleave with the story told here.
const umn = await OpenClient.open({ daemonArgs: ['--log-level', 'warn'] });
try {
  say(`pid ${process.pid}, engine ${umn.engine}`);
  const cache = new RegistrationCache(umn, say);
  const send = (buf: bigint): Promise<Entry> => cache.lookup(buf, PAGE);

  const a = memops.mmapAnon(1);
  say(`a = mmap(1 page) = 0x${a.toString(16)}`);
  await send(a);
  await send(a);
  memops.munmap(a, 1);
  say('munmap(a)');
  const b = memops.mmapAnon(1);
  say(`b = mmap(1 page) = 0x${b.toString(16)}${b === a ? ' (the same address as a)' : ''}`);
  const entry = await send(b);
  say(entry.cookie === 1n ? 'STALE: b was sent with a\'s registration' : `b has its own registration (cookie ${entry.cookie}); the cache holds ${cache.size} entry`);
  memops.munmap(b, 1);
  if (entry.cookie === 1n) process.exitCode = 1;
} finally {
  await umn.close();
}
