/**
 * Daily reports over the MQTT uplink with two real `minewatch up` processes (docs/uplink.md
 * "Daily reports"): late data for ended days has the site report them; the province gives the
 * site's report (saying so, and when it was received) with the same figures the site gives and
 * the same figures it computes itself from the forwarded readings; late data while the province
 * is down sends the next revision, which replaces the first after the restart; a replayed or older
 * report is kept out, a malformed one refused with the rest of its batch stored; late data just
 * before a SIGKILL of the site is reported after its restart.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { waitFor } from '../helpers/ports.js'
import type { MinewatchProcess } from '../helpers/minewatch-process.js'
import { startUplinkPair, stopProcess as stop, UPLINK_PW, UPLINK_SITE, type UplinkPair } from '../helpers/uplink-pair.js'
import { beijingDate, beijingDayStart, DAY, HOUR, MINUTE } from '../../core/time.js'
import { encodeBatch } from '../../uplink/codec.js'

const SITE = UPLINK_SITE
const DEVICE = 'ZJ-DUST01' // ug/m3: values chosen exact in binary, so mg/m3 → ug/m3 → mg/m3 over the uplink changes no figure
const ADMIN = 'demo-admin-token-0001'
const REGULATOR = 'demo-regulator-zj-token'
const siteUplink = (provinceMqtt: number) => `uplink:
  dailyReports: { graceS: 0, refreshS: 2 }
  targets:
    - name: province
      url: mqtt://127.0.0.1:${provinceMqtt}
      site: ${SITE}
      username: site-zj
      passwordEnv: MW_TEST_UPLINK_PW
      reconnectMs: 200
`

// pinned at the start: a test crossing Beijing midnight still speaks of the same days
const today = beijingDayStart(Date.now())
const D1 = today - DAY
const D2 = today - 2 * DAY
const [DATE1, DATE2] = [beijingDate(D1), beijingDate(D2)]
let seq = 0

interface Forwarded { revision: number, computedAt: number, receivedAt: number }
interface Report { site: string, date: string, partial: boolean, forwarded?: Forwarded, dust: Array<{ metric: string, limit: number, exceedanceMinutes: number, maxHourlyAvg: { value: number } | null }>, [k: string]: unknown }

async function get<T> (p: MinewatchProcess, path: string, token = ADMIN): Promise<{ status: number, body: T }> {
  const res = await fetch(`http://127.0.0.1:${p.httpPort}${path}`, { headers: { authorization: `Bearer ${token}` } })
  return { status: res.status, body: await res.json() as T }
}
const report = async (p: MinewatchProcess, date: string, source = 'auto', token = ADMIN) => await get<Report>(p, `/api/v1/reports/daily?site=${SITE}&date=${date}&source=${source}`, token)
const figures = (r: Report) => { const { forwarded: _f, ...rest } = r; void _f; return rest }
const tspExceedance = (r: Report) => r.dust.filter((d) => d.metric === 'tsp' && d.limit === 1).reduce((n, d) => n + d.exceedanceMinutes, 0)

/** Late readings of DEVICE, one a minute from `from`, the first `high` of them above the 1.0 mg/m3 TSP limit; resolves on the PUBACKs. */
async function lateData (site: MinewatchProcess, from: number, n: number, high: number): Promise<void> {
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${site.mqttPort}`, { username: DEVICE, password: `demo-${DEVICE}-pw`, protocolVersion: 4, reconnectPeriod: 0 })
  const readings = Array.from({ length: n }, (_, i) => ({ ts: from + i * MINUTE, seq: seq++, tsp: i < high ? 1250 : 500, pm10: 125, pm25: 62.5 }))
  await c.publishAsync(`mines/${SITE}/dust/${DEVICE}`, JSON.stringify(readings), { qos: 1 })
  await c.endAsync()
}

describe('uplink: daily reports site → province', () => {
  let pair: UplinkPair
  let prov: MinewatchProcess
  let site: MinewatchProcess
  let first: Report // the province's copy of DATE1, revision 1
  const startProvince = async () => (prov = await pair.startProvince())
  const startSite = async () => (site = await pair.startSite())
  const sentRevision = (date: string) => {
    try {
      return (JSON.parse(readFileSync(join(pair.siteDir, 'data', 'uplink', 'reports.json'), 'utf8')) as { sent: Record<string, Record<string, { revision: number }>> }).sent[SITE]?.[date]?.revision ?? 0
    } catch { return 0 }
  }
  /** The province holds revision `rev` of `date`, with the site's figures and its own computation's. */
  const agree = async (date: string, rev: number): Promise<Report> => {
    await waitFor(async () => (await report(prov, date, 'site')).body.forwarded?.revision === rev, 30_000, `revision ${rev} of ${date} at the province`)
    const [atProv, atSite, computed] = [(await report(prov, date)).body, (await report(site, date)).body, (await report(prov, date, 'computed')).body]
    expect(atSite).not.toHaveProperty('forwarded') // the site's own report is computed there
    expect(computed).not.toHaveProperty('forwarded')
    expect(atProv.forwarded).toMatchObject({ revision: rev })
    expect(atProv.forwarded!.receivedAt).toBeGreaterThanOrEqual(atProv.forwarded!.computedAt - 60_000) // one machine's clock (a minute of slack)
    expect(atProv.partial).toBe(false)
    expect(figures(atProv)).toEqual(figures(atSite))
    expect(figures(computed)).toEqual(figures(atSite)) // core computes both from the same readings
    return atProv
  }

  beforeAll(async () => {
    pair = await startUplinkPair({ siteUplink })
    ;({ prov, site } = pair)
  }, 120_000)

  afterAll(() => pair?.cleanup())

  it('late data for ended days has the site report them; the province gives the site\'s report, equal to its own computation', async () => {
    expect((await report(prov, DATE1, 'site')).status).toBe(404)
    await lateData(site, D2 + 9 * HOUR, 30, 5)
    await lateData(site, D1 + 10 * HOUR, 60, 20)
    first = await agree(DATE1, 1)
    expect(tspExceedance(first)).toBeGreaterThan(0)
    const second = await agree(DATE2, 1)
    expect(tspExceedance(second)).toBeLessThan(tspExceedance(first))
    // a regulator of the province reads it too
    expect((await report(prov, DATE1, 'auto', REGULATOR)).body.forwarded?.revision).toBe(1)
  }, 90_000)

  it('late data while the province is down: the next revision is queued and replaces the first after the restart', async () => {
    await stop(prov, 'SIGKILL')
    await lateData(site, D1 + 14 * HOUR, 40, 30)
    await waitFor(async () => sentRevision(DATE1) === 2, 30_000, 'revision 2 queued at the site')
    await startProvince()
    const again = await agree(DATE1, 2)
    expect(tspExceedance(again)).toBeGreaterThan(tspExceedance(first))
    expect(again.forwarded!.computedAt).toBeGreaterThan(first.forwarded!.computedAt)
  }, 120_000)

  it('a replayed or older report is kept out; a malformed one is refused and the rest of its batch stored', async () => {
    const held = (await report(prov, DATE1, 'site')).body
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${prov.mqttPort}`, { username: 'site-zj', password: UPLINK_PW, protocolVersion: 4, reconnectPeriod: 0, clientId: 'replayer' })
    const old = { site: SITE, date: DATE1, revision: 1, computedAt: first.forwarded!.computedAt, report: figures(first) }
    const same = { ...old, revision: 2, computedAt: held.forwarded!.computedAt, report: figures(held) }
    await c.publishAsync(`uplink/${SITE}/up`, encodeBatch(SITE, [{ d: old }, { d: same }]), { qos: 1 }) // PUBACK: handled
    expect((await report(prov, DATE1, 'site')).body).toEqual(held) // revision 2, its first receipt time

    const ts = Date.now() - 5000
    const bad = { ...same, computedAt: Date.now(), revision: 3, report: { ...figures(held), dust: 'none' } }
    await c.publishAsync(`uplink/${SITE}/up`, encodeBatch(SITE, [{ r: { site: SITE, device: 'ZJ-DUST03', kind: 'dust', ts, values: { tsp: 0.5, pm10: 0.125, pm25: 0.0625 } } }, { d: bad }]), { qos: 1 })
    await c.endAsync()
    const rejects = (await get<{ items: Array<{ reason: string, detail: string, topic: string }> }>(prov, '/api/v1/rejects?limit=100')).body.items
    expect(rejects.find((r) => r.topic === `uplink/${SITE}/up` && r.detail.includes(`daily report ${SITE} ${DATE1} revision 3`))).toMatchObject({ reason: 'invalid_reading', detail: expect.stringContaining('dust') })
    expect((await report(prov, DATE1, 'site')).body).toEqual(held)
    const latest = (await get<{ items: Array<{ device: string, ts: number }> }>(prov, `/api/v1/sites/${SITE}/latest?device=ZJ-DUST03`)).body.items
    expect(latest.map((r) => r.ts)).toContain(ts) // the reading of the same batch was stored
  }, 60_000)

  it('late data stored just before the site is SIGKILLed is reported after its restart', async () => {
    await lateData(site, D2 + 15 * HOUR, 30, 30)
    await stop(site, 'SIGKILL') // within refreshS (2 s) of the PUBACK: the day was marked, most likely not yet computed
    await startSite()
    const after = await agree(DATE2, 2)
    expect(tspExceedance(after)).toBeGreaterThanOrEqual(30)
    expect((await report(prov, DATE1, 'site')).body.forwarded?.revision).toBe(2) // the other day untouched
  }, 120_000)
})
