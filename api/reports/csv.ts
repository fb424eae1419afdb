/**
 * The daily report as CSV (RFC 4180): one row per figure, in long format so every
 * section fits one table: site,date,section,item,device,value,limit,unit.
 * Starts with a UTF-8 byte order mark so spreadsheet programs read the Chinese names.
 */
import type { DailyReport } from './schema.js'

export const CSV_HEADER = ['site', 'date', 'section', 'item', 'device', 'value', 'limit', 'unit'] as const

type Cell = string | number | boolean | null

/** RFC 4180 §2: fields with comma, quote, CR or LF are quoted, quotes doubled. */
export function csvField (v: Cell): string {
  if (v === null) return ''
  const s = typeof v === 'number' ? String(Number.isInteger(v) ? v : Number(v.toPrecision(12))) : String(v)
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

export function dailyReportCsv (r: DailyReport): string {
  const rows: Cell[][] = []
  const add = (section: string, item: string, device: string | null, value: Cell, limit: Cell, unit: string) =>
    rows.push([r.site, r.date, section, item, device, value, limit, unit])
  for (const d of r.dust) {
    add('dust', `${d.metric}_exceedance_minutes`, null, d.exceedanceMinutes, d.limit, 'min')
    for (const [dev, n] of Object.entries(d.byDevice)) add('dust', `${d.metric}_exceedance_minutes`, dev, n, d.limit, 'min')
    add('dust', `${d.metric}_max_hourly_avg`, d.maxHourlyAvg?.device ?? null, d.maxHourlyAvg?.value ?? null, d.limit, 'mg/m³')
    for (const m of d.dayMeans ?? []) add('dust', `${d.metric}_day_mean`, m.device, m.value, d.limit, 'mg/m³')
    if (d.dayExceedances !== null) add('dust', `${d.metric}_day_exceedances`, null, d.dayExceedances, d.limit, 'monitors')
  }
  const w = r.water
  add('water', 'recycled', null, w.recycledM3, null, 'm³')
  add('water', 'fresh_intake', null, w.freshM3, null, 'm³')
  add('water', 'discharge', null, w.dischargeM3, null, 'm³')
  add('water', `rate_${w.formula}`, null, w.rate, w.floor, 'ratio')
  for (const m of w.meters) add('water', m.role, m.device, m.volumeM3, null, 'm³')
  const o = r.ore
  add('ore', `output_${o.source}`, null, o.outputT, o.licenceDailyT, 't')
  add('ore', 'truck_scale_total', null, o.truckScaleT, null, 't')
  add('ore', 'belt_scale_total', null, o.beltScaleT, null, 't')
  for (const d of o.devices) add('ore', d.role, d.device, d.tonnes, null, 't')
  add('fence', 'boundary_breaches', null, r.fence.boundaryBreaches, null, 'alerts')
  add('fence', 'zone_intrusions', null, r.fence.zoneIntrusions, null, 'alerts')
  for (const u of r.uptime) add('uptime', u.kind, u.device, u.uptime, null, 'ratio')
  for (const m of r.noise?.monitors ?? []) {
    add('noise', 'day_exceedance_hours', m.device, m.dayExceedanceHours, r.noise!.dayLimit, 'h')
    add('noise', 'night_exceedance_hours', m.device, m.nightExceedanceHours, r.noise!.nightLimit, 'h')
    add('noise', 'night_peak_minutes', m.device, m.nightPeakMinutes, r.noise!.nightPeakLimit, 'min')
    add('noise', 'max_hourly_leq', m.device, m.maxLeq?.value ?? null, null, 'dB(A)')
  }
  const e = r.energy
  if (e !== null) {
    add('energy', 'electricity', null, e.electricityKwh, null, 'kWh')
    add('energy', 'diesel', null, e.dieselKg, null, 'kg')
    add('energy', 'standard_coal', null, e.tce, null, 'tce')
    add('energy', 'intensity', null, e.intensityKgcePerT, e.limitKgcePerT, 'kgce/t')
    for (const b of e.byRole) add('energy', `role_${b.role}`, null, b.kgce, null, 'kgce')
    for (const m of e.meters) add('energy', m.role, m.device, m.amount, null, m.unit)
  }
  return '\uFEFF' + [CSV_HEADER as readonly Cell[], ...rows].map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n'
}
