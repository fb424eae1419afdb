/**
 * 上行链路 tile of the overview: each uplink target's link, backlog, last acknowledgement, rate and
 * queue bound (GET /api/v1/ops/uplink, docs/uplink.md). Hidden when this minewatch has no target or
 * the session may not see it (operators: 403).
 */
import { get, ApiError } from '../api.js'
import { h, fill } from '../dom.js'
import { t, fmtNum, fmtTime } from '../i18n.js'

interface Target {
  name: string, url: string, site: string, protocol: 'mqtt' | 'hj212', connected: boolean,
  backlogItems: number, backlogBytes: number, maxBytes: number, onFull: 'drop-oldest' | 'refuse-new', full: boolean,
  ackedItems: number, droppedItems: number, refusedItems: number, lastAckAt: number | null, ratePerS: number, lastError: string | null
}

function bytes (n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++ }
  return `${fmtNum(n, i === 0 ? 0 : 1)} ${units[i]}`
}

export class UplinkTile {
  readonly el: HTMLElement
  private readonly body = h('tbody', {})

  constructor () {
    this.el = h('section', { class: 'panel p-uplink', 'data-testid': 'uplink', hidden: true },
      h('h2', {}, t('uplink')),
      h('table', { class: 'rank uplink' },
        h('thead', {}, h('tr', {}, ...(['uplinkTarget', 'uplinkLink', 'uplinkBacklog', 'uplinkLastAck', 'uplinkRate', 'uplinkBound', 'uplinkLost'] as const).map((k) => h('th', {}, t(k))))),
        this.body))
  }

  async refresh (): Promise<void> {
    let targets: Target[]
    try {
      targets = (await get<{ targets: Target[] }>('/api/v1/ops/uplink')).targets
    } catch (err) {
      if (err instanceof ApiError && err.status === 403) { this.el.hidden = true; return }
      throw err
    }
    this.el.hidden = targets.length === 0
    fill(this.body, ...targets.map((x) => h('tr', { class: x.full || !x.connected ? 'st-alarm' : 'st-ok', 'data-target': x.name },
      h('td', {}, h('b', {}, x.name), h('div', { class: 'sub' }, `${x.protocol === 'hj212' ? 'HJ 212' : 'MQTT'} · ${x.site}`)),
      h('td', { class: x.connected ? '' : 'bad', title: x.lastError ?? '' }, x.connected ? t('uplinkUp') : t('uplinkDown'), x.lastError && !x.connected ? h('div', { class: 'sub' }, x.lastError) : null),
      h('td', { class: `num ${x.full ? 'bad' : ''}`, 'data-field': 'backlog' }, fmtNum(x.backlogItems, 0), h('div', { class: 'sub' }, bytes(x.backlogBytes))),
      h('td', { class: 'num', 'data-field': 'lastAck' }, x.lastAckAt === null ? '—' : fmtTime(x.lastAckAt, true)),
      h('td', { class: 'num', 'data-field': 'rate' }, `${fmtNum(x.ratePerS, 1)}/s`),
      h('td', { 'data-field': 'bound' }, `${bytes(x.maxBytes)} · ${x.onFull === 'drop-oldest' ? t('uplinkDropOldest') : t('uplinkRefuseNew')}`,
        h('div', { class: 'sub' }, `${fmtNum(x.backlogBytes / Math.max(1, x.maxBytes) * 100, 1)}%`)),
      h('td', { class: `num ${x.droppedItems + x.refusedItems > 0 ? 'bad' : ''}`, 'data-field': 'lost' }, `${fmtNum(x.droppedItems, 0)} / ${fmtNum(x.refusedItems, 0)}`))))
  }
}
