/// <reference lib="dom" />
/**
 * The overview's uplink tile (console/src/pages/uplink-tile.ts) in Debian's headless Chromium,
 * against `minewatch up` forwarding to two targets: a real Mosquitto (connected, every reading
 * acknowledged) and an address nobody listens on (disconnected, a backlog under a 1 MiB bound that
 * refuses new items). The tile shows each one's link, backlog, last acknowledgement, rate and bound.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { buildConsole } from '../../console/build.js'
import { startTestMinewatch, demoConfig, publishReadings, api } from '../helpers/minewatch.js'
import { launchBrowser, screenshot, type TestBrowser } from '../helpers/browser.js'
import { startMosquitto, type MosquittoHandle } from '../helpers/mosquitto.js'
import { freePort, waitFor } from '../helpers/ports.js'

const SITE = 'zj-huzhou-quarry'
const REGULATOR = 'demo-regulator-all-token'
const N = 50

let mw: Awaited<ReturnType<typeof startTestMinewatch>>
let mosquitto: MosquittoHandle
let browser: TestBrowser

interface Target { name: string, connected: boolean, backlogItems: number, ackedItems: number, lastAckAt: number | null }
const targets = async () => (await (await api(mw, '/api/v1/ops/uplink')).json() as { targets: Target[] }).targets

beforeAll(async () => {
  await buildConsole()
  mosquitto = await startMosquitto()
  const nobody = await freePort()
  process.env.MW_TEST_CONSOLE_UPLINK_PW = 'console-uplink-pw'
  const target = (name: string, url: string, extra = '') => [
    `    - name: ${name}`, `      url: ${url}`, `      site: ${SITE}`, '      username: site-zj', '      passwordEnv: MW_TEST_CONSOLE_UPLINK_PW', '      reconnectMs: 200', extra
  ].filter((l) => l !== '').join('\n')
  mw = await startTestMinewatch({
    config: demoConfig(['uplink:', '  targets:', target('province', mosquitto.url), target('backup-hub', `mqtt://127.0.0.1:${nobody}`, '      queue: { maxBytes: 1048576, onFull: refuse-new }')].join('\n'))
  })
  const t0 = Date.now() - N * 1000
  await publishReadings(mw, SITE, 'dust', 'ZJ-DUST02', Array.from({ length: N }, (_, i) => ({ ts: t0 + i * 1000, seq: i, tsp: 500, pm10: 125, pm25: 62.5 })))
  await waitFor(async () => { const [p, b] = await targets(); return p!.connected && p!.backlogItems === 0 && p!.ackedItems >= N && b!.backlogItems >= N }, 20_000, 'the province target to acknowledge and the other to queue')
  browser = await launchBrowser(`http://127.0.0.1:${mw.httpPort}`)
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await mw?.cleanup()
  await mosquitto?.stop()
  delete process.env.MW_TEST_CONSOLE_UPLINK_PW
})

describe('console: uplink tile on the overview', () => {
  it('shows each target\'s link, backlog, last acknowledgement, rate and bound', async () => {
    const origin = `http://127.0.0.1:${mw.httpPort}`
    const w = await browser.page()
    await w.page.goto(`${origin}/`, { waitUntil: 'domcontentloaded' })
    await w.page.evaluate(async (token) => { await fetch('/api/v1/session', { method: 'POST', headers: { authorization: `Bearer ${token}` } }) }, REGULATOR)
    await w.page.goto(`${origin}/#/overview`)
    await w.page.waitForSelector('[data-testid=uplink]:not([hidden]) tr[data-target=backup-hub]')
    const rows = await w.page.$$eval('[data-testid=uplink] tbody tr', (trs) => trs.map((tr) => ({
      target: tr.getAttribute('data-target'),
      cls: tr.className,
      cells: [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')
    })))
    const [prov, hub] = [rows.find((r) => r.target === 'province')!, rows.find((r) => r.target === 'backup-hub')!]
    // columns: target, link, backlog, last ack, rate, bound · policy, dropped / refused
    expect(prov.cells[0]).toBe(`provinceMQTT · ${SITE}`)
    expect(prov.cells[1]).toBe('已连接')
    expect(prov.cells[2]).toMatch(/^0\s*0 B$/)
    expect(prov.cells[3]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/) // Beijing time of the last PUBACK
    expect(prov.cells[4]).toMatch(/^[\d.]+\/s$/)
    expect(prov.cells[5]).toMatch(/^1 GiB · 丢弃最旧/)
    expect(prov.cells[6]).toBe('0 / 0')
    expect(prov.cls).toBe('st-ok')
    expect(hub.cells[1]).toMatch(/^未连接/)
    expect(Number(hub.cells[2]!.match(/^(\d+)/)![1])).toBeGreaterThanOrEqual(N)
    expect(hub.cells[3]).toBe('—')
    expect(hub.cells[5]).toMatch(/^1 MiB · 拒收新数据/)
    expect(hub.cls).toBe('st-alarm')
    await screenshot(w.page, 'console-uplink')
    expect(w.errors).toEqual([])
    expect(w.foreign).toEqual([])
  }, 60_000)
})
