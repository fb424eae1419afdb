/**
 * InfluxTelemetryStore behaviours beyond the contract, on a real InfluxDB 1.6.7:
 * a real 400 (field type conflict) bisected by SpooledStore, user/password auth,
 * a dropped database re-created, and a retention policy other than the default.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { join } from 'node:path'
import { startInfluxDB, type InfluxDBHandle } from '../helpers/influxdb.js'
import { tempDir } from '../helpers/ports.js'
import { InfluxTelemetryStore } from '../../store/influx/index.js'
import { SpooledStore } from '../../store/spool/index.js'
import { spoolSchema } from '../../core/config.js'
import type { Reading } from '../../core/readings.js'

const T0 = Date.parse('2025-03-01T02:30:00Z')
let influx: InfluxDBHandle
const admin = { username: 'mwadmin', password: "s3cret-'pw" }

beforeAll(async () => { influx = await startInfluxDB({ admin }) })
afterAll(async () => { await influx?.stop() })

async function influxql (q: string, db?: string): Promise<unknown> {
  const body = new URLSearchParams({ q, ...(db ? { db } : {}) })
  const res = await fetch(`${influx.url}/query`, { method: 'POST', body, headers: { authorization: 'Basic ' + Buffer.from(`${admin.username}:${admin.password}`).toString('base64') } })
  return await res.json()
}

const cfg = (db: string, extra: Record<string, string> = {}) => ({ url: influx.url, api: 'v1' as const, db, timeoutMs: 5_000, ...admin, ...extra })

describe('InfluxTelemetryStore on InfluxDB 1.6.7', () => {
  it('SpooledStore bisects a real 400: readings in conflict go to onRejected, the rest is stored', async () => {
    const db = 'conflict'
    const inner = new InfluxTelemetryStore({ config: cfg(db) })
    await inner.init()
    // noise written as a string first: in this shard a float noise is a field type conflict (HTTP 400).
    const pre = await fetch(`${influx.url}/write?db=${db}&precision=ms&u=${admin.username}&p=${encodeURIComponent(admin.password)}`, { method: 'POST', body: `dust,site=other,device=x noise="loud" ${T0}` })
    expect(pre.status).toBe(204)
    const dir = tempDir('mw-conflict-')
    const rejected: Reading[] = []
    const details: string[] = []
    const store = new SpooledStore({ inner, dir: join(dir.path, 'spool'), config: spoolSchema.parse({}), onRejected: (rs, d) => { rejected.push(...rs); details.push(d) } })
    try {
      await store.init()
      const batch: Reading[] = []
      for (let i = 0; i < 200; i++) {
        const values: Reading['values'] = { tsp: 0.5, flag: 'N' }
        if (i === 17 || i === 150 || i === 151) values.noise = 60
        batch.push({ site: 'conflict', device: `d${i % 3}`, kind: 'dust', ts: T0 + i * 1000, seq: i, values })
      }
      await store.write(batch)
      expect(rejected.map((r) => r.seq)).toEqual([17, 150, 151])
      expect(details[0]).toContain('field type conflict')
      expect(await store.count({ site: 'conflict' })).toBe(197)
      expect((await store.health()).spooledReadings).toBe(0)
    } finally {
      await store.close()
      dir.remove()
    }
  })

  it('authenticates with username/password; a wrong password is "retry later", never rejected data', async () => {
    const good = new InfluxTelemetryStore({ config: cfg('authdb') })
    await good.init()
    await good.write([{ site: 'auth', device: 'w', kind: 'water', ts: T0, values: { totalM3: 3 } }])
    expect(await good.count({ site: 'auth' })).toBe(1)
    await good.close()

    const bad = new InfluxTelemetryStore({ config: cfg('authdb', { password: 'wrong-password' }) })
    const err = await bad.write([{ site: 'auth', device: 'w', kind: 'water', ts: T0 + 1, values: { totalM3: 4 } }])
      .then(() => { throw new Error('write with a wrong password succeeded') }, (e: unknown) => e as Error & { code: string, canRetry: () => boolean })
    expect(err).toMatchObject({ code: 'MW_STORE_UNAVAILABLE', message: expect.stringContaining('HTTP 401') })
    expect(err.canRetry()).toBe(true)
    expect(err.message).not.toContain('wrong-password')
    await bad.close()
  })

  it('re-creates a dropped database on the next write', async () => {
    const store = new InfluxTelemetryStore({ config: cfg('dropme') })
    await store.init()
    await store.write([{ site: 'drop', device: 'w', kind: 'water', ts: T0, values: { totalM3: 1 } }])
    await influxql('DROP DATABASE "dropme"')
    await store.write([{ site: 'drop', device: 'w', kind: 'water', ts: T0 + 1, values: { totalM3: 2 } }])
    expect(await store.count({ site: 'drop' })).toBe(1)
    await store.close()
  })

  it('writes to and reads from a configured retention policy', async () => {
    await influxql('CREATE DATABASE "rpdb"')
    await influxql('CREATE RETENTION POLICY "one_year" ON "rpdb" DURATION 52w REPLICATION 1')
    const store = new InfluxTelemetryStore({ config: cfg('rpdb', { rp: 'one_year' }) })
    await store.init()
    await store.write([{ site: 'rp', device: 'd', kind: 'dust', ts: Date.now() - 60_000, seq: 1, values: { tsp: 0.2, flag: 'N' } }])
    expect(await store.count({ site: 'rp' })).toBe(1)
    expect((await store.latest({ site: 'rp' }))[0]?.seq).toBe(1)
    // nothing went to the default policy
    const plain = new InfluxTelemetryStore({ config: cfg('rpdb') })
    expect(await plain.count({ site: 'rp' })).toBe(0)
    await plain.close()
    await store.close()
  })
})
