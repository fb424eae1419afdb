/**
 * The cost of blasting windows on the alert hot path (alerts/evaluate.ts): evaluateReading over
 * person fixes of the demo config's first site, without schedules (reference) and with an active
 * blasting window on every zone of the site, in alternating rounds so machine load hits both alike.
 * Reported as a ratio to the reference in the same run, with the load average.
 */
import os from 'node:os'
import { loadConfig } from '../core/config.js'
import { Registry } from '../core/registry.js'
import { buildContexts } from '../alerts/context.js'
import { evaluateReading, type EvaluateSettings, type PendingSignal } from '../alerts/evaluate.js'
import { anyActive } from '../alerts/schedules.js'
import { ringCentroid, offsetM, type PolygonCoords } from '../core/geo.js'
import { WEEKDAYS, type Schedule } from '../core/schedules.js'
import type { Reading } from '../core/readings.js'
import type { BenchResult } from './run.js'

const READINGS = 200_000
const ROUNDS = 6
const PEOPLE = 200

export default async function (): Promise<BenchResult> {
  const { config } = loadConfig('config/demo.yaml')
  const site = config.sites[0]!
  const locator = site.devices.find((d) => d.kind === 'locator')!
  const [lon0, lat0] = ringCentroid(site.boundary.coordinates as PolygonCoords)
  const t0 = Date.UTC(2026, 0, 5, 2) // Monday 10:00 Beijing
  const readings: Reading[] = Array.from({ length: READINGS }, (_, i) => {
    const [lon, lat] = offsetM([lon0, lat0], ((i * 37) % 400) - 200, ((i * 53) % 400) - 200)
    return { site: site.id, device: locator.id, kind: 'locator', ts: t0 + i * 10, values: { entity: 'person', entityId: `P-${i % PEOPLE}`, lon, lat, accuracyM: 1 } }
  })
  const windows: Schedule[] = site.zones.map((z) => ({ id: `b-${z.id}`, type: 'blasting', site: site.id, zone: z.id, owner: 'bench', reason: 'bench', weekly: [{ days: [...WEEKDAYS], from: '00:00', to: '24:00' }] }))
  const byZone = new Map(windows.map((w) => [w.zone!, [w]]))
  if (!anyActive(windows, t0)) throw new Error('bench windows are not active')

  function run (blasting: boolean): number {
    const ctx = buildContexts(new Registry(config), config, t0)
    const settings: EvaluateSettings = { stuckAfterS: 3600, now: t0, touchDay: () => {}, facts: { generation: 0, mark: () => {} }, ...(blasting ? { blasting: () => byZone } : {}) }
    const out: PendingSignal[] = []
    const start = performance.now()
    for (const r of readings) { evaluateReading(ctx, settings, r, out); out.length = 0 }
    return READINGS / ((performance.now() - start) / 1000)
  }

  const without: number[] = []; const withW: number[] = []
  run(false); run(true) // warm-up
  for (let i = 0; i < ROUNDS; i++) { without.push(run(false)); withW.push(run(true)) }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
  const a = median(without); const b = median(withW)
  const load = os.loadavg().map((x) => x.toFixed(1)).join(' / ')
  return {
    title: 'Blasting windows on the alert hot path (evaluateReading, person fixes)',
    markdown: `| case | readings/s (median of ${ROUNDS}) | ratio |
|---|---|---|
| no schedules (reference) | ${Math.round(a).toLocaleString('en')} | 1.00 |
| an active blasting window on each of the site's ${site.zones.length} zone(s) | ${Math.round(b).toLocaleString('en')} | ${(b / a).toFixed(2)} |

${READINGS.toLocaleString('en')} fixes of ${PEOPLE} people, \`${site.id}\`, one core; load average (1/5/15 min) at the end ${load} on ${os.cpus().length} cores shared with other work: compare the ratio, not the absolute figures.`
  }
}
