/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * Issue 16 point 3 in a real browser (Debian's headless Chromium): the console's 交接班 page of a
 * site shows the handover report the API gives (who takes over from whom, open and acknowledged
 * alerts with who acknowledged, devices offline), asks no other host and logs no error.
 * minewatch runs on a manual clock (yesterday in Beijing); the page is opened at the 16:00 change.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { buildConsole } from '../../console/build.js'
import { startTestMinewatch, publishReadings, demoConfig, api } from '../helpers/minewatch.js'
import { launchBrowser, screenshot, type TestBrowser } from '../helpers/browser.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { waitFor } from '../helpers/ports.js'
import { zjRosterYaml } from '../helpers/site-yaml.js'
import { ManualClock } from '../../core/clock.js'
import { beijingDayStart, DAY, HOUR, MINUTE } from '../../core/time.js'
import type { HandoverReport } from '../../core/rosters.js'

const ZJ = 'zj-huzhou-quarry'
const OPERATOR = 'demo-operator-zj-token' // 长兴矿调度室 → 张三 (P001), 白班
const DAY0 = beijingDayStart(Date.now()) - DAY
const at = (hh: number, mm = 0) => DAY0 + hh * HOUR + mm * MINUTE

let mw: Awaited<ReturnType<typeof startTestMinewatch>>
let browser: TestBrowser
let shiftGroup: Receiver
const clock = new ManualClock(at(10))

beforeAll(async () => {
  await buildConsole()
  shiftGroup = await startReceiver()
  mw = await startTestMinewatch({
    clock,
    config: demoConfig(`alerts:
  subscriptions:
    - { id: shift-group, type: webhook, url: "${shiftGroup.url}", secret: webhook-secret-for-tests, allowHttp: true, escalationOnly: true }
${zjRosterYaml({ day: 'shift-group', swing: 'shift-group', night: 'shift-group' })}`)
  })
  browser = await launchBrowser(`http://127.0.0.1:${mw.httpPort}`)
})

afterAll(async () => {
  await browser?.close()
  await mw?.cleanup()
  await shiftGroup?.close()
})

describe('console 交接班 page in Chromium', () => {
  it('shows the handover report of the site at the shift change, as the API gives it', async () => {
    const minute = (from: number, n: number, tsp: number) => Array.from({ length: n }, (_, i) => ({ ts: from + i * MINUTE, seq: i, tsp, flag: 'N' }))
    await publishReadings(mw, ZJ, 'dust', 'ZJ-DUST04', minute(at(9), 60, 1500))
    await publishReadings(mw, ZJ, 'dust', 'ZJ-DUST05', minute(at(9), 60, 1.5))
    const alerts = async () => ((await (await api(mw, `/api/v1/alerts?site=${ZJ}&kind=dust_exceedance&limit=50`)).json()) as { items: Array<{ id: string, subject: string }> }).items
    await waitFor(async () => (await alerts()).length === 2, 10_000, 'two dust alarms')
    const acked = (await alerts()).find((a) => a.subject === 'ZJ-DUST05:tsp:3600')!
    clock.set(at(10, 5))
    expect((await api(mw, `/api/v1/alerts/${acked.id}/ack`, OPERATOR, { method: 'POST' })).status).toBe(200)
    clock.set(at(16))
    await mw.alerts.idle(); await mw.alerts.tick(); await mw.alerts.idle()
    const report = await (await api(mw, `/api/v1/sites/${ZJ}/handover?at=${at(16)}`, OPERATOR)).json() as HandoverReport

    const w = await browser.page()
    const origin = `http://127.0.0.1:${mw.httpPort}`
    await w.page.goto(`${origin}/`, { waitUntil: 'domcontentloaded' })
    await w.page.waitForSelector('[data-testid=login] input[name=token]')
    await w.page.type('input[name=token]', OPERATOR)
    await w.page.click('[data-testid=login] button[type=submit]')
    await w.page.waitForSelector('[data-testid=user]')
    await w.page.goto(`${origin}/#/handover?site=${ZJ}&at=${at(16)}`)
    await w.page.waitForSelector('[data-testid=handover] h1')
    const text = async (sel: string) => await w.page.$eval(sel, (e) => e.textContent ?? '')
    expect(await text('[data-testid=handover] h1')).toBe('湖州长兴某建筑石料矿 · 交接班')
    expect(await text('[data-testid=shift]')).toBe('接班: 中班 16:00–24:00 · 李四(P003)')
    expect(await text('[data-testid=previous]')).toBe('交班: 白班 08:00–16:00 · 张三(P001)、王五(P002)')
    // each section lists the alerts of the API's report, in its order
    const rowsOf = async (section: string) => await w.page.$$eval(`[data-section=${section}] + table tbody tr`, (trs) => trs.map((tr) => tr.getAttribute('data-alert')))
    expect(await rowsOf('hoOpen')).toEqual(report.open.map((a) => a.id))
    expect(await rowsOf('hoAcked')).toEqual([acked.id])
    expect(await w.page.$eval(`[data-alert="${acked.id}"]`, (tr) => tr.textContent ?? '')).toContain('张三(P001)')
    expect(report.open.some((a) => a.subject === 'ZJ-DUST04:tsp:3600')).toBe(true)
    expect(await text('[data-section=hoOffline]')).toBe(`离线设备 (${report.offline.length})`)
    expect(await text('[data-testid=offline]')).toContain('ZJ-DUST04(')
    await screenshot(w.page, 'handover')
    expect(w.foreign).toEqual([])
    expect(w.errors).toEqual([])
  })
})
