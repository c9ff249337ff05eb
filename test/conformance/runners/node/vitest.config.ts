import { defineConfig } from 'vitest/config';

// The Node conformance runner: one process (the target) runs the scenarios
// in order, each with its own sidecar; every scenario is listed in the log.
export default defineConfig({
  test: {
    pool: 'forks',
    include: ['test/conformance/runners/node/**/*.test.ts'],
    reporters: ['verbose'],
    testTimeout: 60_000,
  },
});
