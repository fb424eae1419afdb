/**
 * The monthly report of one site (issue 18 point 5, first part): every figure is the sum of the
 * month's daily reports (computeDailyReport, the same rules and queries), so the two always agree;
 * ratios are recomputed from the summed terms with core/'s functions (recycling rate, energy per
 * tonne of ore), never averaged. Cameras are not built yet: the section says "not monitored".
 */
import type { Site } from '../../core/sites.js'
import { recyclingRate } from '../../core/water.js'
import { energyIntensity, KGCE_PER_TCE } from '../../core/energy.js'
import { monthlyShareT } from '../../core/ore.js'
import type { DailyReport, MonthlyReport } from './schema.js'

const add = (m: Record<string, number>, k: string, v: number): void => { m[k] = (m[k] ?? 0) + v }

/** Sums the daily reports of `month` (YYYY-MM, in day order, the last one possibly partial). */
export function computeMonthlyReport (site: Site, month: string, days: readonly DailyReport[]): MonthlyReport {
  const first = days[0]
  const last = days[days.length - 1]
  const dust = site.dust.limits.map((l, i) => {
    const byDevice: Record<string, number> = {}
    let minutes = 0; let dayExceedances: number | null = null
    for (const d of days) {
      const row = d.dust[i]!
      minutes += row.exceedanceMinutes
      for (const [dev, n] of Object.entries(row.byDevice)) add(byDevice, dev, n)
      if (row.dayExceedances !== null) dayExceedances = (dayExceedances ?? 0) + row.dayExceedances
    }
    return { metric: l.metric, limit: l.limit, windowS: l.windowS, standard: l.standard ?? null, exceedanceMinutes: minutes, byDevice, dayExceedances }
  })
  const volumes = [0, 0, 0]
  let judged = 0; let below = 0
  for (const d of days) {
    volumes[0]! += d.water.recycledM3; volumes[1]! += d.water.freshM3; volumes[2]! += d.water.dischargeM3
    if (d.water.belowFloor !== null) { judged++; if (d.water.belowFloor) below++ }
  }
  const rate = recyclingRate(volumes, site.water.formula)
  const outputT = days.reduce((n, d) => n + d.ore.outputT, 0)
  const shareT = monthlyShareT(site.scaleTPerYear)
  const completeness = new Map<string, { device: string, kind: DailyReport['uptime'][number]['kind'], expected: number, withData: number }>()
  for (const d of days) {
    for (const u of d.uptime) {
      const c = completeness.get(u.device) ?? { device: u.device, kind: u.kind, expected: 0, withData: 0 }
      c.expected += u.expected; c.withData += u.withData
      completeness.set(u.device, c)
    }
  }
  return {
    site: site.id,
    siteName: site.name,
    month,
    from: first?.from ?? NaN,
    to: last?.to ?? NaN,
    partial: last?.partial ?? false,
    days: days.length,
    dust,
    water: {
      formula: site.water.formula, floor: site.water.floor, standard: site.water.standard,
      recycledM3: volumes[0]!, freshM3: volumes[1]!, dischargeM3: volumes[2]!,
      rate: Number.isNaN(rate) ? null : rate, daysJudged: judged, daysBelowFloor: below
    },
    ore: { outputT, licenceMonthT: shareT, shareOfLicence: outputT / shareT },
    fence: {
      boundaryBreaches: days.reduce((n, d) => n + d.fence.boundaryBreaches, 0),
      zoneIntrusions: days.reduce((n, d) => n + d.fence.zoneIntrusions, 0)
    },
    noise: days.some((d) => d.noise !== null) ? noiseSum(days) : null,
    energy: days.some((d) => d.energy !== null) ? energySum(days) : null,
    completeness: [...completeness.values()].map((c) => ({ ...c, completeness: c.expected > 0 ? c.withData / c.expected : 0 })),
    cameras: { monitored: false, note: 'not monitored: minewatch has no camera device kind yet (issue 18 point 1)' }
  }
}

function noiseSum (days: readonly DailyReport[]): NonNullable<MonthlyReport['noise']> {
  const rows = new Map<string, { device: string, dayExceedanceHours: number, nightExceedanceHours: number, nightPeakMinutes: number }>()
  for (const d of days) {
    for (const m of d.noise?.monitors ?? []) {
      const r = rows.get(m.device) ?? { device: m.device, dayExceedanceHours: 0, nightExceedanceHours: 0, nightPeakMinutes: 0 }
      r.dayExceedanceHours += m.dayExceedanceHours; r.nightExceedanceHours += m.nightExceedanceHours; r.nightPeakMinutes += m.nightPeakMinutes
      rows.set(m.device, r)
    }
  }
  return { monitors: [...rows.values()] }
}

function energySum (days: readonly DailyReport[]): NonNullable<MonthlyReport['energy']> {
  let kwh = 0; let diesel = 0; let kgce = 0; let ore = 0; let above = 0
  const byRole: Record<string, number> = {}
  let limit: number | null = null
  for (const d of days) {
    const e = d.energy
    if (e === null) continue
    kwh += e.electricityKwh; diesel += e.dieselKg; kgce += e.kgce; ore += e.oreOutputT
    if (e.aboveLimit === true) above++
    limit = e.limitKgcePerT
    for (const r of e.byRole) add(byRole, r.role, r.kgce)
  }
  const intensity = energyIntensity(kgce, ore)
  return {
    electricityKwh: kwh, dieselKg: diesel, kgce, tce: kgce / KGCE_PER_TCE, oreOutputT: ore,
    intensityKgcePerT: Number.isNaN(intensity) ? null : intensity, limitKgcePerT: limit, daysAboveLimit: above, byRoleKgce: byRole
  }
}
