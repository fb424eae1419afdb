/** "May I retry, and when?": HTTP answers and network errors → MinewatchError, from a table. */
import { describe, it, expect } from 'vitest'
import { HttpError } from '@influxdata/influxdb-client'
import { toStoreError, parseRetryAfter, errorText } from '../../../store/influx/errors.js'
import { MinewatchError } from '../../../core/errors.js'

describe('parseRetryAfter (RFC 9110 §10.2.3)', () => {
  const now = Date.parse('2025-03-01T00:00:00Z')
  const table: [string | undefined, number | undefined][] = [
    [undefined, undefined],
    ['0', 0],
    ['30', 30_000],
    [' 5 ', 5_000],
    ['Sat, 01 Mar 2025 00:00:10 GMT', 10_000],
    ['Fri, 28 Feb 2025 23:59:00 GMT', 0],
    ['soon', undefined],
    ['-5', undefined]
  ]
  for (const [value, ms] of table) {
    it(`${String(value)} → ${String(ms)}`, () => expect(parseRetryAfter(value, now)).toBe(ms))
  }
})

describe('errorText', () => {
  it('reads 1.x {"error"}, 2.x {"message"} and plain bodies', () => {
    expect(errorText('{"error":"partial write: field type conflict"}')).toBe('partial write: field type conflict')
    expect(errorText('{"code":"invalid","message":"unable to parse"}')).toBe('unable to parse')
    expect(errorText('Service Unavailable\n')).toBe('Service Unavailable')
    expect(errorText(undefined)).toBe('')
  })
})

describe('toStoreError', () => {
  const http = (status: number, body = '', headers: Record<string, string> = {}) =>
    new HttpError(status, 'x', body, headers['retry-after'], 'application/json', undefined, headers)
  const table: { name: string, err: unknown, code: string, retry: boolean, retryAfterMs?: number }[] = [
    { name: '400 bad line protocol', err: http(400, '{"error":"unable to parse"}'), code: 'MW_STORE_REJECTED', retry: false },
    { name: '413 too large', err: http(413), code: 'MW_STORE_REJECTED', retry: false },
    { name: '422 (2.x) outside retention', err: http(422, '{"message":"points beyond retention policy"}'), code: 'MW_STORE_REJECTED', retry: false },
    { name: '429 with Retry-After', err: http(429, '', { 'retry-after': '7' }), code: 'MW_STORE_UNAVAILABLE', retry: true, retryAfterMs: 7_000 },
    { name: '503 without Retry-After', err: http(503), code: 'MW_STORE_UNAVAILABLE', retry: true },
    { name: '500', err: http(500, '{"error":"timeout"}'), code: 'MW_STORE_UNAVAILABLE', retry: true },
    { name: '401 credentials (keep the data, fix the setup)', err: http(401), code: 'MW_STORE_UNAVAILABLE', retry: true },
    { name: '404 database not found', err: http(404, '{"error":"database not found: \\"x\\""}'), code: 'MW_STORE_UNAVAILABLE', retry: true },
    { name: 'connection refused', err: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), code: 'MW_STORE_UNAVAILABLE', retry: true },
    { name: 'timeout', err: Object.assign(new Error('Request timed out'), { name: 'RequestTimedOutError' }), code: 'MW_STORE_UNAVAILABLE', retry: true }
  ]
  for (const row of table) {
    it(row.name, () => {
      const e = toStoreError(row.err, 'write to X')
      expect(e).toBeInstanceOf(MinewatchError)
      expect(e.code).toBe(row.code)
      expect(e.canRetry()).toBe(row.retry)
      expect(e.retryAfterMs).toBe(row.retryAfterMs)
      expect(e.message).toContain('write to X')
    })
  }
  it('keeps the server words in the message', () => {
    expect(toStoreError(http(400, '{"error":"field type conflict: input field \\"tsp\\""}'), 'w').message).toContain('field type conflict')
  })
  it('passes MinewatchErrors through', () => {
    const e = new MinewatchError('MW_STORE_CLOSED')
    expect(toStoreError(e, 'w')).toBe(e)
  })
})
