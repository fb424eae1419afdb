/**
 * Rebuilds rule state after a restart from the telemetry store (no rule state is persisted):
 *  - device_offline: last reading time per device (TelemetryStore.latest);
 *  - data_quality stuck values: the latest value per field starts its unchanged-since clock;
 *  - dust_exceedance: each running window from TelemetryStore.series sum and count, bucket by
 *    bucket, of the readings whose flag counts (SeriesQuery.flags = core/dust.ts COUNTED_FLAGS),
 *    as the live rule adds them; calendar-day limits need no state (alerts/day-verdicts.ts);
 *  - water_recycling_low: the day's totaliser readings replayed at 1-minute resolution;
 *  - over_capacity: month- and year-to-date tonnes summed from 8-hour buckets (Beijing days
 *    start at 16:00 UTC, a multiple of 8 h, so buckets never straddle a day, month or year).
 * Replays emit no signals: open alerts come from AlertStore.open() and the engine marks their
 * rule state active afterwards; the next live reading decides anything new.
 * - sos: a tag whose latest stored fix has the button raised stays raised (no second alert for
 *   a call an operator already closed);
 * - zone_overcrowded: each zone's headcount from the latest stored fix of every person tag
 *   (TelemetryStore.latest is per device and entity), so a restart does not resolve it from a
 *   partial count;
 * - over_speed: each vehicle's latest stored fix, the start of its next derived speed.
 * - tag_lost: each tag's latest stored fix, when and where it was last seen (its limit there).
 * Fence counters (consecutive fixes) start from zero.
 */
import type { TelemetryStore } from '../store/telemetry.js'
import type { Reading } from '../core/readings.js'
import type { Logger } from '../core/log.js'
import { beijingDayStart, beijingMonthStart, beijingYearStart, HOUR, MINUTE } from '../core/time.js'
import { addDustSample } from './rules/dust-exceedance.js'
import { COUNTED_FLAGS } from '../core/dust.js'
import { evaluateWater } from './rules/water-recycling.js'
import { entityCtx, type Contexts, type SiteCtx } from './context.js'
import { evaluateCrowd } from './rules/zone-crowding.js'
import { tagLimitMs } from './evaluate.js'

const scratch = new Float64Array(1)

function maxTs (readings: readonly Reading[], kind: string): number {
  let m = -Infinity
  for (const r of readings) if (r.kind === kind && r.ts > m) m = r.ts
  return m
}

/** Restores every site's rule state; a site whose queries fail keeps empty state (logged). */
export async function restoreFromTelemetry (ctx: Contexts, telemetry: TelemetryStore, logger: Logger): Promise<void> {
  for (const sc of ctx.sites.values()) {
    try {
      await restoreSite(ctx, sc, telemetry)
    } catch (err) {
      logger.error({ err, site: sc.site.id }, 'could not rebuild alert rule state from telemetry; rules start empty for this site')
    }
  }
}

async function restoreSite (ctx: Contexts, sc: SiteCtx, telemetry: TelemetryStore): Promise<void> {
  const site = sc.site.id
  const latest = await telemetry.latest({ site })
  for (const r of latest) {
    const d = ctx.devices.get(r.device)
    if (!d || d.site !== sc) continue
    if (r.ts > d.offline.lastSeen) d.offline.lastSeen = r.ts
    for (let i = 0; i < d.stuckFields.length; i++) {
      const v = r.values[d.stuckFields[i]!]
      const s = d.stuck[i]!
      if (typeof v === 'number' && r.ts > s.lastTs) { s.value = v; s.since = r.ts; s.lastTs = r.ts }
    }
  }

  restorePeople(ctx, sc, latest)

  const dustTo = maxTs(latest, 'dust')
  if (Number.isFinite(dustTo)) {
    const done = new Set<string>()
    for (const limit of sc.site.dust.limits) {
      const key = `${limit.metric}:${limit.windowS}`
      if (done.has(key)) continue
      done.add(key)
      // each monitor's window has buckets of its own width (core/dust.ts windowBuckets): one query per width
      const byStep = new Map<number, Set<string>>()
      for (const d of ctx.devices.values()) {
        if (d.site !== sc) continue
        const st = d.dust.find((x) => x.limit.metric === limit.metric && x.limit.windowS === limit.windowS)
        if (!st) continue
        let ids = byStep.get(st.bucketMs)
        if (!ids) byStep.set(st.bucketMs, ids = new Set())
        ids.add(d.id)
      }
      for (const [stepMs, ids] of byStep) {
        const q = { site, kind: 'dust' as const, field: limit.metric, flags: COUNTED_FLAGS, from: dustTo - limit.windowS * 1000, to: dustTo + 1, stepMs }
        const [sums, counts] = await Promise.all([telemetry.series({ ...q, agg: 'sum' }), telemetry.series({ ...q, agg: 'count' })])
        const countAt = new Map<string, number>()
        for (const p of counts) countAt.set(`${p.device}\u0000${p.t}`, p.value)
        for (const p of sums) {
          const d = ctx.devices.get(p.device)
          const n = countAt.get(`${p.device}\u0000${p.t}`) ?? 0
          if (!d || !ids.has(p.device) || n <= 0) continue
          for (let i = 0; i < d.dust.length; i++) {
            const s = d.dust[i]!
            if (s.limit.metric === limit.metric && s.limit.windowS === limit.windowS) addDustSample(s, p.t, p.value, n)
          }
        }
      }
    }
  }

  const waterTo = maxTs(latest, 'water')
  if (sc.water && Number.isFinite(waterTo)) {
    const from = beijingDayStart(waterTo) - 2 * HOUR // a baseline before midnight for each meter
    const points = await telemetry.series({ site, kind: 'water', field: 'totalM3', from, to: waterTo + 1, stepMs: MINUTE, agg: 'last' })
    points.sort((a, b) => a.t - b.t)
    for (const p of points) {
      const d = ctx.devices.get(p.device)
      if (d?.meter && d.site === sc) evaluateWater(sc.water, d.meter, p.value, p.t, scratch)
    }
    sc.water.active = false // alerts come from the AlertStore
  }

  const oreTo = maxTs(latest, 'ore')
  if (Number.isFinite(oreTo)) {
    const year = beijingYearStart(oreTo)
    const month = beijingMonthStart(oreTo)
    const points = await telemetry.series({ site, kind: 'ore', field: 'tonnes', from: year, to: oreTo + 1, stepMs: 8 * HOUR, agg: 'sum' })
    let ytd = 0; let mtd = 0
    for (const p of points) {
      const d = ctx.devices.get(p.device)
      if (!d?.countsOre || d.site !== sc || !(p.value > 0)) continue
      ytd += p.value
      if (p.t >= month) mtd += p.value
    }
    Object.assign(sc.ore, { year, month, ytd, mtd, lastTs: oreTo })
  }
}

/** SOS buttons and zone headcounts from the latest fix of each tag (replayed in time order, no signals). */
function restorePeople (ctx: Contexts, sc: SiteCtx, latest: readonly Reading[]): void {
  const fixes = latest.filter((r) => r.kind === 'locator' && ctx.devices.get(r.device)?.site === sc).sort((a, b) => a.ts - b.ts)
  for (const r of fixes) {
    const { entity, entityId: id, lon, lat, accuracyM, sos } = r.values
    if (typeof id !== 'string' || typeof lon !== 'number' || typeof lat !== 'number') continue
    const e = entityCtx(sc, id)
    if (r.ts > e.sos.lastTs) { e.sos.raised = sos === 1; e.sos.lastTs = r.ts }
    const acc = typeof accuracyM === 'number' ? accuracyM : sc.site.fence.defaultAccuracyM
    // 标签失联: when and where each tag was last seen (a tag silent since before the restart still fires)
    if (sc.tagLost && r.ts > e.tag.lastSeen) Object.assign(e.tag, { lastSeen: r.ts, device: r.device, person: entity === 'person', limitMs: tagLimitMs(sc, lon, lat, acc) })
    if (entity === 'vehicle') { Object.assign(e.lastFix, { ts: r.ts, lon, lat, accuracyM: acc }); continue } // over_speed's derived speed
    if (entity !== 'person') continue
    for (const z of sc.zones) if (z.crowd) evaluateCrowd(z.crowd, z.coords, id, lon, lat, acc, r.ts)
  }
  for (const z of sc.zones) if (z.crowd) z.crowd.active = false // alerts come from the AlertStore
}
