import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
    // Two cores: run files one at a time so model-heavy suites do not starve each other.
    fileParallelism: false,
    pool: 'forks',
    reporters: ['default'],
  },
});
