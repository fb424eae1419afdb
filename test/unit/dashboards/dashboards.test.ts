import { describe, it, expect } from 'vitest'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import type { Dashboard, Panel } from '@grafana/grafana-foundation-sdk/dashboard'
import { loadConfig, parseConfig } from '../../../core/config.js'
import { renderAll, buildDashboards, canonicalJSON, JSON_DIR } from '../../../dashboards/render.js'
import { drift, ROOT } from '../../../dashboards/generate.js'
import { optionsFromEnv, DEFAULT_CONFIG } from '../../../dashboards/options.js'
import { layoutProblems, MAX_ROWS, rowsToPx, SCREEN_HEIGHT_PX, CHROME_PX, GRID_COLUMNS } from '../../../dashboards/layout.js'
import { resolveQueries } from '../../../dashboards/grafana.js'
import { DATASOURCE_UID } from '../../../dashboards/target.js'
import { siteGazetteer, sitesGeoJSON } from '../../../dashboards/gazetteer.js'

const demo = loadConfig(join(ROOT, DEFAULT_CONFIG)).config
const opts = optionsFromEnv({})
const dashboards = buildDashboards(demo, opts)
const panels = (d: Dashboard): Panel[] => (d.panels ?? []) as Panel[]

describe('generated dashboards', () => {
  it('match the checked-in files (run `npx tsx dashboards/generate.ts` after a change)', () => {
    expect(drift(renderAll(demo, opts))).toEqual([])
  })

  it('render byte-identically twice, with sorted keys and no timestamps', () => {
    const a = renderAll(demo, opts)
    const b = renderAll(loadConfig(join(ROOT, DEFAULT_CONFIG)).config, opts)
    expect([...a]).toEqual([...b])
    expect(canonicalJSON({ b: 1, a: { d: [{ y: 1, x: 2 }], c: undefined } })).toBe('{\n  "a": {\n    "d": [\n      {\n        "x": 2,\n        "y": 1\n      }\n    ]\n  },\n  "b": 1\n}\n')
    for (const text of a.values()) expect(text).not.toMatch(/20\d\d-\d\d-\d\dT\d\d:/)
  })

  it('every datasource reference resolves to the provisioned InfluxDB uid', () => {
    const provisioned = parse(readFileSync(join(ROOT, 'dashboards/provisioning/datasources/minewatch.yaml'), 'utf8')) as { datasources: { uid: string, type: string }[] }
    expect(provisioned.datasources.map((d) => d.uid)).toEqual([DATASOURCE_UID])
    const text = [...renderAll(demo, opts).values()].join('\n')
    const uids = [...text.matchAll(/"uid": "([^"]+)"/g)].map((m) => m[1])
    for (const d of dashboards) {
      for (const p of panels(d)) {
        expect(p.datasource, p.title).toEqual({ type: 'influxdb', uid: DATASOURCE_UID })
        for (const t of p.targets ?? []) expect((t as unknown as { datasource: unknown }).datasource, p.title).toEqual({ type: 'influxdb', uid: DATASOURCE_UID })
        expect(p.targets?.length ?? 0, `${p.title} has no query`).toBeGreaterThan(0)
      }
    }
    expect(new Set(uids)).toEqual(new Set([DATASOURCE_UID, 'minewatch-site', 'minewatch-overview']))
  })

  it('the datasource takes url, database, user and password from the environment', () => {
    const text = readFileSync(join(ROOT, 'dashboards/provisioning/datasources/minewatch.yaml'), 'utf8')
    const ds = (parse(text) as { datasources: Record<string, unknown>[] }).datasources[0]!
    expect(ds).toMatchObject({
      type: 'influxdb',
      url: '$__env{MINEWATCH_INFLUX_URL}',
      user: '$__env{MINEWATCH_INFLUX_USER}',
      jsonData: { version: 'InfluxQL', dbName: '$__env{MINEWATCH_INFLUX_DB}' },
      secureJsonData: { password: '$__env{MINEWATCH_INFLUX_PASSWORD}' }
    })
  })

  it('the dashboard provider points at the folder the JSON is written to', () => {
    const provider = (parse(readFileSync(join(ROOT, 'dashboards/provisioning/dashboards/minewatch.yaml'), 'utf8')) as { providers: { type: string, options: { path: string } }[] }).providers[0]!
    expect(provider.type).toBe('file')
    // dashboards/provisioning is mounted at /etc/grafana/provisioning
    expect(provider.options.path).toBe(JSON_DIR.replace('dashboards/provisioning', '/etc/grafana/provisioning'))
  })

  it('fit one 1920×1080 screen: unique ids, no overlap, within 24 columns and the row budget', () => {
    expect(MAX_ROWS).toBe(25)
    expect(rowsToPx(MAX_ROWS)).toBeLessThanOrEqual(SCREEN_HEIGHT_PX - CHROME_PX)
    expect(rowsToPx(MAX_ROWS + 1)).toBeGreaterThan(SCREEN_HEIGHT_PX - CHROME_PX)
    for (const d of dashboards) {
      expect(layoutProblems(d), d.uid).toEqual([])
      // the screen is filled: the bottom edge is at the budget and every column is used
      expect(Math.max(...panels(d).map((p) => p.gridPos!.y + p.gridPos!.h))).toBe(MAX_ROWS)
      expect(panels(d).reduce((n, p) => n + p.gridPos!.w * p.gridPos!.h, 0)).toBe(GRID_COLUMNS * MAX_ROWS)
    }
  })

  it('layout checks catch overlaps, overflow, duplicate ids and the height budget', () => {
    const d = { title: 't', panels: [
      { type: 'stat', id: 1, title: 'a', gridPos: { x: 0, y: 0, w: 12, h: 4 } },
      { type: 'stat', id: 1, title: 'b', gridPos: { x: 6, y: 2, w: 12, h: 4 } },
      { type: 'stat', id: 3, title: 'c', gridPos: { x: 20, y: 0, w: 6, h: 4 } },
      { type: 'stat', id: 4, title: 'd', gridPos: { x: 0, y: 24, w: 6, h: 2 } },
      { type: 'stat', id: 5, title: 'e' }
    ] } as unknown as Dashboard
    const problems = layoutProblems(d).join('\n')
    expect(problems).toMatch(/b: duplicate id 1/)
    expect(problems).toMatch(/b: overlaps a/)
    expect(problems).toMatch(/c: x 20 \+ w 6 exceeds 24 columns/)
    expect(problems).toMatch(/d: bottom at row 26 exceeds the 25-row/)
    expect(problems).toMatch(/e: no gridPos/)
  })

  it('have Chinese titles, descriptions and units', () => {
    const cjk = /[\u4e00-\u9fff]/
    for (const d of dashboards) {
      expect(d.title).toMatch(cjk)
      for (const p of panels(d)) {
        expect(p.title, String(p.id)).toMatch(cjk)
        expect(p.description, p.title).toMatch(cjk)
        if (p.type === 'stat' || p.type === 'gauge' || p.type === 'bargauge' || p.type === 'timeseries') expect(p.fieldConfig?.defaults?.unit, p.title).toBeTruthy()
      }
    }
  })

  it('every query interpolates fully for every site, as Grafana would send it', () => {
    for (const site of demo.sites) {
      const qs = resolveQueries(dashboards[0]!, { now: Date.now(), vars: { site: site.id } })
      for (const q of qs) expect(q.query).not.toMatch(/\$[A-Za-z_{[]/)
      expect(qs.some((q) => q.query.includes(`'${site.id}'`))).toBe(true)
    }
  })

  it('the site map draws the registry boundaries and zones, or the API ones when a public API URL is given', () => {
    const layerSrc = (d: Dashboard): string => {
      const geomap = panels(d).find((p) => p.type === 'geomap')!
      return (geomap.options.layers as { type: string, config: { src: string } }[]).find((l) => l.type === 'geojson')!.config.src
    }
    expect(layerSrc(dashboards[0]!)).toBe('public/gazetteer/minewatch/sites.geojson')
    const other = buildDashboards(demo, optionsFromEnv({ MINEWATCH_PUBLIC_API_URL: 'https://mine.example.cn/' }))[0]!
    expect(layerSrc(other)).toBe('https://mine.example.cn/api/v1/sites/${site}/boundary.geojson')
    expect(() => optionsFromEnv({ MINEWATCH_PUBLIC_API_URL: 'mine.example.cn' })).toThrow(/http\(s\) URL/)
    // the generated GeoJSON has the API's feature properties, which the layer's style rules test
    const geo = sitesGeoJSON(demo) as { features: { properties: Record<string, unknown> }[] }
    const zj = geo.features.filter((f) => f.properties.site === 'zj-huzhou-quarry').map((f) => [f.properties.kind, f.properties.zoneKind])
    expect(zj).toEqual([['licence_boundary', undefined], ['zone', 'blasting'], ['site', undefined]])
  })
})

describe('thresholds come from the site registry', () => {
  // the demo config with other limits for the Zhejiang site
  const demoText = readFileSync(join(ROOT, DEFAULT_CONFIG), 'utf8')
  const zjDust = demoText.indexOf('    dust:\n')
  const text = (demoText.slice(0, zjDust) + demoText.slice(demoText.indexOf('    devices:\n      - id: ZJ-DUST01')))
    .replace('    devices:\n      - id: ZJ-DUST01', `    dust:
      limits:
        - { metric: tsp, limit: 0.8, windowS: 3600, clearBelow: 0.6, standard: DB33 test }
    water:
      floor: 0.9
    devices:
      - id: ZJ-DUST01`)
  const changed = parseConfig(text, 'test.yaml').config
  const [site, overview] = buildDashboards(changed, opts)
  const overrideFor = (d: Dashboard, title: string, options: string): { id: string, value?: unknown }[] =>
    panels(d).find((p) => p.title === title)!.fieldConfig!.overrides!.find((o) => o.matcher.options === options)!.properties

  it('dust: per-site limit and clear level on the monitors of that site only', () => {
    const zj = overrideFor(site!, '扬尘实时浓度 TSP', '^(ZJ-DUST01|ZJ-DUST02|ZJ-DUST03|ZJ-DUST04|ZJ-DUST05|ZJ-DUST06|ZJ-HJ-DUST01)$')
    expect(zj).toEqual([{ id: 'thresholds', value: { mode: 'absolute', steps: [{ value: null, color: 'green' }, { value: 0.6, color: 'orange' }, { value: 0.8, color: 'red' }] } }])
    // Gansu: the legal GB 16297-1996 limit on its boundary monitors, the operational one on the others
    const gsBoundary = overrideFor(site!, '扬尘实时浓度 TSP', '^(GS-DUST04|GS-DUST05|GS-HJ-DUST01)$')
    expect((gsBoundary[0]!.value as { steps: { value: number | null }[] }).steps.map((s) => s.value)).toEqual([null, 0.8, 1])
    const gsPit = overrideFor(site!, '扬尘实时浓度 TSP', '^(GS-DUST01|GS-DUST02|GS-DUST03)$')
    expect((gsPit[0]!.value as { steps: { value: number | null }[] }).steps.map((s) => s.value)).toEqual([null, 0.8, 1])
    expect(overview!.panels!.length).toBe(8)
    // the overview's worst-ratio query divides by each site's own limit
    const table = JSON.stringify(panels(overview!).find((p) => p.title === '各矿山状况')!.targets)
    expect(table).toContain(`mean(\\"tsp\\") / 0.8 AS \\"ratio\\" FROM \\"dust\\" WHERE \\"site\\" = 'zj-huzhou-quarry'`)
    expect(table).toContain(`mean(\\"tsp\\") / 1 AS \\"ratio\\" FROM \\"dust\\" WHERE \\"site\\" = 'gs-baiyin-cuzn'`)
  })

  it('water floor, ore licence shares and device totals per site', () => {
    expect(overrideFor(site!, '今日水循环利用率', 'zj-huzhou-quarry')[1]).toEqual({ id: 'thresholds', value: { mode: 'absolute', steps: [{ value: null, color: 'red' }, { value: 0.9, color: 'green' }] } })
    expect(overrideFor(site!, '今日水循环利用率', 'gs-baiyin-cuzn')[1]).toMatchObject({ value: { steps: [{ value: null }, { value: 0.85 }] } })
    const year = overrideFor(site!, '本年产量 / 年许可规模', 'gs-baiyin-cuzn')
    expect(year).toContainEqual({ id: 'max', value: 1_800_000 })
    expect((year.find((p) => p.id === 'thresholds')!.value as { steps: { value: number | null }[] }).steps.map((s) => s.value)).toEqual([null, 1_350_000, 1_500_000])
    const month = overrideFor(site!, '本月产量 / 月度许可份额', 'zj-huzhou-quarry')
    expect((month.find((p) => p.id === 'thresholds')!.value as { steps: { value: number | null }[] }).steps.map((s) => s.value)).toEqual([null, 250_000, 275_000])
    expect(overrideFor(site!, '设备在线', 'locator zj-huzhou-quarry')).toContainEqual({ id: 'max', value: 20 })
    // sites with different floors: the overview's rate column is not coloured by one of them
    expect(JSON.stringify(panels(overview!).find((p) => p.title === '各矿山状况')!.description)).toMatch(/不着色/)
  })

  it('the gazetteer places every site at its boundary centroid', () => {
    const g = siteGazetteer(demo)
    expect(g.map((p) => p.key)).toEqual(demo.sites.map((s) => s.id))
    for (const p of g) {
      const ring = demo.sites.find((s) => s.id === p.key)!.boundary.coordinates[0]!
      expect(p.longitude).toBeGreaterThan(Math.min(...ring.map((c) => c[0])))
      expect(p.longitude).toBeLessThan(Math.max(...ring.map((c) => c[0])))
      expect(p.latitude).toBeGreaterThan(Math.min(...ring.map((c) => c[1])))
      expect(p.latitude).toBeLessThan(Math.max(...ring.map((c) => c[1])))
    }
  })
})
