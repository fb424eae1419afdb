/**
 * The v2 WRITE path (POST /api/v2/write?org=&bucket=&precision=, Authorization: Token)
 * against a real VictoriaMetrics, which accepts InfluxDB line protocol there and stores
 * each numeric field as `<measurement>_<field>` with the tags as labels. Reads on the v2
 * flavour are InfluxQL through /query (DBRP), which VictoriaMetrics does not serve: the
 * read side runs in the contract suite on InfluxDB 1.x (the same InfluxQL).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { startVictoria, type VictoriaHandle } from '../helpers/victoria.js'
import { startInfluxDB } from '../helpers/influxdb.js'
import { freePort } from '../helpers/ports.js'
import { InfluxTelemetryStore, type InfluxConfig } from '../../store/influx/index.js'
import type { Reading } from '../../core/readings.js'

const T0 = Date.parse('2025-03-01T02:30:00Z')

interface Exported { metric: Record<string, string>, values: number[], timestamps: number[] }

let vm: VictoriaHandle
beforeAll(async () => { vm = await startVictoria() })
afterAll(async () => { await vm?.stop() })

const v2 = (url: string): InfluxConfig => ({ url, api: 'v2', db: 'minewatch', org: 'mines', bucket: 'telemetry', token: 'test-token', timeoutMs: 5_000 })

async function exported (match: string): Promise<Exported[]> {
  await vm.flush()
  const res = await fetch(`${vm.url}/api/v1/export?match[]=${encodeURIComponent(match)}`)
  expect(res.status).toBe(200)
  return (await res.text()).split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Exported)
}

describe('InfluxTelemetryStore api v2 → VictoriaMetrics', () => {
  it('init() pings; every kind lands with its tags as labels, fields as values, ms timestamps', async () => {
    const store = new InfluxTelemetryStore({ config: v2(vm.url) })
    expect(store.name).toBe('influx-v2')
    await store.init()
    const site = 'v2-all'
    const batch: Reading[] = [
      { site, device: 'dust-1', kind: 'dust', ts: T0, seq: 11, values: { tsp: 0.612, pm10: 0.168, pm25: 0.0617, temp: 12.3, rh: 56, windSpeed: 3.4, windDir: 225, noise: 63.2, flag: 'N' } },
      { site, device: 'water-1', kind: 'water', ts: T0 + 1, values: { totalM3: 123456.75, flowM3h: 42.5 } },
      { site, device: 'uwb-1', kind: 'locator', ts: T0 + 2, seq: 3, values: { entity: 'vehicle', entityId: 'TRUCK-07', lat: 29.123456, lon: 120.654321 } },
      { site, device: 'scale-1', kind: 'ore', ts: T0 + 3, values: { tonnes: 58.4, totalT: 10234.2, truckId: 'TRUCK-07' } },
      { site, device: 'st-1', kind: 'status', ts: T0 + 4, values: { batteryPct: 87.5, uptimeS: 864000, fw: '2.3.1' } }
    ]
    await store.write(batch)
    const got = await exported(`{site="${site}"}`)
    const one = (name: string, labels: Record<string, string> = {}) => {
      const s = got.filter((e) => e.metric.__name__ === name && Object.entries(labels).every(([k, v]) => e.metric[k] === v))
      expect(s, name).toHaveLength(1)
      return s[0]!
    }
    expect(one('dust_tsp', { device: 'dust-1' })).toMatchObject({ values: [0.612], timestamps: [T0] })
    expect(one('dust_noise').values).toEqual([63.2])
    expect(one('dust_seq').values).toEqual([11])
    expect(one('water_totalM3', { device: 'water-1' })).toMatchObject({ values: [123456.75], timestamps: [T0 + 1] })
    expect(one('water_seq').values).toEqual([-1]) // no seq: NO_SEQ
    expect(one('locator_lat', { entity: 'vehicle', entityId: 'TRUCK-07', device: 'uwb-1' })).toMatchObject({ values: [29.123456], timestamps: [T0 + 2] })
    expect(one('ore_tonnes').values).toEqual([58.4])
    expect(one('status_uptimeS').values).toEqual([864000])
    await store.close()
  })

  it('sends a large batch as several requests and every reading arrives', async () => {
    const store = new InfluxTelemetryStore({ config: v2(vm.url), maxLinesPerRequest: 1_000 })
    await store.init()
    const site = 'v2-many'
    const batch: Reading[] = []
    for (let i = 0; i < 5_500; i++) batch.push({ site, device: `d${i % 10}`, kind: 'dust', ts: T0 + i, seq: i, values: { tsp: i / 1000, flag: 'N' } })
    await store.write(batch)
    const series = await exported(`dust_seq{site="${site}"}`)
    expect(series).toHaveLength(10)
    const seqs = series.flatMap((s) => s.values).sort((a, b) => a - b)
    expect(seqs).toEqual(batch.map((r) => r.seq))
    await store.close()
  })

  it('writes alert events (ns precision) with site, kind, severity and to as labels', async () => {
    const store = new InfluxTelemetryStore({ config: v2(vm.url) })
    await store.init()
    await store.writeAlertEvents([
      { seq: 5, alertId: 'a1', site: 'v2-alerts', kind: 'dust_exceedance', from: null, to: 'firing', severity: 'alarm', at: T0, reason: 'r', value: 1.21, limit: 1, by: null, message: '粉尘超标' }
    ])
    const got = await exported('{__name__="alert_events_value",site="v2-alerts"}')
    expect(got).toHaveLength(1)
    expect(got[0]!.metric).toMatchObject({ kind: 'dust_exceedance', severity: 'alarm', to: 'firing' })
    expect(got[0]!.values).toEqual([1.21])
    expect(got[0]!.timestamps).toEqual([T0]) // VictoriaMetrics keeps ms: the +seq ns offset is below its precision
    await store.close()
  })

  it('answers "retry later" when nothing listens', async () => {
    const store = new InfluxTelemetryStore({ config: v2(`http://127.0.0.1:${await freePort()}`) })
    const err = await store.write([{ site: 's', device: 'd', kind: 'water', ts: T0, values: { totalM3: 1 } }]).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'MW_STORE_UNAVAILABLE' })
    expect((err as { canRetry: () => boolean }).canRetry()).toBe(true)
    expect((await store.health()).ok).toBe(false)
    await store.close()
  })

  it('on InfluxDB 1.6.7 (no /api/v2/write) the v2 flavour keeps the data as retryable (404), not rejected', async () => {
    const old = await startInfluxDB()
    try {
      const store = new InfluxTelemetryStore({ config: v2(old.url) })
      await store.init() // /ping exists on 1.x
      const err = await store.write([{ site: 's', device: 'd', kind: 'water', ts: T0, values: { totalM3: 1 } }]).catch((e: unknown) => e)
      expect(err).toMatchObject({ code: 'MW_STORE_UNAVAILABLE', message: expect.stringContaining('HTTP 404') })
      await store.close()
    } finally {
      await old.stop()
    }
  })
})
