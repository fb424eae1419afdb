import { it, expect } from 'vitest'
import { readFileSync } from 'node:fs'
import { ERRORS, MinewatchError } from '../../../core/errors.js'
import { REJECT_REASONS } from '../../../core/rejects.js'

it('docs/errors.md lists every error code with its status, and every reject reason', () => {
  const doc = readFileSync('docs/errors.md', 'utf8')
  for (const [code, def] of Object.entries(ERRORS)) {
    expect(doc, code).toMatch(new RegExp(`\\| \`${code}\` \\| ${def.statusCode} \\| ${def.retryable ? 'yes' : 'no'} \\|`))
  }
  for (const reason of REJECT_REASONS) expect(doc, reason).toContain(`\`${reason}\``)
})

it('errors say whether a retry may help', () => {
  const e = new MinewatchError('MW_STORE_UNAVAILABLE', 'connection refused', { retryAfterMs: 5000 })
  expect(e.canRetry()).toBe(true)
  expect(e.retryAfterMs).toBe(5000)
  expect(e.message).toBe('telemetry store is unavailable: connection refused')
  expect(new MinewatchError('MW_BAD_REQUEST').canRetry()).toBe(false)
})
