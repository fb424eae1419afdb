/**
 * Issue 4 end to end through `minewatch up`: a device publishes, a local HTTP receiver gets the
 * signed webhook; a restart mid-alert keeps its state; a receiver down for a while gets every
 * delivery once it returns.
 */
import { describe, it, expect } from 'vitest'
import { createHmac } from 'node:crypto'
import { startTestMinewatch, connectDevice, demoConfig, api } from '../helpers/minewatch.js'
import { startReceiver, type Delivery } from '../helpers/receiver.js'
import { freePort, tempDir, waitFor } from '../helpers/ports.js'

const SITE = 'zj-huzhou-quarry'
const SECRET = 'webhook-secret-for-tests'

function alertsYaml (url: string) {
  return `alerts:
  retry: { initialMs: 100, maxMs: 400 }
  subscriptions:
    - { id: regulator-hook, type: webhook, url: "${url}", secret: ${SECRET}, allowHttp: true, sites: [${SITE}], minSeverity: warning }
`
}

/** One TSP reading a minute from `from` for `minutes`, in µg/m³ (the demo dust monitors' unit). */
function tspMinutes (from: number, minutes: number, tspUg: number, startSeq = 0) {
  return Array.from({ length: minutes }, (_, i) => ({ ts: from + i * 60_000, seq: startSeq + i, tsp: tspUg, pm10: tspUg * 0.1, pm25: tspUg * 0.05 }))
}

/** Event time runs 4 h ahead of the wall clock, so a test can play hours of readings without any being "in the future". */
const clock = { now: () => Date.now() + 4 * 3_600_000 }

function verify (d: Delivery): unknown {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(d.headers['x-minewatch-signature']))
  expect(m).not.toBeNull()
  expect(m![2]).toBe(createHmac('sha256', SECRET).update(`${m![1]}.${d.body}`).digest('hex'))
  return JSON.parse(d.body)
}

async function publish (port: number, device: string, readings: unknown[]) {
  const c = await connectDevice(port, device)
  await c.publishAsync(`mines/${SITE}/dust/${device}`, JSON.stringify(readings), { qos: 1 })
  await c.endAsync()
}

describe('alerts through minewatch up', () => {
  it('delivers a signed webhook for a dust exceedance, keeps it across a restart and resolves it', async () => {
    const receiver = await startReceiver()
    const dir = tempDir('minewatch-alerts-')
    let mw = await startTestMinewatch({ config: demoConfig(alertsYaml(receiver.url)), dataDir: dir.path, clock })
    try {
      const t0 = Date.now()
      await publish(mw.mqttPort, 'ZJ-DUST01', tspMinutes(t0, 70, 2500)) // 2.5 mg/m³ > 1.0 (GB 16297-1996)
      await waitFor(() => receiver.deliveries.length >= 1, 10_000, 'webhook delivery')
      const first = verify(receiver.deliveries[0]!)
      expect(JSON.stringify(first)).toContain('dust_exceedance')
      expect(JSON.stringify(first)).toContain(SITE)
      expect(receiver.deliveries[0]!.headers['x-minewatch-delivery']).toBeTruthy()

      const firing = await (await api(mw, `/api/v1/alerts?site=${SITE}&state=firing&kind=dust_exceedance`)).json() as { items: Array<{ id: string, subject: string }> }
      expect(firing.items).toHaveLength(1)
      const id = firing.items[0]!.id

      // restart mid-alert
      await mw.close()
      mw = await startTestMinewatch({ config: demoConfig(alertsYaml(receiver.url)), dataDir: dir.path, clock })
      // still high: no new alert, same id
      await publish(mw.mqttPort, 'ZJ-DUST01', tspMinutes(t0 + 70 * 60_000, 30, 2600, 1000))
      await mw.alerts.idle()
      const after = await (await api(mw, `/api/v1/alerts?site=${SITE}&kind=dust_exceedance`)).json() as { items: Array<{ id: string, state: string }> }
      expect(after.items.filter((a) => a.state !== 'resolved').map((a) => a.id)).toEqual([id])

      // clean air for over an hour: resolves (hysteresis: below clearBelow for clearHoldS)
      await publish(mw.mqttPort, 'ZJ-DUST01', tspMinutes(t0 + 100 * 60_000, 120, 100, 2000))
      await waitFor(async () => {
        const a = await (await api(mw, `/api/v1/alerts/${id}`)).json() as { state?: string, alert?: { state: string } }
        return (a.alert?.state ?? a.state) === 'resolved'
      }, 10_000, 'alert to resolve')
      await waitFor(() => receiver.deliveries.some((d) => /resolved/.test(d.body)), 10_000, 'resolved delivery')
      for (const d of receiver.deliveries) verify(d)
    } finally {
      await mw.close()
      await receiver.close()
      dir.remove()
    }
  })

  it('delivers everything to a receiver that was down, once it returns', async () => {
    const port = await freePort()
    const mw = await startTestMinewatch({ config: demoConfig(alertsYaml(`http://127.0.0.1:${port}/hook`)) })
    try {
      const t0 = Date.now() - 3_600_000
      await publish(mw.mqttPort, 'ZJ-DUST02', tspMinutes(t0, 70, 3000))
      await publish(mw.mqttPort, 'ZJ-DUST03', tspMinutes(t0, 70, 3000))
      await mw.alerts.idle()
      const open = await (await api(mw, `/api/v1/alerts?site=${SITE}&state=firing`)).json() as { items: Array<{ id: string }> }
      expect(open.items.length).toBeGreaterThanOrEqual(2)
      await new Promise((r) => setTimeout(r, 600)) // a few failed attempts
      const receiver = await startReceiver(port)
      try {
        await waitFor(() => receiver.deliveries.length >= open.items.length, 15_000, 'deliveries after the receiver returned')
        const ids = new Set(receiver.deliveries.map((d) => d.headers['x-minewatch-delivery']))
        const bodies = receiver.deliveries.map((d) => JSON.stringify(verify(d)))
        for (const a of open.items) expect(bodies.some((b) => b.includes(a.id)), a.id).toBe(true)
        expect(ids.size).toBe(receiver.deliveries.length) // once each
      } finally {
        await receiver.close()
      }
    } finally {
      await mw.cleanup()
    }
  })
})
