import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Timing assertions compare against scripted latencies with wide margins; keep
    // files in separate processes so one file's load does not skew another's clock.
    pool: 'forks',
  },
})
