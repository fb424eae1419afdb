/**
 * The figures of one site-day as core/ computes them (store/telemetry.ts DayFacts): the recycling
 * rate and volumes (core/water.ts), the ore output (core/ore.ts) and the GB 3095-2012 daily-mean
 * exceedances (core/dust.ts), from the same queries the day verdicts and the daily report use
 * (store/day-queries.ts). The alert engine writes them into the telemetry store (day_facts) so the
 * dashboards show what the alerts and the report state instead of re-deriving it in InfluxQL.
 */
import type { Site } from '../core/sites.js'
import { roleOf } from '../core/sites.js'
import { dayVolumes, waterDayVerdict, type MeterValues } from '../core/water.js'
import { OUTPUT_FIELD, outputDevices } from '../core/ore.js'
import { dayMean, isCalendarDayLimit, limitApplies } from '../core/dust.js'
import { DAY, HOUR } from '../core/time.js'
import { MinewatchError } from '../core/errors.js'
import type { DayFacts, TelemetryStore } from './telemetry.js'
import { hourMeans, siteDustData, totaliserValues } from './day-queries.js'
import { positionDevices } from '../core/registry.js'
import { METER_INFO, type EnergyMeterValues } from '../core/energy.js'

type Series = Pick<TelemetryStore, 'series'>

/** The water meters of a site with their totaliser values over [from, to) (baseline first). */
export async function meterValues (store: Series, site: Site, from: number, to: number): Promise<(MeterValues & { device: string })[]> {
  const water = site.devices.filter((d) => d.kind === 'water')
  if (water.length === 0) return []
  const totals = await totaliserValues(store, site.id, 'water', 'totalM3', from, to)
  return water.flatMap((d) => {
    const role = roleOf(d, 'water')
    return role ? [{ device: d.id, role, values: totals.get(d.id) ?? [] }] : []
  })
}

/** The energy meters of a site with their totaliser values over [from, to) (baseline first), one query per totaliser field. */
export async function energyMeterValues (store: Series, site: Site, from: number, to: number): Promise<(EnergyMeterValues & { device: string })[]> {
  const meters = site.devices.filter((d) => d.kind === 'energy' && d.meter !== undefined)
  if (meters.length === 0) return []
  const fields = [...new Set(meters.map((d) => METER_INFO[d.meter!].field))]
  const totals = new Map(await Promise.all(fields.map(async (f) => [f, await totaliserValues(store, site.id, 'energy', f, from, to)] as const)))
  return meters.flatMap((d) => {
    const role = roleOf(d, 'energy') // required by the config for every energy meter
    return role ? [{ device: d.id, meter: d.meter!, role, values: totals.get(METER_INFO[d.meter!].field)!.get(d.id) ?? [] }] : []
  })
}

/** The site's ore output from summed tonnes per scale (core/ore.ts outputDevices: truck scales, else belt scales), t. */
export function outputTonnes (site: Site, tonnes: ReadonlyMap<string, number>): number {
  let t = 0
  for (const id of outputDevices(site)) t += tonnes.get(id) ?? 0
  return t
}

/** Summed `tonnes` per scale of the site over [from, to) (hour buckets, as the daily report sums them). */
export async function oreTonnes (store: Series, site: Site, from: number, to: number): Promise<Map<string, number>> {
  const tonnes = new Map<string, number>()
  if (!site.devices.some((d) => d.kind === 'ore')) return tonnes
  for (const p of await store.series({ site: site.id, kind: 'ore', field: OUTPUT_FIELD, from, to, stepMs: HOUR, agg: 'sum' })) {
    tonnes.set(p.device, (tonnes.get(p.device) ?? 0) + p.value)
  }
  return tonnes
}

/** Monitor positions whose valid daily mean is above a calendar-day limit, summed over the site's limits. */
async function dustDayExceedances (store: Series, site: Site, from: number, to: number): Promise<number> {
  const limits = site.dust.limits.filter(isCalendarDayLimit)
  const monitors = positionDevices(site).filter((d) => d.kind === 'dust') // a replacement chain is one monitor
  if (limits.length === 0 || monitors.length === 0) return 0
  const metrics = [...new Set(limits.map((l) => l.metric))]
  const hours = new Map(await Promise.all(metrics.map(async (m) => [m, hourMeans(await siteDustData(store, site, m, from, to))] as const)))
  let n = 0
  for (const l of limits) {
    for (const d of monitors) {
      if (!limitApplies(l, roleOf(d, 'dust'))) continue
      const m = dayMean(hours.get(l.metric)?.get(d.id) ?? [])
      if (m.valid && m.mean > l.limit) n++
    }
  }
  return n
}

/** The facts of `site`'s Beijing day starting at `day`, over the day or up to `now` when it is not over. */
export async function computeDayFacts (store: Series, site: Site, day: number, now: number): Promise<DayFacts> {
  const to = Math.min(day + DAY, now)
  const [meters, tonnes, dust] = await Promise.all([
    meterValues(store, site, day, to),
    oreTonnes(store, site, day, to),
    dustDayExceedances(store, site, day, to)
  ])
  const { volumes } = dayVolumes(meters, site.water.rolloverM3)
  const v = waterDayVerdict(volumes, site.water.formula, site.water.floor)
  const oreOutputT = outputTonnes(site, tonnes)
  return {
    site: site.id,
    day,
    to,
    recycledM3: volumes[0],
    freshM3: volumes[1],
    dischargeM3: volumes[2],
    rate: v.judged ? v.rate : null,
    oreOutputT,
    dustDayExceedances: dust
  }
}

const FACT_NUMBERS = ['recycledM3', 'freshM3', 'dischargeM3', 'oreOutputT', 'dustDayExceedances'] as const

function bad (i: number, problem: string): MinewatchError {
  return new MinewatchError('MW_STORE_REJECTED', `day facts [${i}]: ${problem}`)
}

/** Throws MW_STORE_REJECTED naming the first malformed entry (nothing of the batch is written). */
export function validateDayFacts (facts: readonly DayFacts[]): void {
  facts.forEach((f, i) => {
    if (f === null || typeof f !== 'object') throw bad(i, 'not an object')
    if (typeof f.site !== 'string' || f.site === '') throw bad(i, 'site must be a non-empty string')
    if (!Number.isSafeInteger(f.day) || f.day < 0) throw bad(i, `day must be a non-negative integer of epoch ms, got ${String(f.day)}`)
    if (!Number.isSafeInteger(f.to) || f.to < f.day || f.to > f.day + DAY) throw bad(i, `to must be an epoch ms within the day (${f.day}..${f.day + DAY}), got ${String(f.to)}`)
    for (const k of FACT_NUMBERS) {
      const v = f[k]
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw bad(i, `${k} must be a finite number ≥ 0, got ${String(v)}`)
    }
    if (!Number.isInteger(f.dustDayExceedances)) throw bad(i, `dustDayExceedances must be an integer, got ${f.dustDayExceedances}`)
    if (f.rate !== null && (typeof f.rate !== 'number' || !Number.isFinite(f.rate) || f.rate < 0 || f.rate > 1)) throw bad(i, `rate must be null or a number in [0, 1], got ${String(f.rate)}`)
  })
}

/** Checks a day-facts query (MW_BAD_REQUEST). */
export function validateDayFactsQuery (q: { site: string, from: number, to: number }): void {
  if (typeof q.site !== 'string' || q.site === '') throw new MinewatchError('MW_BAD_REQUEST', 'day facts query: site must be a non-empty string')
  if (!Number.isSafeInteger(q.from) || !Number.isSafeInteger(q.to) || q.to < q.from) throw new MinewatchError('MW_BAD_REQUEST', `day facts query: from and to must be epoch ms with from ≤ to, got ${String(q.from)}..${String(q.to)}`)
}
