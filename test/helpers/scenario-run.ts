/**
 * Runs every scenario through a whole minewatch in process (startMinewatch: ingest, DuckDB
 * stores, alert engine), messages handed straight to ingest with a manual clock that
 * follows simulated time: each run must open exactly the scenario's documented alerts,
 * and bad-payloads exactly its documented rejects.
 */
import { describe, it, expect } from 'vitest'
import { join } from 'node:path'
import { readFileSync, writeFileSync } from 'node:fs'
import { parse, stringify } from 'yaml'
import { startMinewatch, type Minewatch } from '../../bin/up.js'
import { ManualClock } from '../../core/clock.js'
import { silentLogger } from '../../core/log.js'
import { HOUR, MINUTE } from '../../core/time.js'
import { tempDir } from './ports.js'
import { prepareRun } from '../../simulators/prepare.js'
import { runSimulation } from '../../simulators/run.js'
import type { Publisher } from '../../simulators/publisher.js'
import type { ExpectedAlert } from '../../simulators/scenarios/index.js'

const DEMO = join(import.meta.dirname, '../../config/demo.yaml')
/**
 * The demo config with day facts refreshed once a simulated hour instead of every 30 s: the clock
 * here runs hundreds of times faster than real time, so the default would recompute each site-day
 * thousands of times per run (they are still written, and tested in test/unit/alerts/day-facts.test.ts).
 */
function scenarioConfig (dir: string): string {
  const doc = parse(readFileSync(DEMO, 'utf8')) as Record<string, unknown>
  doc.alerts = { ...(doc.alerts as object | undefined), dayFactsRefreshS: 3600 }
  const file = join(dir, 'demo-scenarios.yaml')
  writeFileSync(file, stringify(doc))
  return file
}
const START = Date.parse('2026-03-10T08:00:00+08:00')

export async function throughMinewatch (scenario: string, durationMs?: number, start = START) {
  const clock = new ManualClock(start)
  const dir = tempDir('mw-scenario-')
  let mw: Minewatch | undefined
  try {
    mw = await startMinewatch({ config: scenarioConfig(dir.path), dataDir: dir.path, mqttPort: 0, httpPort: 0, host: '127.0.0.1', clock, logger: silentLogger() })
    const m = mw
    const run = prepareRun({ registry: m.registry, scenario, seed: 1, start, durationMs })
    // The clock moves only here, once a simulated minute, after everything sent so far is stored
    // and evaluated (the engine's own timer also ticks on it): then the engine's clock checks
    // (device_offline) run at that simulated time. Ingest's future check uses the same clock:
    // readings are at most a minute ahead of it.
    let nextTick = start + MINUTE
    const pending = new Set<Promise<void>>()
    let barrier: Promise<void> = Promise.resolve()
    const publisher: Publisher = {
      async publish (msg) {
        // synchronous part: runs in publish order
        let done!: () => void
        const handled = new Promise<void>((resolve) => { done = resolve })
        if (msg.t >= nextTick) {
          nextTick = msg.t + MINUTE
          const before = [...pending]
          const previous = barrier
          const upTo = msg.t
          barrier = (async () => {
            await previous
            await Promise.all(before)
            await m.alerts.idle()
            clock.set(Math.max(clock.now(), upTo))
            await m.alerts.tick()
          })()
        }
        pending.add(handled)
        try {
          await barrier // the latest barrier raised before this message, never a later one
          await m.ingest.handle({ topic: msg.topic, payload: msg.payload, deviceId: msg.device, receivedAt: msg.t })
        } finally {
          pending.delete(handled)
          done()
        }
      },
      close: async () => {}
    }
    const result = await runSimulation({ sim: run.sim, publisher, end: run.end, speed: Infinity, maxInflight: 4096 })
    clock.set(run.end)
    await m.alerts.tick()
    await m.alerts.idle()
    const alerts = (await m.state.alerts.list({ limit: 1000 })).items
    const rejects = await m.state.rejects.list({ limit: 1000 })
    return { run, result, alerts, rejects }
  } finally {
    await mw?.close()
    dir.remove()
  }
}

const shape = (a: ExpectedAlert) => `${a.kind} ${a.site} ${a.subject ?? '-'} ${a.device ?? '-'} ${a.severity ?? '-'} ${a.resolved === undefined ? '-' : a.resolved ? 'resolved' : 'open'}`

/**
 * The scenarios checked through minewatch: split over SHARDS test files (scenarios-minewatch-N.test.ts) so
 * that vitest's workers run them side by side, each shard a third of about 200 s. A new scenario goes here.
 * energy-intensity needs a Beijing midnight inside the run: it starts at 21:00 on START's day.
 */
export const SCENARIO_CASES: Array<[string, number | undefined, number?]> = [
  ['normal-day', 4 * HOUR], ['dust-exceedance', undefined], ['boundary-breach', undefined], ['zone-intrusion', undefined],
  ['recycling-drop', undefined], ['over-capacity', undefined], ['device-offline', undefined], ['data-quality', undefined], ['noise-exceedance', undefined], ['person-motionless', undefined], ['tag-lost', undefined], ['sos', undefined], ['zone-overcrowded', undefined], ['zone-overstay', undefined], ['over-speed', undefined], ['energy-intensity', undefined, START + 13 * HOUR], ['bad-payloads', undefined], ['store-outage', undefined]
]

export const SHARDS = 3

/** Registers the scenarios of shard `shard` (0 … SHARDS − 1): every SHARDS-th case. */
export function scenarioShard (shard: number): void {
  const cases = SCENARIO_CASES.filter((_, i) => i % SHARDS === shard)
  describe(`scenarios through minewatch raise exactly their documented alerts (shard ${shard + 1} of ${SHARDS})`, () => {
    for (const [name, duration, start] of cases) {
      it(name, async () => {
        const { run, result, alerts, rejects } = await throughMinewatch(name, duration, start)
        expect(result.errors).toBe(0)
        const got = alerts.map((a) => shape({ kind: a.kind, site: a.site, subject: a.subject, device: a.device ?? undefined, severity: a.severity, resolved: a.state === 'resolved' })).sort()
        const want = run.plan.expectedAlerts.map(shape).sort()
        const summary = got.length > 12 ? `${got.slice(0, 12).join('\n')}\n… ${got.length} alerts` : got.join('\n')
        expect(got.length, summary).toBe(want.length)
        // a field the scenario leaves open ('-') matches anything
        want.forEach((w, i) => {
          const g = got[i]!.split(' ')
          w.split(' ').forEach((x, k) => { if (x !== '-') expect(g[k], got[i]).toBe(x) })
        })
        const byReason: Record<string, number> = {}
        for (const r of rejects) byReason[r.reason] = (byReason[r.reason] ?? 0) + 1
        expect(byReason).toEqual(run.plan.expectedRejects)
      }, 300_000)
    }
  })
}
