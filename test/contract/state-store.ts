/**
 * Contract suites for the state stores (store/state.ts): RejectStore, AlertStore and
 * OutboxStore. Each implementation runs them through its own *.test.ts with a
 * factory that opens a fresh, empty store.
 */
import { describe, it, expect, beforeEach, afterEach } from 'vitest'
import type { Reject } from '../../core/rejects.js'
import type { Alert, AlertTransition, AlertState } from '../../core/alerts.js'
import type { RejectStore, AlertStore, AuditStore, OutboxStore, OutboxItem, DeviceChangeStore, ForwardedReportStore } from '../../store/state.js'
import { auditHash, GENESIS_HASH } from '../../core/audit.js'

export interface StateStoresHandle {
  rejects: RejectStore
  alerts: AlertStore
  outbox: OutboxStore
  audit: AuditStore
  deviceChanges: DeviceChangeStore
  forwardedReports: ForwardedReportStore
  /** Closes the stores and removes their files. */
  cleanup(): Promise<void>
}

export type StateStoresFactory = (opts: { rejectsMaxRows: number }) => Promise<StateStoresHandle>

const T0 = Date.parse('2025-03-01T02:30:00Z')

export function reject (i: number, over: Partial<Reject> = {}): Reject {
  return {
    at: T0 + i * 1000, site: 'gm01', device: `dust${i % 3}`, topic: `mines/gm01/dust/dust${i % 3}`,
    reason: 'invalid_reading', detail: `[0].pm10: Invalid input #${i}`, count: 1, payload: `{"ts":${i},"pm10":"x"}`, ...over
  }
}

export function alert (id: string, over: Partial<Alert> = {}): Alert {
  return {
    id, site: 'gm01', kind: 'dust_exceedance', subject: 'dust01/tsp', device: 'dust01', severity: 'alarm', state: 'firing',
    firedAt: T0, updatedAt: T0, resolvedAt: null, ackedBy: null, ackNote: null, value: 1.21, limit: 1.0,
    unit: 'mg/m³', standard: 'GB 16297-1996', message: 'TSP 1 h 均值 1.21 mg/m³ 超过 1.0 mg/m³', noDataSince: null, ...over
  }
}

/** The transition that brings `a` to its current state. */
export function transitionOf (a: Alert, from: AlertState | null, over: Partial<AlertTransition> = {}): Omit<AlertTransition, 'seq'> {
  return {
    alertId: a.id, site: a.site, kind: a.kind, from, to: a.state, severity: a.severity, at: a.updatedAt,
    reason: `${from ?? 'new'} → ${a.state}`, value: a.value, limit: a.limit, by: a.ackedBy, message: a.message, ...over
  }
}

export function stateStoreContract (name: string, factory: StateStoresFactory): void {
  describe(`RejectStore contract: ${name}`, () => {
    let h: StateStoresHandle
    beforeEach(async () => { h = await factory({ rejectsMaxRows: 1000 }) })
    afterEach(async () => { await h.cleanup() })

    it('lists added rejects newest first with every field and increasing ids', async () => {
      await h.rejects.add([reject(1), reject(2, { site: null, device: null, reason: 'bad_topic', count: 0 })])
      await h.rejects.add([reject(3, { detail: '中文说明', payload: '{"tsp":"高"}' })])
      const got = await h.rejects.list({ limit: 10 })
      expect(got.map((r) => r.detail)).toEqual(['中文说明', '[0].pm10: Invalid input #2', '[0].pm10: Invalid input #1'])
      expect(got[0]!.id).toBeGreaterThan(got[1]!.id)
      expect(got[1]!.id).toBeGreaterThan(got[2]!.id)
      const { id: _id, ...rest } = got[1]!
      expect(rest).toEqual(reject(2, { site: null, device: null, reason: 'bad_topic', count: 0 }))
      expect(got[0]!.payload).toBe('{"tsp":"高"}')
    })

    it('filters by site, device and reason, and pages with before', async () => {
      const batch: Reject[] = []
      for (let i = 0; i < 9; i++) batch.push(reject(i, { site: i % 2 === 0 ? 'gm01' : 'gm02', reason: i < 6 ? 'invalid_reading' : 'not_json' }))
      await h.rejects.add(batch)
      expect((await h.rejects.list({ limit: 100, site: 'gm02' })).map((r) => r.at)).toEqual([7, 5, 3, 1].map((i) => T0 + i * 1000))
      expect((await h.rejects.list({ limit: 100, device: 'dust0' })).map((r) => r.at)).toEqual([6, 3, 0].map((i) => T0 + i * 1000))
      expect((await h.rejects.list({ limit: 100, reason: 'not_json' })).map((r) => r.at)).toEqual([8, 7, 6].map((i) => T0 + i * 1000))
      expect((await h.rejects.list({ limit: 100, site: 'gm01', reason: 'not_json' })).map((r) => r.at)).toEqual([8, 6].map((i) => T0 + i * 1000))
      const seen: number[] = []
      let before: number | undefined
      for (let page = 0; page < 10; page++) {
        const rows = await h.rejects.list({ limit: 4, before })
        if (rows.length === 0) break
        expect(rows.length).toBeLessThanOrEqual(4)
        seen.push(...rows.map((r) => r.at))
        before = rows[rows.length - 1]!.id
      }
      expect(seen).toEqual([8, 7, 6, 5, 4, 3, 2, 1, 0].map((i) => T0 + i * 1000))
    })

    it('counts with filters', async () => {
      await h.rejects.add([reject(1), reject(2, { site: 'gm02' }), reject(3, { reason: 'empty' })])
      expect(await h.rejects.count()).toBe(3)
      expect(await h.rejects.count({ site: 'gm01' })).toBe(2)
      expect(await h.rejects.count({ reason: 'empty' })).toBe(1)
      expect(await h.rejects.count({ site: 'gm02', reason: 'empty' })).toBe(0)
    })

    it('keeps a reject whose text holds a NUL character, and the rest of its batch', async () => {
      // garbage from a device is exactly what rejects record; PostgreSQL text cannot hold NUL, so a store may replace it
      await h.rejects.add([reject(1), reject(2, { payload: 'ab\u0000cd', detail: 'bad\u0000byte', topic: 'mines/gm01/dust/\u0000' }), reject(3)])
      const got = await h.rejects.list({ limit: 10 })
      expect(got.map((r) => r.at)).toEqual([3, 2, 1].map((i) => T0 + i * 1000))
      expect(['ab\u0000cd', 'ab\uFFFDcd']).toContain(got[1]!.payload)
      expect(['bad\u0000byte', 'bad\uFFFDbyte']).toContain(got[1]!.detail)
    })

    it('accepts an empty add', async () => {
      await h.rejects.add([])
      expect(await h.rejects.count()).toBe(0)
    })

    it('keeps only the newest rejectsMaxRows rows', async () => {
      const small = await factory({ rejectsMaxRows: 5 })
      try {
        await small.rejects.add([reject(1), reject(2), reject(3)])
        await Promise.all([small.rejects.add([reject(4), reject(5)]), small.rejects.add([reject(6), reject(7), reject(8)])])
        expect(await small.rejects.count()).toBe(5)
        const ats = (await small.rejects.list({ limit: 100 })).map((r) => r.at).sort((a, b) => b - a)
        expect(ats).toEqual([8, 7, 6, 5, 4].map((i) => T0 + i * 1000))
        await small.rejects.add(Array.from({ length: 12 }, (_, i) => reject(100 + i)))
        expect(await small.rejects.count()).toBe(5)
        expect((await small.rejects.list({ limit: 100 })).map((r) => r.at)).toEqual([111, 110, 109, 108, 107].map((i) => T0 + i * 1000))
      } finally {
        await small.cleanup()
      }
    })
  })

  describe(`AlertStore contract: ${name}`, () => {
    let h: StateStoresHandle
    beforeEach(async () => { h = await factory({ rejectsMaxRows: 1000 }) })
    afterEach(async () => { await h.cleanup() })

    it('stores an alert with its transition and assigns increasing seqs', async () => {
      const a = alert('a1')
      const t1 = await h.alerts.transition(a, transitionOf(a, null))
      expect(t1).toEqual({ ...transitionOf(a, null), seq: t1.seq })
      expect(await h.alerts.get('a1')).toEqual(a)
      const acked = alert('a1', { state: 'acknowledged', updatedAt: T0 + 60_000, ackedBy: 'zhang', ackNote: '已派人洒水' })
      const t2 = await h.alerts.transition(acked, transitionOf(acked, 'firing'))
      expect(t2.seq).toBeGreaterThan(t1.seq)
      expect(await h.alerts.get('a1')).toEqual(acked)
      expect(await h.alerts.history('a1')).toEqual([t1, t2])
      expect(await h.alerts.get('nope')).toBeUndefined()
      expect(await h.alerts.history('nope')).toEqual([])
    })

    it('keeps a transition\'s structured evidence (the proving fixes) and reads it back', async () => {
      const a = alert('e1')
      const evidence = { beyondM: 31.5, fixes: [{ ts: T0, lon: 119.9, lat: 30.95, alt: null, accuracyM: 3, beyondM: 20 }, { ts: T0 + 5000, lon: 119.9, lat: 30.949, alt: 112.5, accuracyM: 3, beyondM: 31.5 }] }
      const t = await h.alerts.transition(a, { ...transitionOf(a, null), evidence })
      expect(t.evidence).toEqual(evidence)
      expect(await h.alerts.history('e1')).toEqual([t])
      expect((await h.alerts.transitionsSince(t.seq - 1, 10))[0]!.evidence).toEqual(evidence)
      const b = alert('e2')
      await expect(h.alerts.transition(b, { ...transitionOf(b, null), evidence: { beyondM: Number.NaN, fixes: [] } })).rejects.toMatchObject({ code: 'MW_BAD_REQUEST' })
      expect(await h.alerts.get('e2')).toBeUndefined()
    })

    it('enqueues a transition\'s deliveries in the same transaction, built from its seq', async () => {
      const a = alert('a9')
      const t = await h.alerts.transition(a, transitionOf(a, null), (stored) => [
        { id: `a9:${stored.seq}:hook`, subscription: 'hook', transitionSeq: stored.seq, dueAt: T0, payload: '{}' },
        { id: `a9:${stored.seq}:dingtalk`, subscription: 'dingtalk', transitionSeq: stored.seq, dueAt: T0, payload: '{}' }
      ])
      const due = await h.outbox.due(T0, 10)
      expect(due.map((d) => d.id).sort()).toEqual([`a9:${t.seq}:dingtalk`, `a9:${t.seq}:hook`])
      expect(due.every((d) => d.transitionSeq === t.seq)).toBe(true)
      // a bad delivery rolls back the transition too: neither is kept
      const b = alert('b9')
      await expect(h.alerts.transition(b, transitionOf(b, null), () => [{ id: '', subscription: 'hook', transitionSeq: 1, dueAt: T0, payload: '{}' }])).rejects.toThrow(/outbox item \[0\]: id/)
      expect(await h.alerts.get('b9')).toBeUndefined()
      expect(await h.outbox.pending()).toBe(2)
    })

    it('refuses an alert whose text holds a NUL character with MW_BAD_REQUEST, storing nothing', async () => {
      const a = alert('z1', { ackNote: 'x\u0000y', state: 'acknowledged', ackedBy: 'zhang' })
      const err = await h.alerts.transition(a, transitionOf(a, null)).then(() => null, (e: unknown) => e)
      // DuckDB can keep it; a store that cannot must say so plainly, not fail as "unavailable"
      if (err !== null) {
        expect(err).toMatchObject({ code: 'MW_BAD_REQUEST' })
        expect(await h.alerts.get('z1')).toBeUndefined()
      } else {
        expect(await h.alerts.get('z1')).toEqual(a)
      }
    })

    it('keeps nullable fields and Chinese text intact', async () => {
      const a = alert('a2', { device: null, value: null, limit: null, kind: 'over_capacity', subject: 'site', message: '年累计产量超过许可规模' })
      await h.alerts.transition(a, transitionOf(a, null))
      expect(await h.alerts.get('a2')).toEqual(a)
    })

    it('keeps an open alert\'s missing-evidence mark (noDataSince), and clears it', async () => {
      const a = alert('n1')
      await h.alerts.transition(a, transitionOf(a, null))
      const marked = alert('n1', { updatedAt: T0 + 180_000, noDataSince: T0 + 180_000 })
      await h.alerts.transition(marked, transitionOf(marked, 'firing', { reason: 'no_data' }))
      expect(await h.alerts.get('n1')).toEqual(marked)
      expect(await h.alerts.open()).toEqual([marked])
      const back = alert('n1', { updatedAt: T0 + 600_000, noDataSince: null })
      await h.alerts.transition(back, transitionOf(back, 'firing', { reason: 'data_back' }))
      expect(await h.alerts.get('n1')).toEqual(back)
      expect((await h.alerts.history('n1')).map((t) => [t.from, t.to, t.reason])).toEqual([[null, 'firing', 'new → firing'], ['firing', 'firing', 'no_data'], ['firing', 'firing', 'data_back']])
      const bad = alert('n2', { noDataSince: 1.5 })
      await expect(h.alerts.transition(bad, transitionOf(bad, null))).rejects.toMatchObject({ code: 'MW_BAD_REQUEST' })
    })

    it('open() returns alerts that are not resolved', async () => {
      for (const [id, state] of [['f', 'firing'], ['k', 'acknowledged'], ['r', 'resolved']] as const) {
        const a = alert(id, { state, resolvedAt: state === 'resolved' ? T0 + 1 : null })
        await h.alerts.transition(a, transitionOf(a, null))
      }
      expect((await h.alerts.open()).map((a) => a.id).sort()).toEqual(['f', 'k'])
    })

    it('transitionsSince() returns later transitions oldest first, at most limit', async () => {
      const seqs: number[] = []
      for (let i = 0; i < 5; i++) {
        const a = alert(`t${i}`, { firedAt: T0 + i, updatedAt: T0 + i })
        seqs.push((await h.alerts.transition(a, transitionOf(a, null))).seq)
      }
      expect((await h.alerts.transitionsSince(seqs[1]!, 10)).map((t) => t.seq)).toEqual(seqs.slice(2))
      expect((await h.alerts.transitionsSince(0, 2)).map((t) => t.alertId)).toEqual(['t0', 't1'])
      expect(await h.alerts.transitionsSince(seqs[4]!, 10)).toEqual([])
    })

    it('list() filters and pages newest first by firedAt then id', async () => {
      const specs: [string, Partial<Alert>][] = [
        ['a', { firedAt: T0 + 3000, site: 'gm01' }],
        ['b', { firedAt: T0 + 3000, site: 'gm02', kind: 'boundary_breach', severity: 'warning' }],
        ['c', { firedAt: T0 + 1000, site: 'gm01', state: 'resolved', resolvedAt: T0 + 2000 }],
        ['d', { firedAt: T0 + 2000, site: 'gm03' }],
        ['e', { firedAt: T0 + 5000, site: 'gm02', state: 'acknowledged', ackedBy: 'li' }]
      ]
      for (const [id, over] of specs) {
        const a = alert(id, { updatedAt: over.firedAt, ...over })
        await h.alerts.transition(a, transitionOf(a, null))
      }
      const ids = async (q: Parameters<AlertStore['list']>[0]) => (await h.alerts.list(q)).items.map((a) => a.id)
      expect(await ids({ limit: 10 })).toEqual(['e', 'b', 'a', 'd', 'c'])
      expect(await ids({ limit: 10, site: 'gm01' })).toEqual(['a', 'c'])
      expect(await ids({ limit: 10, sites: ['gm01', 'gm03'] })).toEqual(['a', 'd', 'c'])
      expect(await ids({ limit: 10, sites: [] })).toEqual([])
      expect(await ids({ limit: 10, kind: 'boundary_breach' })).toEqual(['b'])
      expect(await ids({ limit: 10, state: 'firing' })).toEqual(['b', 'a', 'd'])
      expect(await ids({ limit: 10, severity: 'warning' })).toEqual(['b'])
      expect(await ids({ limit: 10, from: T0 + 2000, to: T0 + 5000 })).toEqual(['b', 'a', 'd'])

      const pages: string[][] = []
      let cursor: string | undefined
      for (let i = 0; i < 10; i++) {
        const page = await h.alerts.list({ limit: 2, cursor })
        pages.push(page.items.map((a) => a.id))
        if (page.nextCursor === null) break
        cursor = page.nextCursor
      }
      expect(pages).toEqual([['e', 'b'], ['a', 'd'], ['c']])
      const exact = await h.alerts.list({ limit: 5 })
      expect(exact.nextCursor).toBeNull()
    })
  })

  describe(`AuditStore contract: ${name}`, () => {
    let h: StateStoresHandle
    beforeEach(async () => { h = await factory({ rejectsMaxRows: 1000 }) })
    afterEach(async () => { await h.cleanup() })

    it('chains appended records, closes each Beijing day with a digest, and lists them filtered', async () => {
      const day2 = T0 + 86_400_000
      const stored = await h.audit.append([
        { at: T0, site: 'gm01', actor: '张工', action: 'alert.comment', target: 'a1', detail: { text: '已派人洒水' } },
        { at: T0 + 1000, site: 'gm02', actor: 'system', action: 'device.disable', target: 'dust02', detail: { why: 'moved' } }
      ])
      expect(stored.map((r) => r.seq)).toEqual([1, 2])
      expect(stored[0]!.prev).toBe(GENESIS_HASH)
      expect(stored[1]!.prev).toBe(stored[0]!.hash)
      for (const r of stored) expect(auditHash(r)).toBe(r.hash)
      const [digest, next] = await h.audit.append([{ at: day2, site: 'gm01', actor: 'admin', action: 'alert.comment', target: 'a1', detail: { text: '复核' } }])
      expect(digest).toMatchObject({ seq: 3, action: 'audit.digest', site: null, detail: { day: '2025-03-01', head: stored[1]!.hash, records: 2 }, prev: stored[1]!.hash })
      expect(next).toMatchObject({ seq: 4, prev: digest!.hash })
      expect((await h.audit.page(0, 10)).map((r) => r.seq)).toEqual([1, 2, 3, 4])
      expect(await h.audit.page(0, 10)).toEqual([...stored, digest, next])
      expect((await h.audit.list({ sites: ['gm01'], limit: 10 })).map((r) => r.seq)).toEqual([1, 3, 4])
      expect((await h.audit.list({ target: 'a1', action: 'alert.comment', limit: 10 })).map((r) => r.seq)).toEqual([1, 4])
      expect((await h.audit.list({ from: T0 + 1, to: day2, limit: 10 })).map((r) => r.seq)).toEqual([2])
      expect((await h.audit.list({ afterSeq: 2, limit: 1 })).map((r) => r.seq)).toEqual([3])
    })

    it('refuses bad entries whole (nothing stored), and digests written by others', async () => {
      await expect(h.audit.append([{ at: T0, site: null, actor: 'a', action: 'alert.comment', target: null, detail: {} }, { at: T0, site: null, actor: '', action: 'alert.comment', target: null, detail: {} }])).rejects.toMatchObject({ code: 'MW_BAD_REQUEST' })
      await expect(h.audit.append([{ at: T0, site: null, actor: 'a', action: 'audit.digest', target: null, detail: {} }])).rejects.toMatchObject({ code: 'MW_BAD_REQUEST' })
      await expect(h.audit.append([{ at: T0, site: null, actor: 'a', action: 'comment', target: null, detail: {} }])).rejects.toMatchObject({ code: 'MW_BAD_REQUEST' })
      await expect(h.audit.append([{ at: T0, site: null, actor: 'a', action: 'alert.comment', target: null, detail: { v: Number.NaN } }])).rejects.toMatchObject({ code: 'MW_BAD_REQUEST' })
      expect(await h.audit.page(0, 10)).toEqual([])
    })

    it('an append given deliveries enqueues them in the same transaction: both or neither', async () => {
      const item = { id: 'handover-1', subscription: 'day-shift', transitionSeq: 0, dueAt: T0, payload: '{"event":"handover"}' }
      const [r] = await h.audit.append([{ at: T0, site: 'gm01', actor: 'system', action: 'handover.sent', target: 'gm01', detail: { deliveryId: 'handover-1' } }], [item])
      expect(r).toMatchObject({ seq: 1, action: 'handover.sent' })
      expect(await h.outbox.due(T0, 10)).toEqual([expect.objectContaining({ ...item, attempts: 0 })])
      // a bad delivery refuses the whole append: no record, no item
      await expect(h.audit.append([{ at: T0, site: 'gm01', actor: 'system', action: 'handover.sent', target: 'gm01', detail: {} }], [{ ...item, id: 'handover-2', dueAt: Number.NaN }])).rejects.toMatchObject({ code: 'MW_BAD_REQUEST' })
      expect((await h.audit.page(0, 10)).map((x) => x.seq)).toEqual([1])
      expect(await h.outbox.pending()).toBe(1)
    })

    it('a transition given an audit entry appends it in the same transaction, with the transition\'s seq', async () => {
      const a = alert('au1')
      const t = await h.alerts.transition(a, transitionOf(a, null), undefined, { at: T0, site: 'gm01', actor: 'system', action: 'alert.transition', target: 'au1', detail: { to: 'firing' } })
      expect(await h.audit.page(0, 10)).toEqual([expect.objectContaining({ seq: 1, target: 'au1', detail: { to: 'firing', transitionSeq: t.seq } })])
    })
  })

  describe(`OutboxStore contract: ${name}`, () => {
    let h: StateStoresHandle
    beforeEach(async () => { h = await factory({ rejectsMaxRows: 1000 }) })
    afterEach(async () => { await h.cleanup() })

    const item = (id: string, dueAt: number, subscription = 'webhook-ops', transitionSeq = 1): Omit<OutboxItem, 'attempts' | 'lastError'> =>
      ({ id, subscription, transitionSeq, dueAt, payload: JSON.stringify({ id, text: '粉尘超标' }) })

    it('returns due items oldest first, not those due later', async () => {
      await h.outbox.enqueue([item('x3', T0 + 3000), item('x1', T0 + 1000)])
      await h.outbox.enqueue([item('x2', T0 + 2000), item('later', T0 + 60_000)])
      const due = await h.outbox.due(T0 + 3000, 10)
      expect(due.map((i) => i.id)).toEqual(['x1', 'x2', 'x3'])
      expect(due[0]).toEqual({ ...item('x1', T0 + 1000), attempts: 0, lastError: null })
      expect((await h.outbox.due(T0 + 3000, 2)).map((i) => i.id)).toEqual(['x1', 'x2'])
      expect(await h.outbox.due(T0, 10)).toEqual([])
    })

    it('delivered() removes an item; failed() counts the attempt and reschedules it', async () => {
      await h.outbox.enqueue([item('a', T0), item('b', T0)])
      await h.outbox.delivered('a')
      await h.outbox.failed('b', 'HTTP 503', T0 + 30_000)
      expect(await h.outbox.due(T0 + 29_999, 10)).toEqual([])
      const [b] = await h.outbox.due(T0 + 30_000, 10)
      expect(b).toEqual({ ...item('b', T0 + 30_000), attempts: 1, lastError: 'HTTP 503' })
      await h.outbox.failed('b', 'timeout', T0 + 90_000)
      expect((await h.outbox.due(T0 + 90_000, 10))[0]).toMatchObject({ id: 'b', attempts: 2, lastError: 'timeout', dueAt: T0 + 90_000 })
      await h.outbox.delivered('b')
      expect(await h.outbox.pending()).toBe(0)
    })

    it('pending() counts waiting items, per subscription', async () => {
      await h.outbox.enqueue([item('1', T0, 'a'), item('2', T0 + 99_999, 'a'), item('3', T0, 'b')])
      expect(await h.outbox.pending()).toBe(3)
      expect(await h.outbox.pending('a')).toBe(2)
      expect(await h.outbox.pending('b')).toBe(1)
      expect(await h.outbox.pending('c')).toBe(0)
    })

    it('deadLetter() moves an item out of the outbox with the receiver\'s answer; due() and pending() no longer see it', async () => {
      await h.outbox.enqueue([item('d1', T0), item('d2', T0), item('d3', T0, 'robot')])
      await h.outbox.failed('d1', 'HTTP 503', T0)
      await h.outbox.deadLetter('d1', 'alert receiver refused the delivery: HTTP 401', 'HTTP 401 {"error":"bad token"}', T0 + 5000)
      await h.outbox.deadLetter('d3', 'errcode 310000', null, T0 + 6000)
      expect((await h.outbox.due(T0 + 10_000, 10)).map((i) => i.id)).toEqual(['d2'])
      expect(await h.outbox.pending()).toBe(1)
      const dead = await h.outbox.deadLetters({ limit: 10 })
      expect(dead.map((d) => d.id)).toEqual(['d3', 'd1']) // newest first
      expect(dead[1]).toEqual({
        id: 'd1', subscription: 'webhook-ops', transitionSeq: 1, attempts: 2, deadAt: T0 + 5000,
        error: 'alert receiver refused the delivery: HTTP 401', answer: 'HTTP 401 {"error":"bad token"}', payload: item('d1', T0).payload
      })
      expect((await h.outbox.deadLetters({ subscription: 'robot', limit: 10 })).map((d) => d.id)).toEqual(['d3'])
      expect(await h.outbox.deadLetters({ limit: 1 })).toHaveLength(1)
      await expect(h.outbox.deadLetter('nope', 'x', null, T0)).rejects.toMatchObject({ code: 'MW_NOT_FOUND' })
      await expect(h.outbox.deadLetter('d1', 'again', null, T0)).rejects.toMatchObject({ code: 'MW_NOT_FOUND' })
    })

    it('retryDeadLetter() puts it back in the outbox, due when asked, same id and body; unknown ids give undefined', async () => {
      await h.outbox.enqueue([item('r1', T0)])
      await h.outbox.deadLetter('r1', 'HTTP 404', 'HTTP 404 not found', T0 + 1000)
      const back = await h.outbox.retryDeadLetter('r1', T0 + 2000)
      expect(back).toEqual({ ...item('r1', T0 + 2000), attempts: 1, lastError: 'HTTP 404' })
      expect(await h.outbox.deadLetters({ limit: 10 })).toEqual([])
      expect((await h.outbox.due(T0 + 2000, 10)).map((i) => i.id)).toEqual(['r1'])
      expect(await h.outbox.pending()).toBe(1)
      expect(await h.outbox.retryDeadLetter('r1', T0)).toBeUndefined() // not dead any more
      expect(await h.outbox.retryDeadLetter('nope', T0)).toBeUndefined()
      await h.outbox.delivered('r1')
      expect(await h.outbox.pending()).toBe(0)
    })
  })

  describe(`DeviceChangeStore contract: ${name}`, () => {
    let h: StateStoresHandle
    beforeEach(async () => { h = await factory({ rejectsMaxRows: 100 }) })
    afterEach(async () => { await h.cleanup() })
    const spec = { id: 'D2', kind: 'dust' as const, role: 'boundary' as const, unit: 'mg/m3' as const, intervalS: 60, secretHash: 'scrypt$16384$8$1$c2FsdA==$aGFzaA==' }

    it('appends with seq 1, 2, ... (concurrent appends too) and lists oldest first, by device changed, added or replacing', async () => {
      const a = await h.deviceChanges.append({ at: T0, by: 'admin', action: 'add', device: 'D1', site: 's', reason: 'new', spec: { ...spec, id: 'D1' } })
      expect(a.seq).toBe(1)
      const [b, c] = await Promise.all([
        h.deviceChanges.append({ at: T0 + 1, by: 'admin', action: 'disable', device: 'D1', site: 's', reason: 'broken', spec: null }),
        h.deviceChanges.append({ at: T0 + 2, by: 'ops', action: 'replace', device: 'D1', site: 's', reason: 'swap', spec })
      ])
      expect([b!.seq, c!.seq].sort()).toEqual([2, 3])
      const all = await h.deviceChanges.list()
      expect(all.map((x) => x.seq)).toEqual([1, 2, 3])
      expect(all[0]).toEqual({ seq: 1, at: T0, by: 'admin', action: 'add', device: 'D1', site: 's', reason: 'new', spec: { ...spec, id: 'D1' } })
      expect((await h.deviceChanges.list({ device: 'D2' })).map((x) => x.seq)).toEqual([c!.seq])
      expect((await h.deviceChanges.list({ device: 'D1' }))).toHaveLength(3)
      expect(await h.deviceChanges.list({ device: 'nope' })).toEqual([])
    })

    it('refuses a malformed change with MW_BAD_REQUEST and stores nothing', async () => {
      const ok = { at: T0, by: 'admin', action: 'retire' as const, device: 'D1', site: 's', reason: 'gone', spec: null }
      await expect(h.deviceChanges.append({ ...ok, reason: ' ' })).rejects.toMatchObject({ code: 'MW_BAD_REQUEST' })
      await expect(h.deviceChanges.append({ ...ok, by: '' })).rejects.toMatchObject({ code: 'MW_BAD_REQUEST' })
      await expect(h.deviceChanges.append({ ...ok, at: -1 })).rejects.toMatchObject({ code: 'MW_BAD_REQUEST' })
      await expect(h.deviceChanges.append({ ...ok, action: 'explode' as 'retire' })).rejects.toMatchObject({ code: 'MW_BAD_REQUEST' })
      await expect(h.deviceChanges.append({ ...ok, action: 'add' })).rejects.toMatchObject({ code: 'MW_BAD_REQUEST' }) // add needs a spec
      expect(await h.deviceChanges.list()).toEqual([])
      expect((await h.deviceChanges.append(ok)).seq).toBe(1)
    })
  })

  describe(`ForwardedReportStore contract: ${name}`, () => {
    let h: StateStoresHandle
    beforeEach(async () => { h = await factory({ rejectsMaxRows: 100 }) })
    afterEach(async () => { await h.cleanup() })
    const r1 = { site: 'gm01', date: '2025-03-01', revision: 1, computedAt: T0, receivedAt: T0 + 5, report: { site: 'gm01', date: '2025-03-01', dust: [{ metric: 'tsp', exceedanceMinutes: 3 }], note: '日报' } }

    it('stores one report per site-day; a later computation replaces it, a replay or an older one is kept out', async () => {
      expect(await h.forwardedReports.get('gm01', '2025-03-01')).toBeUndefined()
      expect(await h.forwardedReports.put(r1)).toBe('stored')
      expect(await h.forwardedReports.get('gm01', '2025-03-01')).toEqual(r1)
      // the same report sent again (a replayed batch): kept, with the first receipt's time
      expect(await h.forwardedReports.put({ ...r1, receivedAt: T0 + 60_000 })).toBe('kept')
      expect((await h.forwardedReports.get('gm01', '2025-03-01'))?.receivedAt).toBe(T0 + 5)
      const r2 = { ...r1, revision: 2, computedAt: T0 + 3_600_000, receivedAt: T0 + 3_600_005, report: { ...r1.report, dust: [{ metric: 'tsp', exceedanceMinutes: 4 }] } }
      expect(await h.forwardedReports.put(r2)).toBe('replaced')
      expect(await h.forwardedReports.put(r1)).toBe('kept') // revision 1 arriving late does not undo revision 2
      expect(await h.forwardedReports.get('gm01', '2025-03-01')).toEqual(r2)
      // same computation time, higher revision: replaces
      expect(await h.forwardedReports.put({ ...r2, revision: 3 })).toBe('replaced')
      // other days and sites are apart
      expect(await h.forwardedReports.put({ ...r1, date: '2025-03-02' })).toBe('stored')
      expect(await h.forwardedReports.put({ ...r1, site: 'gm02' })).toBe('stored')
      expect((await h.forwardedReports.get('gm01', '2025-03-01'))?.revision).toBe(3)
      expect(await h.forwardedReports.get('gm03', '2025-03-01')).toBeUndefined()
    })

    it('refuses a malformed report with MW_BAD_REQUEST and keeps the one held', async () => {
      await h.forwardedReports.put(r1)
      const later = { ...r1, computedAt: T0 + 1 }
      await expect(h.forwardedReports.put({ ...later, date: '2025-3-1' })).rejects.toMatchObject({ code: 'MW_BAD_REQUEST' })
      await expect(h.forwardedReports.put({ ...later, revision: 0 })).rejects.toMatchObject({ code: 'MW_BAD_REQUEST' })
      await expect(h.forwardedReports.put({ ...later, site: '' })).rejects.toMatchObject({ code: 'MW_BAD_REQUEST' })
      await expect(h.forwardedReports.put({ ...later, computedAt: 1.5 })).rejects.toMatchObject({ code: 'MW_BAD_REQUEST' })
      await expect(h.forwardedReports.put({ ...later, report: [] as unknown as Record<string, unknown> })).rejects.toMatchObject({ code: 'MW_BAD_REQUEST' })
      expect(await h.forwardedReports.get('gm01', '2025-03-01')).toEqual(r1)
    })
  })
}
