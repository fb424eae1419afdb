/**
 * Test file order: vitest's own (failed first, then longest first from its cache; on a clean clone,
 * with no cache, largest file first), except that the files that run for minutes of real or
 * simulated time start first. On a clean clone (CI) vitest knows no durations, and a long file
 * started last makes the whole run wait for it alone on one worker.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node'

/** Longest first: the demo story takes about 4 minutes, each scenario shard about 1 to 1.5. */
export const SLOW_FILES = ['test/integration/demo-story.test.ts', 'test/integration/scenarios-minewatch-1.test.ts',
  'test/integration/scenarios-minewatch-2.test.ts', 'test/integration/scenarios-minewatch-3.test.ts']

export default class SlowFilesFirst extends BaseSequencer {
  override async sort (files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files)
    const rank = (f: TestSpecification) => {
      const i = SLOW_FILES.findIndex((p) => f.moduleId.endsWith(p))
      return i < 0 ? SLOW_FILES.length : i
    }
    return [...sorted].sort((a, b) => rank(a) - rank(b)) // stable: the rest keeps vitest's order
  }
}
