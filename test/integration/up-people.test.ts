/** People alarms through `minewatch up`: a tag's SOS over MQTT is validated, stored and raises sos at once. */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { startTestMinewatch, publishReadings, api } from '../helpers/minewatch.js'
import { waitFor } from '../helpers/ports.js'
import { ringCentroid, type PolygonCoords } from '../../core/geo.js'
import type { Minewatch } from '../../bin/up.js'

const ZJ = 'zj-huzhou-quarry'
let mw: Minewatch & { cleanup(): Promise<void> }

beforeAll(async () => { mw = await startTestMinewatch() })
afterAll(async () => { await mw.cleanup() })

interface Row { kind: string, subject: string, device: string | null, severity: string, state: string, message: string }

async function sosAlerts (): Promise<Row[]> {
  const res = await api(mw, `/api/v1/alerts?site=${ZJ}&kind=sos&limit=50`)
  expect(res.status).toBe(200)
  return ((await res.json()) as { items: Row[] }).items
}

describe('sos through minewatch up', () => {
  it('a tag that raises its SOS button fires one alarm naming it and its base station; a bad sos value is rejected', async () => {
    const site = mw.registry.site(ZJ)!
    const [lon, lat] = ringCentroid(site.boundary.coordinates as PolygonCoords)
    const t = Date.now() - 60_000
    const fixOf = (i: number, sos?: unknown) => ({ ts: t + i * 5000, entity: 'person', entityId: 'P-SOS-1', lon, lat, accuracyM: 0.5, ...(sos === undefined ? {} : { sos }) })
    await publishReadings(mw, ZJ, 'locator', 'ZJ-UWB01', [fixOf(0), fixOf(1, true), fixOf(2, 1), fixOf(3, 'help')])
    await waitFor(async () => (await sosAlerts()).length > 0, 10_000, 'sos alert')
    await mw.alerts.idle()
    const rows = await sosAlerts()
    expect(rows.map((a) => [a.subject, a.device, a.severity, a.state])).toEqual([['P-SOS-1', 'ZJ-UWB01', 'alarm', 'firing']])
    expect(rows[0]!.message).toContain('【报警】紧急呼救')
    const rejects = await api(mw, '/api/v1/rejects?limit=50')
    const details = ((await rejects.json()) as { items: { detail: string }[] }).items.map((r) => r.detail)
    expect(details.some((d) => d.includes('1 of 4 readings invalid') && d.includes('[3].sos: '))).toBe(true)
  })
})
