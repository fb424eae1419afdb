/** 监管总览: every site the session may see, on a map and ranked by compliance (ranked on the server). */
import { get, consoleSettings } from '../api.js'
import { h, fill, panel } from '../dom.js'
import { t, fmtNum, fmtPct, fmtTime } from '../i18n.js'
import { SiteMap, tileSetting, type ConsoleSettings } from '../map.js'
import type { OverviewRow, GeoFeature } from '../types.js'
import type { Page } from './page.js'
import { UplinkTile } from './uplink-tile.js'

const REFRESH_MS = 30_000 // the ranking and the uplink tile

function status (r: OverviewRow): 'alarm' | 'warning' | 'ok' {
  if (r.openAlarms > 0 || r.boundaryBreachesMonth > 0) return 'alarm'
  if (r.openAlerts > 0 || r.recyclingBelowFloor === true || r.exceedanceMinutesToday > 0) return 'warning'
  return 'ok'
}
const COLOR = { alarm: '#ef4444', warning: '#f59e0b', ok: '#22c55e' }

export async function overviewPage (root: HTMLElement): Promise<Page> {
  const mapEl = h('div', { class: 'map', 'data-testid': 'overview-map' })
  const table = h('tbody', {})
  const updated = h('span', { class: 'count' })
  const uplink = new UplinkTile()
  fill(root, h('div', { class: 'overview' },
    h('section', { class: 'panel p-omap' }, h('h2', {}, t('overview'), updated), mapEl),
    h('div', { class: 'ocol' },
      panel(`${t('rank')}`, 'p-rank', h('table', { class: 'rank', 'data-testid': 'ranking' },
        h('thead', {}, h('tr', {}, ...(['rank', 'site', 'province', 'openAlarms', 'openAlerts', 'exceedMin', 'recycling', 'breachesMonth', 'completeness'] as const).map((k) => h('th', {}, t(k))))),
        table)),
      uplink.el)
  ))
  const map = new SiteMap(mapEl, tileSetting(await consoleSettings<ConsoleSettings>()))
  let stopped = false
  let timer: ReturnType<typeof setTimeout> | undefined

  async function refresh (): Promise<void> {
    const { items, at } = await get<{ items: OverviewRow[], at: number }>('/api/v1/overview')
    updated.textContent = `${t('updated')} ${fmtTime(at)}`
    const go = (site: string) => { location.hash = `#/site/${encodeURIComponent(site)}` }
    const features: GeoFeature[] = items.map((r) => ({ id: r.site, geometry: r.boundary as GeoFeature['geometry'], properties: { site: r.site } }))
    map.setAreas(features, (f) => {
      const r = items.find((x) => x.site === f.id)!
      const c = COLOR[status(r)]
      return { color: c, weight: 3, fillColor: c, fillOpacity: 0.35, label: `${r.rank}. ${r.name}`, onClick: () => go(r.site) }
    }, [220, 120]) // room for the labels around sites that lie far apart
    map.setMonitors(items.map((r) => {
      const ring = r.boundary.coordinates[0] ?? []
      const lon = ring.reduce((n, p) => n + p[0], 0) / Math.max(1, ring.length)
      const lat = ring.reduce((n, p) => n + p[1], 0) / Math.max(1, ring.length)
      return { id: r.site, label: `${r.rank}. ${r.name}`, lon, lat, state: status(r) === 'ok' ? 'ok' : 'alert' }
    }))
    fill(table, ...items.map((r) => h('tr', { class: `st-${status(r)}`, 'data-site': r.site, onclick: () => go(r.site) },
      h('td', { class: 'num' }, r.rank),
      h('td', {}, h('a', { href: `#/site/${encodeURIComponent(r.site)}` }, r.name)),
      h('td', {}, r.province),
      h('td', { class: `num ${r.openAlarms > 0 ? 'bad' : ''}` }, r.openAlarms),
      h('td', { class: 'num' }, r.openAlerts),
      h('td', { class: `num ${r.exceedanceMinutesToday > 0 ? 'bad' : ''}` }, r.exceedanceMinutesToday),
      h('td', { class: `num ${r.recyclingBelowFloor ? 'bad' : ''}` }, `${fmtPct(r.recyclingRate)} / ${fmtPct(r.recyclingFloor)}`),
      h('td', { class: `num ${r.boundaryBreachesMonth > 0 ? 'bad' : ''}` }, fmtNum(r.boundaryBreachesMonth, 0)),
      h('td', { class: 'num' }, fmtPct(r.completeness)))))
  }
  const loop = async () => {
    if (stopped) return
    try { await Promise.all([refresh(), uplink.refresh()]) } catch (err) { console.warn(err) }
    if (!stopped) timer = setTimeout(loop, REFRESH_MS)
  }
  await loop()
  return { title: t('overview'), dispose () { stopped = true; clearTimeout(timer); map.remove() } }
}
