import { HOUR, MINUTE, beijingMonthStart } from '../../core/time.js'
import { NORMAL_PRODUCTION } from '../models/fleet.js'
import { endingNow, type Scenario } from './types.js'
import { devicesOf, pickSite } from './pick.js'

const YEAR_MS = 365 * 24 * HOUR
/** Month-to-date at mid-run reaches this multiple of the warning threshold. */
const OVERSHOOT = 1.5

/**
 * The site's scales book ore at the rate that makes month-to-date (counting only
 * this run's ore) exceed 1.5 × the warning threshold, scaleTPerYear × (elapsed part of
 * the year since the Beijing month start) × (1 + monthlyMargin), by mid-run — and
 * stay above it. Year-to-date stays far below the licence, so: one over_capacity
 * warning. Started near a month start the factor is a plausible 2–3×; late in a
 * month it is large (the scenario still holds exactly).
 */
export const overCapacity: Scenario = {
  name: 'over-capacity',
  description: 'Truck and belt scales book ore far above the licence pace (factor computed from the start so that month-to-date passes 1.5 × the pro-rata warning threshold by mid-run). Exactly one over_capacity warning.',
  durationMs: 3 * HOUR,
  defaultStart: (now, durationMs) => {
    // keep the run inside one Beijing month (month-to-date restarts at a month start)
    const start = endingNow(now, durationMs)
    const monthStart = beijingMonthStart(start + durationMs)
    return start >= monthStart ? start : monthStart - durationMs - MINUTE
  },
  plan: ({ sites, start, durationMs }) => {
    const site = pickSite(sites, 'over-capacity', 'truck or belt scales', (s) => devicesOf(s, 'ore').length > 0)
    const mid = start + durationMs / 2
    const threshold = site.scaleTPerYear * ((mid - beijingMonthStart(mid)) / YEAR_MS) * (1 + site.ore.monthlyMargin)
    const normalT = NORMAL_PRODUCTION * (site.scaleTPerYear / 8760) * ((mid - start) / HOUR)
    const factor = Math.max(2, Math.ceil((OVERSHOOT * threshold / normalT) * 10) / 10)
    return {
      effects: [{ type: 'production', site: site.id, fromMs: start, factor }],
      inject: [],
      expectedAlerts: [{ kind: 'over_capacity', site: site.id, severity: 'warning' }],
      expectedRejects: {},
      summary: `${site.id}: ore booked at ${factor} × the normal rate (${(factor * NORMAL_PRODUCTION).toFixed(1)} × licence pace)`
    }
  }
}
