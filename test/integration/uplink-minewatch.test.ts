/**
 * Site → province over MQTT with two real `minewatch up` processes (docs/uplink.md): steady
 * load; the province stopped and restarted (the site queues, then replays); a regulator's
 * acknowledgement, comment and close at the province applied at the site (a second close skipped
 * there, every request audited at both ends); the site SIGKILLed with a backlog
 * and restarted; a site account publishing for another site refused. At the end the
 * province holds exactly the site's readings (no duplicates, same values) and the site's
 * alerts with the same ids, states and transitions.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { waitFor } from '../helpers/ports.js'
import type { MinewatchProcess } from '../helpers/minewatch-process.js'
import { startUplinkPair, stopProcess as stop, UPLINK_PW, UPLINK_SITE, type UplinkPair } from '../helpers/uplink-pair.js'
import { DuckDBTelemetryStore } from '../../store/duckdb/telemetry.js'
import { openStateStore } from '../../store/duckdb/state.js'
import type { Reading } from '../../core/readings.js'

const SITE = UPLINK_SITE
const OTHER_SITE = 'gs-baiyin-cuzn'
const DUST = ['ZJ-DUST01', 'ZJ-DUST02'] // ZJ-DUST01 reports in ug/m3: its values cross the uplink in mg/m3 and go back into ingest in ug/m3
const PER_PHASE = 100 // readings per device per phase
const ADMIN = 'demo-admin-token-0001'
const REGULATOR = 'demo-regulator-zj-token'

const siteUplink = (provinceMqtt: number) => `uplink:
  targets:
    - name: province
      url: mqtt://127.0.0.1:${provinceMqtt}
      site: ${SITE}
      username: site-zj
      passwordEnv: MW_TEST_UPLINK_PW
      batchMaxReadings: 150
      reconnectMs: 200
`

const base = Date.now() - 60 * 60_000 // an hour ago: every reading well inside ingest.maxLateMs
let seq = 0

async function json<T> (p: MinewatchProcess, path: string, token = ADMIN, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${p.httpPort}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers } })
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`)
  return await res.json() as T
}

interface Status { targets: Array<{ connected: boolean, backlogItems: number, ackedItems: number, full: boolean }> }
const uplinkStatus = async (p: MinewatchProcess) => (await json<Status>(p, '/api/v1/ops/uplink')).targets[0]!

/** Publishes PER_PHASE dust readings per device at the site (QoS 1) and resolves once every PUBACK came. */
async function load (site: MinewatchProcess): Promise<number> {
  let n = 0
  for (const device of DUST) {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${site.mqttPort}`, { username: device, password: `demo-${device}-pw`, protocolVersion: 4, reconnectPeriod: 0 })
    for (let m = 0; m < PER_PHASE / 10; m++) {
      const readings = Array.from({ length: 10 }, () => { const s = seq++; return { ts: base + s * 1000, seq: s, tsp: 0.2 + (s % 7) / 100, pm10: device === 'ZJ-DUST01' ? 61.7 + s % 5 : 0.0617, pm25: device === 'ZJ-DUST01' ? 30 : 0.03 } })
      await c.publishAsync(`mines/${SITE}/dust/${device}`, JSON.stringify(readings), { qos: 1 })
      n += readings.length
    }
    await c.endAsync()
  }
  return n
}

describe('uplink: site minewatch → provincial minewatch', () => {
  let pair: UplinkPair
  let prov: MinewatchProcess
  let site: MinewatchProcess
  let published = 0
  const startProvince = async () => (prov = await pair.startProvince())
  const startSite = async () => (site = await pair.startSite())

  beforeAll(async () => {
    pair = await startUplinkPair({ siteUplink })
    ;({ prov, site } = pair)
  }, 120_000)

  afterAll(() => pair?.cleanup())

  it('forwards steady load; a site account may not publish for another site', async () => {
    await waitFor(async () => (await uplinkStatus(site)).connected, 20_000, 'the site to connect upstream')
    published += await load(site)
    await waitFor(async () => (await uplinkStatus(site)).backlogItems === 0 && (await uplinkStatus(site)).ackedItems >= published, 20_000, 'the site to forward its readings')

    // the site's account publishing as another site: refused by the province's ACL, recorded as a reject
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${prov.mqttPort}`, { username: 'site-zj', password: UPLINK_PW, protocolVersion: 4, reconnectPeriod: 0, clientId: 'intruder' })
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()))
    c.publish(`uplink/${OTHER_SITE}/up`, Buffer.from([1, 0]), { qos: 1 }, () => {})
    await closed // the broker drops a client whose publish it refused, without PUBACK
    c.end(true)
    await waitFor(async () => (await json<{ items: Array<{ reason: string, topic: string }> }>(prov, '/api/v1/rejects?limit=100')).items.some((r) => r.reason === 'topic_mismatch' && r.topic === `uplink/${OTHER_SITE}/up`), 10_000, 'the refusal to be recorded')
  }, 60_000)

  it('queues while the province is down and replays after it restarts; an ack, a comment and a close at the province show at the site', async () => {
    // an alert at the site: a person outside the licence boundary (3 consecutive fixes, fenceSettings default)
    const loc = await mqtt.connectAsync(`mqtt://127.0.0.1:${site.mqttPort}`, { username: 'ZJ-UWB01', password: 'demo-ZJ-UWB01-pw', protocolVersion: 4, reconnectPeriod: 0 })
    const now = Date.now()
    await loc.publishAsync(`mines/${SITE}/locator/ZJ-UWB01`, JSON.stringify([0, 1, 2].map((k) => ({ ts: now - 3000 + k * 1000, entity: 'person', entityId: 'P-UPLINK', lat: 30.99, lon: 119.99 }))), { qos: 1 })
    await loc.endAsync()
    published += 3
    type AlertList = { items: Array<{ id: string, kind: string, state: string, subject: string, ackedBy: string | null }> }
    const breach = async (p: MinewatchProcess) => (await json<AlertList>(p, `/api/v1/alerts?site=${SITE}&kind=boundary_breach&limit=100`)).items.find((a) => a.subject.includes('P-UPLINK'))
    await waitFor(async () => (await breach(site)) !== undefined, 20_000, 'the boundary alert at the site')
    const alertId = (await breach(site))!.id
    await waitFor(async () => (await breach(prov))?.id === alertId, 20_000, 'the same alert at the province')

    await stop(prov, 'SIGKILL') // the province's PUBACK came only after its store had the batch: a kill loses nothing either
    published += await load(site)
    await waitFor(async () => (await uplinkStatus(site)).backlogItems >= DUST.length * PER_PHASE, 20_000, 'the backlog to build up')
    expect((await uplinkStatus(site)).connected).toBe(false)
    await startProvince()
    await waitFor(async () => (await uplinkStatus(site)).backlogItems === 0, 30_000, 'the backlog to drain')

    // a regulator acknowledges at the province: it goes down to the site and comes back up as the site's transition
    const acked = await json<{ state: string, ackedBy: string }>(prov, `/api/v1/alerts/${alertId}/ack`, REGULATOR, { method: 'POST', body: JSON.stringify({ note: '已通知现场' }) })
    expect(acked.state).toBe('acknowledged')
    const atSite = await breach(site)
    expect(atSite?.state).toBe('acknowledged')
    expect(atSite?.ackedBy).toBe('浙江省自然资源厅 @ province')
    expect(acked.ackedBy).toBe(atSite?.ackedBy)

    // a regulator's comment at the province: kept there, and at the site as the regulator's @ the target
    type Detail = { alert: { state: string }, history: Array<{ to: string, reason: string, by: string | null }>, comments: Array<{ by: string, text: string }> }
    await json(prov, `/api/v1/alerts/${alertId}/comments`, REGULATOR, { method: 'POST', body: JSON.stringify({ text: '请现场复核越界人员' }) })
    expect((await json<Detail>(prov, `/api/v1/alerts/${alertId}`)).comments).toEqual([expect.objectContaining({ by: '浙江省自然资源厅', text: '请现场复核越界人员' })])
    await waitFor(async () => (await json<Detail>(site, `/api/v1/alerts/${alertId}`)).comments.length > 0, 20_000, 'the comment at the site')
    expect((await json<Detail>(site, `/api/v1/alerts/${alertId}`)).comments).toEqual([expect.objectContaining({ by: '浙江省自然资源厅 @ province', text: '请现场复核越界人员' })])

    // two closes at the province at once (an operator of the province, reason from core's list): the site applies
    // the first, skips the second (already resolved there); one resolved transition at both ends
    const close = () => json<{ state: string }>(prov, `/api/v1/alerts/${alertId}/close`, ADMIN, { method: 'POST', body: JSON.stringify({ reason: 'rectified', text: '人员已撤离' }) })
    const closed = await Promise.all([close(), close()])
    expect(closed.map((a) => a.state)).toEqual(['resolved', 'resolved'])
    const siteDetail = await json<Detail>(site, `/api/v1/alerts/${alertId}`)
    expect(siteDetail.alert.state).toBe('resolved')
    expect(siteDetail.history.filter((t) => t.to === 'resolved')).toEqual([expect.objectContaining({ reason: 'closed:rectified', by: 'admin @ province' })])
    await waitFor(async () => /minewatch_uplink_downlink_applied_total\{[^}]*outcome="skipped"[^}]*\} [1-9]/.test(await (await fetch(`http://127.0.0.1:${site.httpPort}/metrics`)).text()), 10_000, 'the second close skipped at the site')
    expect((await json<Detail>(prov, `/api/v1/alerts/${alertId}`)).history.filter((t) => t.to === 'resolved')).toHaveLength(1)
    // closed already, as the province sees it: refused there
    const again = await fetch(`http://127.0.0.1:${prov.httpPort}/api/v1/alerts/${alertId}/close`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'rectified', text: '' }) })
    expect(again.status).toBe(409)

    // audited at both ends: the requests sent down and the site's transitions at the province; the applied ones at the site
    type Audit = { items: Array<{ action: string, actor: string, target: string | null, detail: Record<string, unknown> }> }
    const auditOf = async (p: MinewatchProcess) => (await json<Audit>(p, `/api/v1/audit?site=${SITE}&limit=10000`)).items.filter((r) => r.target === alertId)
    const provAudit = await auditOf(prov)
    expect(provAudit.filter((r) => r.action === 'alert.downlink').map((r) => [r.actor, r.detail.type])).toEqual([['浙江省自然资源厅', 'ack'], ['浙江省自然资源厅', 'comment'], ['admin', 'close'], ['admin', 'close']])
    expect(provAudit.filter((r) => r.action === 'alert.transition').map((r) => [r.actor, r.detail.to])).toEqual(expect.arrayContaining([['浙江省自然资源厅 @ province', 'acknowledged'], ['admin @ province', 'resolved']]))
    const siteAudit = await auditOf(site)
    expect(siteAudit.filter((r) => r.action !== 'alert.transition' || r.detail.to !== 'firing').map((r) => [r.action, r.actor])).toEqual([
      ['alert.transition', '浙江省自然资源厅 @ province'], ['alert.comment', '浙江省自然资源厅 @ province'], ['alert.transition', 'admin @ province']
    ])
  }, 120_000)

  it('loses nothing when the site is SIGKILLed with a backlog', async () => {
    await stop(prov, 'SIGKILL')
    published += await load(site)
    // the queue holds the phase's readings (queued before each PUBACK to the devices) when the site is killed
    expect((await uplinkStatus(site)).backlogItems).toBeGreaterThanOrEqual(DUST.length * PER_PHASE)
    await stop(site, 'SIGKILL')
    await Promise.all([startSite(), startProvince()])
    await waitFor(async () => (await uplinkStatus(site)).backlogItems === 0, 30_000, 'the backlog to drain after the restart')
  }, 120_000)

  it('the province holds exactly the site\'s readings and alerts', async () => {
    // let alert transitions raised in the meantime (device_offline of silent devices) drain too, then stop both
    await waitFor(async () => (await uplinkStatus(site)).backlogItems === 0, 20_000, 'an empty queue')
    await Promise.all([stop(site), stop(prov)])
    const keysOf = async (dir: string) => {
      const store = new DuckDBTelemetryStore({ path: join(dir, 'data', 'telemetry.duckdb') })
      await store.init()
      try {
        const keys = (await store.recentKeys(base - 1)).filter((k) => k.device.startsWith('ZJ-')).map((k) => `${k.device}/${k.ts}/${k.seq}/${k.entityId}`).sort()
        const latest = new Map<string, Reading>((await store.latest({ site: SITE })).map((r) => [r.device, r]))
        return { keys, latest }
      } finally { await store.close() }
    }
    const [atSite, atProv] = [await keysOf(pair.siteDir), await keysOf(pair.provDir)]
    expect(atSite.keys.length).toBe(published)
    expect(atProv.keys).toEqual(atSite.keys) // same readings, none twice
    for (const d of [...DUST, 'ZJ-UWB01']) expect(atProv.latest.get(d)?.values).toEqual(atSite.latest.get(d)?.values)

    const alertsOf = async (dir: string) => {
      const state = await openStateStore({ path: join(dir, 'data', 'state.duckdb'), rejectsMaxRows: 1000 })
      try {
        const { items } = await state.alerts.list({ site: SITE, limit: 1000 })
        // every transition by its alert (transitionsSince, not history(): see the note in docs/uplink.md on the
        // state store's alertId index after a SIGKILL)
        const transitions = (await state.alerts.transitionsSince(0, 1000)).filter((t) => t.site === SITE)
        return items.sort((x, y) => x.id.localeCompare(y.id)).map((a) => ({
          id: a.id, kind: a.kind, state: a.state, ackedBy: a.ackedBy,
          history: transitions.filter((t) => t.alertId === a.id).map((t) => ({ from: t.from, to: t.to, at: t.at, reason: t.reason, by: t.by }))
        }))
      } finally { await state.close() }
    }
    const [siteAlerts, provAlerts] = [await alertsOf(pair.siteDir), await alertsOf(pair.provDir)]
    expect(siteAlerts.some((a) => a.kind === 'boundary_breach' && a.state === 'resolved' && a.history.some((t) => t.to === 'acknowledged') && a.history.at(-1)?.reason === 'closed:rectified')).toBe(true)
    expect(provAlerts).toEqual(siteAlerts)

    // minewatch uplink status: what the site wrote when it stopped (an empty queue, every item acknowledged)
    const cli = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bin/minewatch.ts', 'uplink', 'status', '--json', '--data-dir', join(pair.siteDir, 'data')])
    const status = JSON.parse(cli.stdout) as { targets: Array<{ name: string, backlogItems: number, droppedItems: number, lastAckAt: number | null }> }
    expect(status.targets).toMatchObject([{ name: 'province', backlogItems: 0, droppedItems: 0 }])
    expect(status.targets[0]!.lastAckAt).not.toBeNull()
  }, 60_000)
})
