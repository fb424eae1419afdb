/**
 * Issue 18 point 3 through `minewatch up`: boundary noise (GB 12348-2008) published by a boundary
 * dust monitor over MQTT and by another over HJ 212 (LA factor), the noise_exceedance alert and
 * the daily report's noise section read over the HTTP API.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { startTestMinewatch, publishReadings, api, demoConfig } from '../helpers/minewatch.js'
import { waitFor } from '../helpers/ports.js'
import { Hj212DeviceClient } from '../../simulators/hj212-device.js'
import { beijingDate, HOUR, MINUTE } from '../../core/time.js'
import { isNight, noiseLimitAt, noiseSettingsSchema } from '../../core/noise.js'
import type { Minewatch } from '../../bin/up.js'

const ZJ = 'zj-huzhou-quarry'
/** Event time runs 4 h ahead of the wall clock, so hours of readings can be played without any being "in the future". */
const clock = { now: () => Date.now() + 4 * HOUR }
const NOISE = noiseSettingsSchema.parse({ zoneClass: 2 })

interface AlertRow { kind: string, subject: string, state: string, severity: string, value: number | null, limit: number | null, unit: string, standard: string, message: string }
interface NoiseRow { device: string, dayHours: number, nightHours: number, dayExceedanceHours: number, nightExceedanceHours: number, maxLeq: { value: number } | null }

let mw: Minewatch & { cleanup(): Promise<void> }
beforeAll(async () => {
  // the demo config (the quarry's boundary in a class 2 functional zone) with the HJ 212 gateway on a free port
  mw = await startTestMinewatch({ config: demoConfig('hj212: { port: 0 }'), clock })
  expect(mw.registry.site(ZJ)!.noise.zoneClass).toBe(2)
}, 60_000)
afterAll(async () => { await mw?.cleanup() })

async function noiseAlerts (): Promise<AlertRow[]> {
  const res = await api(mw, `/api/v1/alerts?limit=200&site=${ZJ}&kind=noise_exceedance`)
  expect(res.status).toBe(200)
  return ((await res.json()) as { items: AlertRow[] }).items
}

describe('boundary noise through minewatch up (MQTT, HJ 212, HTTP API)', () => {
  // a whole clock hour 3 h before event time, and the limit in force in it (day 60 or night 50, by when the test runs)
  const H = Math.floor((clock.now() - 3 * HOUR) / HOUR) * HOUR
  const limit = noiseLimitAt(NOISE, H)
  const loud = limit + 5 // above the limit, below the night peak allowance (+10)

  it('a loud hour at a boundary monitor over MQTT fires noise_exceedance; a quiet hour clears it (hysteresis)', async () => {
    const hour = (from: number, level: number, seq0: number, n = 60) => Array.from({ length: n }, (_, i) => ({ ts: from + i * MINUTE, seq: seq0 + i, tsp: 100 + (i % 7), pm10: 50, pm25: 20, noise: level, flag: 'N' }))
    await publishReadings(mw, ZJ, 'dust', 'ZJ-DUST04', [...hour(H, loud, 0), ...hour(H + HOUR, limit - 1, 100, 1)])
    await mw.alerts.idle()
    const [a] = (await noiseAlerts()).filter((x) => x.subject === 'ZJ-DUST04:noise')
    expect(a).toMatchObject({ state: 'firing', severity: 'alarm', limit, unit: 'dB(A)', standard: 'GB 12348-2008' })
    expect(a!.value).toBeCloseTo(loud, 3)
    expect(a!.message).toContain('厂界噪声超标')
    // limit − 1 is below the limit but not at or below limit − clearMarginDb (2): the alert holds
    await publishReadings(mw, ZJ, 'dust', 'ZJ-DUST04', [...hour(H + HOUR + MINUTE, limit - 1, 101, 59), ...hour(H + 2 * HOUR, limit - 3, 200, 60), ...hour(H + 3 * HOUR, limit - 3, 300, 1)])
    await mw.alerts.idle()
    const after = (await noiseAlerts()).filter((x) => x.subject === 'ZJ-DUST04:noise')
    expect(after.map((x) => x.state)).toEqual(['resolved'])
  })

  it('the same exceedance sent as HJ 212 real-time data (LA-Rtd) fires for the HJ 212 monitor, and both show in the daily report', async () => {
    const d = new Hj212DeviceClient({ host: '127.0.0.1', port: mw.hj212Port!, mn: '33050020250001DUST0001', pw: '123456', st: '22', now: clock.now })
    await d.connect()
    try {
      for (let i = 0; i <= 60; i++) {
        const ts = H + i * MINUTE
        await d.send(d.frame('2011', [[['DataTime', d.dataTime(ts)]], [['a34001-Rtd', '120'], ['a34001-Flag', 'N']], [['LA-Rtd', String(i < 60 ? loud : limit - 10)], ['LA-Flag', 'N']]]))
      }
    } finally {
      await d.close()
    }
    await mw.alerts.idle()
    await waitFor(async () => (await noiseAlerts()).some((x) => x.subject === 'ZJ-HJ-DUST01:noise'), 30_000)
    const [a] = (await noiseAlerts()).filter((x) => x.subject === 'ZJ-HJ-DUST01:noise')
    expect(a).toMatchObject({ state: 'firing', limit, standard: 'GB 12348-2008' })
    expect(a!.value).toBeCloseTo(loud, 3)

    const res = await api(mw, `/api/v1/reports/daily?site=${ZJ}&date=${beijingDate(H)}`)
    expect(res.status).toBe(200)
    const noise = ((await res.json()) as { noise: { zoneClass: number, dayLimit: number, nightLimit: number, monitors: NoiseRow[] } }).noise
    expect(noise).toMatchObject({ zoneClass: 2, dayLimit: 60, nightLimit: 50 })
    const key = isNight(NOISE, H) ? 'nightExceedanceHours' : 'dayExceedanceHours'
    for (const id of ['ZJ-DUST04', 'ZJ-HJ-DUST01']) {
      const row = noise.monitors.find((m) => m.device === id)!
      expect(row[key]).toBe(1)
      expect(row.maxLeq!.value).toBeCloseTo(loud, 3)
    }
    // a processing monitor's noise is not judged against the boundary limits
    expect(noise.monitors.map((m) => m.device)).not.toContain('ZJ-DUST01')
  })
})
