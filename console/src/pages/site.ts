/**
 * 矿山一屏: one site live. Every figure shown comes from the server (latest readings, the
 * screen summary computed by api/reports/screen.ts, alerts); the page only lays them out.
 * Refresh (fixed rates): positions and dust values every second, the summary every 15 s, trends every
 * 30 s (both started once the first positions are on screen), alerts as they happen
 * (EventSource on the session cookie).
 */
import { get, post, qs, ApiError, consoleSettings } from '../api.js'
import { h, fill, panel } from '../dom.js'
import { t, alertKindName, deviceKindName, severityName, stateName, fmtNum, fmtPct, fmtTime, fmtWindow } from '../i18n.js'
import { chart, lineOption, gaugeOption, barsOption, PALETTE, type Chart } from '../charts.js'
import { SiteMap, tileSetting, type ConsoleSettings, type Entity, type Monitor } from '../map.js'
import type { Alert, Reading, SiteDetail, GeoFeature, Series, SiteScreen } from '../types.js'
import type { Page } from './page.js'

const LATEST_MS = 1000
const SCREEN_MS = 15_000
const TRENDS_MS = 30_000
const FENCE_KINDS = new Set(['boundary_breach', 'zone_intrusion'])

declare global {
  interface Window {
    /** Read-only figures of the live screen, for the browser tests and bench/console.bench.ts. */
    minewatchStats?: { latestPolls: number, entities: number, oldestEntityTs: number, newestEntityTs: number, trendDraws: number, map?: { tiles: string | null, crs: string | null, firstVertex: [number, number] | null } }
  }
}

function stats (): NonNullable<Window['minewatchStats']> {
  return (window.minewatchStats ??= { latestPolls: 0, entities: 0, oldestEntityTs: NaN, newestEntityTs: NaN, trendDraws: 0 })
}

export async function sitePage (root: HTMLElement, siteId: string): Promise<Page> {
  let detail: SiteDetail
  let geo: { features: GeoFeature[] }
  let settings: ConsoleSettings
  try {
    [detail, geo, settings] = await Promise.all([
      get<SiteDetail>(`/api/v1/sites/${encodeURIComponent(siteId)}`),
      get<{ features: GeoFeature[] }>(`/api/v1/sites/${encodeURIComponent(siteId)}/boundary.geojson`),
      consoleSettings<ConsoleSettings>()
    ])
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      fill(root, h('div', { class: 'empty', 'data-testid': 'not-found' }, `${t('notFound')}: ${siteId}`))
      return { title: t('screen'), dispose: () => {} }
    }
    throw err
  }
  const dustDevices = detail.deviceList.filter((d) => d.kind === 'dust')
  const limits = detail.dustLimits
  const trendMetric = limits[0]?.metric ?? 'tsp'
  const trendLimit = limits.find((l) => l.metric === trendMetric)?.limit

  // ---- layout
  const dustList = h('div', { class: 'dust-list' })
  const trend1h = h('div', { class: 'chart' })
  const trend24h = h('div', { class: 'chart' })
  const mapEl = h('div', { class: 'map', 'data-testid': 'site-map' })
  const mapStats = h('div', { class: 'map-stats', 'data-testid': 'map-stats' })
  const waterEl = h('div', { class: 'chart' })
  const waterNote = h('div', { class: 'kpi-note' })
  const oreEl = h('div', { class: 'chart' })
  const onlineEl = h('div', { class: 'chart' })
  // 能耗: today's standard coal by use and the energy per tonne of ore (the daily report's energy section), for sites with energy meters
  const hasEnergy = detail.deviceList.some((d) => d.kind === 'energy')
  const energyEl = h('div', { class: 'chart' })
  const energyNote = h('div', { class: 'kpi-note', 'data-testid': 'energy-note' })
  const devicesEl = h('div', { class: 'device-chips', 'data-testid': 'devices' })
  const alertsEl = h('ol', { class: 'alert-list', 'data-testid': 'open-alerts' })
  const alertCount = h('span', { class: 'count' })
  const streamState = h('span', { class: 'stream-state' })

  fill(root, h('div', { class: 'screen' },
    h('div', { class: 'col col-left' },
      panel(t('dust'), 'p-dust', dustList),
      panel(`${t('trend1h')} · ${trendMetric.toUpperCase()} mg/m³`, 'p-trend', trend1h),
      panel(`${t('trend24h')} · ${trendMetric.toUpperCase()} mg/m³`, 'p-trend', trend24h)
    ),
    h('div', { class: 'col col-center' },
      h('section', { class: 'panel p-map' },
        h('h2', {}, `${t('map')} · ${detail.licence}`, streamState),
        mapEl, mapStats, legend()),
      h('div', { class: 'kpis' },
        panel(t('water'), 'p-water', waterEl, waterNote),
        panel(t('ore'), 'p-ore', oreEl))
    ),
    h('div', { class: 'col col-right' },
      panel(t('online'), 'p-online', onlineEl, devicesEl),
      ...(hasEnergy ? [panel(t('energyToday'), 'p-energy', energyEl, energyNote)] : []),
      h('section', { class: 'panel p-alerts' }, h('h2', {}, t('openAlerts'), alertCount), alertsEl)
    )
  ))

  const tiles = tileSetting(settings, siteId)
  const map = new SiteMap(mapEl, tiles)
  map.setAreas(geo.features)
  stats().map = { tiles: tiles?.url ?? null, crs: tiles?.crs ?? null, firstVertex: map.firstVertex }
  const charts: Record<string, Chart> = {
    trend1h: chart(trend1h), trend24h: chart(trend24h), water: chart(waterEl), ore: chart(oreEl), online: chart(onlineEl),
    ...(hasEnergy ? { energy: chart(energyEl) } : {})
  }

  // ---- state
  let open: Alert[] = []
  let latest: Reading[] = []
  let stopped = false

  const alertDevices = () => new Set(open.filter((a) => a.kind !== 'device_offline' && a.device).map((a) => a.device!))
  const offlineDevices = () => new Set(open.filter((a) => a.kind === 'device_offline').map((a) => a.device ?? a.subject))

  function renderDust (): void {
    if (stopped) return
    const byDevice = new Map(latest.filter((r) => r.kind === 'dust').map((r) => [r.device, r]))
    const alerting = alertDevices(); const offline = offlineDevices()
    fill(dustList, ...dustDevices.map((d) => {
      const r = byDevice.get(d.id)
      const flag = r ? String(r.values.flag ?? 'N') : null
      const state = alerting.has(d.id) ? 'alert' : offline.has(d.id) ? 'offline' : 'ok'
      return h('div', { class: `dust-card s-${state}`, 'data-device': d.id, 'data-state': state },
        h('div', { class: 'dust-head' }, h('span', { class: 'dust-name' }, d.name ?? d.id), h('span', { class: 'dust-id' }, d.id),
          flag !== null ? h('span', { class: `flag ${flag === 'N' ? 'flag-n' : 'flag-x'}`, title: 'HJ 212-2017' }, flag) : null),
        ...limits.filter((l) => l.roles === null || (d.role !== null && l.roles.includes(d.role))).map((l, i, own) => {
          const v = r?.values[l.metric]
          // the first limit of a metric is dust-{device}-{metric}; another one (a shorter operational window) adds its window
          const testid = own.findIndex((x) => x.metric === l.metric) === i ? `dust-${d.id}-${l.metric}` : `dust-${d.id}-${l.metric}-${l.windowS}`
          const value = typeof v === 'number' ? v : null
          const ratio = value === null ? 0 : Math.min(1.5, value / l.limit)
          return h('div', { class: 'dust-row', 'data-metric': l.metric },
            h('span', { class: 'metric' }, l.metric.toUpperCase()),
            h('span', { class: `value ${value !== null && value > l.limit ? 'over' : ''}`, 'data-testid': testid }, fmtNum(value, 3)),
            h('span', { class: 'lim', title: l.standard ?? undefined }, `/ ${l.limit} mg/m³ · ${fmtWindow(l.windowS)}`),
            h('span', { class: 'bar' }, h('i', { style: `width:${(ratio / 1.5) * 100}%` }), h('b', { style: `left:${100 / 1.5}%` })))
        }),
        h('div', { class: 'dust-time' }, r ? `${t('updated')} ${fmtTime(r.ts)}` : t('noData')))
    }))
  }

  function renderMap (): void {
    if (stopped) return
    const breaches = new Set(open.filter((a) => FENCE_KINDS.has(a.kind)).map((a) => a.subject))
    const entities: Entity[] = []
    for (const r of latest) {
      if (r.kind !== 'locator') continue
      const { lon, lat, entityId, entity } = r.values
      if (typeof lon !== 'number' || typeof lat !== 'number') continue
      const id = typeof entityId === 'string' ? entityId : r.device
      entities.push({ id, kind: entity === 'vehicle' ? 'vehicle' : 'person', lon, lat, breach: breaches.has(id) })
    }
    map.setEntities(entities)
    let oldest = Infinity; let newest = -Infinity
    for (const r of latest) if (r.kind === 'locator') { oldest = Math.min(oldest, r.ts); newest = Math.max(newest, r.ts) }
    const st = stats()
    st.entities = map.entityCount; st.oldestEntityTs = oldest; st.newestEntityTs = newest
    const alerting = alertDevices(); const offline = offlineDevices()
    const monitors: Monitor[] = detail.deviceList.filter((d) => d.location && d.kind !== 'locator').map((d) => ({
      id: d.id, label: d.name ?? d.id, lon: d.location![0], lat: d.location![1],
      state: alerting.has(d.id) ? 'alert' : offline.has(d.id) ? 'offline' : 'ok'
    }))
    map.setMonitors(monitors)
    const people = entities.filter((e) => e.kind === 'person').length
    const vehicles = entities.length - people
    const nBreach = entities.filter((e) => e.breach).length
    fill(mapStats,
      h('span', { 'data-testid': 'people' }, `${t('people')} ${people}`),
      h('span', { 'data-testid': 'vehicles' }, `${t('vehicles')} ${vehicles}`),
      h('span', {}, `${t('monitors')} ${monitors.length}`),
      h('span', { class: nBreach > 0 ? 'breach' : '', 'data-testid': 'breaches' }, `${t('breach')} ${nBreach}`))
  }

  function renderDevices (): void {
    if (stopped) return
    const seen = new Map<string, number>()
    for (const r of latest) seen.set(r.device, Math.max(seen.get(r.device) ?? 0, r.ts))
    const offline = offlineDevices(); const alerting = alertDevices()
    fill(devicesEl, ...detail.deviceList.map((d) => {
      const state = offline.has(d.id) ? 'offline' : alerting.has(d.id) ? 'alert' : seen.has(d.id) ? 'ok' : 'nodata'
      return h('span', { class: `chip s-${state}`, 'data-device': d.id, 'data-state': state, title: `${d.name ?? d.id} · ${deviceKindName(d.kind)}` }, d.id)
    }))
  }

  function renderAlerts (): void {
    if (stopped) return
    alertCount.textContent = String(open.length)
    if (open.length === 0) { fill(alertsEl, h('li', { class: 'none' }, t('noOpenAlerts'))); return }
    fill(alertsEl, ...open.map((a) => {
      const note = h('input', { type: 'text', placeholder: t('note'), maxlength: 2000, 'aria-label': t('note') })
      const btn = h('button', {
        type: 'button', class: 'ack', 'data-action': 'ack',
        onclick: async () => {
          btn.disabled = true
          try { await post(`/api/v1/alerts/${encodeURIComponent(a.id)}/ack`, { note: note.value }); await refreshAlerts() } catch (err) { btn.disabled = false; btn.title = (err as Error).message }
        }
      }, t('ack'))
      return h('li', { class: `alert sev-${a.severity} st-${a.state}`, 'data-alert': a.id, 'data-kind': a.kind, 'data-state': a.state, 'data-device': a.device ?? '' },
        h('div', { class: 'alert-head' },
          h('span', { class: `sev sev-${a.severity}` }, severityName(a.severity)),
          h('b', {}, alertKindName(a.kind)),
          h('span', { class: 'subject' }, a.device ?? a.subject),
          h('time', {}, fmtTime(a.firedAt))),
        h('div', { class: 'alert-msg' }, a.message),
        a.state === 'firing'
          ? h('div', { class: 'alert-actions' }, note, btn)
          : h('div', { class: 'alert-ack' }, `${stateName(a.state)} · ${a.ackedBy ?? ''}${a.ackNote ? `：${a.ackNote}` : ''}`))
    }))
  }

  function renderScreen (s: SiteScreen): void {
    if (stopped) return
    charts.water!.setOption(gaugeOption(s.today.water.rate, s.today.water.floor, `${t('floor')} ${fmtPct(s.today.water.floor)}`), true)
    waterNote.textContent = `${t('recycled')} ${fmtNum(s.today.water.recycledM3, 0)} m³ · ${t('fresh')} ${fmtNum(s.today.water.freshM3, 0)} m³ · ${s.today.water.belowFloor === true ? t('below') : s.today.water.belowFloor === false ? t('ok') : t('noData')}`
    waterNote.dataset.testid = 'water-rate'
    const o = s.ore
    charts.ore!.setOption(barsOption([
      { name: t('mtd'), value: o.monthT, max: o.monthShareT, color: o.monthT > o.monthLimitT ? '#ef4444' : PALETTE[0], text: `${fmtNum(o.monthT / 1e4, 2)} / ${fmtNum(o.monthShareT / 1e4, 2)} 万t` },
      { name: t('ytd'), value: o.yearT, max: o.licenceT, color: o.yearT > o.licenceT ? '#ef4444' : PALETTE[1], text: `${fmtNum(o.yearT / 1e4, 2)} / ${fmtNum(o.licenceT / 1e4, 0)} 万t` }
    ]), true)
    charts.online!.setOption(barsOption(s.online.map((k) => ({
      name: deviceKindName(k.kind), value: k.online, max: k.devices, color: k.rate < 1 ? '#f59e0b' : '#22c55e', text: `${k.online}/${k.devices} ${fmtPct(k.rate)}`
    }))), true)
    renderEnergy(s.today.energy)
    open = s.openAlerts
    renderAlerts(); renderDust(); renderMap(); renderDevices()
  }

  function renderEnergy (e: SiteScreen['today']['energy']): void {
    if (!charts.energy || e === null) return
    const max = Math.max(...e.byRole.map((r) => r.kgce), 1)
    charts.energy.setOption(barsOption(e.byRole.map((r, i) => ({ name: r.role, value: r.kgce, max, color: PALETTE[i % PALETTE.length], text: `${fmtNum(r.kgce, 0)} kgce` }))), true)
    const intensity = e.intensityKgcePerT === null ? '—' : `${fmtNum(e.intensityKgcePerT, 3)} kgce/t`
    const limit = e.limitKgcePerT === null ? '' : ` (${t('limit')} ${fmtNum(e.limitKgcePerT, 3)})`
    energyNote.textContent = `${t('standardCoal')} ${fmtNum(e.tce, 3)} tce · ${t('intensity')} ${intensity}${limit}${e.aboveLimit === true ? ` · ${t('aboveLimit')}` : ''}`
  }

  async function refreshLatest (): Promise<void> {
    latest = (await get<{ items: Reading[] }>(`/api/v1/sites/${encodeURIComponent(siteId)}/latest`)).items
    stats().latestPolls++
    renderDust(); renderMap(); renderDevices()
  }

  async function refreshScreen (): Promise<void> {
    renderScreen(await get<SiteScreen>(`/api/v1/sites/${encodeURIComponent(siteId)}/screen`))
  }

  async function refreshAlerts (): Promise<void> {
    const [firing, acked] = await Promise.all(['firing', 'acknowledged'].map((state) =>
      get<{ items: Alert[] }>(`/api/v1/alerts${qs({ site: siteId, state, limit: 200 })}`)))
    open = [...firing!.items, ...acked!.items].sort((a, b) => b.firedAt - a.firedAt)
    renderAlerts(); renderDust(); renderMap(); renderDevices()
  }

  async function refreshTrends (): Promise<void> {
    const now = Date.now()
    const [h1, h24] = await Promise.all([
      get<Series>(`/api/v1/series${qs({ site: siteId, kind: 'dust', field: trendMetric, from: now - 3600_000, to: now, step: '1m' })}`),
      get<Series>(`/api/v1/series${qs({ site: siteId, kind: 'dust', field: trendMetric, from: now - 86_400_000, to: now, step: '10m' })}`)
    ])
    const lines = (s: Series) => dustDevices.map((d) => ({ name: d.name ?? d.id, points: s.points.filter((p) => p.device === d.id).map((p) => [p.t, p.value] as [number, number]) }))
    if (stopped) return
    charts.trend1h!.setOption(lineOption(lines(h1), { limit: trendLimit, unit: 'mg/m³', legend: true, from: now - 3600_000, to: now, fmtTime }), true)
    charts.trend24h!.setOption(lineOption(lines(h24), { limit: trendLimit, unit: 'mg/m³', from: now - 86_400_000, to: now, fmtTime }), true)
    stats().trendDraws++
  }

  // ---- timers and the alert stream
  /** The pending timer of each loop (one entry per loop, not one per run: the screen runs for days). */
  const timers = new Map<() => Promise<void>, ReturnType<typeof setTimeout>>()
  /**
   * Runs fn now and then every `ms` from the start of each run (a fixed rate, so a slow answer
   * does not stretch the period; never two runs at once); resolves when the first run has ended.
   */
  function every (ms: number, fn: () => Promise<void>): Promise<void> {
    let first: () => void
    const firstDone = new Promise<void>((resolve) => { first = resolve })
    const run = async () => {
      if (stopped) { first(); return }
      const started = performance.now()
      try { await fn() } catch (err) { if (!(err instanceof ApiError && err.status === 401)) console.warn(err) }
      first()
      if (!stopped) timers.set(fn, setTimeout(run, Math.max(0, ms - (performance.now() - started))))
    }
    void run()
    return firstDone
  }
  // the live part first (positions, dust values, devices); the day's figures and the trends,
  // which cost the server far more, once it is on screen
  void every(LATEST_MS, refreshLatest).then(() => {
    void every(SCREEN_MS, refreshScreen)
    void every(TRENDS_MS, refreshTrends)
  })

  const stream = new EventSource(`/api/v1/alerts/stream${qs({ site: siteId })}`)
  stream.addEventListener('alert', (e) => {
    refreshAlerts().catch((err) => console.warn(err))
    // a dust alert's evidence is in the trends: redraw them now rather than at the next 30 s tick
    if ((e as MessageEvent<string>).data.includes('"kind":"dust_exceedance"')) refreshTrends().catch((err) => console.warn(err))
  })
  stream.onopen = () => { streamState.textContent = `● ${t('live')}`; streamState.className = 'stream-state on' }
  stream.onerror = () => { streamState.textContent = t('disconnected'); streamState.className = 'stream-state off' }

  return {
    title: `${t('screen')} · ${detail.name}`,
    dispose () {
      stopped = true
      for (const x of timers.values()) clearTimeout(x)
      stream.close()
      map.remove()
    }
  }
}

function legend (): HTMLElement {
  const item = (cls: string, text: string) => h('span', { class: 'lg' }, h('i', { class: cls }), text)
  return h('div', { class: 'map-legend' },
    item('lg-boundary', t('boundary')), item('lg-zone', t('zones')), item('lg-person', t('people')), item('lg-vehicle', t('vehicles')),
    item('lg-monitor', t('monitors')), item('lg-breach', t('breach')))
}
