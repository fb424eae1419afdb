/**
 * The TelemetryStore contract suite against a real InfluxDB 1.x (Debian's influxd 1.6.7)
 * started for this file: InfluxTelemetryStore with the v1 API, and the same store
 * behind SpooledStore (what `minewatch up` runs with store.kind influx).
 */
import { afterAll } from 'vitest'
import { join } from 'node:path'
import { startInfluxDB, type InfluxDBHandle } from '../helpers/influxdb.js'
import { tempDir } from '../helpers/ports.js'
import { telemetryStoreContract } from '../contract/telemetry-store.js'
import { InfluxTelemetryStore } from '../../store/influx/index.js'
import { SpooledStore } from '../../store/spool/index.js'
import { spoolSchema } from '../../core/config.js'

let server: Promise<InfluxDBHandle> | null = null
const influx = (): Promise<InfluxDBHandle> => (server ??= startInfluxDB())
afterAll(async () => { if (server !== null) await (await server).stop() })

const config = (url: string) => ({ url, api: 'v1' as const, db: 'contract', timeoutMs: 10_000 })

telemetryStoreContract('influx v1 (InfluxDB 1.6.7)', async () => {
  const h = await influx()
  let store = new InfluxTelemetryStore({ config: config(h.url) })
  return {
    store,
    async reopen () { await store.close(); store = new InfluxTelemetryStore({ config: config(h.url) }); await store.init(); return store },
    async cleanup () { await store.close() }
  }
})

telemetryStoreContract('influx v1 behind SpooledStore', async () => {
  const h = await influx()
  const dir = tempDir('mw-spool-contract-')
  const open = () => new SpooledStore({
    inner: new InfluxTelemetryStore({ config: { ...config(h.url), db: 'contract_spooled' } }),
    dir: join(dir.path, 'spool'),
    config: spoolSchema.parse({})
  })
  let store = open()
  return {
    store,
    async reopen () { await store.close(); store = open(); await store.init(); return store },
    async cleanup () { await store.close(); dir.remove() }
  }
})
