import { defineConfig } from 'vitest/config'
import SlowFilesFirst from './test/sequencer.js'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000, // 60 s: integration tests start real servers
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: true,
    // 3 on the 2-core CI machine: the demo story (about 4 minutes) mostly waits on the wall clock,
    // so a third worker keeps both cores busy with the rest of the suite meanwhile.
    maxWorkers: 3,
    sequence: { sequencer: SlowFilesFirst }
  }
})
