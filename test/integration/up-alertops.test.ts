/**
 * Issue 16 (alert operations for a 24-hour control room) through `minewatch up`: readings over
 * MQTT, alerts over the HTTP API, deliveries to a local webhook receiver. One minewatch for the
 * whole file, on a manual clock the tests move (the engine's ticks read it), so nothing waits on
 * the wall clock.
 */
import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest'
import { copyFileSync } from 'node:fs'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { startTestMinewatch, publishReadings, demoConfig, api } from '../helpers/minewatch.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { waitFor } from '../helpers/ports.js'
import { ManualClock } from '../../core/clock.js'
import { beijingDayStart, DAY, HOUR, MINUTE } from '../../core/time.js'
import { auditCommand } from '../../audit/cli.js'
import { tempDir } from '../helpers/ports.js'

const ZJ = 'zj-huzhou-quarry'
const SECRET = 'webhook-secret-for-tests'
const REGULATOR = 'demo-regulator-zj-token'

interface AlertRow { id: string, kind: string, subject: string, state: string, firedAt: number, noDataSince?: number | null, message: string }
interface TransitionRow { from: string | null, to: string, reason: string, at: number, message: string }
interface Event { event: string, alert: AlertRow, transition: TransitionRow }

/** Event time starts 4 h ahead of the wall clock (hours of readings are never "in the future") and moves only when told. */
const clock = new ManualClock(Math.floor((Date.now() + 4 * HOUR) / MINUTE) * MINUTE)

let mw: Awaited<ReturnType<typeof startTestMinewatch>>
let receiver: Receiver

/** One TSP reading a minute from `from` for `minutes`, µg/m³ (the demo dust monitors' unit), with an HJ 212 flag. */
function tspMinutes (from: number, minutes: number, tspUg: number, startSeq: number, flag = 'N') {
  return Array.from({ length: minutes }, (_, i) => ({ ts: from + i * MINUTE, seq: startSeq + i, tsp: tspUg, flag }))
}

async function alertsOf (query: string): Promise<AlertRow[]> {
  const res = await api(mw, `/api/v1/alerts?limit=200&${query}`)
  expect(res.status).toBe(200)
  return ((await res.json()) as { items: AlertRow[] }).items
}

async function oneAlert (id: string): Promise<{ alert: AlertRow, history: TransitionRow[] }> {
  const res = await api(mw, `/api/v1/alerts/${id}`)
  expect(res.status).toBe(200)
  return await res.json() as never
}

/** Moves the clock to `t` and runs the engine's clock-driven checks once. */
async function tickAt (t: number): Promise<void> {
  clock.set(t)
  await mw.alerts.idle()
  await mw.alerts.tick()
  await mw.alerts.idle()
}

function events (): Event[] {
  return receiver.deliveries.map((d) => JSON.parse(d.body) as Event)
}

beforeAll(async () => {
  receiver = await startReceiver()
  mw = await startTestMinewatch({
    clock,
    config: demoConfig(`alerts:
  retry: { initialMs: 100, maxMs: 400 }
  subscriptions:
    - { id: control-room, type: webhook, url: "${receiver.url}", secret: ${SECRET}, allowHttp: true, sites: [${ZJ}], minSeverity: warning, evidenceEvents: true }
`)
  })
})

afterAll(async () => {
  await mw?.cleanup()
  await receiver?.close()
})

describe('issue 16 point 8: "no data" is not "resolved"', () => {
  it('a firing dust alert whose monitor goes silent stays open, says its evidence is missing (API and webhook), and resolves only on readings', async () => {
    const t0 = clock.now() - HOUR
    // 1.5 mg/m³ for an hour at a boundary monitor: above GB 16297-1996's 1.0 (config/demo.yaml)
    await publishReadings(mw, ZJ, 'dust', 'ZJ-DUST04', tspMinutes(t0, 60, 1500, 0))
    await mw.alerts.idle()
    const [dust] = (await alertsOf(`site=${ZJ}&kind=dust_exceedance`)).filter((a) => a.subject.startsWith('ZJ-DUST04:'))
    expect(dust).toMatchObject({ state: 'firing', noDataSince: null })

    // the monitor says nothing for two hours: offline after 3 × 60 s, the dust alert stays firing and is marked
    const lastSeen = t0 + 59 * MINUTE
    await tickAt(lastSeen + 2 * HOUR)
    const offline = await alertsOf(`site=${ZJ}&kind=device_offline&state=firing`)
    const since = offline.find((a) => a.subject === 'ZJ-DUST04')!.firedAt // 3 × 60 s after the monitor was last heard of
    expect(since).toBeGreaterThan(lastSeen)
    const silent = await oneAlert(dust!.id)
    expect(silent.alert.state).toBe('firing')
    expect(silent.alert.noDataSince).toBe(since)
    expect(silent.history.map((t) => [t.from, t.to, t.reason])).toEqual([[null, 'firing', 'avg_above_limit_for_hold'], ['firing', 'firing', 'no_data']])
    expect(silent.history[1]!.message).toContain('证据缺失')
    await waitFor(() => events().some((e) => e.alert.id === dust!.id && e.event === 'alert.no_data'), 10_000, 'alert.no_data delivery')
    const noData = events().find((e) => e.alert.id === dust!.id && e.event === 'alert.no_data')!
    expect(noData.alert.noDataSince).toBe(since)
    expect(noData.transition.reason).toBe('no_data')

    // back at its cadence with clean air: the mark is lifted at once, the alert clears only when the
    // readings say so (the window's average below clearBelow for clearHoldS)
    const back = lastSeen + 2 * HOUR
    // the clock just past each batch: further ahead, the engine's timer would find the monitor silent again
    clock.set(back + 4 * MINUTE)
    await publishReadings(mw, ZJ, 'dust', 'ZJ-DUST04', tspMinutes(back, 3, 100, 1000))
    // the PUBACK follows the store; the engine judges the readings right after: wait for its answer
    await waitFor(async () => (await oneAlert(dust!.id)).alert.noDataSince === null, 10_000, 'data_back')
    await mw.alerts.idle()
    const returned = await oneAlert(dust!.id)
    expect(returned.alert).toMatchObject({ state: 'firing', noDataSince: null })
    expect(returned.history.at(-1)!.reason).toBe('data_back')
    clock.set(back + 74 * MINUTE)
    await publishReadings(mw, ZJ, 'dust', 'ZJ-DUST04', tspMinutes(back + 3 * MINUTE, 70, 100, 2000))
    await mw.alerts.idle()
    const cleared = await oneAlert(dust!.id)
    expect(cleared.alert).toMatchObject({ state: 'resolved', noDataSince: null })
    expect(cleared.history.at(-1)!.reason).toBe('avg_below_clear_level_for_clear_hold')
  })

  it('a data-quality alert is not cleared by one clean reading after a silence (the silence is no evidence)', async () => {
    const t0 = clock.now() - 2 * HOUR
    // HJ 212 flag D (fault) for 5 minutes, then nothing for 30 minutes, then one clean reading
    await publishReadings(mw, ZJ, 'dust', 'ZJ-DUST05', tspMinutes(t0, 5, 0.2, 0, 'D'))
    await publishReadings(mw, ZJ, 'dust', 'ZJ-DUST05', [{ ts: t0 + 35 * MINUTE, seq: 100, tsp: 0.2, flag: 'N' }])
    await mw.alerts.idle()
    // before the change: resolved by that one reading (35 min after the last bad one > CLEAN_FOR_S)
    const [flag] = (await alertsOf(`site=${ZJ}&kind=data_quality`)).filter((a) => a.subject === 'ZJ-DUST05:flag')
    expect(flag!.state).not.toBe('resolved')
    // clean readings spanning CLEAN_FOR_S (10 min) do clear it
    await publishReadings(mw, ZJ, 'dust', 'ZJ-DUST05', tspMinutes(t0 + 36 * MINUTE, 11, 0.2, 200))
    await mw.alerts.idle()
    expect((await oneAlert(flag!.id)).alert.state).toBe('resolved')
  })
})

interface AuditRow { seq: number, at: number, site: string | null, actor: string, action: string, target: string | null, detail: Record<string, unknown>, prev: string, hash: string }

async function post (path: string, body: unknown, token?: string): Promise<Response> {
  return await api(mw, path, token, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })
}

/** Runs `minewatch audit verify --data-dir dir` in-process; its exit code and what it printed. */
async function verifyDir (dir: string): Promise<{ code: number, out: string }> {
  let out = ''
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => { out += String(chunk); return true })
  try {
    return { code: await auditCommand(['verify', '--data-dir', dir]), out }
  } finally {
    spy.mockRestore()
  }
}

async function sql (file: string, statement: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(file)
  const c = await db.connect()
  try {
    return (await c.runAndReadAll(statement)).getRowObjectsJS()
  } finally {
    c.closeSync(); db.closeSync()
  }
}

describe('issue 16 point 4: an auditable lifecycle', () => {
  it('comments, ack and close with a reason are recorded with who and when; the audit log exports as JSON, CSV and a printable page', async () => {
    const [open] = await alertsOf(`site=${ZJ}&kind=device_offline&state=firing`)
    expect(open).toBeDefined()
    const comment = await post(`/api/v1/alerts/${open!.id}/comments`, { text: '已通知维护班组检查 4G 模块' }, REGULATOR)
    expect(comment.status).toBe(200)
    expect(await comment.json()).toMatchObject({ alertId: open!.id, by: '浙江省自然资源厅', text: '已通知维护班组检查 4G 模块', at: clock.now() })
    expect((await post(`/api/v1/alerts/${open!.id}/comments`, { text: '  ' })).status).toBe(400)
    expect((await post(`/api/v1/alerts/${open!.id}/ack`, { note: '值班员已确认' })).status).toBe(200)
    // a regulator may comment but not close; other (其他) needs a text; an unknown reason is refused
    expect((await post(`/api/v1/alerts/${open!.id}/close`, { reason: 'device_fault' }, REGULATOR)).status).toBe(403)
    expect((await post(`/api/v1/alerts/${open!.id}/close`, { reason: 'other' })).status).toBe(400)
    expect((await post(`/api/v1/alerts/${open!.id}/close`, { reason: 'bored' })).status).toBe(400)
    const closed = await post(`/api/v1/alerts/${open!.id}/close`, { reason: 'device_fault', text: '供电中断,已报修' })
    expect(closed.status).toBe(200)
    expect(await closed.json()).toMatchObject({ state: 'resolved' })
    expect((await post(`/api/v1/alerts/${open!.id}/close`, { reason: 'device_fault' })).status).toBe(409)
    const one = await (await api(mw, `/api/v1/alerts/${open!.id}`)).json() as { history: TransitionRow[] & { by: string | null }[], comments: { by: string, text: string }[] }
    expect(one.comments).toEqual([expect.objectContaining({ by: '浙江省自然资源厅', text: '已通知维护班组检查 4G 模块' })])
    const last = one.history.at(-1) as TransitionRow & { by: string | null }
    expect(last).toMatchObject({ to: 'resolved', reason: 'closed:device_fault', by: 'admin' })
    expect(last.message).toContain('【关闭】')
    expect(last.message).toContain('原因:设备故障;供电中断,已报修')

    // the audit log: every transition (system) and every operator action, with who and when
    const res = await api(mw, `/api/v1/audit?site=${ZJ}&limit=10000`)
    expect(res.status).toBe(200)
    const items = ((await res.json()) as { items: AuditRow[] }).items
    const mine = items.filter((r) => r.target === open!.id)
    expect(mine.map((r) => [r.action, r.actor, r.detail.to ?? null])).toEqual([
      ['alert.transition', 'system', 'firing'],
      ['alert.comment', '浙江省自然资源厅', null],
      ['alert.transition', 'admin', 'acknowledged'],
      ['alert.transition', 'admin', 'resolved']
    ])
    expect(mine[3]!.detail).toMatchObject({ reason: 'closed:device_fault', note: '供电中断,已报修' })
    expect(items.every((r) => r.site === ZJ || r.site === null)).toBe(true)
    // the regulator of Zhejiang sees only Zhejiang's records
    const reg = ((await (await api(mw, '/api/v1/audit?limit=10000', REGULATOR)).json()) as { items: AuditRow[] }).items
    expect(reg.length).toBeGreaterThan(0)
    expect(reg.every((r) => r.site === ZJ || r.site === null)).toBe(true)
    const csv = await api(mw, `/api/v1/audit?site=${ZJ}&format=csv&limit=10000`)
    expect(csv.headers.get('content-type')).toContain('text/csv')
    const lines = (await csv.text()).replace(/^\uFEFF/, '').trim().split('\r\n')
    expect(lines[0]).toBe('seq,time_beijing,site,actor,action,target,detail,prev,hash')
    expect(lines).toHaveLength(items.length + 1)
    expect(lines.some((l) => l.includes('浙江省自然资源厅') && l.includes('alert.comment'))).toBe(true)
    const html = await api(mw, `/api/v1/audit?site=${ZJ}&format=html&limit=10000`)
    expect(html.headers.get('content-type')).toContain('text/html')
    const page = await html.text()
    expect(page).toContain('已通知维护班组检查 4G 模块')
    expect(page).not.toContain('<script')
    expect(await (await api(mw, '/api/v1/audit/verify')).json()).toMatchObject({ ok: true })
  })

  it('a daily digest closes each Beijing day; audit verify proves the stopped data dir intact and names a modified and a deleted record', async () => {
    const [some] = await alertsOf(`site=${ZJ}&state=firing`)
    // the next Beijing day: its first record is preceded by the digest of the day before
    clock.set(beijingDayStart(clock.now()) + DAY + HOUR)
    expect((await post(`/api/v1/alerts/${some!.id}/comments`, { text: '交班前复核' })).status).toBe(200)
    const all = ((await (await api(mw, '/api/v1/audit?limit=10000')).json()) as { items: AuditRow[] }).items
    const digest = all.find((r) => r.action === 'audit.digest')!
    const before = all.filter((r) => r.seq < digest.seq)
    expect(digest.detail).toMatchObject({ head: before.at(-1)!.hash, records: before.length })
    expect(all.at(-1)!.detail).toMatchObject({ text: '交班前复核' })
    await mw.close()

    const state = join(mw.dataDir, 'state.duckdb')
    // the engine's own timer may have stored transitions (audited) after the listing above, up to close
    const [last] = await sql(state, 'SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1')
    expect(Number(last!.seq)).toBeGreaterThanOrEqual(all.at(-1)!.seq)
    const ok = await verifyDir(mw.dataDir)
    expect(ok.code).toBe(0)
    expect(ok.out).toContain(`intact: ${Number(last!.seq)} records, 1 daily digests, head ${String(last!.hash)}`)
    const copies = tempDir('minewatch-audit-')
    try {
      for (const name of ['modified', 'deleted']) { copyFileSync(state, join(copies.path, `${name}.duckdb`)) }
      // one changed word in record 3's detail: its hash no longer matches
      await sql(join(copies.path, 'modified.duckdb'), "UPDATE audit_log SET actor = 'someone-else' WHERE seq = 3")
      // record 5 removed: a gap in the chain
      await sql(join(copies.path, 'deleted.duckdb'), 'DELETE FROM audit_log WHERE seq = 5')
      for (const [name, seq, why] of [['modified', 3, 'altered'], ['deleted', 5, 'missing']] as const) {
        const dir = join(copies.path, name)
        const { mkdirSync, renameSync } = await import('node:fs')
        mkdirSync(dir)
        renameSync(join(copies.path, `${name}.duckdb`), join(dir, 'state.duckdb'))
        const r = await verifyDir(dir)
        expect(r.code).toBe(1)
        expect(r.out).toContain(`BROKEN at record ${seq}`)
        expect(r.out).toContain(why)
      }
    } finally {
      copies.remove()
    }
  })
})
