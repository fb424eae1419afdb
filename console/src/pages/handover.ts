/** 交接班: a site's shift handover report (GET /sites/{id}/handover) as a printable page: who hands over to whom, and what is still open. */
import { get, qs, ApiError } from '../api.js'
import { h, fill } from '../dom.js'
import { t, fmtTime, alertKindName, stateName, severityName } from '../i18n.js'
import type { HandoverAlert, HandoverReport, HandoverShift } from '../../../core/rosters.js'
import type { SitesList } from '../types.js'
import type { Page } from './page.js'

/** A `datetime-local` value (Beijing wall time) ↔ epoch ms. */
const toLocal = (ms: number): string => new Date(ms + 8 * 3600_000).toISOString().slice(0, 16)
const fromLocal = (v: string): number => Date.parse(`${v}:00+08:00`)

export async function handoverPage (root: HTMLElement, params: URLSearchParams): Promise<Page> {
  const sites = (await get<SitesList>('/api/v1/sites')).items
  const siteId = params.get('site') ?? sites[0]?.id ?? ''
  const atParam = params.get('at')
  const at = atParam !== null && Number.isFinite(Number(atParam)) ? Number(atParam) : Date.now()
  const siteSel = h('select', { name: 'site' }, ...sites.map((s) => { const o = h('option', { value: s.id }, s.name); if (s.id === siteId) o.selected = true; return o }))
  const atIn = h('input', { type: 'datetime-local', name: 'at', value: toLocal(at) })
  const body = h('div', { class: 'report-body', 'data-testid': 'handover' })
  const nav = () => {
    const ms = fromLocal(atIn.value)
    location.hash = `#/handover?${new URLSearchParams({ site: siteSel.value, ...(Number.isFinite(ms) ? { at: String(ms) } : {}) }).toString()}`
  }
  siteSel.addEventListener('change', nav); atIn.addEventListener('change', nav)
  fill(root, h('div', { class: 'report' },
    h('div', { class: 'report-tools no-print' }, h('label', {}, t('site'), siteSel), h('label', {}, t('hoAt'), atIn),
      h('button', { type: 'button', onclick: () => window.print() }, t('print'))),
    body))
  if (!siteId) return { title: t('handover'), dispose () {} }
  let r: HandoverReport
  try { r = await get<HandoverReport>(`/api/v1/sites/${encodeURIComponent(siteId)}/handover${qs({ at: String(at) })}`) } catch (err) {
    fill(body, h('p', { class: 'empty' }, err instanceof ApiError ? err.message : String(err)))
    return { title: t('handover'), dispose () {} }
  }
  const shift = (s: HandoverShift | null) => s === null ? '—' : `${s.name} ${s.from}–${s.to} · ${s.onDuty.map((p) => `${p.name}(${p.id})`).join('、')}`
  const section = (key: Parameters<typeof t>[0], items: HandoverAlert[]) => [
    h('h2', { 'data-section': key }, `${t(key)} (${items.length})`),
    items.length === 0
      ? h('p', { class: 'sub' }, '—')
      : h('table', { class: 'rtable' },
        h('thead', {}, h('tr', {}, ...[t('firedAt'), t('kind'), t('hoSubject'), t('state'), t('hoTier'), t('hoAckedBy'), t('hoWindow')].map((x) => h('th', {}, x)))),
        h('tbody', {}, ...items.map((a) => h('tr', { 'data-alert': a.id },
          h('td', {}, fmtTime(a.firedAt, true)), h('td', {}, `${severityName(a.severity)} · ${alertKindName(a.kind)}`), h('td', {}, a.subject),
          h('td', {}, stateName(a.state)), h('td', { class: 'num' }, String(a.tier)), h('td', {}, a.ackedBy ?? ''), h('td', {}, a.window ?? '')))))
  ]
  fill(body,
    h('h1', {}, `${r.siteName} · ${t('handover')}`),
    h('p', { class: 'sub' }, `${fmtTime(r.at, true)}(北京时间 Beijing)`),
    h('p', { 'data-testid': 'shift' }, `${t('hoIncoming')}: ${shift(r.shift)}`),
    h('p', { 'data-testid': 'previous' }, `${t('hoOutgoing')}: ${shift(r.previous)}`),
    ...section('hoOpen', r.open),
    ...section('hoAcked', r.acknowledged),
    ...section('hoEscalated', r.escalated),
    ...section('hoOverdue', r.overdue),
    ...section('hoSuppressed', r.suppressed),
    h('h2', { 'data-section': 'hoOffline' }, `${t('hoOffline')} (${r.offline.length})`),
    h('p', { 'data-testid': 'offline' }, r.offline.length === 0 ? '—' : r.offline.map((o) => `${o.device}(${fmtTime(o.since, true)})`).join('、')))
  return { title: `${t('handover')} · ${r.siteName}`, dispose () {} }
}
