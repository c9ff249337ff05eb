// Every benchmark `npm run bench` knows, in the order `npm run bench` (no name)
// runs them. Add one here when adding bench/NAME.

import type { Benchmark } from './benchmark.ts';
import { kernel } from './kernel/index.ts';

export const benchmarks: readonly Benchmark[] = [kernel];
