/** DuckDB-specific behaviour of the state stores beyond the shared contract (test/contract/duckdb.test.ts). */
import { describe, it, expect, beforeEach, afterEach } from 'vitest'
import { join } from 'node:path'
import { tempDir } from '../../helpers/ports.js'
import { openStateStore, type StateStore } from '../../../store/duckdb/state.js'
import { truncatePayload } from '../../../store/duckdb/rejects.js'
import { createMetrics, type Metrics } from '../../../core/metrics.js'
import { REJECT_PAYLOAD_MAX_BYTES } from '../../../core/rejects.js'
import { alert, reject, transitionOf } from '../../contract/state-store.js'

describe('truncatePayload', () => {
  it('keeps short payloads and cuts long ones to REJECT_PAYLOAD_MAX_BYTES of whole UTF-8 characters', () => {
    expect(truncatePayload('{"a":1}')).toBe('{"a":1}')
    expect(truncatePayload('x'.repeat(5000))).toBe('x'.repeat(REJECT_PAYLOAD_MAX_BYTES))
    const cut = truncatePayload('x' + '粉'.repeat(2000)) // 1 + 3 × 2000 bytes
    expect(Buffer.byteLength(cut)).toBe(1 + 3 * Math.floor((REJECT_PAYLOAD_MAX_BYTES - 1) / 3))
    expect(cut.endsWith('粉')).toBe(true)
  })
})

describe('DuckDB state store', () => {
  let dir: ReturnType<typeof tempDir>
  let state: StateStore
  let metrics: Metrics

  beforeEach(async () => {
    dir = tempDir('mw-duckdb-state-unit-')
    metrics = createMetrics()
    state = await openStateStore({ path: join(dir.path, 'state.duckdb'), rejectsMaxRows: 4, metrics })
  })
  afterEach(async () => { await state.close(); dir.remove() })

  it('counts rejects dropped at the bound in minewatch_rejects_dropped_total', async () => {
    await state.rejects.add([reject(1), reject(2), reject(3)])
    await state.rejects.add([reject(4), reject(5), reject(6)])
    expect((await metrics.rejectsDropped.get()).values[0]?.value).toBe(2)
    expect(await state.rejects.count()).toBe(4)
  })

  it('stores long reject payloads truncated', async () => {
    await state.rejects.add([reject(1, { payload: 'y'.repeat(10_000) })])
    const [r] = await state.rejects.list({ limit: 1 })
    expect(r!.payload).toHaveLength(REJECT_PAYLOAD_MAX_BYTES)
  })

  it('refuses malformed rejects and bad list limits', async () => {
    await expect(state.rejects.add([reject(1), reject(2, { reason: 'because' as 'empty' })])).rejects.toMatchObject({ code: 'MW_STORE_REJECTED', message: expect.stringContaining('reject [1]: unknown reason "because"') })
    expect(await state.rejects.count()).toBe(0)
    await expect(state.rejects.list({ limit: 0 })).rejects.toMatchObject({ code: 'MW_BAD_REQUEST' })
  })

  it('refuses a transition for another alert, or to a state the alert is not in', async () => {
    const a = alert('a1')
    await expect(state.alerts.transition(a, transitionOf(alert('a2'), null))).rejects.toMatchObject({ code: 'MW_BAD_REQUEST', message: expect.stringContaining('"a2", not "a1"') })
    await expect(state.alerts.transition(a, { ...transitionOf(a, null), to: 'resolved' })).rejects.toMatchObject({ code: 'MW_BAD_REQUEST' })
    expect(await state.alerts.get('a1')).toBeUndefined()
  })

  it('refuses a cursor it did not make', async () => {
    await expect(state.alerts.list({ limit: 5, cursor: 'not-a-cursor' })).rejects.toMatchObject({ code: 'MW_BAD_REQUEST', message: expect.stringContaining('cursor') })
  })

  it('gives concurrent transitions distinct increasing seqs', async () => {
    const ts = await Promise.all(Array.from({ length: 20 }, (_, i) => {
      const a = alert(`c${i}`)
      return state.alerts.transition(a, transitionOf(a, null))
    }))
    const seqs = ts.map((t) => t.seq)
    expect(new Set(seqs).size).toBe(20)
    expect((await state.alerts.transitionsSince(0, 100)).map((t) => t.seq)).toEqual([...seqs].sort((x, y) => x - y))
  })

  it('outbox: enqueue ignores a repeated id, delivered() of an unknown id is a no-op, failed() of one is MW_NOT_FOUND', async () => {
    const item = { id: 'd1', subscription: 'w', transitionSeq: 1, dueAt: 10, payload: '{"v":1}' }
    await state.outbox.enqueue([item])
    await state.outbox.enqueue([{ ...item, payload: '{"v":2}' }])
    expect(await state.outbox.due(10, 10)).toEqual([{ ...item, attempts: 0, lastError: null }])
    expect((await metrics.outboxPending.get()).values[0]?.value).toBe(1)
    await state.outbox.delivered('nope')
    await expect(state.outbox.failed('nope', 'x', 20)).rejects.toMatchObject({ code: 'MW_NOT_FOUND' })
    await state.outbox.delivered('d1')
    expect((await metrics.outboxPending.get()).values[0]?.value).toBe(0)
  })

  it('rejects operations after close with MW_STORE_CLOSED; close is idempotent', async () => {
    await state.close()
    await state.close()
    await expect(state.rejects.add([reject(1)])).rejects.toMatchObject({ code: 'MW_STORE_CLOSED' })
    await expect(state.rejects.list({ limit: 1 })).rejects.toMatchObject({ code: 'MW_STORE_CLOSED' })
    await expect(state.alerts.open()).rejects.toMatchObject({ code: 'MW_STORE_CLOSED' })
    await expect(state.outbox.pending()).rejects.toMatchObject({ code: 'MW_STORE_CLOSED' })
  })

  it('refuses a non-positive rejectsMaxRows with MW_CONFIG_INVALID', async () => {
    await expect(openStateStore({ path: ':memory:', rejectsMaxRows: 0 })).rejects.toMatchObject({ code: 'MW_CONFIG_INVALID' })
  })
})
