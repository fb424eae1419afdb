/** Runs the telemetry and state contract suites against DuckDB files in a temp dir, plus a restart test. */
import { describe, it, expect } from 'vitest'
import { join } from 'node:path'
import { tempDir } from '../helpers/ports.js'
import { DuckDBTelemetryStore } from '../../store/duckdb/telemetry.js'
import { openStateStore } from '../../store/duckdb/state.js'
import { telemetryStoreContract, fullReadings, expectSameReading, T0 } from './telemetry-store.js'
import { stateStoreContract, alert, transitionOf, reject } from './state-store.js'

telemetryStoreContract('duckdb', async () => {
  const dir = tempDir('mw-duckdb-telemetry-')
  const path = join(dir.path, 'telemetry.duckdb')
  let store = new DuckDBTelemetryStore({ path })
  return {
    store,
    async reopen () { await store.close(); store = new DuckDBTelemetryStore({ path }); await store.init(); return store },
    async cleanup () { await store.close(); dir.remove() }
  }
})

stateStoreContract('duckdb', async ({ rejectsMaxRows }) => {
  const dir = tempDir('mw-duckdb-state-')
  const state = await openStateStore({ path: join(dir.path, 'state.duckdb'), rejectsMaxRows })
  return { ...state, async cleanup () { await state.close(); dir.remove() } }
})

describe('duckdb stores survive a restart', () => {
  it('telemetry: readings written before close are there after reopening the file', async () => {
    const dir = tempDir('mw-duckdb-restart-')
    try {
      const path = join(dir.path, 'telemetry.duckdb')
      const want = fullReadings('gm01', 'r', T0)
      const first = new DuckDBTelemetryStore({ path })
      await first.write(want)
      await first.close()
      const second = new DuckDBTelemetryStore({ path })
      expect(await second.count({ site: 'gm01' })).toBe(want.length)
      const got = await second.latest({ site: 'gm01' })
      for (const w of want) expectSameReading(got.find((g) => g.device === w.device), w)
      await second.write([{ site: 'gm01', device: 'r-dust', kind: 'dust', ts: T0 + 1000, values: { tsp: 0.5, flag: 'N' } }])
      await second.close()
      const third = new DuckDBTelemetryStore({ path })
      expect(await third.count({ site: 'gm01' })).toBe(want.length + 1)
      await third.close()
    } finally {
      dir.remove()
    }
  })

  it('state: rejects, alerts, outbox and the transition seq survive reopening the file', async () => {
    const dir = tempDir('mw-duckdb-restart-')
    try {
      const path = join(dir.path, 'state.duckdb')
      const first = await openStateStore({ path, rejectsMaxRows: 3 })
      await first.rejects.add([reject(1), reject(2), reject(3)])
      const a = alert('a1')
      const t1 = await first.alerts.transition(a, transitionOf(a, null))
      await first.outbox.enqueue([{ id: 'o1', subscription: 'w', transitionSeq: t1.seq, dueAt: T0, payload: '{}' }])
      await first.close()

      const second = await openStateStore({ path, rejectsMaxRows: 3 })
      expect(await second.rejects.count()).toBe(3)
      // the bound still holds across the restart, and ids keep growing
      await second.rejects.add([reject(4)])
      const rows = await second.rejects.list({ limit: 10 })
      expect(rows.map((r) => r.at)).toEqual([4, 3, 2].map((i) => T0 + i * 1000))
      expect(await second.alerts.get('a1')).toEqual(a)
      const resolved = alert('a1', { state: 'resolved', updatedAt: T0 + 5000, resolvedAt: T0 + 5000 })
      const t2 = await second.alerts.transition(resolved, transitionOf(resolved, 'firing'))
      expect(t2.seq).toBeGreaterThan(t1.seq)
      expect((await second.alerts.history('a1')).map((t) => t.seq)).toEqual([t1.seq, t2.seq])
      expect(await second.outbox.pending()).toBe(1)
      await second.close()
    } finally {
      dir.remove()
    }
  })
})
