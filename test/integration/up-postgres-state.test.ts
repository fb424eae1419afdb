/**
 * `minewatch up` with its state in PostgreSQL (store.state.engine: postgres, issue #17): a dust
 * exceedance is raised and delivered once to a webhook receiver, acknowledged through the API
 * (delivered once too), and after a restart on a NEW, empty data dir the alert, its history, the
 * audit chain and the empty outbox are all still there: the state lives in the database.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { startTestMinewatch, connectDevice, demoConfig, api } from '../helpers/minewatch.js'
import { startReceiver, type Delivery } from '../helpers/receiver.js'
import { startPostgres, type PostgresHandle } from '../helpers/postgres.js'
import { tempDir, waitFor } from '../helpers/ports.js'
import { existsSync } from 'node:fs'
import { join } from 'node:path'

const SITE = 'zj-huzhou-quarry'
const MONITOR = 'ZJ-DUST01' // a boundary monitor: GB 16297-1996 applies
const PASSWORD_ENV = 'MW_TEST_STATE_PG_PASSWORD'

let pgServer: PostgresHandle
beforeAll(async () => { pgServer = await startPostgres() }, 120_000)
afterAll(async () => { await pgServer?.stop() })

/** Event time runs 4 h ahead of the wall clock, so 70 minutes of readings are not "in the future". */
const clock = { now: () => Date.now() + 4 * 3_600_000 }

function yaml (database: string, hook: string): string {
  return `store:
  state:
    engine: postgres
    postgres: { url: "${pgServer.url(database)}", passwordEnv: ${PASSWORD_ENV}, poolSize: 4 }
alerts:
  retry: { initialMs: 100, maxMs: 400 }
  subscriptions:
    - { id: ops-hook, type: webhook, url: "${hook}", secret: pg-state-secret-0123456789, allowHttp: true, sites: [${SITE}] }
`
}

const event = (d: Delivery) => JSON.parse(d.body) as { event: string, alert: { id: string } }

describe('minewatch up with the state in PostgreSQL', () => {
  it('raises, delivers once, acknowledges via the API, and keeps it all across a restart on a new data dir', async () => {
    process.env[PASSWORD_ENV] = pgServer.password
    const receiver = await startReceiver()
    const database = await pgServer.createDatabase()
    const dirs = [tempDir('mw-up-pg-'), tempDir('mw-up-pg-')]
    let mw = await startTestMinewatch({ config: demoConfig(yaml(database, receiver.url)), dataDir: dirs[0]!.path, clock })
    try {
      const t0 = Date.now()
      const c = await connectDevice(mw.mqttPort, MONITOR)
      const readings = Array.from({ length: 70 }, (_, i) => ({ ts: t0 + i * 60_000, seq: i, tsp: 2500 + (i % 7) * 10, pm10: 250 + (i % 5), pm25: 125 + (i % 3) })) // ≈ 2.5 mg/m³ > 1.0, not flat
      await c.publishAsync(`mines/${SITE}/dust/${MONITOR}`, JSON.stringify(readings), { qos: 1 })
      await c.endAsync()
      await waitFor(() => receiver.deliveries.some((d) => event(d).event === 'alert.firing'), 15_000, 'the firing delivery')
      const firing = await (await api(mw, `/api/v1/alerts?site=${SITE}&state=firing&kind=dust_exceedance`)).json() as { items: Array<{ id: string }> }
      expect(firing.items).toHaveLength(1)
      const id = firing.items[0]!.id
      expect(existsSync(join(dirs[0]!.path, 'state.duckdb'))).toBe(false) // not the embedded file

      const ack = await api(mw, `/api/v1/alerts/${id}/ack`, undefined, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ note: '洒水车已出动' }) })
      expect(ack.status).toBe(200)
      await waitFor(() => receiver.deliveries.some((d) => event(d).event === 'alert.acknowledged'), 15_000, 'the acknowledgement delivery')
      await mw.alerts.idle()
      await waitFor(async () => await mw.state.outbox.pending() === 0, 15_000, 'the outbox to drain')
      await mw.close()

      // a new process on an empty data dir: everything comes from the database
      mw = await startTestMinewatch({ config: demoConfig(yaml(database, receiver.url)), dataDir: dirs[1]!.path, clock })
      const got = await (await api(mw, `/api/v1/alerts/${id}`)).json() as { alert?: { state: string, ackNote: string }, state?: string, ackNote?: string }
      expect(got.alert?.state ?? got.state).toBe('acknowledged')
      expect(got.alert?.ackNote ?? got.ackNote).toBe('洒水车已出动')
      expect((await mw.state.alerts.history(id)).map((t) => t.to)).toEqual(['firing', 'acknowledged'])
      const audit = await mw.state.audit.list({ target: id, limit: 10 })
      expect(audit.length).toBeGreaterThanOrEqual(2)
      for (let i = 1; i < audit.length; i++) expect(audit[i]!.seq).toBeGreaterThan(audit[i - 1]!.seq)
      expect(await mw.state.outbox.pending()).toBe(0)
      await mw.alerts.idle()
      // each delivery reached the receiver exactly once, none again after the restart
      const ids = receiver.deliveries.map((d) => String(d.headers['x-minewatch-delivery']))
      expect(new Set(ids).size).toBe(ids.length)
      expect(receiver.deliveries.filter((d) => event(d).alert.id === id).map((d) => event(d).event)).toEqual(['alert.firing', 'alert.acknowledged'])
    } finally {
      await mw.close()
      await receiver.close()
      for (const d of dirs) d.remove()
      delete process.env[PASSWORD_ENV]
    }
  }, 120_000)

  it('refuses to start when the password variable is not set, naming it', async () => {
    const database = await pgServer.createDatabase()
    delete process.env[PASSWORD_ENV]
    await expect(startTestMinewatch({ config: demoConfig(yaml(database, 'http://127.0.0.1:9/hook')) }))
      .rejects.toMatchObject({ code: 'MW_CONFIG_INVALID', message: expect.stringContaining(PASSWORD_ENV) })
  })
})
