import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Native addons (later issues) must run in child processes, not worker threads.
    pool: 'forks',
    include: ['kernel/**/*.test.ts', 'daemon/**/*.test.ts', 'clients/node/**/*.test.ts', 'test/**/*.test.ts', 'bench/**/*.test.ts'],
    // The conformance runner has its own configuration (npm run test:conformance:node).
    exclude: ['**/node_modules/**', 'test/conformance/runners/node/conformance.test.ts'],
    testTimeout: 120_000,
  },
});
