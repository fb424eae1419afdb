/// <reference lib="dom" />
/**
 * The map's tile layer from the server's config (`console.tiles`, core/config.ts), in Debian's
 * headless Chromium: tiles come from a small tile server this test starts on 127.0.0.1 (GCJ-02,
 * as Chinese web tiles are), the licence boundary and monitors are still drawn as vectors, and
 * what is drawn is converted to GCJ-02 so it lines up with the tiles. A site set to `null` in
 * `console.siteTiles` gets no tiles at all. (With no tiles configured, console-browser.test.ts
 * checks that no page asks any other host.)
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest'
import { createServer, type Server } from 'node:http'
import { buildConsole } from '../../console/build.js'
import { wgs84ToGcj02 } from '../../console/src/gcj02.js'
import { startTestMinewatch, demoConfig, api } from '../helpers/minewatch.js'
import { launchBrowser, screenshot, type TestBrowser, type WatchedPage } from '../helpers/browser.js'
import { freePort, waitFor } from '../helpers/ports.js'

const SITE = 'zj-huzhou-quarry'
const NO_TILES = 'gz-kaiyang-phos'
const REGULATOR = 'demo-regulator-all-token'
/** A 1×1 grey PNG: every tile. */
const TILE = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNoAAAAggCBd81ytgAAAABJRU5ErkJggg==', 'base64')

let mw: Awaited<ReturnType<typeof startTestMinewatch>>
let browser: TestBrowser
let tiles: Server
let tilePort: number
const tileRequests: string[] = []

beforeAll(async () => {
  await buildConsole()
  tilePort = await freePort()
  tiles = createServer((req, res) => {
    tileRequests.push(req.url ?? '')
    if (!/^\/tiles\/\d+\/\d+\/\d+\.png$/.test(req.url ?? '')) { res.writeHead(404).end(); return }
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': TILE.length }).end(TILE)
  })
  await new Promise<void>((resolve) => tiles.listen(tilePort, '127.0.0.1', resolve))
  mw = await startTestMinewatch({
    config: demoConfig([
      'console:',
      `  tiles: { url: "http://127.0.0.1:${tilePort}/tiles/{z}/{x}/{y}.png", crs: gcj02, attribution: "测试底图 test tiles", maxZoom: 18 }`,
      `  siteTiles: { ${NO_TILES}: null }`
    ].join('\n'))
  })
  browser = await launchBrowser(`http://127.0.0.1:${mw.httpPort}`)
})

afterAll(async () => {
  await browser?.close()
  await mw?.cleanup()
  await new Promise((resolve) => tiles?.close(resolve))
})

async function openSite (site: string): Promise<WatchedPage> {
  const origin = `http://127.0.0.1:${mw.httpPort}`
  const w = await browser.page()
  await w.page.goto(`${origin}/`, { waitUntil: 'domcontentloaded' })
  await w.page.evaluate(async (token) => { await fetch('/api/v1/session', { method: 'POST', headers: { authorization: `Bearer ${token}` } }) }, REGULATOR)
  await w.page.goto(`${origin}/#/site/${site}`)
  await w.page.waitForSelector('.mw-label') // monitors drawn (permanent labels)
  return w
}

/** Waits until the map's vector canvas has something drawn on more than `n` pixels. */
async function drawnPixels (w: WatchedPage, n = 1000): Promise<void> {
  let last = 0
  await waitFor(async () => { last = await pixels(w); return last > n }, 10_000, `more than ${n} drawn pixels (last ${last})`)
}

async function pixels (w: WatchedPage): Promise<number> {
  return await w.page.$eval('[data-testid=site-map] .leaflet-overlay-pane canvas', (c) => {
    const canvas = c as HTMLCanvasElement
    const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data
    let n = 0
    for (let i = 3; i < d.length; i += 4) if (d[i]! > 0) n++
    return n
  })
}

describe('map tiles from the server config, in Chromium', () => {
  it('the API hands the console the configured tile layers', async () => {
    const res = await api(mw, '/api/v1/console', REGULATOR)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      tiles: { url: `http://127.0.0.1:${tilePort}/tiles/{z}/{x}/{y}.png`, crs: 'gcj02', attribution: '测试底图 test tiles', maxZoom: 18 },
      siteTiles: { [NO_TILES]: null }
    })
    // an operator of another site does not learn the settings of sites it cannot see
    const op = await (await api(mw, '/api/v1/console', 'demo-operator-zj-token')).json() as { siteTiles: object }
    expect(op.siteTiles).toEqual({})
  })

  it('tiles load from the configured server, the vectors are still drawn, converted to GCJ-02', async () => {
    const w = await openSite(SITE)
    await w.page.waitForFunction(() => document.querySelectorAll('.leaflet-tile-loaded').length > 0, { timeout: 15_000 })
    expect(tileRequests.filter((u) => u.startsWith('/tiles/')).length).toBeGreaterThan(0)
    expect(w.foreign.length).toBeGreaterThan(0)
    expect(w.foreign.every((u) => u.startsWith(`http://127.0.0.1:${tilePort}/tiles/`))).toBe(true) // nothing else from elsewhere
    await drawnPixels(w) // the boundary, the blasting zone and the monitors
    expect(await w.page.$eval('.leaflet-control-attribution', (e) => e.textContent)).toContain('测试底图 test tiles')
    const geo = await (await api(mw, `/api/v1/sites/${SITE}/boundary.geojson`, REGULATOR)).json() as { features: { geometry: { coordinates: [number, number][][] } }[] }
    const [lon, lat] = geo.features[0]!.geometry.coordinates[0]![0]!
    const drawn = await w.page.evaluate(() => (window as unknown as { minewatchStats?: { map?: { tiles: string | null, crs: string | null, firstVertex: [number, number] | null } } }).minewatchStats?.map)
    expect(drawn?.crs).toBe('gcj02')
    const expected = wgs84ToGcj02(lon, lat)
    expect(drawn!.firstVertex![0]).toBeCloseTo(expected[0], 9)
    expect(drawn!.firstVertex![1]).toBeCloseTo(expected[1], 9)
    expect(Math.abs(drawn!.firstVertex![0] - lon)).toBeGreaterThan(0.001) // hundreds of metres moved, not left in place
    expect(w.errors).toEqual([])
    await screenshot(w.page, 'site-tiles-gcj02')
    await w.page.close()
  })

  it('a site whose tiles are set to null asks no tile server, its map drawn as vectors in registry coordinates', async () => {
    const before = tileRequests.length
    const w = await openSite(NO_TILES)
    await drawnPixels(w)
    const drawn = await w.page.evaluate(() => (window as unknown as { minewatchStats?: { map?: { tiles: string | null, crs: string | null, firstVertex: [number, number] | null } } }).minewatchStats?.map)
    expect(drawn).toMatchObject({ tiles: null, crs: null })
    const geo = await (await api(mw, `/api/v1/sites/${NO_TILES}/boundary.geojson`, REGULATOR)).json() as { features: { geometry: { coordinates: [number, number][][] } }[] }
    expect(drawn!.firstVertex).toEqual(geo.features[0]!.geometry.coordinates[0]![0])
    expect(w.foreign).toEqual([])
    expect(tileRequests.length).toBe(before)
    expect(w.errors).toEqual([])
    await w.page.close()
  })
})
