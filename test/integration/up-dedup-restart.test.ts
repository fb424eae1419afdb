/**
 * Issue 10 finding 4 through `minewatch up`: a truck scale re-sends readings it already sent
 * (same device, ts, seq), hours old, after minewatch restarted. They are dropped as duplicates
 * and the daily report of their day still shows 400 t, not 800 t.
 */
import { describe, it, expect, afterAll } from 'vitest'
import { startTestMinewatch, connectDevice, api } from '../helpers/minewatch.js'
import { tempDir } from '../helpers/ports.js'
import { DAY, HOUR, beijingDate, beijingDayStart } from '../../core/time.js'

const SITE = 'zj-huzhou-quarry'
const SCALE = 'ZJ-TS01'
const dir = tempDir('up-dedup-restart-')
afterAll(() => { dir.remove() })

async function publishDay (port: number, readings: unknown[]): Promise<void> {
  const c = await connectDevice(port, SCALE)
  // QoS 1: each PUBACK means the readings are durable (or dropped as duplicates)
  for (const r of readings) await c.publishAsync(`mines/${SITE}/ore/${SCALE}`, JSON.stringify(r), { qos: 1 })
  await c.endAsync()
}

async function truckTonnes (mw: Awaited<ReturnType<typeof startTestMinewatch>>, date: string): Promise<number> {
  const res = await api(mw, `/api/v1/reports/daily?site=${SITE}&date=${date}`)
  expect(res.status).toBe(200)
  const report = await res.json() as { ore: { truckScaleT: number, devices: Array<{ device: string, tonnes: number }> } }
  return report.ore.devices.find((d) => d.device === SCALE)?.tonnes ?? 0
}

describe('minewatch up: dedup across a restart (issue 10 finding 4)', () => {
  it('a truck scale re-sending yesterday\'s weighings after a restart does not double the day', async () => {
    const yesterday = beijingDayStart(Date.now()) - DAY
    const date = beijingDate(yesterday)
    // eight trucks of 50 t, from 08:00 Beijing time, each with the scale's own seq
    const weighings = Array.from({ length: 8 }, (_, i) => ({ ts: yesterday + 8 * HOUR + i * 30 * 60_000, seq: 4100 + i, tonnes: 50, truckId: `ZJ-TRK0${i % 4 + 1}` }))

    const first = await startTestMinewatch({ dataDir: dir.path })
    try {
      await publishDay(first.mqttPort, weighings)
      expect(await truckTonnes(first, date)).toBeCloseTo(400, 6)
    } finally {
      await first.close()
    }

    const second = await startTestMinewatch({ dataDir: dir.path })
    try {
      // the scale's buffer is replayed: one by one, then as one array
      await publishDay(second.mqttPort, weighings)
      await publishDay(second.mqttPort, [weighings])
      expect(await truckTonnes(second, date)).toBeCloseTo(400, 6)
      expect(await second.telemetry.count({ site: SITE, device: SCALE })).toBe(8)
      const metrics = await (await api(second, '/metrics')).text()
      expect(metrics).toMatch(/^minewatch_readings_duplicate_total 16$/m)
    } finally {
      await second.close()
    }
  })
})
