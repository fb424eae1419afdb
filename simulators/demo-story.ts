/**
 * The demo's story (`minewatch up --simulate`): on top of the normal day, incidents early
 * enough that a newcomer sees the system react within the first minutes, each raised and then
 * resolved:
 *  - boundary breach (越界): an extra person, DEMO-01, walks out past a corner of the first site's
 *    licence boundary from +60 s to +120 s, then back inside (the fence rule needs
 *    fence.consecutiveFixes fixes wholly outside, then as many inside; one fix every 5 s);
 *  - device offline (设备离线): the first site's first vehicle tracker goes silent from +150 s to
 *    +210 s (offline after offlineFactor × its interval; resolved by its next readings).
 *  - dust exceedance (扬尘超标): a crusher burst at the first site's monitor with a short
 *    operational TSP limit (the legal limits average over 1 h and need 45 min of data, GB 3095-2012
 *    §8, so they cannot fire in minutes): DUST_FACTOR × the limit from +30 s to +105 s, ramped; the
 *    running average is valid once 75 % of the window holds data, stays above the limit for holdS,
 *    then falls below clearBelow for clearHoldS once the burst leaves the window (about +4 min for
 *    the demo's 2-minute limit).
 */
import { roleOf, type DustLimit, type Site } from '../core/sites.js'
import { ringCentroid, type LonLat } from '../core/geo.js'
import { isCalendarDayLimit, isLegal, limitApplies } from '../core/dust.js'
import { telemetryTopic } from '../core/topics.js'
import type { Publisher } from './publisher.js'
import type { Effect, SimMessage } from './types.js'

export interface DemoIncidentPlan {
  site: string
  /** Person walking out and back: entity id, the locator that reports it, fixes (offset from start, ms, and position). */
  breach: { entityId: string, device: string, fixes: { atMs: number, at: LonLat }[] } | null
  /** Device silenced: id and window [fromMs, toMs) after start. */
  offline: { device: string, fromMs: number, toMs: number } | null
  /** Dust burst: the monitor, the operational limit it exceeds, extra TSP (mg/m³) over [fromMs, toMs) after start. */
  dust: { device: string, limit: DustLimit, fromMs: number, toMs: number, tspMgM3: number, rampMs: number } | null
}

const FIX_EVERY_MS = 5_000 // 5 s, a personnel tag moving
const WALK_FROM_MS = 30_000
const OUTSIDE_FROM_MS = 60_000
const INSIDE_FROM_MS = 120_000
const WALK_TO_MS = 180_000
const OFFLINE_FROM_MS = 150_000
const OFFLINE_TO_MS = 210_000
const DUST_FROM_MS = 30_000
const DUST_TO_MS = 105_000
const DUST_RAMP_MS = 5_000
/** The burst's TSP over the limit's: a crusher without its fog cannons (coarse dust, mostly TSP). */
const DUST_FACTOR = 2.5
const DUST_PM10_SHARE = 0.2
const DUST_PM25_SHARE = 0.03
/** Longest window of a limit the burst can raise and clear in the first minutes. */
const DUST_MAX_WINDOW_S = 120

function along (from: LonLat, to: LonLat, k: number): LonLat {
  return [from[0] + (to[0] - from[0]) * k, from[1] + (to[1] - from[1]) * k]
}

export function demoIncidents (site: Site): DemoIncidentPlan {
  const personnel = site.devices.find((d) => d.kind === 'locator' && d.role === 'personnel')
  const vehicle = site.devices.find((d) => d.kind === 'locator' && d.role === 'vehicle')
  let breach: DemoIncidentPlan['breach'] = null
  const ring = site.boundary.coordinates[0]
  if (personnel && ring && ring.length > 3) {
    const c = ringCentroid(site.boundary.coordinates)
    const corner = ring[0]!
    const inside = along(c, corner, 0.8)
    const outside = along(c, corner, 1.2) // beyond a corner of a convex licence polygon: outside it
    const fixes: { atMs: number, at: LonLat }[] = []
    for (let t = WALK_FROM_MS; t < WALK_TO_MS; t += FIX_EVERY_MS) fixes.push({ atMs: t, at: t >= OUTSIDE_FROM_MS && t < INSIDE_FROM_MS ? outside : inside })
    breach = { entityId: 'DEMO-01', device: personnel.id, fixes }
  }
  return {
    site: site.id,
    breach,
    offline: vehicle ? { device: vehicle.id, fromMs: OFFLINE_FROM_MS, toMs: OFFLINE_TO_MS } : null,
    dust: dustBurst(site)
  }
}

/** A TSP burst at the first monitor with a short operational running limit (none: the site sets no such limit). */
function dustBurst (site: Site): DemoIncidentPlan['dust'] {
  const short = site.dust.limits.filter((l) => l.metric === 'tsp' && !isLegal(l) && !isCalendarDayLimit(l) && l.windowS <= DUST_MAX_WINDOW_S)
  for (const d of site.devices) {
    if (d.kind !== 'dust') continue
    const limit = short.find((l) => limitApplies(l, roleOf(d, 'dust')))
    if (limit) return { device: d.id, limit, fromMs: DUST_FROM_MS, toMs: DUST_TO_MS, tspMgM3: DUST_FACTOR * limit.limit, rampMs: DUST_RAMP_MS }
  }
  return null
}

/** The plan's simulation effects (the dust burst) for a run starting at `start`. */
export function storyEffects (plan: DemoIncidentPlan, start: number): Effect[] {
  const d = plan.dust
  return d ? [{ type: 'dust', device: d.device, fromMs: start + d.fromMs, toMs: start + d.toMs, tspMgM3: d.tspMgM3, pm10Share: DUST_PM10_SHARE, pm25Share: DUST_PM25_SHARE, rampMs: d.rampMs }] : []
}

/**
 * Wraps the simulation's publisher: drops the silenced device's messages in its window and
 * sends the walker's fixes over the reporting locator's own connection. stop() ends the timers.
 */
export function storyPublisher (inner: Publisher, plan: DemoIncidentPlan, start: number, onError: (err: unknown) => void): Publisher & { stop(): void } {
  const timers: NodeJS.Timeout[] = []
  if (plan.breach) {
    const b = plan.breach
    for (const f of b.fixes) {
      timers.push(setTimeout(() => {
        const ts = start + f.atMs
        const reading = { ts, entity: 'person', entityId: b.entityId, lon: f.at[0], lat: f.at[1], accuracyM: 3 }
        const m: SimMessage = { t: ts, site: plan.site, device: b.device, kind: 'locator', topic: telemetryTopic(plan.site, 'locator', b.device), payload: Buffer.from(JSON.stringify(reading)), readings: 1 }
        inner.publish(m).catch(onError)
      }, Math.max(0, start + f.atMs - Date.now())))
    }
  }
  const off = plan.offline
  return {
    publish: async (m) => {
      if (off && m.device === off.device && m.t >= start + off.fromMs && m.t < start + off.toMs) return // silenced: never sent
      await inner.publish(m)
    },
    close: async () => { for (const t of timers) clearTimeout(t); await inner.close() },
    stop: () => { for (const t of timers) clearTimeout(t) }
  }
}
