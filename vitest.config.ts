import { defineConfig } from 'vitest/config'
import SlowFilesFirst from './test/sequencer.js'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000, // 60 s: integration tests start real servers
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    sequence: { sequencer: SlowFilesFirst }
  }
})
