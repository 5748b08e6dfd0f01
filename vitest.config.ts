import { defineConfig } from 'vitest/config';

// Suites touch the real kernel and containerd, so files run one at a time:
// parallel files would compete for the 2 cores and make timing-sensitive
// assertions (readiness, traffic) flaky. Isolation between runs is still tested
// explicitly in test/reliability.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // containerd running and local images imported before any suite (idempotent, ~0.1 s).
    globalSetup: ['test/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
