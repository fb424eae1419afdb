/// <reference lib="dom" />
/**
 * The web console in Debian's headless Chromium against a real `minewatch up` (issue 12 §9):
 *  - bundle size, raw and gzipped (target ≤ 1.5 MB gzipped);
 *  - page interactive: navigation to the one-screen until it shows every device, dust values
 *    and moving entities, with the demo simulation running (target ≤ 2 s);
 *  - 300 entities moving every second for MINEWATCH_BENCH_CONSOLE_S seconds (default 600, the
 *    10 min the issue asks): per-second samples of what the page shows (entities on the map, age
 *    of the oldest position shown), and every 10 s the page's JS heap after a full GC and the
 *    minewatch process's resident memory, to find dropped updates and memory growth.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir, loadavg } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import type { Browser } from 'puppeteer-core'
import { buildConsole } from '../console/build.js'
import { launchChromium } from '../console/chromium.js'
import { startMinewatchProcess } from './minewatch-process.js'
import type { BenchResult } from './run.js'
import { loadNote, machineWasQuiet } from './rounds.js'

const SITE = 'zj-huzhou-quarry'
const TOKEN = 'demo-operator-zj-token'
const DURATION_S = Number(process.env.MINEWATCH_BENCH_CONSOLE_S ?? 600)
const ENTITIES = 300
const PIT: [number, number] = [119.9085, 30.9500] // the demo site's pit (config/demo.yaml workAreas)

const kb = (n: number) => `${(n / 1024).toFixed(0)} KiB`
const mib = (n: number) => (n / 2 ** 20).toFixed(1)

/** Resident set size of a process now, bytes (VmRSS), NaN once it has exited. */
function rss (pid: number | undefined): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) * 1024 : NaN
  } catch { return NaN }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function login (browser: Browser, origin: string): Promise<void> {
  const page = await browser.newPage()
  await page.goto(`${origin}/`)
  await page.evaluate(async (token) => { await fetch('/api/v1/session', { method: 'POST', headers: { authorization: `Bearer ${token}` } }) }, TOKEN)
  await page.close()
}

const READY = `(() => {
  const s = window.minewatchStats
  return document.querySelectorAll('[data-testid=devices] .chip').length > 0 && s !== undefined && s.entities > 0 &&
    [...document.querySelectorAll('[data-testid^=dust-]')].some((e) => /\\d/.test(e.textContent || ''))
})()`

async function interactive (browser: Browser, origin: string, runs: number): Promise<number[]> {
  const out: number[] = []
  for (let i = 0; i < runs; i++) {
    const page = await browser.newPage()
    const t0 = Date.now()
    await page.goto(`${origin}/#/site/${SITE}`)
    await page.waitForFunction(READY, { timeout: 30_000, polling: 20 })
    out.push(Date.now() - t0)
    await page.close()
  }
  return out
}

export default async function consoleBench (): Promise<BenchResult> {
  const build = await buildConsole()
  const js = build.files.filter((f) => f.name.endsWith('.js') || f.name.endsWith('.css'))
  const raw = js.reduce((n, f) => n + f.bytes, 0)
  const gz = js.reduce((n, f) => n + f.gzipBytes, 0)
  // what the first paint loads: the entry script and the styles (ECharts is a chunk loaded on first chart)
  const firstGz = js.filter((f) => f.name.startsWith('app-')).reduce((n, f) => n + f.gzipBytes, 0)
  const loadBefore = loadavg()[0]!

  // 1. page interactive with the demo simulation running
  const dirA = mkdtempSync(join(tmpdir(), 'minewatch-bench-console-'))
  const chromium = await launchChromium()
  let times: number[]
  const demo = await startMinewatchProcess('config/demo.yaml', dirA, {}, ['--simulate'])
  try {
    const origin = `http://127.0.0.1:${demo.httpPort}`
    await login(chromium.browser, origin)
    await new Promise((r) => setTimeout(r, 5000)) // every simulated device has reported
    times = await interactive(chromium.browser, origin, 5)
  } finally {
    await demo.stop()
    rmSync(dirA, { recursive: true, force: true })
  }

  // 2. 300 entities moving every second, no simulation (so the map shows exactly these)
  const dirB = mkdtempSync(join(tmpdir(), 'minewatch-bench-console-'))
  const mw = await startMinewatchProcess('config/demo.yaml', dirB)
  const samples: { entities: number, ageMs: number, heap: number, rss: number, polls: number }[] = []
  let published = 0
  try {
    const origin = `http://127.0.0.1:${mw.httpPort}`
    await login(chromium.browser, origin)
    const page = await chromium.browser.newPage()
    const cdp = await page.createCDPSession()
    await page.goto(`${origin}/#/site/${SITE}`)
    const locators = ['ZJ-UWB01', 'ZJ-UWB02', ...Array.from({ length: 18 }, (_, i) => `ZJ-TRK${String(i + 1).padStart(2, '0')}`)]
    const clients = await Promise.all(locators.map((id) => mqtt.connectAsync(`mqtt://127.0.0.1:${mw.mqttPort}`, { username: id, password: `demo-${id}-pw`, clientId: `bench-${id}`, reconnectPeriod: 0 })))
    const perDevice = ENTITIES / locators.length
    const end = Date.now() + DURATION_S * 1000
    let tick = 0
    while (Date.now() < end) {
      const ts = Date.now()
      await Promise.all(clients.map((c, d) => {
        const readings = Array.from({ length: perDevice }, (_, k) => {
          const e = d * perDevice + k
          const a = (e / ENTITIES) * 2 * Math.PI + tick / 60 // every entity circles the pit, a step each second
          const r = 0.0004 + (e % 10) * 0.00003
          return { ts, entity: locators[d]!.startsWith('ZJ-TRK') ? 'vehicle' : 'person', entityId: `B-${String(e).padStart(3, '0')}`, lon: PIT[0] + r * Math.cos(a), lat: PIT[1] + r * Math.sin(a), accuracyM: 3 }
        })
        return c.publishAsync(`mines/${SITE}/locator/${locators[d]}`, JSON.stringify(readings), { qos: 1 })
      }))
      published += ENTITIES
      tick++
      const s = await page.evaluate(() => {
        const st = (window as unknown as { minewatchStats?: { entities: number, oldestEntityTs: number, latestPolls: number } }).minewatchStats
        return st ? { entities: st.entities, oldest: st.oldestEntityTs, polls: st.latestPolls } : null
      })
      if (tick % 10 === 0) await cdp.send('HeapProfiler.collectGarbage') // heap after a full GC: growth, not garbage
      const m = await page.metrics()
      if (s && tick > 5) samples.push({ entities: s.entities, ageMs: Date.now() - s.oldest, heap: tick % 10 === 0 ? m.JSHeapUsedSize ?? 0 : NaN, rss: tick % 10 === 0 ? rss(mw.child.pid) : NaN, polls: s.polls })
      const wait = ts + 1000 - Date.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    }
    await Promise.all(clients.map((c) => c.endAsync()))
    await page.close()
  } finally {
    await mw.stop()
    await chromium.close()
    rmSync(dirB, { recursive: true, force: true })
  }
  const peakRss = mw.peakRss()
  const loadAfter = loadavg()[0]!
  const stale = samples.filter((s) => s.entities !== ENTITIES || s.ageMs > 2500).length
  const heaps = samples.map((s) => s.heap).filter((h) => !Number.isNaN(h))
  const heapStart = heaps[0] ?? NaN
  const heapEnd = heaps[heaps.length - 1] ?? NaN
  const heapMax = Math.max(...heaps)
  const rsses = samples.map((s) => s.rss).filter((r) => !Number.isNaN(r))
  // growth: the last minute's mean against the second minute's (the first is start-up: DuckDB, caches, JIT)
  const meanOf = (xs: number[], from: number) => { const w = xs.slice(from, from + 6); return w.reduce((a, b) => a + b, 0) / Math.max(1, w.length) }
  const growth = (xs: number[]) => xs.length >= 18 ? `${meanOf(xs, xs.length - 6) >= meanOf(xs, 6) ? '+' : ''}${mib(meanOf(xs, xs.length - 6) - meanOf(xs, 6))} MiB, 2nd minute → last minute` : 'run too short to judge'
  const maxAge = Math.max(...samples.map((s) => s.ageMs))
  const polls = samples.length > 1 ? samples[samples.length - 1]!.polls - samples[0]!.polls : 0
  const rows = [
    ['bundle (JS + CSS), raw', kb(raw), ''],
    ['bundle (JS + CSS), gzipped', kb(gz), `target ≤ 1.5 MB: ${gz <= 1.5 * 1024 * 1024 ? 'met' : 'NOT met'}`],
    ['of which the first paint loads (entry JS + CSS), gzipped', kb(firstGz), 'ECharts (the rest) arrives when the first chart is drawn'],
    ['page interactive, demo running (5 loads)', `median ${median(times)} ms, max ${Math.max(...times)} ms`, `target ≤ 2 s: ${Math.max(...times) <= 2000 ? 'met' : 'NOT met'}`],
    [`${ENTITIES} entities moving each second, ${DURATION_S} s`, `${published} positions published, ${samples.length} one-second samples`, DURATION_S < 600 ? 'shorter than the 10 min the issue asks' : ''],
    ['samples with an entity missing or a position older than 2.5 s', `${stale} of ${samples.length}`, 'dropped updates: none when 0'],
    ['oldest position shown, worst sample', `${maxAge} ms`, 'the page polls latest positions at a fixed 1 s rate'],
    ['latest-position polls during the run', String(polls), `one a second expected: ${samples.length}`],
    ['page JS heap after a full GC, first → last sample (max)', `${mib(heapStart)} → ${mib(heapEnd)} MiB (${mib(heapMax)})`, `${heaps.length} samples, one each 10 s; ${growth(heaps)}`],
    ['minewatch process RSS, first → last sample (peak)', `${mib(rsses[0] ?? NaN)} → ${mib(rsses[rsses.length - 1] ?? NaN)} MiB (${mib(peakRss)})`, `${rsses.length} samples, one each 10 s; ${growth(rsses)}`],
    ['load average (1 min) before / after', `${loadBefore.toFixed(2)} / ${loadAfter.toFixed(2)}`, machineWasQuiet(loadBefore) ? 'quiet machine' : 'busy machine']
  ]
  return {
    title: 'Web console in headless Chromium (issue 12)',
    markdown: `| measure | figure | note |\n|---|---|---|\n${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}\n\n` +
      `Measured on a ${loadNote(loadBefore, loadAfter)}. ` +
      'The page polls positions at a fixed 1 s rate while they are ' +
      'published each second, so a position replaced before the next poll is never drawn: "dropped" here means a sample older than 2.5 s.\n'
  }
}
