import { HOUR, MINUTE, beijingMonthStart } from '../../core/time.js'
import { NORMAL_PRODUCTION } from '../models/fleet.js'
import { endingNow, type Scenario } from './types.js'
import { devicesOf, pickSite } from './pick.js'

const YEAR_MS = 365 * 24 * HOUR
/** Month-to-date at mid-run reaches this multiple of the warning threshold. */
const OVERSHOOT = 1.5

/**
 * The site's scales book ore at the rate that makes month-to-date (counting only
 * this run's ore) exceed 1.5 × the warning threshold by mid-run and stay above it.
 * The threshold is the month's pro-rata share of the licence, scaleTPerYear ÷ 12 ×
 * (1 + monthlyMargin) (alerts/rules/over-capacity.ts), or the share of the time elapsed
 * since the month start when that is larger. A month's share of ore in a few hours
 * makes the factor large (hundreds × the normal rate): the point is an exact, quick
 * alert, not a plausible mine. Year-to-date stays below the licence: one warning.
 */
export const overCapacity: Scenario = {
  name: 'over-capacity',
  description: 'Truck and belt scales book ore far above the licence pace, so that month-to-date passes 1.5 × the pro-rata warning threshold (scale ÷ 12 × (1 + monthlyMargin)) by mid-run. Exactly one over_capacity warning (subject output).',
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
    const share = Math.max(1 / 12, (mid - beijingMonthStart(mid)) / YEAR_MS)
    const threshold = site.scaleTPerYear * share * (1 + site.ore.monthlyMargin)
    const normalT = NORMAL_PRODUCTION * (site.scaleTPerYear / 8760) * ((mid - start) / HOUR)
    const factor = Math.max(2, Math.ceil((OVERSHOOT * threshold / normalT) * 10) / 10)
    return {
      effects: [{ type: 'production', site: site.id, fromMs: start, factor }],
      inject: [],
      expectedAlerts: [{ kind: 'over_capacity', site: site.id, subject: 'output', severity: 'warning' }],
      expectedRejects: {},
      summary: `${site.id}: ore booked at ${factor} × the normal rate (${(factor * NORMAL_PRODUCTION).toFixed(1)} × licence pace)`
    }
  }
}
