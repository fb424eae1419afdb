/**
 * GET /sites/{site}/screen and GET /overview: the web console's one-screen and regulator
 * overview figures, computed on the server (api/reports/screen.ts) for the caller's sites.
 * GET /console: the console's settings from the config (the map tile layer, core/config.ts).
 */
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { RouteContext } from '../app.js'
import { KINDS } from '../../core/kinds.js'
import { errorBodySchema } from '../errors.js'
import { idParam } from '../params.js'
import { alertSchema, polygonSchema } from '../schemas.js'
import { dailyReportSchema } from '../reports/schema.js'
import { overviewRow, rankOverview, siteScreen } from '../reports/screen.js'
import { principalOf, pathSite } from '../auth/access.js'
import { canSeeSite } from '../auth/principal.js'
import { TILE_CRS } from '../../core/config.js'

const screenSchema = z.object({
  site: z.string(),
  at: z.number().describe('epoch ms the figures were computed at'),
  today: dailyReportSchema.describe('today\'s daily report so far (partial)'),
  ore: z.object({
    monthT: z.number().describe('month-to-date output, t'),
    monthShareT: z.number().describe('licence scale ÷ 12, t'),
    monthLimitT: z.number().describe('month share × (1 + ore.monthlyMargin): over_capacity warns above it, t'),
    yearT: z.number().describe('year-to-date output, t'),
    licenceT: z.number().describe('licensed scale per year, t')
  }),
  online: z.array(z.object({ kind: z.enum(KINDS), devices: z.number().int(), online: z.number().int(), rate: z.number() })),
  openAlerts: z.array(alertSchema).describe('firing and acknowledged alerts, newest first')
}).meta({ id: 'SiteScreen' })

const overviewSchema = z.object({
  at: z.number(),
  items: z.array(z.object({
    site: z.string(),
    name: z.string(),
    province: z.string(),
    rank: z.number().int().describe('1 = needs attention first'),
    openAlerts: z.number().int(),
    openAlarms: z.number().int(),
    exceedanceMinutesToday: z.number().int(),
    recyclingRate: z.number().nullable(),
    recyclingBelowFloor: z.boolean().nullable(),
    recyclingFloor: z.number(),
    boundaryBreachesMonth: z.number().int(),
    completeness: z.number(),
    boundary: polygonSchema
  }))
}).meta({ id: 'Overview' })

const tileLayerSchema = z.object({
  url: z.string().describe('URL template with {z}, {x}, {y}'),
  crs: z.enum(TILE_CRS).describe('coordinate system of the tiles; the console converts to GCJ-02 when it is gcj02'),
  attribution: z.string().nullable(),
  maxZoom: z.number().int()
}).meta({ id: 'TileLayer' })

const consoleSettingsSchema = z.object({
  tiles: tileLayerSchema.nullable().describe('tile layer of every map; null: vector drawing only'),
  siteTiles: z.record(z.string(), tileLayerSchema.nullable()).describe('per visible site, overriding tiles; null: no tiles on that site')
}).meta({ id: 'ConsoleSettings' })

export default async function screenRoutes (fastify: FastifyInstance, { deps }: RouteContext): Promise<void> {
  const app = fastify.withTypeProvider<ZodTypeProvider>()

  app.get('/sites/:site/screen', {
    schema: {
      tags: ['console'],
      summary: 'One-screen figures of a site: today\'s report, ore month/year to date, devices online per kind, open alerts',
      params: z.object({ site: idParam }),
      response: { 200: screenSchema, 400: errorBodySchema, 401: errorBodySchema, 404: errorBodySchema }
    }
  }, async (req) => {
    const site = pathSite(deps.registry, principalOf(req), req.params.site)
    return await siteScreen(deps, site, deps.clock.now())
  })

  app.get('/console', {
    schema: {
      tags: ['console'],
      summary: 'The web console\'s settings from the config: the optional map tile layer, globally and per site the caller may see',
      response: { 200: consoleSettingsSchema, 401: errorBodySchema }
    }
  }, async (req) => {
    const p = principalOf(req)
    const c = deps.config.console
    const out = (t: typeof c.tiles | null) => t ? { url: t.url, crs: t.crs, attribution: t.attribution ?? null, maxZoom: t.maxZoom } : null
    return {
      tiles: out(c.tiles),
      siteTiles: Object.fromEntries(Object.entries(c.siteTiles).filter(([site]) => canSeeSite(p, site)).map(([site, t]) => [site, out(t)]))
    }
  })

  app.get('/overview', {
    schema: {
      tags: ['console'],
      summary: 'Every site the caller may see, ranked by compliance (open alarms, breaches this month, exceedance minutes today, recycling, completeness)',
      response: { 200: overviewSchema, 401: errorBodySchema }
    }
  }, async (req) => {
    const p = principalOf(req)
    const now = deps.clock.now()
    const rows = await Promise.all(deps.registry.sites.filter((s) => canSeeSite(p, s.id)).map((s) => overviewRow(deps, s, now)))
    return { at: now, items: rankOverview(rows) }
  })
}
