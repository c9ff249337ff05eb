// Every benchmark `npm run bench` knows, in the order `npm run bench` (no name)
// runs them. Add one here when adding bench/NAME.

import type { Benchmark } from './benchmark.ts';
import { kernel } from './kernel/index.ts';
import { fastpath } from './fastpath/index.ts';
import { register } from './register/index.ts';
import { munmap } from './munmap/index.ts';
import { latency } from './latency/index.ts';
import { scale } from './scale/index.ts';
import { storm } from './storm/index.ts';
import { coverage } from './coverage/index.ts';

export const benchmarks: readonly Benchmark[] = [kernel, fastpath, register, munmap, latency, scale, storm, coverage];
