/**
 * Issue 17 point 4: what the PostgreSQL state store costs against the embedded DuckDB file on the
 * alert path. Each round stores TRANSITIONS alert transitions, each with one outbox delivery and
 * its audit record in one transaction (AlertStore.transition), from CHAINS concurrent callers, then
 * drains the outbox (due → delivered) — on DuckDB, on PostgreSQL through one pool, and on
 * PostgreSQL with two stores (two pools, as two processes) draining the same outbox at once.
 * PostgreSQL 15 runs locally (test/helpers/postgres.ts, fsync off: a test cluster), so the figure
 * is the store's own cost, not a network's. Informational: no target; ratios in the same run count.
 */
import { join } from 'node:path'
import { startPostgres } from '../test/helpers/postgres.js'
import { tempDir } from '../test/helpers/ports.js'
import { openStateStore } from '../store/duckdb/state.js'
import { openPgStateStore } from '../store/postgres/state.js'
import type { StateStore } from '../store/state.js'
import { alert, transitionOf } from '../test/contract/state-store.js'
import type { BenchResult } from './run.js'
import { benchRounds, describeMachine, interleave, loadNote, ratios, spread, watchMachine } from './rounds.js'

const TRANSITIONS = 400
const CHAINS = 4
const T0 = Date.UTC(2026, 11, 1)
let n = 0

/** Transitions/s and deliveries/s of one round on `stores` (the first writes; all drain). */
async function round (stores: StateStore[]): Promise<{ transitions: number, drain: number }> {
  const t0 = performance.now()
  await Promise.all(Array.from({ length: CHAINS }, async () => {
    for (let i = 0; i < TRANSITIONS / CHAINS; i++) {
      const a = alert(`b${n++}`, { firedAt: T0 + n, updatedAt: T0 + n })
      await stores[0]!.alerts.transition(a, transitionOf(a, null), (s) => [{ id: `${a.id}:${s.seq}`, subscription: 'hook', transitionSeq: s.seq, dueAt: T0, payload: '{}' }],
        { at: T0, site: a.site, actor: 'system', action: 'alert.transition', target: a.id, detail: {} })
    }
  }))
  const t1 = performance.now()
  await Promise.all(stores.map(async (s) => {
    for (;;) {
      const due = await s.outbox.due(T0 + 1, 50)
      if (due.length === 0) { if (await s.outbox.pending() === 0) return; await new Promise((r) => setTimeout(r, 2)); continue }
      for (const it of due) await s.outbox.delivered(it.id)
    }
  }))
  const t2 = performance.now()
  return { transitions: TRANSITIONS / ((t1 - t0) / 1000), drain: TRANSITIONS / ((t2 - t1) / 1000) }
}

export default async function (): Promise<BenchResult> {
  const pg = await startPostgres()
  const dir = tempDir('mw-bench-state-')
  const duck = await openStateStore({ path: join(dir.path, 'state.duckdb'), rejectsMaxRows: 1000 })
  const db = await pg.createDatabase()
  const open = () => openPgStateStore({ url: pg.url(db), password: pg.password, poolSize: 4, rejectsMaxRows: 1000 })
  const pgA = await open()
  const pgB = await open()
  const done = watchMachine()
  try {
    await round([duck]); await round([pgA]) // warm up
    const results = await interleave(benchRounds(3), [
      { name: 'duckdb', run: () => round([duck]) },
      { name: 'postgres', run: () => round([pgA]) },
      { name: 'postgres2', run: () => round([pgA, pgB]) }
    ])
    const m = done()
    const get = (v: string, k: 'transitions' | 'drain') => results.get(v)!.map((r) => r[k])
    const row = (what: string, xs: number[]) => `| ${what} | ${Math.round(spread(xs).median).toLocaleString('en')} | ${Math.round(Math.min(...xs)).toLocaleString('en')}–${Math.round(Math.max(...xs)).toLocaleString('en')} |`
    const ratio = (a: number[], b: number[]) => { const r = ratios(a, b); return `${r.median.toFixed(2)} (${r.min.toFixed(2)}–${r.max.toFixed(2)})` }
    return {
      title: 'State store on PostgreSQL against the DuckDB file (alert path)',
      markdown: `${loadNote(m.loadBefore, m.loadAfter)}; ${describeMachine(m)}. The machine is shared by other engineers: absolute rates read low, ratios measured in the same run are what counts.

A round: ${TRANSITIONS} \`transition()\` calls (each with one delivery and its audit record, one transaction) from ${CHAINS} concurrent callers, then the outbox drained by \`due(now, 50)\` + \`delivered()\`. PostgreSQL 15 on this machine, pool of 4 per store, fsync off (a test cluster), while the DuckDB file fsyncs every commit: most of PostgreSQL's lead here is that, so these ratios do not say PostgreSQL is faster in production; a run against a PostgreSQL with fsync on (its production setting) is still to do.

| figure | median per s | range over rounds |
|---|---:|---:|
${row('DuckDB: transitions', get('duckdb', 'transitions'))}
${row('PostgreSQL: transitions', get('postgres', 'transitions'))}
${row('DuckDB: deliveries drained', get('duckdb', 'drain'))}
${row('PostgreSQL, one store: deliveries drained', get('postgres', 'drain'))}
${row('PostgreSQL, two stores claiming at once: deliveries drained', get('postgres2', 'drain'))}

| ratio (same rounds) | median (range) |
|---|---:|
| PostgreSQL / DuckDB transitions | ${ratio(get('postgres', 'transitions'), get('duckdb', 'transitions'))} |
| PostgreSQL / DuckDB drain | ${ratio(get('postgres', 'drain'), get('duckdb', 'drain'))} |
| two stores / one store drain (two drain loops at once instead of one; shows claims do not serialise them, on 2 shared cores) | ${ratio(get('postgres2', 'drain'), get('postgres', 'drain'))} |
`
    }
  } finally {
    await Promise.all([duck.close(), pgA.close(), pgB.close()])
    dir.remove()
    await pg.stop()
  }
}
