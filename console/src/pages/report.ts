/** 日报: the daily regulatory report of one site as a printable page, with CSV export (both from GET /reports/daily). */
import { get, getText, qs, ApiError } from '../api.js'
import { h, fill } from '../dom.js'
import { t, fmtNum, fmtPct, fmtTime, deviceKindName, currentLang } from '../i18n.js'
import { limitSource } from '../../../core/dust.js'
import type { DailyReport, SitesList } from '../types.js'
import type { Page } from './page.js'

/** Today's Beijing date, YYYY-MM-DD. */
export function beijingToday (): string { return new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10) }

export async function reportPage (root: HTMLElement, params: URLSearchParams): Promise<Page> {
  const sites = (await get<SitesList>('/api/v1/sites')).items
  const siteId = params.get('site') ?? sites[0]?.id ?? ''
  const date = params.get('date') ?? beijingToday()
  const siteSel = h('select', { name: 'site' }, ...sites.map((s) => { const o = h('option', { value: s.id }, s.name); if (s.id === siteId) o.selected = true; return o }))
  const dateIn = h('input', { type: 'date', name: 'date', value: date, max: beijingToday() })
  const body = h('div', { class: 'report-body', 'data-testid': 'report' })
  const nav = () => { location.hash = `#/report?${new URLSearchParams({ site: siteSel.value, date: dateIn.value }).toString()}` }
  siteSel.addEventListener('change', nav); dateIn.addEventListener('change', nav)
  const csvBtn = h('button', { type: 'button', 'data-action': 'csv' }, t('csv'))
  csvBtn.addEventListener('click', async () => {
    const text = await getText(`/api/v1/reports/daily${qs({ site: siteId, date })}`, 'text/csv')
    const a = h('a', { href: URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' })), download: `minewatch-${siteId}-${date}.csv` })
    document.body.append(a); a.click(); a.remove()
  })
  fill(root, h('div', { class: 'report' },
    h('div', { class: 'report-tools no-print' }, h('label', {}, t('site'), siteSel), h('label', {}, t('date'), dateIn),
      h('button', { type: 'button', onclick: () => window.print() }, t('print')), csvBtn),
    body))
  if (!siteId) return { title: t('report'), dispose () {} }
  let r: DailyReport
  try { r = await get<DailyReport>(`/api/v1/reports/daily${qs({ site: siteId, date })}`) } catch (err) {
    fill(body, h('p', { class: 'empty' }, err instanceof ApiError ? err.message : String(err)))
    return { title: t('report'), dispose () {} }
  }
  const table = (head: string[], rows: (string | number)[][]) => h('table', { class: 'rtable' },
    h('thead', {}, h('tr', {}, ...head.map((x) => h('th', {}, x)))),
    h('tbody', {}, ...rows.map((row) => h('tr', {}, ...row.map((c) => h('td', { class: typeof c === 'number' ? 'num' : '' }, String(c)))))))
  fill(body,
    h('h1', {}, `${r.siteName} · ${t('report')} ${r.date}`),
    h('p', { class: 'sub' }, `${fmtTime(r.from, true)} — ${fmtTime(r.to, true)} ${r.partial ? t('partial') : ''}`),
    h('h2', {}, t('dust')),
    table([t('metric'), `${t('limit')} mg/m³`, 'standard', t('exceedMin'), t('maxHourly')],
      r.dust.map((d) => [d.metric.toUpperCase(), d.limit, limitSource(d, currentLang()), d.exceedanceMinutes,
        d.maxHourlyAvg ? `${fmtNum(d.maxHourlyAvg.value, 3)} (${d.maxHourlyAvg.device} ${fmtTime(d.maxHourlyAvg.hourStart).slice(0, 5)})${d.maxHourlyAvgAboveLimit ? ' ▲' : ''}` : '—'])),
    h('h2', {}, t('water')),
    table([t('recycled'), t('fresh'), t('discharge'), t('rate'), t('floor'), 'standard'],
      [[`${fmtNum(r.water.recycledM3, 1)} m³`, `${fmtNum(r.water.freshM3, 1)} m³`, `${fmtNum(r.water.dischargeM3, 1)} m³`, fmtPct(r.water.rate), fmtPct(r.water.floor), r.water.standard]]),
    h('h2', {}, t('ore')),
    table([t('output'), t('licenceDaily'), t('rate'), 'source'],
      [[`${fmtNum(r.ore.outputT, 1)} t`, `${fmtNum(r.ore.licenceDailyT, 1)} t`, fmtPct(r.ore.shareOfLicence), r.ore.source]]),
    h('h2', {}, t('fence')),
    table([t('boundaryBreaches'), t('zoneIntrusions')], [[r.fence.boundaryBreaches, r.fence.zoneIntrusions]]),
    h('h2', {}, t('uptime')),
    table([t('device'), t('kind'), 'expected', 'with data', t('uptime')],
      r.uptime.map((u) => [u.device, deviceKindName(u.kind), u.expected, u.withData, fmtPct(u.uptime)])),
    ...(r.noise === null
      ? []
      : [h('h2', {}, `${t('noise')} · ${r.noise.standard} · ${currentLang() === 'zh' ? `${r.noise.zoneClass}类` : `class ${r.noise.zoneClass}`} (${r.noise.dayLimit} / ${r.noise.nightLimit} dB(A))`),
          table([t('device'), t('noiseValidHours'), t('noiseDayExceed'), t('noiseNightExceed'), t('noisePeaks'), `${t('noiseMaxLeq')} dB(A)`],
            r.noise.monitors.map((m) => [m.device, `${m.dayHours} / ${m.nightHours}`, m.dayExceedanceHours, m.nightExceedanceHours, m.nightPeakMinutes,
              m.maxLeq ? `${fmtNum(m.maxLeq.value, 1)} (${fmtTime(m.maxLeq.hourStart).slice(0, 5)})` : '—']))]),
    ...(r.energy === null
      ? []
      : [h('h2', {}, `${t('energy')} · ${r.energy.standard}`),
          table([t('electricity'), t('diesel'), t('standardCoal'), t('output'), `${t('intensity')} kgce/t`, `${t('limit')} kgce/t`],
            [[`${fmtNum(r.energy.electricityKwh, 1)} kWh`, `${fmtNum(r.energy.dieselKg, 1)} kg`, `${fmtNum(r.energy.tce, 3)} tce`, `${fmtNum(r.energy.oreOutputT, 1)} t`,
              r.energy.intensityKgcePerT === null ? '—' : `${fmtNum(r.energy.intensityKgcePerT, 3)}${r.energy.aboveLimit === true ? ' ▲' : ''}`,
              r.energy.limitKgcePerT === null ? '—' : r.energy.limitKgcePerT]]),
          table([t('device'), t('energyRole'), t('energyAmount'), `${t('standardCoal')} kgce`],
            r.energy.meters.map((m) => [m.device, m.role, `${fmtNum(m.amount, 1)} ${m.unit}`, fmtNum(m.kgce, 1)]))]))
  return { title: `${t('report')} · ${r.siteName} ${r.date}`, dispose () {} }
}
