/**
 * Whole-day verdicts judged from the stored day, not from whichever readings arrived first:
 *  - water_recycling_low, subject `recycling_rate:{date}`: the Beijing day's rate per the site's
 *    formula (core/water.ts dayVolumes, waterDayVerdict) below the floor fires an alarm;
 *  - dust_exceedance, subject `{device}:{metric}:day:{date}`: a calendar-day limit (GB 3095-2012)
 *    whose valid daily mean (core/dust.ts dayMean: ≥ 20 hourly means of ≥ 45 minutes of counted
 *    readings) is above the limit fires the limit's severity.
 * A day is judged once it is over by the clock and every device it depends on has stored data in
 * its last hour (or alerts.dayVerdictWaitS after its end, whatever arrived); a day with no such data
 * at all leaves the queue without queries until a reading for it arrives; a reading for a judged
 * day (late data inside the acceptance window) judges it again: an alert whose verdict no longer
 * holds resolves with a late_data_* reason. The daily report computes the same figures with the
 * same functions from the same queries (store/day-queries.ts).
 */
import type { Site } from '../core/sites.js'
import { beijingDate, DAY, HOUR, MINUTE } from '../core/time.js'
import { dayVolumes, formulaRoles, waterDayVerdict } from '../core/water.js'
import { dayMean, limitSource } from '../core/dust.js'
import { energyAmounts, energyDayVerdict, energyLimitSource, METER_INFO } from '../core/energy.js'
import { energyMeterValues, oreTonnes, outputTonnes } from '../store/day-facts.js'
import { energyDaySignal } from './rules/energy-intensity.js'
import { devicesWithData, dustMetricData, hourMeans, totaliserValues } from '../store/day-queries.js'
import type { TelemetryStore } from '../store/telemetry.js'
import { dayLimits, dustDaySubject, energyDaySubject, waterDaySubject, type Contexts, type DeviceCtx, type SiteCtx } from './context.js'
import type { PendingSignal } from './evaluate.js'
import { fire, resolve } from './rules/signal.js'

/** A day not yet complete for every device is tried again this often, ms. */
export const RETRY_MS = MINUTE
/** A device whose data reaches this close to the day's end has sent its day, ms. */
export const COMPLETE_WITHIN_MS = HOUR

interface Pending {
  site: string
  day: number
  /** Judged at or after this time; 0: at the next tick; Infinity: being judged now. */
  due: number
  /** Readings of the day evaluated so far (changed while judging: the verdict may miss one, judged again). */
  touches: number
}

/** One day of a judgement: what it was judged with, and what came out. */
interface JudgedDay {
  key: string
  p: Pending
  sc: SiteCtx
  touches: number
  signals: PendingSignal[]
  complete: boolean
  failed: unknown
}

/**
 * A judgement of the days due at `now`: taken (take) and applied (settle) between evaluations,
 * queried (query) in between while readings keep being evaluated.
 */
export interface DayJob {
  readonly now: number
  readonly days: readonly JudgedDay[]
  /** Devices whose `lastDay` was a judged day, with it (cleared by take so that their next reading of it says so). */
  readonly held: ReadonlyMap<DeviceCtx, number>
}

export class DayVerdicts {
  private readonly pending = new Map<string, Pending>()
  private job: DayJob | null = null

  constructor (
    private readonly ctx: Contexts,
    private readonly telemetry: Pick<TelemetryStore, 'series'>,
    /** After a day's end, judge it with whatever arrived once this long has passed, ms. */
    private readonly waitMs: number,
    private readonly language: 'zh' | 'en'
  ) {}

  /**
   * The Beijing day starting at `day` of `site` has new data (or should be judged when it ends).
   * `device` (the reading's) lets a reading during a judgement tell a day it was already known to
   * have (judged again only if the judgement completes it) from new news (tried again at once).
   */
  touch (site: string, day: number, device?: DeviceCtx): void {
    const key = `${site}\u0000${day}`
    const p = this.pending.get(key)
    if (!p) { this.pending.set(key, { site, day, due: 0, touches: 0 }); return }
    p.touches++
    if (device === undefined || this.job?.held.get(device) !== day) p.due = 0
  }

  get pendingDays (): number { return this.pending.size }

  /** Takes the pending days that are over at `now` for one judgement (null: none due); one judgement at a time. */
  take (now: number): DayJob | null {
    if (this.job !== null) throw new Error('day verdicts: a judgement is already running')
    const days: JudgedDay[] = []
    for (const [key, p] of this.pending) {
      if (now < p.day + DAY || now < p.due) continue
      const sc = this.ctx.sites.get(p.site)
      if (!sc) { this.pending.delete(key); continue }
      days.push({ key, p, sc, touches: p.touches, signals: [], complete: false, failed: undefined })
      p.due = Infinity
    }
    if (days.length === 0) return null
    const held = new Map<DeviceCtx, number>()
    for (const d of this.ctx.devices.values()) {
      if (!days.some((j) => j.sc === d.site && j.p.day === d.lastDay)) continue
      held.set(d, d.lastDay)
      d.lastDay = NaN // a reading of the day while it is judged touches it (the queries may not have seen it)
    }
    this.job = { now, days, held }
    return this.job
  }

  /** Runs the job's store queries (off the alert chain); a day whose queries fail is tried again at the next tick. */
  async query (job: DayJob): Promise<void> {
    for (const j of job.days) {
      const final = job.now >= j.p.day + DAY + this.waitMs
      const devices = [...this.ctx.devices.values()].filter((d) => d.site === j.sc)
      try {
        const water: PendingSignal[] = []
        const dust: PendingSignal[] = []
        const energy: PendingSignal[] = []
        const complete = await Promise.all([
          j.sc.water ? this.judgeWater(j.sc, devices, j.p.day, job.now, final, water) : true,
          this.judgeDust(j.sc, devices, j.p.day, job.now, final, dust),
          j.sc.site.energy.intensityLimitKgcePerT !== undefined ? this.judgeEnergy(j.sc, devices, j.p.day, job.now, final, energy) : true
        ])
        j.signals.push(...water, ...dust, ...energy)
        j.complete = complete.every((c) => c)
      } catch (err) {
        j.failed = err
      }
    }
  }

  /**
   * Ends the job (between evaluations): returns its signals (the lifecycle drops repeats) and the
   * first query error. A complete day leaves the queue, unless a reading of it was evaluated while
   * it was judged (judged again at the next tick); an incomplete one is tried again in RETRY_MS;
   * a day whose site was reloaded meanwhile is judged again with the new configuration.
   */
  settle (job: DayJob): { signals: PendingSignal[], failed: unknown } {
    if (this.job !== job) throw new Error('day verdicts: settling a judgement that is not running')
    this.job = null
    const signals: PendingSignal[] = []
    let failed: unknown
    const cleared = new Set<SiteCtx>()
    for (const j of job.days) {
      const p = j.p
      if (j.failed !== undefined || this.ctx.sites.get(p.site) !== j.sc) {
        failed ??= j.failed
        p.due = 0
        continue
      }
      signals.push(...j.signals)
      if (!j.complete) {
        if (p.due !== 0) p.due = job.now + RETRY_MS
      } else {
        cleared.add(j.sc) // the next reading of any day touches it again
        if (p.touches !== j.touches) p.due = 0
        else this.pending.delete(j.key)
      }
    }
    for (const d of this.ctx.devices.values()) if (cleared.has(d.site)) d.lastDay = NaN
    for (const [d, day] of job.held) if (!cleared.has(d.site) && Number.isNaN(d.lastDay)) d.lastDay = day
    return { signals, failed }
  }

  private async judgeWater (sc: SiteCtx, devices: DeviceCtx[], day: number, now: number, final: boolean, out: PendingSignal[]): Promise<boolean> {
    const site = sc.site
    const roles = formulaRoles(site.water.formula)
    const meters = devices.filter((d) => d.meter !== null && roles.includes(d.meter.role))
    if (!final) {
      // every meter of the formula has stored data in the day's last hour (a later day's data does not say so)
      const sent = await devicesWithData(this.telemetry, site.id, 'water', 'totalM3', day + DAY - COMPLETE_WITHIN_MS, day + DAY)
      if (!meters.some((d) => sent.has(d.id))) return true // nothing stored yet: a reading for the day queues it again
      if (meters.some((d) => !sent.has(d.id))) return false
    }
    const values = await totaliserValues(this.telemetry, site.id, 'water', 'totalM3', day, day + DAY)
    const { volumes } = dayVolumes(meters.map((d) => ({ role: d.meter!.role, values: values.get(d.id) ?? [] })), site.water.rolloverM3)
    const v = waterDayVerdict(volumes, site.water.formula, site.water.floor)
    if (!v.judged) return true
    const subject = waterDaySubject(beijingDate(day))
    const signal = v.below
      ? fire(day + DAY, 'alarm', v.rate, site.water.floor, 'day_rate_below_floor')
      : resolve(Math.max(now, day + DAY), v.rate, site.water.floor, 'late_data_day_rate_at_floor')
    out.push({ signal, site: site.id, kind: 'water_recycling_low', subject, device: null, unit: '', standard: site.water.standard })
    return true
  }

  private async judgeEnergy (sc: SiteCtx, devices: DeviceCtx[], day: number, now: number, final: boolean, out: PendingSignal[]): Promise<boolean> {
    const site = sc.site
    const meters = devices.filter((d) => d.energy !== null && d.device.meter !== undefined)
    if (meters.length === 0) return true
    if (!final) {
      // every energy meter has stored its totaliser in the day's last hour (the ore scales weigh loads at any time: not waited for)
      const fields = [...new Set(meters.map((d) => METER_INFO[d.device.meter!].field))]
      const sent = new Set<string>()
      for (const f of fields) for (const id of await devicesWithData(this.telemetry, site.id, 'energy', f, day + DAY - COMPLETE_WITHIN_MS, day + DAY)) sent.add(id)
      if (!meters.some((d) => sent.has(d.id))) return true // nothing stored yet: a reading for the day queues it again
      if (meters.some((d) => !sent.has(d.id))) return false
    }
    const [values, tonnes] = await Promise.all([energyMeterValues(this.telemetry, site, day, day + DAY), oreTonnes(this.telemetry, site, day, day + DAY)])
    const e = energyAmounts(values, site.energy) // every configured meter, as the daily report counts them
    const signal = energyDaySignal(energyDayVerdict(e.kgce, outputTonnes(site, tonnes), site.energy), site.energy, day + DAY, now)
    if (signal !== null) out.push({ signal, site: site.id, kind: 'energy_intensity_high', subject: energyDaySubject(beijingDate(day)), device: null, unit: 'kgce/t', standard: energyLimitSource(this.language) })
    return true
  }

  private async judgeDust (sc: SiteCtx, devices: DeviceCtx[], day: number, now: number, final: boolean, out: PendingSignal[]): Promise<boolean> {
    const site: Site = sc.site
    const monitors = devices.map((d) => ({ d, limits: dayLimits(site, d.device) })).filter((m) => m.limits.length > 0)
    if (monitors.length === 0) return true
    const metricsOf = [...new Set(monitors.flatMap((m) => m.limits.map((l) => l.metric)))]
    // a monitor has sent its day when it stored any reading (of any flag) in the day's last hour
    const sent = new Set<string>()
    if (!final) {
      const lists = await Promise.all(metricsOf.map((metric) => devicesWithData(this.telemetry, site.id, 'dust', metric, day + DAY - COMPLETE_WITHIN_MS, day + DAY)))
      for (const ids of lists) for (const id of ids) sent.add(id)
    }
    const ready = monitors.filter((m) => final || sent.has(m.d.id))
    if (ready.length === 0) return true // nothing stored yet: a reading for the day queues it again
    const metrics = [...new Set(ready.flatMap((m) => m.limits.map((l) => l.metric)))]
    const data = new Map(await Promise.all(metrics.map(async (metric) =>
      [metric, hourMeans(await dustMetricData(this.telemetry, site.id, metric, day, day + DAY))] as const)))
    const date = beijingDate(day)
    for (const { d, limits } of ready) {
      for (const l of limits) {
        const m = dayMean(data.get(l.metric)?.get(d.id) ?? [])
        if (!m.valid) continue // GB 3095-2012 §8: fewer than 20 valid hourly means, no daily mean
        const signal = m.mean > l.limit
          ? fire(day + DAY, l.severity, m.mean, l.limit, 'day_mean_above_limit')
          : resolve(Math.max(now, day + DAY), m.mean, l.limit, 'late_data_day_mean_within_limit')
        out.push({ signal, site: site.id, kind: 'dust_exceedance', subject: dustDaySubject(d.id, l.metric, date), device: d.id, unit: 'mg/m³', standard: limitSource(l, this.language) })
      }
    }
    return ready.length === monitors.length
  }
}
