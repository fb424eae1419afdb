/** The test sequencer (test/sequencer.ts) starts the slow files first: a renamed file would silently lose its place. */
import { describe, it, expect } from 'vitest'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { SLOW_FILES } from '../sequencer.js'

describe('test order', () => {
  it('names slow files that exist', () => {
    for (const f of SLOW_FILES) expect(existsSync(join(import.meta.dirname, '../..', f)), f).toBe(true)
  })
})
