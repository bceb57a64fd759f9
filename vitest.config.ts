import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/fuzz/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/bench/**/*.test.ts'],
    // e2e suites build namespaces; give them room but keep every wait bounded inside the tests.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Namespaced suites share the kernel; run files one at a time to keep timings honest on 2 cores.
    fileParallelism: false,
  },
});
