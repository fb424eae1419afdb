/** 告警历史: alerts filtered by site, kind, state and time; one alert's timeline and evidence. */
import { get, qs, ApiError } from '../api.js'
import { h, fill, panel } from '../dom.js'
import { t, alertKindName, stateName, severityName, fmtNum, fmtTime, ALERT_KIND_IDS } from '../i18n.js'
import { chart, lineOption } from '../charts.js'
import type { Alert, Transition, SitesList, Series } from '../types.js'
import type { Page } from './page.js'

/** 'YYYY-MM-DD' (a Beijing day) → its start, epoch ms. */
function dayStartMs (date: string): number { return Date.parse(`${date}T00:00:00+08:00`) }

const EVIDENCE_FIELD: Record<string, { kind: string, field: string } | undefined> = {
  dust_exceedance: { kind: 'dust', field: 'tsp' }
}

export async function alertsPage (root: HTMLElement, params: URLSearchParams): Promise<Page> {
  const sites = (await get<SitesList>('/api/v1/sites')).items
  const sel = (name: string, options: [string, string][], value: string) =>
    h('select', { name }, ...options.map(([v, label]) => { const o = h('option', { value: v }, label); if (v === value) o.selected = true; return o }))
  const siteSel = sel('site', [['', t('all')], ...sites.map((s) => [s.id, s.name] as [string, string])], params.get('site') ?? '')
  const kindSel = sel('kind', [['', t('all')], ...ALERT_KIND_IDS.map((k) => [k, alertKindName(k)] as [string, string])], params.get('kind') ?? '')
  const stateSel = sel('state', [['', t('all')], ...['firing', 'acknowledged', 'resolved'].map((s) => [s, stateName(s)] as [string, string])], params.get('state') ?? '')
  const fromIn = h('input', { type: 'date', name: 'from', value: params.get('from') ?? '' })
  const toIn = h('input', { type: 'date', name: 'to', value: params.get('to') ?? '' })
  const rows = h('tbody', {})
  const more = h('button', { type: 'button', class: 'more' }, t('more'))
  const detailEl = h('div', { class: 'alert-detail', 'data-testid': 'alert-detail' })
  const form = h('form', { class: 'filters' },
    h('label', {}, t('site'), siteSel), h('label', {}, t('kind'), kindSel), h('label', {}, t('state'), stateSel),
    h('label', {}, t('from'), fromIn), h('label', {}, t('to'), toIn), h('button', { type: 'submit' }, t('search')))
  fill(root, h('div', { class: 'history' },
    panel(t('alerts'), 'p-history', form,
      h('table', { class: 'rank', 'data-testid': 'alert-table' },
        h('thead', {}, h('tr', {}, ...(['firedAt', 'site', 'kind', 'device', 'state', 'value', 'message'] as const).map((k) => h('th', {}, t(k))))),
        rows), more),
    panel(`${t('timeline')} · ${t('evidence')}`, 'p-detail', detailEl)))

  let cursor: string | null = null
  const names = new Map(sites.map((s) => [s.id, s.name]))

  async function load (reset: boolean): Promise<void> {
    if (reset) { rows.replaceChildren(); cursor = null }
    const q = {
      site: siteSel.value, kind: kindSel.value, state: stateSel.value,
      from: fromIn.value ? dayStartMs(fromIn.value) : undefined,
      to: toIn.value ? dayStartMs(toIn.value) + 86_400_000 : undefined,
      cursor: cursor ?? undefined, limit: 50
    }
    const page = await get<{ items: Alert[], nextCursor: string | null }>(`/api/v1/alerts${qs(q)}`)
    cursor = page.nextCursor
    more.hidden = cursor === null
    for (const a of page.items) {
      rows.append(h('tr', { 'data-alert': a.id, class: `sev-${a.severity}`, onclick: () => { void showDetail(a.id) } },
        h('td', {}, fmtTime(a.firedAt, true)), h('td', {}, names.get(a.site) ?? a.site), h('td', {}, alertKindName(a.kind)),
        h('td', {}, a.device ?? a.subject), h('td', {}, stateName(a.state)),
        h('td', { class: 'num' }, a.value === null ? '—' : `${fmtNum(a.value, 3)}${a.limit !== null ? ` / ${fmtNum(a.limit, 3)}` : ''} ${a.unit}`),
        h('td', { class: 'msg' }, a.message)))
    }
  }

  async function showDetail (id: string): Promise<void> {
    let body: { alert: Alert, history: Transition[] }
    try { body = await get(`/api/v1/alerts/${encodeURIComponent(id)}`) } catch (err) {
      fill(detailEl, err instanceof ApiError ? err.message : String(err)); return
    }
    const a = body.alert
    const chartEl = h('div', { class: 'chart evidence' })
    fill(detailEl,
      h('h3', {}, `${alertKindName(a.kind)} · ${severityName(a.severity)} · ${stateName(a.state)}`),
      h('p', { class: 'alert-msg' }, a.message),
      h('dl', {},
        h('dt', {}, t('site')), h('dd', {}, names.get(a.site) ?? a.site),
        h('dt', {}, t('device')), h('dd', {}, a.device ?? a.subject),
        h('dt', {}, t('value')), h('dd', {}, a.value === null ? '—' : `${fmtNum(a.value, 3)} ${a.unit}${a.limit !== null ? ` (${t('limit')} ${fmtNum(a.limit, 3)})` : ''}`),
        h('dt', {}, 'standard'), h('dd', {}, a.standard)),
      h('ol', { class: 'timeline', 'data-testid': 'timeline' }, ...body.history.map((tr) => h('li', { class: `to-${tr.to}`, 'data-to': tr.to },
        h('time', {}, fmtTime(tr.at, true)),
        h('b', {}, `${tr.from ? `${stateName(tr.from)} → ` : ''}${stateName(tr.to)}`),
        h('span', {}, ` ${tr.reason}${tr.by ? ` · ${t('by')} ${tr.by}` : ''}`),
        tr.to === 'acknowledged' && a.ackNote ? h('q', {}, a.ackNote) : null))),
      chartEl)
    const ev = EVIDENCE_FIELD[a.kind]
    if (ev && a.device) {
      const from = a.firedAt - 3600_000
      const to = Math.min(Date.now(), (a.resolvedAt ?? Date.now()) + 1800_000)
      const s = await get<Series>(`/api/v1/series${qs({ site: a.site, kind: ev.kind, field: ev.field, device: a.device, from, to, step: '1m' })}`)
      chart(chartEl).setOption(lineOption([{ name: a.device, points: s.points.map((p) => [p.t, p.value]) }], { limit: a.limit ?? undefined, unit: s.unit, fmtTime }))
    } else chartEl.remove()
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault()
    const p = new URLSearchParams()
    for (const [k, el] of [['site', siteSel], ['kind', kindSel], ['state', stateSel], ['from', fromIn], ['to', toIn]] as const) if (el.value) p.set(k, el.value)
    history.replaceState(null, '', `#/alerts?${p.toString()}`)
    void load(true)
  })
  more.addEventListener('click', () => { void load(false) })
  await load(true)
  const first = params.get('alert')
  if (first) await showDetail(first)
  return { title: t('alerts'), dispose () {} }
}
