/**
 * Runs the state contract suite against a real PostgreSQL 15 (test/helpers/postgres.ts: one
 * cluster for this file, one fresh database per store), plus what only a shared database has:
 * schema versions, a restart, and two processes' stores racing on one outbox.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import pg from 'pg'
import { startPostgres, type PostgresHandle } from '../helpers/postgres.js'
import { openPgStateStore, type PgStateStore } from '../../store/postgres/state.js'
import { pgCurrentVersion, upgradePgSchema, PG_MIGRATIONS } from '../../store/postgres/schema.js'
import { stateStoreContract, alert, transitionOf, reject } from './state-store.js'

let server: PostgresHandle
beforeAll(async () => { server = await startPostgres() }, 120_000)
afterAll(async () => { await server?.stop() })

async function open (database: string, over: { rejectsMaxRows?: number, claimLeaseMs?: number, poolSize?: number } = {}): Promise<PgStateStore> {
  return await openPgStateStore({ url: server.url(database), password: server.password, poolSize: over.poolSize ?? 3, rejectsMaxRows: over.rejectsMaxRows ?? 1000, claimLeaseMs: over.claimLeaseMs })
}

async function sql (database: string, text: string): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: server.urlWithPassword(database) })
  await c.connect()
  try { return await c.query(text) } finally { await c.end() }
}

stateStoreContract('postgres', async ({ rejectsMaxRows }) => {
  const state = await open(await server.createDatabase(), { rejectsMaxRows })
  return { ...state, async cleanup () { await state.close() } }
})

const T0 = Date.parse('2025-03-01T02:30:00Z')

describe('postgres state store: schema versions', () => {
  it('a new database gets the current version; reopening it migrates nothing', async () => {
    const db = await server.createDatabase()
    await (await open(db)).close()
    await (await open(db)).close()
    const rows = (await sql(db, 'SELECT version, file FROM schema_meta ORDER BY version')).rows
    expect(rows).toEqual(Array.from({ length: pgCurrentVersion() }, (_, i) => ({ version: i + 1, file: 'state' })))
  })

  it('refuses a database of a newer minewatch with MW_SCHEMA_TOO_NEW, changing nothing', async () => {
    const db = await server.createDatabase()
    await (await open(db)).close()
    const next = pgCurrentVersion() + 1
    await sql(db, `INSERT INTO schema_meta VALUES (${next}, 'state', 'from the future', 0, '99.0.0')`)
    await expect(open(db)).rejects.toMatchObject({ code: 'MW_SCHEMA_TOO_NEW', message: expect.stringContaining(`version ${next}`) })
    expect((await sql(db, 'SELECT max(version) AS v FROM schema_meta')).rows[0].v).toBe(next)
  })

  it('refuses a database holding foreign tables with MW_SCHEMA_UNKNOWN, creating nothing', async () => {
    const db = await server.createDatabase()
    await sql(db, 'CREATE TABLE invoices (id int)')
    await expect(open(db)).rejects.toMatchObject({ code: 'MW_SCHEMA_UNKNOWN', message: expect.stringContaining('invoices') })
    expect((await sql(db, "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'")).rows[0].n).toBe(1)
  })

  it('migrates an older database in order, each migration with its schema_meta row; a failing one is rolled back whole', async () => {
    const db = await server.createDatabase()
    const s = await open(db)
    const a = alert('m1')
    await s.alerts.transition(a, transitionOf(a, null))
    await s.close()
    const c = new pg.Client({ connectionString: server.urlWithPassword(db) })
    await c.connect()
    try {
      const v = pgCurrentVersion()
      const later = [...PG_MIGRATIONS,
        { to: v + 1, name: 'alerts gain a zone', sql: ['ALTER TABLE alerts ADD COLUMN zone TEXT', "UPDATE alerts SET zone = 'pit'"] },
        { to: v + 2, name: 'zone required', sql: ['ALTER TABLE alerts ALTER COLUMN zone SET NOT NULL'] }]
      expect(await upgradePgSchema(c, 'test', { migrations: later })).toBe(v)
      expect((await c.query('SELECT version, name FROM schema_meta WHERE version > $1 ORDER BY version', [v])).rows).toEqual([{ version: v + 1, name: 'alerts gain a zone' }, { version: v + 2, name: 'zone required' }])
      expect((await c.query("SELECT zone FROM alerts WHERE id = 'm1'")).rows).toEqual([{ zone: 'pit' }])
      const broken = [...later, { to: v + 3, name: 'broken', sql: ['ALTER TABLE alerts ADD COLUMN site2 TEXT', 'SELECT no_such_column FROM alerts'] }]
      await expect(upgradePgSchema(c, 'test', { migrations: broken })).rejects.toMatchObject({ code: 'MW_STORE_UNAVAILABLE', message: expect.stringContaining(`version ${v + 3} (broken) failed and was rolled back`) })
      expect((await c.query('SELECT max(version) AS v FROM schema_meta')).rows[0].v).toBe(v + 2)
      expect((await c.query("SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'alerts' AND column_name = 'site2'")).rows[0].n).toBe(0)
    } finally {
      await c.end()
    }
  })

  it('two processes opening a new database at once migrate it once', async () => {
    const db = await server.createDatabase()
    const [a, b] = await Promise.all([open(db), open(db)])
    await Promise.all([a.close(), b.close()])
    expect((await sql(db, 'SELECT count(*)::int AS n FROM schema_meta')).rows[0].n).toBe(pgCurrentVersion())
  })

  it('a wrong password or an unreachable server is MW_STORE_UNAVAILABLE naming the server without the password', async () => {
    const err = await openPgStateStore({ url: server.url('postgres'), password: 'wrong-password', poolSize: 1, rejectsMaxRows: 10 }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'MW_STORE_UNAVAILABLE', message: expect.stringContaining(`127.0.0.1:${server.port}`) })
    expect((err as Error).message).not.toContain('wrong-password')
  })
})

describe('postgres state store: a restart keeps the state', () => {
  it('rejects, alerts, transitions, outbox and audit survive closing and reopening', async () => {
    const db = await server.createDatabase()
    const first = await open(db, { rejectsMaxRows: 3 })
    await first.rejects.add([reject(1), reject(2), reject(3)])
    const a = alert('a1')
    const t1 = await first.alerts.transition(a, transitionOf(a, null), (s) => [{ id: `a1:${s.seq}:w`, subscription: 'w', transitionSeq: s.seq, dueAt: T0, payload: '{}' }],
      { at: T0, site: 'gm01', actor: 'system', action: 'alert.transition', target: 'a1', detail: {} })
    await first.close()
    const second = await open(db, { rejectsMaxRows: 3 })
    try {
      await second.rejects.add([reject(4)])
      expect((await second.rejects.list({ limit: 10 })).map((r) => r.at)).toEqual([4, 3, 2].map((i) => T0 + i * 1000))
      expect(await second.alerts.get('a1')).toEqual(a)
      const resolved = alert('a1', { state: 'resolved', updatedAt: T0 + 5000, resolvedAt: T0 + 5000 })
      const t2 = await second.alerts.transition(resolved, transitionOf(resolved, 'firing'))
      expect(t2.seq).toBe(t1.seq + 1)
      expect(await second.outbox.pending()).toBe(1)
      expect((await second.audit.page(0, 10)).map((r) => r.detail)).toEqual([{ transitionSeq: t1.seq }])
    } finally {
      await second.close()
    }
  })
})

describe('postgres outbox: claims shared by several processes', () => {
  it('two stores (two pools) racing on one outbox deliver every item exactly once', async () => {
    const db = await server.createDatabase()
    const a = await open(db, { poolSize: 4 })
    const b = await open(db, { poolSize: 4 })
    try {
      const n = 300
      for (let i = 0; i < n; i += 100) {
        await a.outbox.enqueue(Array.from({ length: 100 }, (_, j) => ({ id: `d${i + j}`, subscription: `s${(i + j) % 3}`, transitionSeq: i + j, dueAt: T0, payload: '{}' })))
      }
      const deliveries = new Map<string, string[]>()
      // one worker per store, as the delivery engine runs (it never asks for more while a batch is out)
      const worker = async (name: string, store: PgStateStore): Promise<void> => {
        const end = Date.now() + 45_000
        while (Date.now() < end) {
          const batch = await store.outbox.due(T0 + 1000, 7)
          if (batch.length === 0) {
            if (await store.outbox.pending() === 0) return
            await new Promise((r) => setTimeout(r, 5)) // the rest is claimed by the other store
            continue
          }
          for (const it of batch) {
            deliveries.set(it.id, [...deliveries.get(it.id) ?? [], name])
            await store.outbox.delivered(it.id)
          }
        }
        throw new Error(`${name} did not see the outbox drained within 45 s`)
      }
      await Promise.all([worker('a', a), worker('b', b)])
      expect(deliveries.size).toBe(n)
      const twice = [...deliveries].filter(([, by]) => by.length !== 1)
      expect(twice).toEqual([])
      // both processes did take part (SKIP LOCKED hands them different rows)
      const byStore = new Set([...deliveries.values()].map((by) => by[0]!))
      expect(byStore).toEqual(new Set(['a', 'b']))
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  }, 60_000)

  it('a claim hides the item from the other process until its lease lapses; then the item is due again', async () => {
    const db = await server.createDatabase()
    const a = await open(db, { claimLeaseMs: 60_000 })
    const b = await open(db, { claimLeaseMs: 60_000 })
    try {
      await a.outbox.enqueue([{ id: 'x', subscription: 'w', transitionSeq: 1, dueAt: T0, payload: '{}' }])
      expect((await a.outbox.due(T0, 10)).map((i) => i.id)).toEqual(['x'])
      expect(await b.outbox.due(T0 + 59_999, 10)).toEqual([]) // a holds it
      expect((await a.outbox.due(T0 + 1, 10)).map((i) => i.id)).toEqual(['x']) // a asks again: still its own
      // a "dies" (never calls delivered/failed): after the lease b gets it, and a no longer does
      expect((await b.outbox.due(T0 + 60_001, 10)).map((i) => i.id)).toEqual(['x'])
      expect(await a.outbox.due(T0 + 60_002, 10)).toEqual([])
      // failed() ends b's claim with the retry: whoever asks after nextDueAt gets it
      await b.outbox.failed('x', 'HTTP 503', T0 + 70_000)
      expect((await a.outbox.due(T0 + 70_000, 10))).toMatchObject([{ id: 'x', attempts: 1, lastError: 'HTTP 503' }])
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  })
})

describe('postgres alert transitions from two processes', () => {
  it('seqs and the audit chain stay one sequence when two stores write at once', async () => {
    const db = await server.createDatabase()
    const a = await open(db)
    const b = await open(db)
    try {
      const writes = Array.from({ length: 20 }, (_, i) => {
        const al = alert(`p${i}`)
        return (i % 2 === 0 ? a : b).alerts.transition(al, transitionOf(al, null), undefined, { at: T0 + i, site: 'gm01', actor: 'system', action: 'alert.transition', target: al.id, detail: {} })
      })
      const seqs = (await Promise.all(writes)).map((t) => t.seq).sort((x, y) => x - y)
      expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
      const records = await a.audit.page(0, 100)
      expect(records.map((r) => r.seq)).toEqual(seqs)
      for (let i = 1; i < records.length; i++) expect(records[i]!.prev).toBe(records[i - 1]!.hash)
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  })
})

describe('postgres state store: the server restarts under it', () => {
  it('keeps working after a server restart: the pool drops the broken connections instead of crashing, and nothing stored is lost', async () => {
    const db = await server.createDatabase()
    const s = await open(db, { poolSize: 2 })
    try {
      const a = alert('r1')
      await s.alerts.transition(a, transitionOf(a, null))
      await s.outbox.enqueue([{ id: 'o1', subscription: 'w', transitionSeq: 1, dueAt: T0, payload: '{}' }])
      await server.restart() // fast shutdown: every pooled connection is cut
      // a call may still meet a cut connection once; it fails as MW_STORE_UNAVAILABLE, never otherwise
      const b = alert('r2')
      let stored = false
      for (let i = 0; i < 5 && !stored; i++) {
        stored = await s.alerts.transition(b, transitionOf(b, null)).then(() => true, (err: unknown) => {
          expect(err).toMatchObject({ code: 'MW_STORE_UNAVAILABLE' })
          return false
        })
      }
      expect(stored).toBe(true)
      expect((await s.alerts.open()).map((x) => x.id)).toEqual(['r1', 'r2'])
      expect(await s.outbox.pending()).toBe(1)
    } finally {
      await s.close()
    }
  })
})
